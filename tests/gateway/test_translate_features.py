"""Reasoning, structured output, prompt caching and the context-window guard: the Converse request each
produces, the errors for combinations Bedrock would refuse, and how their answers come back to the client."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gateway.errors import ContextLengthExceeded, InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.caching import CACHE_POINT, MAX_CACHE_POINTS
from gateway.translate.chat_request import ConverseCall, to_converse_request, validate_chat_request
from gateway.translate.chat_response import to_chat_completion
from gateway.translate.chat_stream import ChatStreamTranslator
from gateway.translate.structured import JSON_TOOL, JSON_TOOL_DESCRIPTION, closed

# Capabilities as the seeded aliases have them (gateway/migrations/0002 and 0003).
SONNET_45 = ModelSpec(name="claude-sonnet-4.5", base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
                      profile="required", sampling="one", reasoning="budget", prompt_caching=True,
                      structured_output="native", max_output_tokens=64_000)
SONNET_4 = ModelSpec(name="claude-4-sonnet", base_model_id="anthropic.claude-sonnet-4-20250514-v1:0",
                     profile="required", reasoning="budget", prompt_caching=True, max_output_tokens=64_000)
OPUS_46 = ModelSpec(name="claude-opus-4.6", base_model_id="anthropic.claude-opus-4-6-v1", profile="required",
                    sampling="one", reasoning="adaptive", prompt_caching=True, structured_output="native",
                    max_output_tokens=128_000)
SONNET_35 = ModelSpec(name="claude-3.5-sonnet", base_model_id="anthropic.claude-3-5-sonnet-20241022-v2:0",
                      profile="required", max_output_tokens=8192)
LLAMA = ModelSpec(name="llama-3.3-70b", base_model_id="meta.llama3-3-70b-instruct-v1:0", supports_tools=False,
                  supports_images=False, context_window=128_000)

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}
PERSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "person", "description": "A person", "schema": PERSON}}
SIGNED = {"type": "thinking", "thinking": "Paris is in France.", "signature": "c2lnbmF0dXJl"}


def body(*messages, **fields) -> dict:
    return {"model": "claude", "messages": list(messages) or [user("hi")], **fields}


def user(content) -> dict:
    return {"role": "user", "content": content}


def tool_loop(thinking_blocks: list | None = None) -> list[dict]:
    """A user question, the assistant's tool call (with its thinking when given) and the tool's result."""
    turn = {"role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
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


# ---- reasoning_effort --------------------------------------------------------------------------------

@pytest.mark.parametrize("effort, budget, max_tokens", [
    ("minimal", 1024, 5120), ("low", 1024, 5120), ("medium", 4096, 8192), ("high", 16384, 20480),
    ("xhigh", 24576, 28672), ("max", 32768, 36864)])
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
    error = rejected(body(reasoning_effort="low", max_completion_tokens=1000), replace(SONNET_4, max_output_tokens=1024))
    assert (error.param, error.status) == ("max_completion_tokens", 400)
    assert "above 1024" in error.message


@pytest.mark.parametrize("effort, sent", [("minimal", "low"), ("low", "low"), ("medium", "medium"),
                                          ("high", "high"), ("xhigh", "high"), ("max", "max")])
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


def test_it_rejects_reasoning_on_a_model_that_cannot_reason():
    error = rejected(body(reasoning_effort="high"), SONNET_35)
    assert error.param == "reasoning_effort" and "claude-3.5-sonnet" in error.message


def test_it_replays_signed_thinking_before_the_tool_call_it_led_to():
    call = call_for(body(*tool_loop([SIGNED]), reasoning_effort="low", tools=[WEATHER]), SONNET_4)
    assert call.thinking is True
    assert call.kwargs["messages"][1]["content"] == [
        {"reasoningContent": {"reasoningText": {"text": "Paris is in France.", "signature": "c2lnbmF0dXJl"}}},
        {"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}}]


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
        "reasoningContent": {"reasoningText": {"text": "Paris is in France.", "signature": "c2lnbmF0dXJl"}}}


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


# ---- response_format -------------------------------------------------------------------------------

def test_json_schema_on_a_native_model_becomes_output_config_with_a_closed_schema_string():
    call = call_for(body(response_format=PERSON_FORMAT), SONNET_45)
    assert call.json_tool is None and "toolConfig" not in call.kwargs
    text_format = call.kwargs["outputConfig"]["textFormat"]
    assert text_format == {"type": "json_schema", "structure": {"jsonSchema": {
        "schema": json.dumps({**PERSON, "additionalProperties": False}), "name": "person", "description": "A person"}}}


def test_native_structured_output_goes_with_adaptive_thinking():
    kwargs = converse(body(response_format=PERSON_FORMAT, reasoning_effort="high"), OPUS_46)
    assert kwargs["outputConfig"]["effort"] == "high"
    assert json.loads(kwargs["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["schema"])["required"] == \
        ["name", "age"]
    assert kwargs["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}


def test_native_structured_output_goes_with_budget_thinking():
    call = call_for(body(response_format=PERSON_FORMAT, reasoning_effort="low"), SONNET_45)
    assert call.thinking is True and call.json_tool is None
    assert "textFormat" in call.kwargs["outputConfig"]


def test_it_closes_every_object_schema_but_leaves_data_and_property_names_alone():
    schema = {"type": "object", "properties": {
        "properties": {"type": "string"},                      # a property that happens to be called so
        "type": {"type": "string", "enum": ["a", "b"]},
        "address": {"type": "object", "properties": {"city": {"type": "string"}},
                    "default": {"type": "object"}},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
        "either": {"anyOf": [{"$ref": "#/$defs/point"}, {"type": "null"}]},
        "open": {"type": "object", "additionalProperties": {"type": "string"}}},
        "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}}}}}
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
    assert call.kwargs["toolConfig"]["tools"][0] == {"toolSpec": {
        "name": JSON_TOOL, "description": "A person", "inputSchema": {"json": PERSON}}}
    assert "outputConfig" not in call.kwargs


def test_json_object_takes_the_tool_path_even_on_a_native_model():
    call = call_for(body(response_format={"type": "json_object"}), SONNET_45)
    assert call.json_tool == JSON_TOOL and "outputConfig" not in call.kwargs
    assert call.kwargs["toolConfig"]["tools"][0]["toolSpec"] == {
        "name": JSON_TOOL, "description": JSON_TOOL_DESCRIPTION, "inputSchema": {"json": {"type": "object"}}}


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
    assert rejected(body(response_format={"type": "json_object"}, reasoning_effort="low"), SONNET_45).param == \
        "response_format"


def test_it_refuses_the_json_tool_with_a_forced_tool_choice():
    error = rejected(body(response_format=PERSON_FORMAT, tools=[WEATHER], tool_choice="required"), SONNET_4)
    assert error.param == "tool_choice"


def test_it_refuses_structured_output_on_a_model_without_tools():
    error = rejected(body(response_format=PERSON_FORMAT), LLAMA)
    assert "does not support structured output" in error.message


@pytest.mark.parametrize("response_format, param", [
    ({"type": "json_schema"}, "response_format.schema"),
    ({"type": "json_schema", "json_schema": {"name": "x"}}, "response_format.schema"),
    ({"type": "json_schema", "json_schema": {"name": "a b", "schema": PERSON}}, "response_format.name"),
    ({"type": "xml"}, "response_format.type"),
    ("json", "response_format.type")])
def test_it_rejects_malformed_response_formats(response_format, param):
    assert rejected(body(response_format=response_format), SONNET_45).param == param


def test_a_json_schema_without_a_name_is_called_response():
    kwargs = converse(body(response_format={"type": "json_schema", "json_schema": {"schema": PERSON}}), SONNET_45)
    assert kwargs["outputConfig"]["textFormat"]["structure"]["jsonSchema"]["name"] == "response"


JSON_CALL = {"toolUse": {"toolUseId": "tooluse_1", "name": JSON_TOOL, "input": {"name": "Ada", "age": 36}}}


def completion(content: list[dict], stop_reason: str = "tool_use", json_tool: str | None = JSON_TOOL) -> dict:
    response = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop_reason,
                "usage": {"inputTokens": 5, "outputTokens": 7, "totalTokens": 12}}
    return to_chat_completion(response, completion_id="chatcmpl-1", created=1, model="claude-4-sonnet",
                              tool_names={}, json_tool=json_tool)["choices"][0]


def test_the_json_tools_input_comes_back_as_content_finishing_with_stop():
    choice = completion([JSON_CALL])
    assert choice["finish_reason"] == "stop"
    assert json.loads(choice["message"]["content"]) == {"name": "Ada", "age": 36}
    assert "tool_calls" not in choice["message"]


def test_a_tool_named_like_the_json_tool_is_an_ordinary_call_without_response_format():
    choice = completion([JSON_CALL], json_tool=None)
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == JSON_TOOL


def stream(events: list[dict], json_tool: str | None = JSON_TOOL) -> list[dict]:
    translator = ChatStreamTranslator(completion_id="chatcmpl-1", created=1, model="claude-4-sonnet",
                                      include_usage=False, tool_names={}, json_tool=json_tool)
    return [chunk for event in events for chunk in translator.feed(event)]


def test_the_json_tools_input_streams_as_content_finishing_with_stop():
    chunks = stream([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t1", "name": JSON_TOOL}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"name": "Ada", '}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '"age": 36}'}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "tool_use"}}])
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert json.loads("".join(delta.get("content") or "" for delta in deltas)) == {"name": "Ada", "age": 36}
    assert not any("tool_calls" in delta for delta in deltas)
    assert [chunk["choices"][0]["finish_reason"] for chunk in chunks][-1] == "stop"


def test_streamed_reasoning_comes_as_reasoning_content_then_its_signature():
    chunks = stream([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Let me "}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "think."}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "Hi"}}},
        {"messageStop": {"stopReason": "end_turn"}}], json_tool=None)
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks]
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == "Let me think."
    assert [d["thinking_blocks"] for d in deltas if "thinking_blocks" in d] == [
        [{"type": "thinking", "thinking": "", "signature": "c2ln"}]]
    assert "".join(d.get("content") or "" for d in deltas) == "Hi"


def test_reasoning_comes_back_with_its_signature_for_the_next_turn():
    choice = completion([{"reasoningContent": {"reasoningText": {"text": "Hmm.", "signature": "c2ln"}}},
                         {"text": "Hello"}], stop_reason="end_turn", json_tool=None)
    assert choice["message"]["reasoning_content"] == "Hmm."
    assert choice["message"]["thinking_blocks"] == [{"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"}]
    assert choice["message"]["content"] == "Hello"


# ---- prompt caching --------------------------------------------------------------------------------

LONG = [{"role": "system", "content": "You are a coding agent."}, user("one"),
        {"role": "assistant", "content": "two"}, user("three"), {"role": "assistant", "content": "four"}, user("five")]


def test_it_puts_cache_points_after_tools_system_and_the_history_before_the_last_user_turn():
    kwargs = converse(body(*LONG, tools=[WEATHER]), SONNET_4)
    assert kwargs["system"] == [{"text": "You are a coding agent."}, CACHE_POINT]
    assert kwargs["toolConfig"]["tools"][-1] == CACHE_POINT and len(kwargs["toolConfig"]["tools"]) == 2
    assert kwargs["messages"][3]["content"] == [{"text": "four"}, CACHE_POINT]
    assert cache_points(kwargs) == ["tools", "system", "messages[3]"]


def test_a_short_conversation_gets_no_cache_point_in_its_messages():
    kwargs = converse(body(LONG[0], user("one"), {"role": "assistant", "content": "two"}, user("three")), SONNET_4)
    assert cache_points(kwargs) == ["system"]


def test_a_conversation_without_system_or_tools_caches_only_its_history():
    assert cache_points(converse(body(*LONG[1:]), SONNET_4)) == ["messages[3]"]


def test_in_a_tool_loop_the_history_point_closes_the_turn_that_called_the_tool():
    messages = [user("a"), {"role": "assistant", "content": "b"}, *tool_loop([SIGNED])]
    kwargs = converse(body(*messages, tools=[WEATHER], reasoning_effort="low"), SONNET_4)
    assert cache_points(kwargs) == ["tools", "messages[3]"]
    assert [next(iter(block)) for block in kwargs["messages"][3]["content"]] == [
        "reasoningContent", "toolUse", "cachePoint"]
    assert kwargs["messages"][4]["content"][0]["toolResult"]["toolUseId"] == "call_1"


def test_the_json_tool_is_inside_the_cached_tool_prefix():
    tools = converse(body(*LONG, response_format=PERSON_FORMAT), SONNET_4)["toolConfig"]["tools"]
    assert [next(iter(tool)) for tool in tools] == ["toolSpec", "cachePoint"]


def test_an_alias_without_prompt_caching_gets_no_cache_points_not_even_the_clients():
    marked = [{"role": "system", "content": [{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]},
              *LONG[1:]]
    for messages in (LONG, marked):
        kwargs = converse(body(*messages, tools=[WEATHER]), replace(SONNET_4, prompt_caching=False))
        assert cache_points(kwargs) == []
        assert kwargs["system"] == [{"text": messages[0]["content"] if isinstance(messages[0]["content"], str)
                                     else "rules"}]


def test_the_clients_own_cache_markers_replace_the_automatic_ones():
    marked = user([{"type": "text", "text": "big file", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "question"}])
    kwargs = converse(body(LONG[0], marked, tools=[WEATHER]), SONNET_4)
    assert cache_points(kwargs) == ["messages[0]"]
    assert kwargs["messages"][0]["content"] == [{"text": "big file"}, CACHE_POINT, {"text": "question"}]


def test_it_keeps_only_the_last_four_of_the_clients_cache_markers():
    parts = [{"type": "text", "text": f"part {n}", "cache_control": {"type": "ephemeral"}} for n in range(6)]
    kwargs = converse(body(user(parts)), SONNET_4)
    content = kwargs["messages"][0]["content"]
    assert len(cache_points(kwargs)) == MAX_CACHE_POINTS
    assert content[:3] == [{"text": "part 0"}, {"text": "part 1"}, {"text": "part 2"}]
    assert content[-2:] == [{"text": "part 5"}, CACHE_POINT]


def test_cache_points_do_not_leak_into_the_conversation_kept_on_the_request():
    chat = validate_chat_request(body(*LONG, tools=[WEATHER]))
    first = to_converse_request(chat, SONNET_4).kwargs
    second = to_converse_request(chat, SONNET_4).kwargs
    assert first == second
    assert cache_points(second) == ["tools", "system", "messages[3]"]


# ---- context window --------------------------------------------------------------------------------

def test_it_answers_context_length_exceeded_for_a_prompt_over_the_window():
    with pytest.raises(ContextLengthExceeded) as caught:
        call_for(body(user("x" * 401)), replace(SONNET_4, context_window=100))
    error = caught.value
    assert (error.status, error.code, error.param) == (400, "context_length_exceeded", "messages")
    assert error.body()["error"]["type"] == "invalid_request_error"
    assert "maximum context length is 100 tokens" in error.message and "about 102 tokens" in error.message


def test_a_prompt_that_just_fits_passes_the_guard():
    # 394 characters of text, the role name and an empty tool list: 100 tokens at four characters each.
    assert call_for(body(user("x" * 394)), replace(SONNET_4, context_window=100)).message_count == 1


def test_the_guard_counts_system_tools_and_images():
    png = "data:image/png;base64,iVBORw0KGgo="
    with pytest.raises(ContextLengthExceeded):
        call_for(body(user([{"type": "image_url", "image_url": {"url": png}}])),
                 replace(SONNET_4, context_window=1000))
    with pytest.raises(ContextLengthExceeded):
        call_for(body({"role": "system", "content": "s" * 800}, user("hi")), replace(SONNET_4, context_window=150))
    big_tool = {"type": "function", "function": {"name": "t", "description": "d" * 800}}
    with pytest.raises(ContextLengthExceeded):
        call_for(body(tools=[big_tool]), replace(SONNET_4, context_window=150))


def test_a_model_without_a_known_window_is_not_guarded():
    assert call_for(body(user("x" * 10_000)), replace(SONNET_4, context_window=0)).message_count == 1


def test_a_marked_blank_text_leaves_no_cache_point_behind():
    """Bedrock refuses a cache point with no content before it, and a message holding nothing else."""
    blank = {"type": "text", "text": "  ", "cache_control": {"type": "ephemeral"}}
    kwargs = converse(body({"role": "system", "content": [blank]}, user([blank, {"type": "text", "text": "hi"}]),
                           {"role": "assistant", "content": [blank]}, user("again")), SONNET_4)
    assert "system" not in kwargs or kwargs["system"] == []
    assert [message["content"] for message in kwargs["messages"]] == [[{"text": "hi"}, {"text": "again"}]]
