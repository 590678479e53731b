"""Converse response -> OpenAI chat.completion."""

from __future__ import annotations

import json

import pytest

from gateway.translate.chat_response import FINISH_REASONS, to_chat_completion, usage_from_converse

USAGE = {"inputTokens": 12, "outputTokens": 40, "totalTokens": 52}


def converse_response(*content, stop_reason="end_turn", usage=USAGE) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": list(content)}},
        "stopReason": stop_reason,
        "usage": usage,
        "metrics": {"latencyMs": 10},
    }


def complete(response: dict, tool_names: dict[str, str] | None = None) -> dict:
    return to_chat_completion(
        response, completion_id="chatcmpl-1", created=1764000000, model="claude", tool_names=tool_names or {}
    )


def message_of(response: dict, tool_names: dict[str, str] | None = None) -> dict:
    return complete(response, tool_names)["choices"][0]["message"]


@pytest.mark.parametrize(
    "stop_reason, finish_reason",
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("content_filtered", "content_filter"),
        ("guardrail_intervened", "content_filter"),
        ("model_context_window_exceeded", "length"),
        ("malformed_model_output", "stop"),
        ("malformed_tool_use", "stop"),
        ("something_new", "stop"),
        (None, "stop"),
    ],
)
def test_it_maps_every_stop_reason_to_an_openai_finish_reason(stop_reason, finish_reason):
    completion = complete(converse_response({"text": "x"}, stop_reason=stop_reason))
    assert completion["choices"][0]["finish_reason"] == finish_reason


def test_it_maps_only_to_values_openai_clients_know():
    assert set(FINISH_REASONS.values()) <= {"stop", "length", "tool_calls", "content_filter"}


def test_it_builds_the_full_chat_completion_shape():
    assert complete(converse_response({"text": "Hello"})) == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "claude",
        "choices": [
            {
                "index": 0,
                "logprobs": None,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "Hello", "refusal": None, "annotations": []},
            }
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": 40,
            "total_tokens": 52,
            "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
        "system_fingerprint": None,
    }


@pytest.mark.parametrize(
    "content, expected",
    [
        ([{"text": "Hel"}, {"text": "lo"}], "Hello"),
        ([{"text": ""}], ""),
        ([{"text": "a"}, {"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}, {"text": "b"}], "ab"),
        ([{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}], None),
        ([], None),
    ],
)
def test_it_joins_all_text_blocks_and_uses_null_without_text(content, expected):
    assert message_of(converse_response(*content))["content"] == expected


def test_it_returns_tool_calls_with_text_and_restored_names():
    message = message_of(
        converse_response(
            {"text": "Let me check."},
            {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "tooluse_2", "name": "github_create_issue_0123456789", "input": {}}},
            stop_reason="tool_use",
        ),
        {"github_create_issue_0123456789": "github.create_issue"},
    )
    assert message["content"] == "Let me check."
    assert message["tool_calls"] == [
        {"id": "tooluse_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "tooluse_2", "type": "function", "function": {"name": "github.create_issue", "arguments": "{}"}},
    ]
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}


def test_it_omits_tool_calls_when_there_are_none():
    assert "tool_calls" not in message_of(converse_response({"text": "hi"}))


def test_it_exposes_reasoning_as_reasoning_content():
    message = message_of(
        converse_response(
            {"reasoningContent": {"reasoningText": {"text": "First, ", "signature": "sig"}}},
            {"reasoningContent": {"reasoningText": {"text": "think."}}},
            {"reasoningContent": {"redactedContent": b"\x00"}},
            {"text": "Answer"},
        )
    )
    assert message["reasoning_content"] == "First, think."
    assert message["content"] == "Answer"


def test_it_omits_reasoning_content_without_reasoning_blocks():
    assert "reasoning_content" not in message_of(converse_response({"text": "hi"}))


@pytest.mark.parametrize(
    "usage, expected",
    [
        pytest.param(
            {
                "inputTokens": 12,
                "outputTokens": 40,
                "totalTokens": 3052,
                "cacheReadInputTokens": 3000,
                "cacheWriteInputTokens": 0,
            },
            {
                "prompt_tokens": 3012,
                "completion_tokens": 40,
                "total_tokens": 3052,
                "prompt_tokens_details": {"cached_tokens": 3000, "cache_write_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
            id="cache read",
        ),
        pytest.param(
            {"inputTokens": 5, "outputTokens": 7, "totalTokens": 1512, "cacheWriteInputTokens": 1500},
            {
                "prompt_tokens": 1505,
                "completion_tokens": 7,
                "total_tokens": 1512,
                "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 1500},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
            id="cache write",
        ),
        pytest.param(
            {},
            {
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "total_tokens": 0,
                "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
            id="missing counts",
        ),
    ],
)
def test_it_maps_usage_counting_cached_tokens_as_prompt(usage, expected):
    assert usage_from_converse(usage) == expected


def test_it_survives_a_response_without_output_or_usage():
    completion = complete({"stopReason": "end_turn"})
    assert completion["choices"][0]["message"]["content"] is None
    assert completion["usage"]["total_tokens"] == 0
