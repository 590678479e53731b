"""response_format: native structured output or the forced JSON tool, the combinations refused, and the
JSON tool's input coming back as ordinary content."""

from __future__ import annotations

import json

import pytest

from gateway.translate.structured import JSON_TOOL, JSON_TOOL_DESCRIPTION, closed
from tests.gateway.chat_features import (
    LLAMA,
    OPUS_46,
    PERSON,
    PERSON_FORMAT,
    SONNET_4,
    SONNET_45,
    WEATHER,
    call_for,
    completion,
    converse,
    rejected,
    stream,
)
from tests.gateway.chat_requests import body

# ---- response_format -------------------------------------------------------------------------------


def test_json_schema_on_a_native_model_becomes_output_config_with_a_closed_schema_string():
    call = call_for(body(response_format=PERSON_FORMAT), SONNET_45)
    assert call.json_tool is None and "toolConfig" not in call.kwargs
    text_format = call.kwargs["outputConfig"]["textFormat"]
    assert text_format == {
        "type": "json_schema",
        "structure": {
            "jsonSchema": {
                "schema": json.dumps({**PERSON, "additionalProperties": False}),
                "name": "person",
                "description": "A person",
            }
        },
    }


def test_native_structured_output_goes_with_adaptive_thinking():
    kwargs = converse(body(response_format=PERSON_FORMAT, reasoning_effort="high"), OPUS_46)
    assert kwargs["outputConfig"]["effort"] == "high"
    assert json.loads(kwargs["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"])["required"] == [
        "name",
        "age",
    ]
    assert kwargs["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}


def test_native_structured_output_goes_with_budget_thinking():
    call = call_for(body(response_format=PERSON_FORMAT, reasoning_effort="low"), SONNET_45)
    assert call.thinking is True and call.json_tool is None
    assert "textFormat" in call.kwargs["outputConfig"]


def test_it_closes_every_object_schema_but_leaves_data_and_property_names_alone():
    schema = {
        "type": "object",
        "properties": {
            "properties": {"type": "string"},  # a property that happens to be called so
            "type": {"type": "string", "enum": ["a", "b"]},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}, "default": {"type": "object"}},
            "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
            "either": {"anyOf": [{"$ref": "#/$defs/point"}, {"type": "null"}]},
            "open": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}}},
    }
    result = closed(schema)
    assert result["additionalProperties"] is False
    assert set(result["properties"]) == set(schema["properties"]), "no property named additionalProperties"
    assert result["properties"]["properties"] == {"type": "string"}
    assert result["properties"]["type"] == {"type": "string", "enum": ["a", "b"]}
    assert result["properties"]["address"]["additionalProperties"] is False
    assert result["properties"]["address"]["default"] == {"type": "object"}
    assert result["properties"]["tags"]["items"]["additionalProperties"] is False
    assert result["$defs"]["point"]["additionalProperties"] is False
    assert result["properties"]["either"]["anyOf"][1] == {"type": "null"}
    assert result["properties"]["open"]["additionalProperties"] == {"type": "string"}
    assert schema["properties"]["address"].get("additionalProperties") is None, "the client's schema is not changed"


def test_json_schema_on_a_tool_path_model_forces_the_json_tool():
    call = call_for(body(response_format=PERSON_FORMAT), SONNET_4)
    assert call.json_tool == JSON_TOOL
    assert call.kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": JSON_TOOL}}
    assert call.kwargs["toolConfig"]["tools"][0] == {
        "toolSpec": {"name": JSON_TOOL, "description": "A person", "inputSchema": {"json": PERSON}}
    }
    assert "outputConfig" not in call.kwargs


def test_json_object_takes_the_tool_path_even_on_a_native_model():
    call = call_for(body(response_format={"type": "json_object"}), SONNET_45)
    assert call.json_tool == JSON_TOOL and "outputConfig" not in call.kwargs
    assert call.kwargs["toolConfig"]["tools"][0]["toolSpec"] == {
        "name": JSON_TOOL,
        "description": JSON_TOOL_DESCRIPTION,
        "inputSchema": {"json": {"type": "object"}},
    }


def test_the_json_tool_joins_the_clients_own_tools():
    kwargs = converse(body(response_format=PERSON_FORMAT, tools=[WEATHER]), SONNET_4)
    assert [tool["toolSpec"]["name"] for tool in kwargs["toolConfig"]["tools"][:2]] == ["get_weather", JSON_TOOL]


def test_the_json_tool_stays_forced_when_parallel_tool_calls_are_off():
    kwargs = converse(body(response_format=PERSON_FORMAT, tools=[WEATHER], parallel_tool_calls=False), SONNET_4)
    assert kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": JSON_TOOL}}
    assert "tool_choice" not in kwargs.get("additionalModelRequestFields", {})


@pytest.mark.parametrize("response_format", [{"type": "json_object"}, PERSON_FORMAT])
def test_it_refuses_the_json_tool_with_reasoning(response_format):
    error = rejected(body(response_format=response_format, reasoning_effort="low"), SONNET_4)
    assert (error.param, error.status) == ("response_format", 400)
    assert "reasoning" in error.message


def test_json_object_with_reasoning_is_refused_on_a_native_model_too():
    assert (
        rejected(body(response_format={"type": "json_object"}, reasoning_effort="low"), SONNET_45).param
        == "response_format"
    )


def test_it_refuses_the_json_tool_with_a_forced_tool_choice():
    error = rejected(body(response_format=PERSON_FORMAT, tools=[WEATHER], tool_choice="required"), SONNET_4)
    assert error.param == "tool_choice"


def test_it_refuses_structured_output_on_a_model_without_tools():
    error = rejected(body(response_format=PERSON_FORMAT), LLAMA)
    assert "does not support structured output" in error.message


@pytest.mark.parametrize(
    "response_format, param",
    [
        ({"type": "json_schema"}, "response_format.schema"),
        ({"type": "json_schema", "json_schema": {"name": "x"}}, "response_format.schema"),
        ({"type": "json_schema", "json_schema": {"name": "a b", "schema": PERSON}}, "response_format.name"),
        ({"type": "xml"}, "response_format.type"),
        ("json", "response_format.type"),
    ],
)
def test_it_rejects_malformed_response_formats(response_format, param):
    assert rejected(body(response_format=response_format), SONNET_45).param == param


def test_a_json_schema_without_a_name_is_called_response():
    kwargs = converse(body(response_format={"type": "json_schema", "json_schema": {"schema": PERSON}}), SONNET_45)
    assert kwargs["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"] == "response"


JSON_CALL = {"toolUse": {"toolUseId": "tooluse_1", "name": JSON_TOOL, "input": {"name": "Ada", "age": 36}}}


def test_the_json_tools_input_comes_back_as_content_finishing_with_stop():
    choice = completion([JSON_CALL])
    assert choice["finish_reason"] == "stop"
    assert json.loads(choice["message"]["content"]) == {"name": "Ada", "age": 36}
    assert "tool_calls" not in choice["message"]


def test_a_tool_named_like_the_json_tool_is_an_ordinary_call_without_response_format():
    choice = completion([JSON_CALL], json_tool=None)
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == JSON_TOOL


def test_the_json_tools_input_streams_as_content_finishing_with_stop():
    chunks = stream(
        [
            {"messageStart": {"role": "assistant"}},
            {
                "contentBlockStart": {
                    "contentBlockIndex": 0,
                    "start": {"toolUse": {"toolUseId": "t1", "name": JSON_TOOL}},
                }
            },
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"name": "Ada", '}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '"age": 36}'}}}},
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "tool_use"}},
        ]
    )
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert json.loads("".join(delta.get("content") or "" for delta in deltas)) == {"name": "Ada", "age": 36}
    assert not any("tool_calls" in delta for delta in deltas)
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks][-1] == "stop"
