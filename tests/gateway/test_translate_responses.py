"""Responses API request -> Converse request, Converse response -> `response` object, and the stream's events."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.chat_request import to_converse_request
from gateway.translate.responses_input import decode_reasoning
from gateway.translate.responses_request import validate_responses_request
from gateway.translate.responses_response import ResponseShape, to_response
from gateway.translate.responses_stream import ResponsesStreamTranslator

CLAUDE = ModelSpec(
    name="claude",
    base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
    sampling="one",
    reasoning="budget",
    max_output_tokens=64000,
)
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "strict": False,
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
AGENTS = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "description": "Sub-agents.",
    "tools": [
        {
            "type": "function",
            "name": "close_agent",
            "description": "Close an agent.",
            "parameters": {"type": "object", "properties": {"target": {"type": "string"}}},
        }
    ],
}
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfake").decode()


def converse(body: dict) -> dict:
    return to_converse_request(validate_responses_request({"model": "claude", **body}).chat, CLAUDE).kwargs


def rejected(body: dict) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        converse(body)
    return caught.value


def shape(**body) -> ResponseShape:
    ask = validate_responses_request({"model": "claude", "input": "hi", **body})
    return ResponseShape(
        response_id="resp_1", created_at=1700000000, model="claude", ask=ask, call=to_converse_request(ask.chat, CLAUDE)
    )


def answer(*content, stop: str = "end_turn", **body) -> dict:
    response = {
        "output": {"message": {"role": "assistant", "content": list(content)}},
        "stopReason": stop,
        "usage": {"inputTokens": 10, "outputTokens": 20, "totalTokens": 30, "cacheReadInputTokens": 4},
    }
    return to_response(response, shape(**body)).body


# ---- request -------------------------------------------------------------------------------------------


def test_it_turns_a_string_input_and_instructions_into_system_and_a_user_turn():
    kwargs = converse({"input": "Hello", "instructions": "Be brief.", "max_output_tokens": 100, "temperature": 0.5})
    assert kwargs["system"] == [{"text": "Be brief."}]
    assert kwargs["messages"] == [{"role": "user", "content": [{"text": "Hello"}]}]
    assert kwargs["inferenceConfig"] == {"maxTokens": 100, "temperature": 0.5}


def test_it_converts_message_items_with_parts_and_developer_messages():
    kwargs = converse(
        {
            "input": [
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Rules."}]},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "Look:"},
                        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                    ],
                },
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "A picture."}]},
                {"role": "user", "content": "Thanks"},
            ]
        }
    )
    assert kwargs["system"] == [{"text": "Rules."}]
    first = kwargs["messages"][0]["content"]
    assert first[0] == {"text": "Look:"} and first[1]["image"]["format"] == "png"
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]


def test_it_pairs_function_calls_with_their_outputs_in_one_turn_each():
    kwargs = converse(
        {
            "tools": [WEATHER],
            "input": [
                {"role": "user", "content": "Weather in Paris and Lyon?"},
                {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
                {"type": "function_call", "call_id": "call_2", "name": "get_weather", "arguments": '{"city": "Lyon"}'},
                {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
                {
                    "type": "function_call_output",
                    "call_id": "call_2",
                    "output": [{"type": "input_text", "text": "12C"}],
                },
            ],
        }
    )
    calls, results = kwargs["messages"][1], kwargs["messages"][2]
    assert [b["toolUse"]["input"] for b in calls["content"]] == [{"city": "Paris"}, {"city": "Lyon"}]
    assert [b["toolResult"]["toolUseId"] for b in results["content"]] == ["call_1", "call_2"]
    assert results["content"][1]["toolResult"]["content"] == [{"text": "12C"}]
    assert kwargs["toolConfig"]["tools"][0]["toolSpec"]["name"] == "get_weather"


def test_it_puts_images_from_a_tool_output_right_after_the_result():
    kwargs = converse(
        {
            "tools": [WEATHER],
            "input": [
                {"role": "user", "content": "Show me"},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                {
                    "type": "function_call_output",
                    "call_id": "c1",
                    "output": [{"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"}],
                },
            ],
        }
    )
    turn = kwargs["messages"][2]["content"]
    assert "toolResult" in turn[0] and "image" in turn[1]


def test_it_flattens_namespace_tools_and_maps_calls_back():
    kwargs = converse(
        {
            "tools": [AGENTS],
            "input": [
                {"role": "user", "content": "close it"},
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "namespace": "multi_agent_v1",
                    "name": "close_agent",
                    "arguments": '{"target": "a1"}',
                },
                {"type": "function_call_output", "call_id": "c1", "output": "closed"},
            ],
        }
    )
    spec = kwargs["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "multi_agent_v1__close_agent"
    assert spec["description"].endswith("Close an agent.") and "multi_agent_v1" in spec["description"]
    assert kwargs["messages"][1]["content"][0]["toolUse"]["name"] == "multi_agent_v1__close_agent"
    item = answer(
        {"toolUse": {"toolUseId": "t1", "name": "multi_agent_v1__close_agent", "input": {"target": "a"}}},
        stop="tool_use",
        tools=[AGENTS],
    )["output"][0]
    assert (item["namespace"], item["name"]) == ("multi_agent_v1", "close_agent")


def test_it_maps_tool_choice_reasoning_and_text_format():
    kwargs = converse({"input": "hi", "tools": [WEATHER], "tool_choice": {"type": "function", "name": "get_weather"}})
    assert kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": "get_weather"}}
    kwargs = converse({"input": "hi", "reasoning": {"effort": "low", "summary": "auto"}})
    assert kwargs["additionalModelRequestFields"]["thinking"]["type"] == "enabled"
    kwargs = converse(
        {
            "input": "hi",
            "text": {
                "format": {
                    "type": "json_schema",
                    "name": "answer",
                    "strict": True,
                    "schema": {"type": "object", "properties": {}},
                }
            },
        }
    )
    assert kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": "json_tool_call"}}


def test_it_accepts_what_codex_sends():
    kwargs = converse(
        {
            "input": [
                {"type": "message", "id": "msg_1", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
            ],
            "stream": True,
            "tools": [WEATHER, AGENTS],
            "tool_choice": "auto",
            "parallel_tool_calls": True,
            "reasoning": {"summary": "auto"},
            "store": False,
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "k",
            "client_metadata": {"x": "y"},
            "text": {"verbosity": "low"},
        }
    )
    assert kwargs["messages"] == [{"role": "user", "content": [{"text": "hi"}]}]


@pytest.mark.parametrize(
    "body, param, words",
    [
        ({"input": "hi", "previous_response_id": "resp_1"}, "previous_response_id", "send the whole conversation"),
        (
            {"input": "hi", "tools": [{"type": "web_search"}], "tool_choice": {"type": "web_search"}},
            "tool_choice.type",
            "forces the hosted tool `web_search`",
        ),
        ({"input": "hi", "tools": [{"type": "local_shell"}]}, "tools[0].type", "`local_shell`"),
        ({}, "input", "`input` is required"),
        ({"input": []}, "input", "non-empty list"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "input[0].type", "does not store items"),
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role", "must be one of"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "input[0].content[0].type",
            "input_file",
        ),
        (
            {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{nope"}]},
            "input[0].arguments",
            "not valid JSON",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "https://x/y.png"}]}]},
            "input[0].content[0].image_url",
            "data: URL",
        ),
        (
            {"input": "hi", "tool_choice": {"type": "function", "name": "nope"}, "tools": [WEATHER]},
            "tool_choice.name",
            "unknown tool",
        ),
        ({"input": "hi", "reasoning": {"effort": "huge"}}, "reasoning.effort", "must be one of"),
        ({"input": "hi", "text": {"format": {"type": "xml"}}}, "text.format.type", "must be one of"),
        ({"input": "hi", "max_output_tokens": 0}, "max_output_tokens", "positive integer"),
    ],
)
def test_it_rejects_what_it_cannot_honour_naming_the_field(body, param, words):
    error = rejected(body)
    assert error.status == 400 and error.param == param
    assert words in error.message


# ---- response -------------------------------------------------------------------------------------------


def test_it_builds_a_completed_response_with_message_and_usage():
    body = answer({"text": "Hello "}, {"text": "there"})
    assert body["object"] == "response" and body["status"] == "completed" and body["id"] == "resp_1"
    assert body["output"][0]["type"] == "message" and body["output"][0]["role"] == "assistant"
    assert body["output"][0]["content"] == [
        {"type": "output_text", "text": "Hello there", "annotations": [], "logprobs": []}
    ]
    assert body["usage"] == {
        "input_tokens": 14,
        "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
        "output_tokens": 20,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 34,
    }


def test_it_returns_function_calls_reasoning_and_incomplete_status():
    body = answer(
        {"reasoningContent": {"reasoningText": {"text": "Think.", "signature": "sig"}}},
        {"text": "Let me check."},
        {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
        stop="tool_use",
        tools=[WEATHER],
        include=["reasoning.encrypted_content"],
    )
    reasoning, message, call = body["output"]
    assert reasoning["type"] == "reasoning" and reasoning["summary"] == [{"type": "summary_text", "text": "Think."}]
    assert decode_reasoning(reasoning["encrypted_content"]) == {
        "type": "thinking",
        "thinking": "Think.",
        "signature": "sig",
    }
    assert message["content"][0]["text"] == "Let me check."
    assert call == {
        "id": call["id"],
        "type": "function_call",
        "call_id": "t1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
        "status": "completed",
    }
    truncated = answer({"text": "Once upon"}, stop="max_tokens")
    assert truncated["status"] == "incomplete" and truncated["incomplete_details"] == {"reason": "max_output_tokens"}


def test_signed_reasoning_is_replayed_before_the_tool_call_it_led_to():
    encrypted = answer(
        {"reasoningContent": {"reasoningText": {"text": "Think.", "signature": "sig"}}},
        include=["reasoning.encrypted_content"],
    )["output"][0]["encrypted_content"]
    kwargs = converse(
        {
            "tools": [WEATHER],
            "reasoning": {"effort": "low"},
            "input": [
                {"role": "user", "content": "Weather?"},
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": encrypted},
                {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
                {"type": "function_call_output", "call_id": "c1", "output": "18C"},
            ],
        }
    )
    turn = kwargs["messages"][1]["content"]
    assert turn[0] == {"reasoningContent": {"reasoningText": {"text": "Think.", "signature": "sig"}}}
    assert "toolUse" in turn[1]
    assert "thinking" in kwargs["additionalModelRequestFields"]


# ---- stream ---------------------------------------------------------------------------------------------


def stream(events: list[dict], **body) -> list[dict]:
    translator = ResponsesStreamTranslator(shape(**body))
    out = translator.start_events()
    for event in events:
        out += translator.feed(event)
    return out + translator.final_events()


def delta(index: int, **delta) -> dict:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": delta}}


def test_it_streams_text_in_the_official_event_sequence():
    events = stream(
        [
            {"messageStart": {"role": "assistant"}},
            delta(0, text="Hel"),
            delta(0, text="lo"),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7}}},
        ]
    )
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert events[6]["text"] == "Hello" and events[8]["item"]["content"][0]["text"] == "Hello"
    done = events[-1]["response"]
    assert done["status"] == "completed" and done["output"][0]["content"][0]["text"] == "Hello"
    assert done["usage"]["input_tokens"] == 5 and done["usage"]["total_tokens"] == 7


def test_it_streams_reasoning_and_a_function_call():
    events = stream(
        [
            delta(0, reasoningContent={"text": "Hmm."}),
            delta(0, reasoningContent={"signature": "sig"}),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {
                "contentBlockStart": {
                    "contentBlockIndex": 1,
                    "start": {"toolUse": {"toolUseId": "t1", "name": "get_weather"}},
                }
            },
            delta(1, toolUse={"input": '{"city":'}),
            delta(1, toolUse={"input": ' "Paris"}'}),
            {"contentBlockStop": {"contentBlockIndex": 1}},
            {"messageStop": {"stopReason": "tool_use"}},
        ],
        tools=[WEATHER],
        include=["reasoning.encrypted_content"],
    )
    kinds = [e["type"] for e in events]
    assert kinds[2:7] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
    ]
    assert kinds[8:12] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
    ]
    call = events[12]["item"]
    assert events[12]["output_index"] == 1 and call["arguments"] == '{"city": "Paris"}' and call["call_id"] == "t1"
    reasoning = events[7]["item"]
    assert decode_reasoning(reasoning["encrypted_content"])["signature"] == "sig"
    assert [item["type"] for item in events[-1]["response"]["output"]] == ["reasoning", "function_call"]


def test_a_stream_cut_by_max_tokens_ends_incomplete_and_a_failure_ends_failed():
    events = stream([delta(0, text="Once"), {"messageStop": {"stopReason": "max_tokens"}}])
    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events[-2]["type"] == "response.output_item.done"
    translator = ResponsesStreamTranslator(shape())
    translator.start_events()
    translator.feed(delta(0, text="Hi"))
    failed = translator.failure_events("Bedrock is throttling", "rate_limit_error", "rate_limit_exceeded")
    assert [e["type"] for e in failed] == ["error", "response.failed"]
    assert failed[1]["response"]["error"] == {"code": "rate_limit_exceeded", "message": "Bedrock is throttling"}
    assert json.dumps(failed)


def test_structured_output_arrives_as_the_message_text():
    schema = {"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object", "properties": {}}}}
    tool = {"toolUse": {"toolUseId": "t1", "name": "json_tool_call", "input": {"ok": True}}}
    body = answer(tool, stop="tool_use", text=schema)
    assert [item["type"] for item in body["output"]] == ["message"] and body["status"] == "completed"
    assert json.loads(body["output"][0]["content"][0]["text"]) == {"ok": True}
    events = stream(
        [
            {
                "contentBlockStart": {
                    "contentBlockIndex": 0,
                    "start": {"toolUse": {"toolUseId": "t1", "name": "json_tool_call"}},
                }
            },
            delta(0, toolUse={"input": '{"ok": true}'}),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "tool_use"}},
        ],
        text=schema,
    )
    assert "response.function_call_arguments.delta" not in [e["type"] for e in events]
    assert "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta") == '{"ok": true}'
    assert events[-1]["response"]["output"][0]["type"] == "message"


# ---- hostile input: a 400 naming the field, never a crash ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
item_types = st.sampled_from(["message", "function_call", "function_call_output", "reasoning", "item_reference", 5])
items = st.fixed_dictionaries(
    {"type": item_types},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]) | json_values,
        "content": json_values
        | st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["input_text", "output_text", "input_image", "refusal", "input_file"])
                    | json_values
                },
                optional={"text": json_values, "image_url": json_values, "refusal": json_values},
            ),
            max_size=3,
        ),
        "call_id": json_values,
        "name": json_values,
        "arguments": json_values,
        "output": json_values,
        "namespace": json_values,
        "encrypted_content": json_values | st.just("sbc-reasoning-v1:e30="),
    },
)
fields = st.sampled_from(
    [
        "input",
        "instructions",
        "tools",
        "tool_choice",
        "reasoning",
        "text",
        "include",
        "max_output_tokens",
        "temperature",
        "metadata",
        "stream_options",
        "background",
        "top_p",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items, min_size=1, max_size=4), st.dictionaries(fields, json_values, max_size=3))
def test_any_request_is_translated_or_refused_with_a_400(input_items, extra):
    try:
        converse({"input": input_items, **extra})
    except InvalidRequest as error:
        assert error.status == 400 and error.message
