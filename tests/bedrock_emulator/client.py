"""boto3 pointed at the Bedrock emulator, and helpers to read its answers, for the emulator's tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.servers import EmulatorServer

SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"

GREETING = "This is a synthetic answer from the Bedrock emulator."
WEATHER = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"}},
                "required": ["city", "days", "metric"],
            }
        },
    }
}
TIME = {
    "toolSpec": {
        "name": "get_time",
        "description": "Local time.",
        "inputSchema": {
            "json": {"type": "object", "properties": {"zone": {"type": "string"}, "precise": {"type": "number"}}}
        },
    }
}


@pytest.fixture(autouse=True)
def fresh_emulator(emulator: EmulatorServer) -> None:
    """Imported by each emulator test module: every test starts with an empty log and no faults."""
    emulator.reset()


def user(text: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}, *extra]}


def client_in(emulator: EmulatorServer, region: str, *, validate: bool = True):
    return boto3.client(
        "bedrock-runtime",
        region_name=region,
        endpoint_url=emulator.url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"total_max_attempts": 1}, parameter_validation=validate),
    )


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check()` is truthy: waits for the server, asserts nothing about speed."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)
    return result


def stream_events(response: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(event.items())) for event in response["stream"]]


def streamed_text(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(body["delta"].get("text", "") for name, body in events if name == "contentBlockDelta")


def tool_uses(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["toolUse"] for block in response["output"]["message"]["content"] if "toolUse" in block]


def streamed_tool_calls(events: list[tuple[str, dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    calls: dict[int, dict[str, Any]] = {}
    for name, body in events:
        if name == "contentBlockStart":
            calls[body["contentBlockIndex"]] = {**body["start"]["toolUse"], "fragments": []}
        elif name == "contentBlockDelta" and "toolUse" in body["delta"]:
            calls[body["contentBlockIndex"]]["fragments"].append(body["delta"]["toolUse"]["input"])
    return calls
