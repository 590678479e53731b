"""OpenAI chat request fields -> validated ChatRequest -> Converse request: tools, inference parameters,
stream options, and the fields rejected, ignored or kept."""

from __future__ import annotations

import pytest

from gateway.registry import ModelSpec
from gateway.translate.chat_request import to_converse_request, validate_chat_request
from gateway.translate.tool_names import TOOL_NAME_RE
from tests.gateway.chat_requests import (
    CLAUDE,
    CLAUDE_OLD,
    LLAMA,
    WEATHER,
    assistant,
    body,
    call,
    converse,
    rejected,
    tool,
    user,
)

# ---- tools ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function, expected_spec",
    [
        ({"name": "f"}, {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}}),
        (
            {"name": "f", "description": ""},
            {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}},
        ),
        (
            {"name": "f", "description": None, "parameters": None},
            {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}},
        ),
        (
            {"name": "f", "description": "does f", "parameters": {"type": "object", "required": ["x"]}, "strict": True},
            {
                "name": "f",
                "description": "does f",
                "inputSchema": {"json": {"type": "object", "required": ["x"]}},
                "strict": True,
            },
        ),
    ],
)
def test_it_converts_function_tools(function, expected_spec):
    kwargs = converse(body(tools=[{"type": "function", "function": function}]))
    assert kwargs["toolConfig"] == {"tools": [{"toolSpec": expected_spec}]}


@pytest.mark.parametrize(
    "tools, param",
    [
        ("nope", "tools"),
        ([{"type": "custom", "custom": {"name": ""}}], "tools[0].custom.name"),
        ([{"type": "web_search"}], "tools[0].type"),
        ([{"type": "function"}], "tools[0].function"),
        ([{"type": "function", "function": {"name": ""}}], "tools[0].function.name"),
        ([{"type": "function", "function": {"name": "f", "parameters": "{}"}}], "tools[0].function.parameters"),
        ([{"type": "function", "function": {"name": "f", "description": 3}}], "tools[0].function.description"),
        ([{"type": "function", "function": {"name": "f", "strict": "yes"}}], "tools[0].function.strict"),
        ([WEATHER, WEATHER], "tools"),
    ],
)
def test_it_rejects_malformed_tools(tools, param):
    assert rejected(body(tools=tools)).param == param


def test_it_rejects_tools_for_models_without_tool_use():
    error = rejected(body(tools=[WEATHER]), LLAMA)
    assert error.param == "tools" and "does not support tools" in error.message


def test_it_sends_no_tool_config_without_tools_or_tool_history():
    assert "toolConfig" not in converse(body(user("hi")))


@pytest.mark.parametrize(
    "tool_choice, expected",
    [
        (None, None),
        ("auto", {"auto": {}}),
        ("required", {"any": {}}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
    ],
)
def test_it_maps_tool_choice(tool_choice, expected):
    kwargs = converse(body(tools=[WEATHER], tool_choice=tool_choice))
    assert kwargs["toolConfig"].get("toolChoice") == expected


def test_it_sends_no_tools_for_tool_choice_none():
    assert "toolConfig" not in converse(body(tools=[WEATHER], tool_choice="none"))


def test_it_keeps_a_minimal_tool_config_for_tool_choice_none_when_history_has_tool_blocks():
    kwargs = converse(body(user("q"), assistant(None, call("c1")), tool("c1"), tools=[WEATHER], tool_choice="none"))
    assert kwargs["toolConfig"] == {
        "tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]
    }


def test_it_synthesizes_a_tool_config_from_history_when_the_request_has_no_tools():
    kwargs = converse(
        body(
            user("q"),
            assistant(None, call("c1"), call("c2", "search.web"), call("c3")),
            tool("c1"),
            tool("c2"),
            tool("c3"),
            user("summarise"),
        )
    )
    names = [t["toolSpec"]["name"] for t in kwargs["toolConfig"]["tools"]]
    assert names[0] == "get_weather" and len(names) == 2 and TOOL_NAME_RE.fullmatch(names[1])
    assert all(t["toolSpec"]["inputSchema"] == {"json": {"type": "object"}} for t in kwargs["toolConfig"]["tools"])


@pytest.mark.parametrize(
    "tool_choice, tools, param",
    [
        ({"type": "function", "function": {"name": "nope"}}, [WEATHER], "tool_choice.function.name"),
        ({"type": "function", "function": {}}, [WEATHER], "tool_choice.function.name"),
        ("required", None, "tool_choice"),
        ({"type": "function", "function": {"name": "get_weather"}}, None, "tool_choice"),
        ({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}, [WEATHER], "tool_choice"),
        ("sometimes", [WEATHER], "tool_choice"),
    ],
)
def test_it_rejects_bad_tool_choice(tool_choice, tools, param):
    assert rejected(body(tools=tools, tool_choice=tool_choice)).param == param


@pytest.mark.parametrize(
    "spec, parallel, tool_choice, expected",
    [
        (CLAUDE, False, None, {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}),
        (CLAUDE, False, "auto", {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}),
        (CLAUDE, False, "required", None),
        (CLAUDE, True, None, None),
        (CLAUDE, None, None, None),
        (ModelSpec(name="nova", base_model_id="amazon.nova-pro-v1:0"), False, None, None),
        (ModelSpec(name="mistral", base_model_id="mistral.mistral-large-2407-v1:0"), False, "auto", None),
    ],
)
def test_it_disables_parallel_tool_calls_only_on_anthropic(spec, parallel, tool_choice, expected):
    kwargs = converse(body(tools=[WEATHER], tool_choice=tool_choice, parallel_tool_calls=parallel), spec)
    assert kwargs.get("additionalModelRequestFields") == expected


# ---- inference parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"max_tokens": 100}, 100),
        ({"max_completion_tokens": 200}, 200),
        ({"max_completion_tokens": 200, "max_tokens": 100}, 200),
        ({"max_tokens": 100, "max_completion_tokens": 200}, 200),
        ({"max_completion_tokens": None, "max_tokens": 100}, 100),
        ({"max_tokens": 64000}, 64000),
    ],
)
def test_it_prefers_max_completion_tokens(fields, expected):
    assert converse(body(**fields))["inferenceConfig"]["maxTokens"] == expected


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("value", [0, -5, 1.5, True, "100"])
def test_it_rejects_max_tokens_that_are_not_positive_integers(name, value):
    assert rejected(body(**{name: value})).param == name


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_it_rejects_max_tokens_above_the_model_limit(name):
    error = rejected(body(**{name: 64001}))
    assert error.param == name
    assert error.message == "max_tokens is too large: 64001. This model supports at most 64000 completion tokens"


def test_it_has_no_max_tokens_limit_when_the_model_declares_none():
    assert converse(body(max_tokens=1_000_000), LLAMA)["inferenceConfig"]["maxTokens"] == 1_000_000


@pytest.mark.parametrize("temperature, sent", [(0, 0.0), (0.7, 0.7), (1, 1.0), (1.5, 1.0), (2, 1.0)])
def test_it_clamps_temperature_to_bedrocks_range(temperature, sent):
    assert converse(body(temperature=temperature), CLAUDE_OLD)["inferenceConfig"] == {"temperature": sent}


@pytest.mark.parametrize(
    "fields, param",
    [
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": 2.01}, "temperature"),
        ({"temperature": "1"}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_p": -1}, "top_p"),
        ({"top_p": "0.5"}, "top_p"),
    ],
)
def test_it_rejects_sampling_values_out_of_range(fields, param):
    assert rejected(body(**fields)).param == param


@pytest.mark.parametrize(
    "sampling, fields, expected",
    [
        ("both", {"temperature": 0.5, "top_p": 0.9}, {"temperature": 0.5, "topP": 0.9}),
        ("both", {"top_p": 0.9}, {"topP": 0.9}),
        ("one", {"temperature": 0.5, "top_p": 0.9}, {"temperature": 0.5}),
        ("one", {"top_p": 0.9}, {"topP": 0.9}),
        ("one", {"temperature": 0.5}, {"temperature": 0.5}),
        ("none", {"temperature": 0.5, "top_p": 0.9}, None),
    ],
)
def test_it_applies_the_models_sampling_rule(sampling, fields, expected):
    spec = ModelSpec(name="m", base_model_id="anthropic.m", sampling=sampling)
    assert converse(body(**fields), spec).get("inferenceConfig") == expected


@pytest.mark.parametrize(
    "stop, expected",
    [
        ("END", ["END"]),
        (["a", "b", "c", "d"], ["a", "b", "c", "d"]),
        ([], None),
    ],
)
def test_it_sends_stop_sequences(stop, expected):
    assert converse(body(stop=stop)).get("inferenceConfig", {}).get("stopSequences") == expected


@pytest.mark.parametrize("stop", ["", ["a", ""], ["a", "b", "c", "d", "e"], [1], {"a": 1}])
def test_it_rejects_bad_stop_sequences(stop):
    assert rejected(body(stop=stop)).param == "stop"


# ---- stream options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, stream, include_usage",
    [
        ({}, False, False),
        ({"stream": True}, True, False),
        ({"stream": True, "stream_options": {"include_usage": True}}, True, True),
        ({"stream": True, "stream_options": {"include_usage": False, "include_obfuscation": True}}, True, False),
        ({"stream": False, "stream_options": None}, False, False),
    ],
)
def test_it_reads_stream_options(fields, stream, include_usage):
    chat = validate_chat_request(body(**fields))
    assert (chat.stream, chat.include_usage) == (stream, include_usage)


@pytest.mark.parametrize(
    "fields, param",
    [
        ({"stream": "yes"}, "stream"),
        ({"stream_options": {"include_usage": True}}, "stream_options"),
        ({"stream": False, "stream_options": {"include_usage": True}}, "stream_options"),
        ({"stream": True, "stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
        ({"stream": True, "stream_options": {"chunk_size": 5}}, "stream_options.chunk_size"),
        ({"stream": True, "stream_options": []}, "stream_options"),
    ],
)
def test_it_rejects_bad_stream_options(fields, param):
    assert rejected(body(**fields)).param == param


# ---- rejected, ignored and kept fields --------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("n", 2, "`n` greater than 1"),
        ("n", 0, "positive integer"),
        ("audio", {"voice": "alloy", "format": "mp3"}, "not supported"),
        ("modalities", ["text", "audio"], "not supported"),
        ("logprobs", True, "not supported"),
        ("top_logprobs", 3, "not supported"),
        ("prediction", {"type": "content", "content": "x"}, "not supported"),
        ("functions", [{"name": "f"}], "not supported"),
        ("function_call", "auto", "not supported"),
        ("reasoning_effort", "extreme", "must be one of"),
    ],
)
def test_it_rejects_fields_it_cannot_honour_naming_them(field, value, fragment):
    error = rejected(body(**{field: value}))
    assert error.param == field and fragment in error.message


@pytest.mark.parametrize(
    "fields, noted",
    [
        ({"extra_thing": None}, ["unknown:extra_thing"]),
        ({"thinking": {"type": "enabled"}}, ["unknown:thinking"]),
        ({"temprature": 0.5, "seed": 1}, ["unknown:temprature", "seed"]),
        ({"web_search_options": {}}, ["web_search_options"]),
        ({"temperature": 1.7, "top_p": 0.5}, ["temperature", "top_p"]),  # Claude takes one of the two
    ],
)
def test_it_drops_fields_bedrock_has_no_use_for_and_names_them(fields, noted):
    request = validate_chat_request(body(**fields))
    kwargs = to_converse_request(request, CLAUDE).kwargs
    assert list(request.adaptations) == noted
    assert kwargs["messages"] == converse(body())["messages"]


def test_it_drops_reasoning_effort_on_a_model_that_cannot_reason_and_names_it():
    call_ = to_converse_request(validate_chat_request(body(reasoning_effort="high")), LLAMA)
    assert "additionalModelRequestFields" not in call_.kwargs and list(call_.adaptations) == ["reasoning_effort"]


def test_it_rejects_an_unknown_response_format_type():
    assert rejected(body(response_format={"type": "yaml"})).param == "response_format.type"


@pytest.mark.parametrize(
    "field, value",
    [
        ("seed", 42),
        ("frequency_penalty", 0.5),
        ("presence_penalty", -0.5),
        ("logit_bias", {"50256": -100}),
        ("store", True),
        ("service_tier", "auto"),
        ("prompt_cache_key", "k"),
        ("safety_identifier", "u1"),
        ("verbosity", "low"),
        ("logprobs", False),
        ("modalities", ["text"]),
        ("response_format", {"type": "text"}),
        ("n", 1),
        ("user", "alice"),
        ("metadata", {"ticket": "42"}),
        ("parallel_tool_calls", True),
    ],
)
def test_it_accepts_and_ignores_fields_without_a_converse_equivalent(field, value):
    assert converse(body(**{field: value})) == converse(body())


def test_it_treats_null_fields_as_absent():
    fields = {
        name: None
        for name in (
            "temperature",
            "top_p",
            "max_tokens",
            "stop",
            "tools",
            "tool_choice",
            "n",
            "stream",
            "stream_options",
            "user",
            "metadata",
            "response_format",
            "logprobs",
        )
    }
    assert converse(body(**fields)) == converse(body())


def test_it_keeps_user_and_metadata_for_logging():
    chat = validate_chat_request(body(user="alice@example.com", metadata={"repo": "sbc", "ticket": "42"}))
    assert chat.user == "alice@example.com" and chat.metadata == {"repo": "sbc", "ticket": "42"}
    assert "requestMetadata" not in to_converse_request(chat, CLAUDE).kwargs


@pytest.mark.parametrize(
    "field, value, param",
    [
        ("user", 42, "user"),
        ("metadata", {f"k{i}": "v" for i in range(17)}, "metadata"),
        ("metadata", {"k": 1}, "metadata.k"),
        ("metadata", {"k" * 65: "v"}, "metadata." + "k" * 65),
        ("metadata", {"k": "v" * 513}, "metadata.k"),
        ("metadata", ["k"], "metadata"),
        ("model", 42, "model"),
        ("parallel_tool_calls", "no", "parallel_tool_calls"),
    ],
)
def test_it_rejects_malformed_logging_fields(field, value, param):
    assert rejected(body(**{field: value})).param == param


def test_it_keeps_the_requested_model_name():
    assert validate_chat_request(body()).model == "claude"
    assert validate_chat_request({"messages": [user("hi")]}).model is None
