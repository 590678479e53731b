"""Requests, models and helpers shared by the translation tests of reasoning, structured output, prompt
caching and the context-window guard."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.caching import CACHE_POINT
from gateway.translate.chat_request import ConverseCall, to_converse_request, validate_chat_request
from gateway.translate.chat_response import to_chat_completion
from gateway.translate.chat_stream import ChatStreamTranslator
from gateway.translate.structured import JSON_TOOL
from tests.gateway.chat_requests import user

# Capabilities as the seeded aliases have them (gateway/migrations/0002 and 0003).
SONNET_45 = ModelSpec(
    name="claude-sonnet-4.5",
    base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    profile="required",
    sampling="one",
    reasoning="budget",
    prompt_caching=True,
    structured_output="native",
    max_output_tokens=64_000,
)
SONNET_4 = ModelSpec(
    name="claude-4-sonnet",
    base_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
    profile="required",
    reasoning="budget",
    prompt_caching=True,
    max_output_tokens=64_000,
)
OPUS_46 = ModelSpec(
    name="claude-opus-4.6",
    base_model_id="anthropic.claude-opus-4-6-v1",
    profile="required",
    sampling="one",
    reasoning="adaptive",
    prompt_caching=True,
    structured_output="native",
    max_output_tokens=128_000,
)
SONNET_35 = ModelSpec(
    name="claude-3.5-sonnet",
    base_model_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
    profile="required",
    max_output_tokens=8192,
)
LLAMA = ModelSpec(
    name="llama-3.3-70b",
    base_model_id="meta.llama3-3-70b-instruct-v1:0",
    supports_tools=False,
    supports_images=False,
    context_window=128_000,
)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
PERSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "description": "A person", "schema": PERSON}}
SIGNED = {"type": "thinking", "thinking": "Paris is in France.", "signature": "c2lnbmF0dXJl"}


def tool_loop(thinking_blocks: list | None = None) -> list[dict]:
    """A user question, the assistant's tool call (with its thinking when given) and the tool's result."""
    turn = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
        ],
    }
    if thinking_blocks is not None:
        turn["thinking_blocks"] = thinking_blocks
    return [user("Weather in Paris?"), turn, {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}]


def call_for(request: dict, spec: ModelSpec) -> ConverseCall:
    return to_converse_request(validate_chat_request(request), spec)


def converse(request: dict, spec: ModelSpec) -> dict:
    return call_for(request, spec).kwargs


def rejected(request: dict, spec: ModelSpec) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        call_for(request, spec)
    return caught.value


def cache_points(kwargs: dict) -> list[str]:
    """Where the cache points are: "tools", "system" or "messages[i]" for each one."""
    places = [("tools", (kwargs.get("toolConfig") or {}).get("tools") or []), ("system", kwargs.get("system") or [])]
    places += [(f"messages[{i}]", m["content"]) for i, m in enumerate(kwargs["messages"])]
    return [name for name, blocks in places for block in blocks if block == CACHE_POINT]


def completion(content: list[dict], stop_reason: str = "tool_use", json_tool: str | None = JSON_TOOL) -> dict:
    response = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12},
    }
    return to_chat_completion(
        response, completion_id="chatcmpl-1", created=1, model="claude-4-sonnet", tool_names={}, json_tool=json_tool
    )["choices"][0]


def stream(events: list[dict], json_tool: str | None = JSON_TOOL) -> list[dict]:
    translator = ChatStreamTranslator(
        completion_id="chatcmpl-1",
        created=1,
        model="claude-4-sonnet",
        include_usage=False,
        tool_names={},
        json_tool=json_tool,
    )
    return [chunk for event in events for chunk in translator.feed(event)]
