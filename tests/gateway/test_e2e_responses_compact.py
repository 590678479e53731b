"""End to end: compaction (`/v1/responses/compact`, `context_management`) and reasoning that round-trips unstored."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from gateway.translate.responses_input import SUMMARY_INTRO

pytestmark = pytest.mark.e2e

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "strict": False,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CONVERSATION = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Fix the bug in app.py"}]},
    {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city": "Lyon"}'},
    {"type": "function_call_output", "call_id": "c1", "output": "sunny " * 40},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done: fixed it."}]},
]


@pytest.fixture
def user(gateway, issue):
    """(identity, post): a fresh identity and a function posting JSON to the gateway with its token."""
    identity = f"compact-{uuid.uuid4().hex[:10]}@test"
    headers = {"Authorization": f"Bearer {issue(identity)}"}

    def post(path: str, body: dict) -> httpx.Response:
        return httpx.post(f"{gateway.url}/v1/{path}", headers=headers, json=body, timeout=30)

    return identity, post


def converse_calls(emulator_log) -> list[dict]:
    return [entry for entry in emulator_log() if entry["operation"].startswith("converse")]


def test_compact_returns_the_user_messages_and_a_summary_that_comes_back_as_context(user, emulator_log, records):
    identity, post = user
    compact = post(
        "responses/compact",
        {
            "model": "claude-4-sonnet",
            "input": CONVERSATION,
            "tools": [WEATHER],
            "instructions": "You are a coding agent.",
            "parallel_tool_calls": True,
        },
    )
    assert compact.status_code == 200, compact.text
    body = compact.json()
    assert body["object"] == "response.compaction" and body["usage"]["output_tokens"] > 0
    assert [item["type"] for item in body["output"]] == ["message", "compaction"]
    assert body["output"][0]["content"][0]["text"] == "Fix the bug in app.py"
    summarised = converse_calls(emulator_log)[-1]["body"]
    assert "toolConfig" in summarised and "Done: fixed it." in json.dumps(summarised["messages"])

    follow = post(
        "responses",
        {"model": "claude-4-sonnet", "input": [*body["output"], {"role": "user", "content": "What did you do?"}]},
    )
    assert follow.status_code == 200 and "x-sbc-adapted" not in follow.headers
    sent = json.dumps(converse_calls(emulator_log)[-1]["body"]["messages"])
    assert SUMMARY_INTRO.strip() in sent and "synthetic answer" in sent and "What did you do?" in sent
    rows = records(identity)
    assert [row["endpoint"] for row in rows] == ["responses.compact", "responses"]
    assert all(row["status"] == 200 and row["total_tokens"] > 0 for row in rows)


def test_a_compaction_item_from_elsewhere_is_dropped_and_named(user, emulator_log):
    _, post = user
    reply = post(
        "responses",
        {
            "model": "claude-4-sonnet",
            "input": [
                {"role": "user", "content": "Earlier ask"},
                {"type": "compaction", "encrypted_content": "gAAAAopaque"},
                {"role": "user", "content": "Go on"},
            ],
        },
    )
    assert reply.status_code == 200 and reply.headers["x-sbc-adapted"] == "item:compaction"


@pytest.mark.parametrize("stream", [False, True])
def test_context_management_compacts_first_over_the_threshold(user, emulator_log, records, stream):
    identity, post = user
    # The bulk of an agent's history is tool output: that is what the summary replaces.
    long_history = [
        *CONVERSATION,
        {"type": "function_call", "call_id": "c2", "name": "get_weather", "arguments": '{"city": "Oslo"}'},
        {"type": "function_call_output", "call_id": "c2", "output": "more context " * 800},
    ]
    reply = post(
        "responses",
        {
            "model": "claude-4-sonnet",
            "stream": stream,
            "tools": [WEATHER],
            "input": [*long_history, {"role": "user", "content": "Now the tests, please"}],
            "context_management": [{"type": "compaction", "compact_threshold": 1000}],
        },
    )
    assert reply.status_code == 200, reply.text
    assert "context_management" in reply.headers["x-sbc-adapted"]
    if stream:
        events = [json.loads(line[6:]) for line in reply.text.splitlines() if line.startswith("data: ")]
        added = [e["item"]["type"] for e in events if e["type"] == "response.output_item.added"]
        output = events[-1]["response"]["output"]
        assert added[0] == "compaction" and events[-1]["type"] == "response.completed"
    else:
        output = reply.json()["output"]
    assert output[0]["type"] == "compaction" and output[-1]["type"] == "message"
    summary, answer = converse_calls(emulator_log)[-2:]
    assert "more context" in json.dumps(summary["body"]["messages"])
    answered = json.dumps(answer["body"]["messages"])
    assert answered.count("more context") < 100, "the tool output was replaced by the summary"
    assert "Now the tests, please" in answered and SUMMARY_INTRO[:30] in answered
    assert [row["endpoint"] for row in records(identity)] == ["responses.compact", "responses"]


def test_context_management_under_the_threshold_answers_as_sent(user, emulator_log):
    _, post = user
    reply = post(
        "responses",
        {
            "model": "claude-4-sonnet",
            "input": "Hi",
            "context_management": [{"type": "compaction", "compact_threshold": 100000}],
        },
    )
    assert reply.status_code == 200 and reply.json()["output"][0]["type"] == "message"
    assert len(converse_calls(emulator_log)) == 1


@pytest.mark.parametrize(
    "value, param",
    [
        ([{"type": "truncate"}], "context_management[0].type"),
        ([{"type": "compaction", "compact_threshold": 5}], "context_management[0].compact_threshold"),
        ({"type": "compaction"}, "context_management"),
    ],
)
def test_bad_context_management_is_a_400_naming_it(user, value, param):
    _, post = user
    reply = post("responses", {"model": "claude-4-sonnet", "input": "Hi", "context_management": value})
    assert reply.status_code == 400 and reply.json()["error"]["param"] == param


def test_compact_without_input_is_a_400(user):
    _, post = user
    reply = post("responses/compact", {"model": "claude-4-sonnet"})
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "input"


def test_signed_thinking_round_trips_without_storage(user, emulator_log):
    # Codex's default: store false, include reasoning.encrypted_content, the reasoning item sent back as input.
    _, post = user
    ask = {
        "model": "claude-4-sonnet",
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "low", "summary": "auto"},
        "tools": [WEATHER],
    }
    first = post("responses", {**ask, "input": "Use get_weather city=Lyon"}).json()
    reasoning = next(item for item in first["output"] if item["type"] == "reasoning")
    call = next(item for item in first["output"] if item["type"] == "function_call")
    assert reasoning["encrypted_content"]
    second = post(
        "responses",
        {
            **ask,
            "input": [
                {"role": "user", "content": "Use get_weather city=Lyon"},
                reasoning,
                call,
                {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"},
            ],
        },
    )
    assert second.status_code == 200, second.text
    sent = converse_calls(emulator_log)[-1]["body"]["messages"]
    calling_turn = next(m for m in sent if any("toolUse" in block for block in m["content"]))
    signed = calling_turn["content"][0]["reasoningContent"]["reasoningText"]
    assert signed["signature"] and signed["text"] == reasoning["summary"][0]["text"]
