"""The Bedrock emulator's answers, driven by real boto3 over HTTP: Converse, ConverseStream and tool calls,
as the gateway's Bedrock adapter will meet them."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.bedrock_emulator.client import (  # noqa: F401
    GREETING,
    HAIKU_3,
    SONNET,
    TIME,
    WEATHER,
    fresh_emulator,
    stream_events,
    streamed_text,
    streamed_tool_calls,
    tool_uses,
    user,
)

pytestmark = pytest.mark.e2e


# --- Converse -------------------------------------------------------------------------------------


def test_it_answers_converse_with_plain_text(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("Hello there")])

    assert response["output"]["message"]["role"] == "assistant"
    assert response["output"]["message"]["content"] == [{"text": f"{GREETING} The conversation has 1 message."}]
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["inputTokens"] == math.ceil(len("Hello there") / 4)
    assert usage["outputTokens"] == 14
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["cacheReadInputTokens"] == usage["cacheWriteInputTokens"] == 0
    assert "latencyMs" in response["metrics"]
    assert response["ResponseMetadata"]["RequestId"]


def test_it_counts_messages_and_images(bedrock) -> None:
    image = {"image": {"format": "png", "source": {"bytes": b"\x89PNG fake"}}}
    messages = [user("first"), {"role": "assistant", "content": [{"text": "ok"}]}, user("look", image)]

    text = bedrock.converse(modelId=SONNET, messages=messages)["output"]["message"]["content"][0]["text"]

    assert text == f"{GREETING} The conversation has 3 messages. I received 1 image (png)."


def test_it_cuts_the_answer_at_a_stop_sequence(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("hi")], inferenceConfig={"stopSequences": ["Bedrock"]})

    assert response["output"]["message"]["content"][0]["text"] == "This is a synthetic answer from the "
    assert response["stopReason"] == "stop_sequence"


def test_it_cuts_the_answer_at_max_tokens(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("hi")], inferenceConfig={"maxTokens": 3})

    assert response["output"]["message"]["content"][0]["text"] == "This is a"
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 3


def test_it_answers_with_as_many_words_as_asked(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("[[sbc:long=50]]")])

    assert len(response["output"]["message"]["content"][0]["text"].split()) == 50


def test_it_puts_reasoning_first_when_thinking_is_enabled(bedrock) -> None:
    response = bedrock.converse(
        modelId=SONNET,
        messages=[user("think")],
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )

    reasoning, answer = response["output"]["message"]["content"]
    assert reasoning["reasoningContent"]["reasoningText"]["text"]
    assert reasoning["reasoningContent"]["reasoningText"]["signature"]
    assert answer["text"].startswith(GREETING)


def test_it_accepts_base_ids_profiles_and_inference_profile_arns(bedrock) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{SONNET}"
    for model_id in (
        HAIKU_3,
        "eu.anthropic.claude-3-haiku-20240307-v1:0",
        "global." + SONNET[3:],
        arn,
        "amazon.nova-micro-v1:0",
        "mistral.mistral-large-2407-v1:0",
    ):
        assert bedrock.converse(modelId=model_id, messages=[user("hi")])["stopReason"] == "end_turn"


# --- ConverseStream -------------------------------------------------------------------------------


def test_it_streams_events_in_order_with_word_deltas(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("Hello there")]))
    names = [name for name, _ in events]

    assert names[0] == "messageStart" and events[0][1] == {"role": "assistant"}
    deltas = [body for name, body in events if name == "contentBlockDelta"]
    assert len(deltas) >= 3
    assert {delta["contentBlockIndex"] for delta in deltas} == {0}
    assert names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    assert "contentBlockStart" not in names
    assert streamed_text(events) == f"{GREETING} The conversation has 1 message."
    assert events[-2][1] == {"stopReason": "end_turn"}
    usage = events[-1][1]["usage"]
    assert usage["outputTokens"] == 14 and usage["totalTokens"] == usage["inputTokens"] + 14
    assert "latencyMs" in events[-1][1]["metrics"]


def test_it_streams_as_many_deltas_as_the_pace_asks(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("[[sbc:pace=20x0]]")]))

    assert len([name for name, _ in events if name == "contentBlockDelta"]) == 20


def test_it_streams_reasoning_before_the_text(bedrock) -> None:
    events = stream_events(bedrock.converse_stream(modelId=SONNET, messages=[user("hi [[sbc:thinking]]")]))
    deltas = [body for name, body in events if name == "contentBlockDelta"]

    reasoning = [delta for delta in deltas if delta["contentBlockIndex"] == 0]
    assert all("reasoningContent" in delta["delta"] for delta in reasoning)
    assert "signature" in reasoning[-1]["delta"]["reasoningContent"]
    assert streamed_text(events).startswith(GREETING)
    assert {delta["contentBlockIndex"] for delta in deltas} == {0, 1}


# --- Tools ----------------------------------------------------------------------------------------


def test_it_calls_a_tool_named_in_the_prompt_with_arguments_from_its_schema(bedrock) -> None:
    response = bedrock.converse(
        modelId=SONNET,
        messages=[user("Use get_weather with city=Paris please.")],
        toolConfig={"tools": [WEATHER, TIME]},
    )

    assert response["stopReason"] == "tool_use"
    assert response["output"]["message"]["content"][0] == {"text": "Let me call get_weather."}
    (call,) = tool_uses(response)
    assert call["name"] == "get_weather"
    assert call["input"] == {"city": "Paris", "days": 1, "metric": True}
    assert call["toolUseId"].startswith("tooluse_") and len(call["toolUseId"]) == len("tooluse_") + 22


def test_it_answers_with_text_when_auto_finds_no_tool_named(bedrock) -> None:
    response = bedrock.converse(modelId=SONNET, messages=[user("What's up?")], toolConfig={"tools": [WEATHER]})

    assert response["stopReason"] == "end_turn"
    assert tool_uses(response) == []


def test_it_must_call_a_tool_when_tool_choice_is_any_or_tool(bedrock) -> None:
    any_tool = bedrock.converse(
        modelId=SONNET, messages=[user("What's up?")], toolConfig={"tools": [WEATHER, TIME], "toolChoice": {"any": {}}}
    )
    named = bedrock.converse(
        modelId=SONNET,
        messages=[user("What's up?")],
        toolConfig={"tools": [WEATHER, TIME], "toolChoice": {"tool": {"name": "get_time"}}},
    )

    assert [call["name"] for call in tool_uses(any_tool)] == ["get_weather"]
    assert [call["name"] for call in tool_uses(named)] == ["get_time"]
    assert named["output"]["message"]["content"][0]["toolUse"]["input"] == {"zone": "sample", "precise": 1.5}


def test_it_streams_two_parallel_tool_calls_as_partial_json(bedrock) -> None:
    events = stream_events(
        bedrock.converse_stream(
            modelId=SONNET,
            messages=[user("Call get_time and then get_weather for city=Oslo")],
            toolConfig={"tools": [WEATHER, TIME]},
        )
    )

    calls = streamed_tool_calls(events)
    assert [call["name"] for call in calls.values()] == ["get_time", "get_weather"]
    assert list(calls) == [1, 2]  # block 0 is the short text before the calls
    assert all(len(call["fragments"]) >= 2 for call in calls.values())
    assert json.loads("".join(calls[2]["fragments"])) == {"city": "Oslo", "days": 1, "metric": True}
    assert calls[1]["toolUseId"] != calls[2]["toolUseId"]
    assert streamed_text(events) == "Let me call get_time and get_weather."
    assert ("messageStop", {"stopReason": "tool_use"}) in events


def test_it_summarises_a_tool_result_in_the_follow_up(bedrock) -> None:
    first = bedrock.converse(modelId=SONNET, messages=[user("get_weather city=Rome")], toolConfig={"tools": [WEATHER]})
    (call,) = tool_uses(first)
    result = {"toolResult": {"toolUseId": call["toolUseId"], "content": [{"json": {"temp": 21}}]}}

    follow_up = bedrock.converse(
        modelId=SONNET,
        toolConfig={"tools": [WEATHER]},
        messages=[user("get_weather city=Rome"), first["output"]["message"], {"role": "user", "content": [result]}],
    )

    assert follow_up["output"]["message"]["content"] == [{"text": 'The tool returned: {"temp":21}'}]
    assert follow_up["stopReason"] == "end_turn"


NEWS = {
    "toolSpec": {
        "name": "get_news",
        "description": "Headlines for a city.",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }
}


def _answer_each_call(first: dict[str, Any]) -> dict[str, Any]:
    calls = tool_uses(first)
    results = [
        {"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": f"{call['name']} done"}]}}
        for call in calls
    ]
    return {"role": "user", "content": results}


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        ("in-turn", [["get_weather"], ["get_time"], ["get_news"]]),
        ("in-turn=2,1", [["get_weather", "get_time"], ["get_news"]]),
        ("in-turn=1,2", [["get_weather"], ["get_time", "get_news"]]),
        ("in-turn=2", [["get_weather", "get_time"], ["get_news"]]),
    ],
)
def test_an_in_turn_task_calls_its_tools_round_after_round(bedrock, rounds, expected) -> None:
    task = f"Use get_weather, get_time and get_news for city=Oslo. [[sbc:{rounds}]]"
    config = {"tools": [WEATHER, TIME, NEWS]}
    history = [user(task)]
    called = []
    for _ in range(len(expected)):
        reply = bedrock.converse(modelId=SONNET, messages=history, toolConfig=config)
        assert reply["stopReason"] == "tool_use"
        called.append([call["name"] for call in tool_uses(reply)])
        history += [reply["output"]["message"], _answer_each_call(reply)]

    last = bedrock.converse(modelId=SONNET, messages=history, toolConfig=config)
    assert called == expected
    assert last["stopReason"] == "end_turn"
    # The answer reports the first result of the last round.
    assert last["output"]["message"]["content"] == [{"text": f"The tool returned: {expected[-1][0]} done"}]
