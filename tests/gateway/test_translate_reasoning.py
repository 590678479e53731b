"""reasoning_effort: the thinking Converse asks for, the combinations Claude refuses, signed thinking
replayed through a tool loop, and reasoning as it comes back to the client."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.gateway.chat_features import (
    OPUS_46,
    SIGNED,
    SONNET_4,
    SONNET_35,
    WEATHER,
    call_for,
    completion,
    converse,
    rejected,
    stream,
    tool_loop,
)
from tests.gateway.chat_requests import body, user

# ---- reasoning_effort --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "effort, budget, max_tokens",
    [
        ("minimal", 1024, 5120),
        ("low", 1024, 5120),
        ("medium", 4096, 8192),
        ("high", 16384, 20480),
        ("xhigh", 24576, 28672),
        ("max", 32768, 36864),
    ],
)
def test_it_turns_each_effort_into_a_thinking_budget_with_room_for_the_answer(effort, budget, max_tokens):
    call = call_for(body(reasoning_effort=effort), SONNET_4)
    assert call.thinking is True
    assert call.kwargs["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": budget}}
    assert call.kwargs["inferenceConfig"] == {"maxTokens": max_tokens}
    assert "outputConfig" not in call.kwargs


def test_it_keeps_the_clients_max_tokens_when_the_budget_fits_under_it():
    kwargs = converse(body(reasoning_effort="low", max_completion_tokens=10_000), SONNET_4)
    assert kwargs["inferenceConfig"] == {"maxTokens": 10_000}
    assert kwargs["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 1024


def test_it_raises_max_tokens_that_leave_no_room_after_the_budget():
    kwargs = converse(body(reasoning_effort="medium", max_tokens=2000), SONNET_4)
    assert kwargs["inferenceConfig"] == {"maxTokens": 4096 + 4096}


def test_it_fits_the_budget_under_the_models_output_limit():
    kwargs = converse(body(reasoning_effort="high"), replace(SONNET_4, max_output_tokens=8192))
    assert kwargs["inferenceConfig"] == {"maxTokens": 8192}
    assert kwargs["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 8191


def test_it_refuses_reasoning_when_the_model_cannot_fit_the_minimum_budget():
    error = rejected(
        body(reasoning_effort="low", max_completion_tokens=1000), replace(SONNET_4, max_output_tokens=1024)
    )
    assert (error.param, error.status) == ("max_completion_tokens", 400)
    assert "above 1024" in error.message


@pytest.mark.parametrize(
    "effort, sent",
    [("minimal", "low"), ("low", "low"), ("medium", "medium"), ("high", "high"), ("xhigh", "high"), ("max", "max")],
)
def test_it_asks_adaptive_models_for_an_effort_instead_of_a_budget(effort, sent):
    kwargs = converse(body(reasoning_effort=effort), OPUS_46)
    assert kwargs["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
    assert kwargs["outputConfig"] == {"effort": sent}
    assert "inferenceConfig" not in kwargs


@pytest.mark.parametrize("fields", [{}, {"reasoning_effort": "none"}, {"reasoning_effort": None}])
def test_it_sends_no_thinking_without_an_effort(fields):
    call = call_for(body(**fields), SONNET_4)
    assert call.thinking is False
    assert "additionalModelRequestFields" not in call.kwargs and "outputConfig" not in call.kwargs


def test_effort_none_is_accepted_by_models_that_cannot_reason():
    assert "additionalModelRequestFields" not in converse(body(reasoning_effort="none"), SONNET_35)


def test_it_drops_top_p_and_keeps_temperature_one_when_thinking():
    kwargs = converse(body(reasoning_effort="low", temperature=1, top_p=0.5), SONNET_4)
    assert kwargs["inferenceConfig"] == {"maxTokens": 5120, "temperature": 1.0}


@pytest.mark.parametrize("temperature", [0, 0.2, 0.99])
def test_it_refuses_a_temperature_other_than_one_with_thinking(temperature):
    error = rejected(body(reasoning_effort="medium", temperature=temperature), SONNET_4)
    assert (error.param, error.code) == ("temperature", "invalid_request")
    assert "reasoning_effort" in error.message


@pytest.mark.parametrize("tool_choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_it_refuses_a_forced_tool_choice_with_thinking(tool_choice):
    error = rejected(body(reasoning_effort="low", tools=[WEATHER], tool_choice=tool_choice), SONNET_4)
    assert error.param == "tool_choice" and "auto" in error.message


def test_auto_tool_choice_is_allowed_with_thinking():
    kwargs = converse(body(reasoning_effort="low", tools=[WEATHER], tool_choice="auto"), SONNET_4)
    assert kwargs["toolConfig"]["toolChoice"] == {"auto": {}}


@pytest.mark.parametrize("effort", ["extreme", "HIGH", "", 3, True])
def test_it_rejects_an_unknown_effort(effort):
    error = rejected(body(reasoning_effort=effort), SONNET_4)
    assert error.param == "reasoning_effort" and "must be one of" in error.message


def test_it_leaves_thinking_off_on_a_model_that_cannot_reason():
    assert "additionalModelRequestFields" not in converse(body(reasoning_effort="high"), SONNET_35)


def test_it_replays_signed_thinking_before_the_tool_call_it_led_to():
    call = call_for(body(*tool_loop([SIGNED]), reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert call.thinking is True
    assert call.kwargs["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "Paris is in France.", "signature": "c2lnbmF0dXJl"}}},
        {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}},
    ]


def test_it_replays_redacted_thinking_as_bytes():
    redacted = {"type": "redacted_thinking", "data": "AAEC"}
    kwargs = converse(body(*tool_loop([redacted]), reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert kwargs["messages"][1]["content"][0] == {"reasoningContent": {"redactedContent": b"\x00\x01\x02"}}


def test_a_streamed_turns_signed_block_takes_its_text_from_reasoning_content():
    streamed = {"type": "thinking", "thinking": "", "signature": "c2lnbmF0dXJl"}
    messages = tool_loop([streamed])
    messages[1]["reasoning_content"] = "Paris is in France."
    kwargs = converse(body(*messages, reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert kwargs["messages"][1]["content"][0] == {
        "reasoningContent": {"reasoningText": {"text": "Paris is in France.", "signature": "c2lnbmF0dXJl"}}
    }


def test_reasoning_content_does_not_overwrite_thinking_that_came_back_with_its_text():
    messages = tool_loop([SIGNED])
    messages[1]["reasoning_content"] = "something else"
    kwargs = converse(body(*messages, reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert kwargs["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]["text"] == "Paris is in France."


@pytest.mark.parametrize("blocks", [None, [], [{"type": "thinking", "thinking": "unsigned"}]])
def test_it_turns_thinking_off_for_a_tool_loop_whose_thinking_did_not_come_back(blocks):
    call = call_for(body(*tool_loop(blocks), reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert call.thinking is False
    assert "additionalModelRequestFields" not in call.kwargs
    assert "maxTokens" not in call.kwargs.get("inferenceConfig", {})


def test_it_strips_replayed_thinking_when_thinking_is_off():
    kwargs = converse(body(*tool_loop([SIGNED]), tools=[WEATHER]), SONNET_4)
    assert [list(block) for block in kwargs["messages"][1]["content"]] == [["toolUse"]]


def test_a_thinking_only_turn_keeps_a_placeholder_when_its_thinking_is_stripped():
    messages = [user("hi"), {"role": "assistant", "content": None, "thinking_blocks": [SIGNED]}, user("again")]
    assert converse(body(*messages), SONNET_4)["messages"][1]["content"] == [{"text": "."}]


def test_it_rejects_malformed_thinking_blocks():
    messages = [user("hi"), {"role": "assistant", "content": "ok", "thinking_blocks": [{"type": "summary"}]}]
    assert rejected(body(*messages), SONNET_4).param == "messages[1].thinking_blocks[0]"


def test_streamed_reasoning_comes_as_reasoning_content_then_its_signature():
    chunks = stream(
        [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me "}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "think."}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Hi"}}},
            {"messageStop": {"stopReason": "end_turn"}},
        ],
        json_tool=None,
    )
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == "Let me think."
    assert [d["thinking_blocks"] for d in deltas if "thinking_blocks" in d] == [
        [{"type": "thinking", "thinking": "", "signature": "c2ln"}]
    ]
    assert "".join(d.get("content") or "" for d in deltas) == "Hi"


def test_reasoning_comes_back_with_its_signature_for_the_next_turn():
    choice = completion(
        [{"reasoningContent": {"reasoningText": {"text": "Hmm.", "signature": "c2ln"}}}, {"text": "Hello"}],
        stop_reason="end_turn",
        json_tool=None,
    )
    assert choice["message"]["reasoning_content"] == "Hmm."
    assert choice["message"]["thinking_blocks"] == [{"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"}]
    assert choice["message"]["content"] == "Hello"
