"""OpenAI chat request -> validated ChatRequest -> Converse request."""
from __future__ import annotations

import base64

import pytest

from gateway.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.chat_request import to_converse_request, validate_chat_request
from gateway.translate.tool_names import TOOL_ID_RE, TOOL_NAME_RE

CLAUDE = ModelSpec(name="claude", base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0", sampling="one",
                   max_output_tokens=64000)
CLAUDE_OLD = ModelSpec(name="claude-old", base_model_id="anthropic.claude-3-haiku-20240307-v1:0", sampling="both",
                       max_output_tokens=4096)
LLAMA = ModelSpec(name="llama", base_model_id="meta.llama3-3-70b-instruct-v1:0", supports_images=False,
                  supports_tools=False, max_output_tokens=0)
PNG = b"\x89PNG\r\n\x1a\nfake"
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


def body(*messages, **fields) -> dict:
    return {"model": "claude", "messages": list(messages) or [user("hi")], **fields}


def user(content) -> dict:
    return {"role": "user", "content": content}


def assistant(content=None, *calls) -> dict:
    message = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
    return message


def call(call_id: str, name: str = "get_weather", arguments: str = '{"city": "Paris"}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def tool(call_id: str, content="sunny") -> dict:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def data_url(mime: str, data: bytes = PNG) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def image(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def converse(request: dict, spec: ModelSpec = CLAUDE) -> dict:
    return to_converse_request(validate_chat_request(request), spec).kwargs


def rejected(request: object, spec: ModelSpec = CLAUDE) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        to_converse_request(validate_chat_request(request), spec)
    return caught.value


# ---- body and messages shape ------------------------------------------------------------------

@pytest.mark.parametrize("request_body", [[], "hello", None, 3])
def test_it_rejects_a_body_that_is_not_an_object(request_body):
    assert "JSON object" in rejected(request_body).message


@pytest.mark.parametrize("request_body, param", [
    ({"model": "claude"}, "messages"),
    ({"messages": None}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": "hi"}, "messages"),
    ({"messages": ["hi"]}, "messages[0]"),
    ({"messages": [{"content": "hi"}]}, "messages[0].role"),
    ({"messages": [{"role": "function", "content": "hi"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": None}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"text": "no type"}]}]}, "messages[0].content[0]"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]}, "messages[0].content[0].text"),
    ({"messages": [user("a"), {"role": "tool", "content": "x"}]}, "messages[1].tool_call_id"),
    ({"messages": [{"role": "system", "content": [image(data_url("image/png"))]}, user("a")]},
     "messages[0].content[0].type"),
    ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages"),
    ({"messages": [user("   "), assistant("")]}, "messages"),
    ({"messages": [assistant(None, {"id": "c1", "function": {"name": "f", "arguments": "{}"}}),
                   {"role": "assistant", "content": None, "function_call": {"name": "f"}}]}, "messages[1].function_call"),
])
def test_it_rejects_malformed_messages_naming_the_param(request_body, param):
    assert rejected(request_body).param == param


def test_it_rejects_more_messages_than_the_limit():
    request = body(*[user(str(i)) for i in range(6)])
    with pytest.raises(InvalidRequest) as caught:
        validate_chat_request(request, max_messages=5)
    assert caught.value.param == "messages" and "Too many messages" in caught.value.message
    assert validate_chat_request(request, max_messages=6).messages == request["messages"]


def test_it_counts_converse_messages_after_merging():
    call_ = to_converse_request(validate_chat_request(body(user("a"), user("b"), assistant("c"))), CLAUDE)
    assert call_.message_count == 2


# ---- system / developer ------------------------------------------------------------------------

def test_it_hoists_system_and_developer_messages_in_order_skipping_blank_ones():
    kwargs = converse(body({"role": "system", "content": "one"}, user("hi"),
                           {"role": "developer", "content": [{"type": "text", "text": "two"}]},
                           {"role": "system", "content": "  "}, assistant("ok"),
                           {"role": "developer", "content": "three"}, user("more")))
    assert kwargs["system"] == [{"text": "one"}, {"text": "two"}, {"text": "three"}]
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]


def test_it_omits_system_when_there_is_no_system_text():
    assert "system" not in converse(body(user("hi")))


# ---- user content and images -------------------------------------------------------------------

@pytest.mark.parametrize("mime, expected_format", [
    ("image/png", "png"), ("image/jpeg", "jpeg"), ("image/jpg", "jpeg"), ("image/gif", "gif"),
    ("image/webp", "webp"), ("image/PNG", "png"),
])
def test_it_sends_data_url_images_as_raw_bytes(mime, expected_format):
    kwargs = converse(body(user([{"type": "text", "text": "what is this?"}, image(data_url(mime))])))
    assert kwargs["messages"][0]["content"] == [
        {"text": "what is this?"}, {"image": {"format": expected_format, "source": {"bytes": PNG}}}]


def test_it_accepts_an_image_url_given_as_a_bare_string():
    kwargs = converse(body(user([{"type": "image_url", "image_url": data_url("image/gif")}])))
    assert kwargs["messages"][0]["content"] == [{"image": {"format": "gif", "source": {"bytes": PNG}}}]


@pytest.mark.parametrize("image_url", [None, {"detail": "high"}, {"url": 5}, 7])
def test_it_rejects_an_image_part_without_a_url(image_url):
    error = rejected(body(user([{"type": "image_url", "image_url": image_url}])))
    assert error.param == "messages[0].content[0].image_url"


def test_it_accepts_base64_with_line_breaks():
    encoded = base64.encodebytes(PNG * 20).decode()
    kwargs = converse(body(user([image(f"data:image/png;base64,{encoded}")])))
    assert kwargs["messages"][0]["content"][0]["image"]["source"]["bytes"] == PNG * 20


@pytest.mark.parametrize("url, fragment", [
    ("data:image/png;base64,not base64!!", "valid base64"),
    ("data:image/png;base64,", "valid base64"),
    ("https://example.com/cat.png", "Remote image URLs are not fetched"),
    ("http://169.254.169.254/latest/meta-data", "Remote image URLs are not fetched"),
    ("HTTPS://EXAMPLE.COM/cat.png", "Remote image URLs are not fetched"),
    ("data:image/bmp;base64,Qk0=", "Unsupported image type"),
    ("data:application/pdf;base64,JVBERi0=", "data: URL"),
    ("file:///etc/passwd", "data: URL"),
])
def test_it_rejects_images_it_cannot_send(url, fragment):
    error = rejected(body(user("first"), assistant("ok"), user([{"type": "text", "text": "see"}, image(url)])))
    assert error.param == "messages[2].content[1].image_url"
    assert fragment in error.message


def test_it_tells_remote_url_senders_to_use_a_data_url():
    assert "data: URL" in rejected(body(user([image("https://example.com/cat.png")]))).message


def test_it_rejects_images_for_models_without_image_input():
    error = rejected(body(user([{"type": "text", "text": "see"}, image(data_url("image/png"))])), LLAMA)
    assert error.param == "messages[0].content[1].image_url" and "does not accept images" in error.message


@pytest.mark.parametrize("part, named", [
    ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "input_audio"),
    ({"type": "file", "file": {"file_data": "JVBERi0="}}, "file"),
    ({"type": "video_url", "video_url": {"url": "x"}}, "video_url"),
])
def test_it_rejects_unsupported_content_parts_by_name(part, named):
    error = rejected(body(user([part])))
    assert error.param == "messages[0].content[0].type" and f"`{named}`" in error.message


# ---- assistant content and tool calls ----------------------------------------------------------

def test_it_puts_assistant_text_before_its_tool_calls():
    kwargs = converse(body(user("weather?"), assistant([{"type": "text", "text": "Checking."}], call("c1"), call("c2")),
                           tool("c1"), tool("c2"), tools=[WEATHER]))
    assert kwargs["messages"][1]["content"] == [
        {"text": "Checking."},
        {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "c2", "name": "get_weather", "input": {"city": "Paris"}}}]


@pytest.mark.parametrize("arguments, expected", [
    ("", {}), ("  ", {}), (None, {}), ('{"a": [1, 2]}', {"a": [1, 2]}), ({"a": 1}, {"a": 1}),
])
def test_it_parses_tool_call_arguments(arguments, expected):
    kwargs = converse(body(user("go"), assistant(None, call("c1", arguments=arguments)), tool("c1")))
    assert kwargs["messages"][1]["content"][0]["toolUse"]["input"] == expected


@pytest.mark.parametrize("arguments, fragment", [
    ("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('"text"', "JSON object"),
    ('{"x": NaN}', "not valid JSON"), ("[" * 100_000, "not valid JSON"), (5, "JSON string"),
])
def test_it_rejects_tool_call_arguments_that_are_not_a_json_object(arguments, fragment):
    error = rejected(body(user("go"), assistant(None, call("c1", arguments=arguments)), tool("c1")))
    assert error.param == "messages[1].tool_calls[0].function.arguments" and fragment in error.message


@pytest.mark.parametrize("bad_call, param", [
    ({"type": "function", "function": {"name": "f"}}, "messages[1].tool_calls[0].id"),
    ({"id": "c1", "type": "custom", "custom": {}}, "messages[1].tool_calls[0].type"),
    ({"id": "c1", "type": "function", "function": {"name": ""}}, "messages[1].tool_calls[0].function.name"),
    ({"id": "c1", "type": "function"}, "messages[1].tool_calls[0].function.name"),
    ("c1", "messages[1].tool_calls[0]"),
])
def test_it_rejects_malformed_tool_calls(bad_call, param):
    assert rejected(body(user("go"), assistant(None, bad_call))).param == param


def test_it_sends_an_assistant_refusal_field_as_text():
    kwargs = converse(body(user("a"), {"role": "assistant", "content": None, "refusal": "No."}, user("b")))
    assert kwargs["messages"][1] == {"role": "assistant", "content": [{"text": "No."}]}


def test_it_sends_refusals_as_assistant_text():
    kwargs = converse(body(user("a"), assistant([{"type": "refusal", "refusal": "I can't."}]), user("b")))
    assert kwargs["messages"][1] == {"role": "assistant", "content": [{"text": "I can't."}]}


# ---- merging rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize("messages, expected", [
    pytest.param([user("a"), user("b")], [("user", [{"text": "a"}, {"text": "b"}])], id="user run"),
    pytest.param([user("a"), assistant("b"), assistant("c"), user("d")],
                 [("user", [{"text": "a"}]), ("assistant", [{"text": "b"}, {"text": "c"}]), ("user", [{"text": "d"}])],
                 id="assistant run"),
    pytest.param([user("a"), user(" \n"), assistant(""), user("b")], [("user", [{"text": "a"}, {"text": "b"}])],
                 id="blank messages vanish and their neighbours merge"),
    pytest.param([user([{"type": "text", "text": ""}, {"type": "text", "text": "x"}])], [("user", [{"text": "x"}])],
                 id="blank parts dropped"),
    pytest.param([assistant("Hello! How can I help?"), user("fix it")],
                 [("user", [{"text": "."}]), ("assistant", [{"text": "Hello! How can I help?"}]),
                  ("user", [{"text": "fix it"}])], id="leading assistant gets a placeholder user turn"),
    pytest.param([{"role": "system", "content": "s"}, assistant("hi"), user("go")],
                 [("user", [{"text": "."}]), ("assistant", [{"text": "hi"}]), ("user", [{"text": "go"}])],
                 id="leading assistant after system"),
    pytest.param([user("q"), assistant("a")], [("user", [{"text": "q"}]), ("assistant", [{"text": "a"}])],
                 id="trailing assistant kept as prefill"),
])
def test_it_merges_and_cleans_the_conversation(messages, expected):
    kwargs = converse(body(*messages))
    assert [(m["role"], m["content"]) for m in kwargs["messages"]] == expected


def result(call_id: str, text: str = "sunny") -> dict:
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": text}]}}


@pytest.mark.parametrize("after_calls, expected_user_turn", [
    pytest.param([tool("c1"), tool("c2", "rainy")], [result("c1"), result("c2", "rainy")],
                 id="consecutive tool results share one user turn"),
    pytest.param([tool("c1"), tool("c2"), user("and tomorrow?")],
                 [result("c1"), result("c2"), {"text": "and tomorrow?"}], id="user text after results joins them"),
    pytest.param([user("hurry"), tool("c1"), tool("c2")], [result("c1"), result("c2"), {"text": "hurry"}],
                 id="results move ahead of text"),
    pytest.param([tool("c1", ""), tool("c2", [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])],
                 [result("c1", "(no output)"),
                  {"toolResult": {"toolUseId": "c2", "content": [{"text": "a"}, {"text": "b"}]}}],
                 id="empty tool output gets a placeholder"),
])
def test_it_merges_tool_results_into_one_user_turn(after_calls, expected_user_turn):
    kwargs = converse(body(user("weather?"), assistant(None, call("c1"), call("c2")), *after_calls, tools=[WEATHER]))
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]
    assert kwargs["messages"][2]["content"] == expected_user_turn


def test_it_keeps_tool_calls_after_text_when_assistant_messages_merge():
    kwargs = converse(body(user("q"), assistant(None, call("c1")), assistant("Let me look."), tool("c1")))
    assert kwargs["messages"][1]["content"] == [
        {"text": "Let me look."}, {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}}]


# ---- tool ids and names ----------------------------------------------------------------------------

@pytest.mark.parametrize("client_id", [
    "call abc", "call/1", "toolu_01!?", "x" * 65, "id-with-ünïcode", "call_" + "9" * 80,
])
def test_it_rewrites_tool_ids_bedrock_rejects_identically_in_calls_and_results(client_id):
    kwargs = converse(body(user("q"), assistant(None, call(client_id)), tool(client_id), tools=[WEATHER]))
    used = kwargs["messages"][1]["content"][0]["toolUse"]["toolUseId"]
    assert used != client_id and TOOL_ID_RE.fullmatch(used)
    assert kwargs["messages"][2]["content"][0]["toolResult"]["toolUseId"] == used


@pytest.mark.parametrize("client_id", ["call_abc123", "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "a.b:c-d", "x" * 64])
def test_it_keeps_valid_tool_ids(client_id):
    kwargs = converse(body(user("q"), assistant(None, call(client_id)), tool(client_id), tools=[WEATHER]))
    assert kwargs["messages"][1]["content"][0]["toolUse"]["toolUseId"] == client_id


def test_it_keeps_ids_that_differ_only_in_bad_characters_apart():
    kwargs = converse(body(user("q"), assistant(None, call("a/b"), call("a b")), tool("a/b"), tool("a b")))
    ids = [block["toolUse"]["toolUseId"] for block in kwargs["messages"][1]["content"]]
    assert len(set(ids)) == 2


@pytest.mark.parametrize("client_name", ["github.create_issue", "mcp__fs/read", "tool:search", "n" * 70, "naïve"])
def test_it_rewrites_tool_names_and_records_how_to_restore_them(client_name):
    tools = [{"type": "function", "function": {"name": client_name}}]
    request = body(user("q"), assistant(None, call("c1", client_name, "{}")), tool("c1"), tools=tools,
                   tool_choice={"type": "function", "function": {"name": client_name}})
    converse_call = to_converse_request(validate_chat_request(request), CLAUDE)
    spec_name = converse_call.kwargs["toolConfig"]["tools"][0]["toolSpec"]["name"]
    assert TOOL_NAME_RE.fullmatch(spec_name) and spec_name != client_name
    assert converse_call.kwargs["messages"][1]["content"][0]["toolUse"]["name"] == spec_name
    assert converse_call.kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": spec_name}}
    assert converse_call.tool_names == {spec_name: client_name}


def test_it_records_no_mapping_for_names_bedrock_accepts():
    assert to_converse_request(validate_chat_request(body(tools=[WEATHER])), CLAUDE).tool_names == {}


# ---- tools ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("function, expected_spec", [
    ({"name": "f"}, {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}}),
    ({"name": "f", "description": ""}, {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}}),
    ({"name": "f", "description": None, "parameters": None},
     {"name": "f", "inputSchema": {"json": {"type": "object", "properties": {}}}}),
    ({"name": "f", "description": "does f", "parameters": {"type": "object", "required": ["x"]}, "strict": True},
     {"name": "f", "description": "does f", "inputSchema": {"json": {"type": "object", "required": ["x"]}},
      "strict": True}),
])
def test_it_converts_function_tools(function, expected_spec):
    kwargs = converse(body(tools=[{"type": "function", "function": function}]))
    assert kwargs["toolConfig"] == {"tools": [{"toolSpec": expected_spec}]}


@pytest.mark.parametrize("tools, param", [
    ("nope", "tools"),
    ([{"type": "custom", "custom": {"name": "x"}}], "tools[0].type"),
    ([{"type": "web_search"}], "tools[0].type"),
    ([{"type": "function"}], "tools[0].function"),
    ([{"type": "function", "function": {"name": ""}}], "tools[0].function.name"),
    ([{"type": "function", "function": {"name": "f", "parameters": "{}"}}], "tools[0].function.parameters"),
    ([{"type": "function", "function": {"name": "f", "description": 3}}], "tools[0].function.description"),
    ([{"type": "function", "function": {"name": "f", "strict": "yes"}}], "tools[0].function.strict"),
    ([WEATHER, WEATHER], "tools"),
])
def test_it_rejects_malformed_tools(tools, param):
    assert rejected(body(tools=tools)).param == param


def test_it_rejects_tools_for_models_without_tool_use():
    error = rejected(body(tools=[WEATHER]), LLAMA)
    assert error.param == "tools" and "does not support tools" in error.message


def test_it_sends_no_tool_config_without_tools_or_tool_history():
    assert "toolConfig" not in converse(body(user("hi")))


@pytest.mark.parametrize("tool_choice, expected", [
    (None, None),
    ("auto", {"auto": {}}),
    ("required", {"any": {}}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
])
def test_it_maps_tool_choice(tool_choice, expected):
    kwargs = converse(body(tools=[WEATHER], tool_choice=tool_choice))
    assert kwargs["toolConfig"].get("toolChoice") == expected


def test_it_sends_no_tools_for_tool_choice_none():
    assert "toolConfig" not in converse(body(tools=[WEATHER], tool_choice="none"))


def test_it_keeps_a_minimal_tool_config_for_tool_choice_none_when_history_has_tool_blocks():
    kwargs = converse(body(user("q"), assistant(None, call("c1")), tool("c1"), tools=[WEATHER], tool_choice="none"))
    assert kwargs["toolConfig"] == {"tools": [{"toolSpec": {"name": "get_weather",
                                                            "inputSchema": {"json": {"type": "object"}}}}]}


def test_it_synthesizes_a_tool_config_from_history_when_the_request_has_no_tools():
    kwargs = converse(body(user("q"), assistant(None, call("c1"), call("c2", "search.web"), call("c3")),
                           tool("c1"), tool("c2"), tool("c3"), user("summarise")))
    names = [t["toolSpec"]["name"] for t in kwargs["toolConfig"]["tools"]]
    assert names[0] == "get_weather" and len(names) == 2 and TOOL_NAME_RE.fullmatch(names[1])
    assert all(t["toolSpec"]["inputSchema"] == {"json": {"type": "object"}} for t in kwargs["toolConfig"]["tools"])


@pytest.mark.parametrize("tool_choice, tools, param", [
    ({"type": "function", "function": {"name": "nope"}}, [WEATHER], "tool_choice.function.name"),
    ({"type": "function", "function": {}}, [WEATHER], "tool_choice.function.name"),
    ("required", None, "tool_choice"),
    ({"type": "function", "function": {"name": "get_weather"}}, None, "tool_choice"),
    ({"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}}, [WEATHER], "tool_choice"),
    ("sometimes", [WEATHER], "tool_choice"),
])
def test_it_rejects_bad_tool_choice(tool_choice, tools, param):
    assert rejected(body(tools=tools, tool_choice=tool_choice)).param == param


@pytest.mark.parametrize("spec, parallel, tool_choice, expected", [
    (CLAUDE, False, None, {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}),
    (CLAUDE, False, "auto", {"tool_choice": {"type": "auto", "disable_parallel_tool_use": True}}),
    (CLAUDE, False, "required", None),
    (CLAUDE, True, None, None),
    (CLAUDE, None, None, None),
    (ModelSpec(name="nova", base_model_id="amazon.nova-pro-v1:0"), False, None, None),
    (ModelSpec(name="mistral", base_model_id="mistral.mistral-large-2407-v1:0"), False, "auto", None),
])
def test_it_disables_parallel_tool_calls_only_on_anthropic(spec, parallel, tool_choice, expected):
    kwargs = converse(body(tools=[WEATHER], tool_choice=tool_choice, parallel_tool_calls=parallel), spec)
    assert kwargs.get("additionalModelRequestFields") == expected


# ---- inference parameters -----------------------------------------------------------------------------

@pytest.mark.parametrize("fields, expected", [
    ({"max_tokens": 100}, 100),
    ({"max_completion_tokens": 200}, 200),
    ({"max_completion_tokens": 200, "max_tokens": 100}, 200),
    ({"max_tokens": 100, "max_completion_tokens": 200}, 200),
    ({"max_completion_tokens": None, "max_tokens": 100}, 100),
    ({"max_tokens": 64000}, 64000),
])
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


@pytest.mark.parametrize("fields, param", [
    ({"temperature": -0.1}, "temperature"), ({"temperature": 2.01}, "temperature"), ({"temperature": "1"}, "temperature"),
    ({"temperature": True}, "temperature"), ({"temperature": float("nan")}, "temperature"),
    ({"top_p": 1.5}, "top_p"), ({"top_p": -1}, "top_p"), ({"top_p": "0.5"}, "top_p"),
])
def test_it_rejects_sampling_values_out_of_range(fields, param):
    assert rejected(body(**fields)).param == param


@pytest.mark.parametrize("sampling, fields, expected", [
    ("both", {"temperature": 0.5, "top_p": 0.9}, {"temperature": 0.5, "topP": 0.9}),
    ("both", {"top_p": 0.9}, {"topP": 0.9}),
    ("one", {"temperature": 0.5, "top_p": 0.9}, {"temperature": 0.5}),
    ("one", {"top_p": 0.9}, {"topP": 0.9}),
    ("one", {"temperature": 0.5}, {"temperature": 0.5}),
    ("none", {"temperature": 0.5, "top_p": 0.9}, None),
])
def test_it_applies_the_models_sampling_rule(sampling, fields, expected):
    spec = ModelSpec(name="m", base_model_id="anthropic.m", sampling=sampling)
    assert converse(body(**fields), spec).get("inferenceConfig") == expected


@pytest.mark.parametrize("stop, expected", [
    ("END", ["END"]), (["a", "b", "c", "d"], ["a", "b", "c", "d"]), ([], None),
])
def test_it_sends_stop_sequences(stop, expected):
    assert converse(body(stop=stop)).get("inferenceConfig", {}).get("stopSequences") == expected


@pytest.mark.parametrize("stop", ["", ["a", ""], ["a", "b", "c", "d", "e"], [1], {"a": 1}])
def test_it_rejects_bad_stop_sequences(stop):
    assert rejected(body(stop=stop)).param == "stop"


# ---- stream options ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fields, stream, include_usage", [
    ({}, False, False),
    ({"stream": True}, True, False),
    ({"stream": True, "stream_options": {"include_usage": True}}, True, True),
    ({"stream": True, "stream_options": {"include_usage": False, "include_obfuscation": True}}, True, False),
    ({"stream": False, "stream_options": None}, False, False),
])
def test_it_reads_stream_options(fields, stream, include_usage):
    chat = validate_chat_request(body(**fields))
    assert (chat.stream, chat.include_usage) == (stream, include_usage)


@pytest.mark.parametrize("fields, param", [
    ({"stream": "yes"}, "stream"),
    ({"stream_options": {"include_usage": True}}, "stream_options"),
    ({"stream": False, "stream_options": {"include_usage": True}}, "stream_options"),
    ({"stream": True, "stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
    ({"stream": True, "stream_options": {"chunk_size": 5}}, "stream_options.chunk_size"),
    ({"stream": True, "stream_options": []}, "stream_options"),
])
def test_it_rejects_bad_stream_options(fields, param):
    assert rejected(body(**fields)).param == param


# ---- rejected, ignored and kept fields --------------------------------------------------------------------

@pytest.mark.parametrize("field, value, fragment", [
    ("n", 2, "`n` greater than 1"),
    ("n", 0, "positive integer"),
    ("audio", {"voice": "alloy", "format": "mp3"}, "not supported"),
    ("modalities", ["text", "audio"], "not supported"),
    ("logprobs", True, "not supported"),
    ("top_logprobs", 3, "not supported"),
    ("prediction", {"type": "content", "content": "x"}, "not supported"),
    ("web_search_options", {}, "not supported"),
    ("functions", [{"name": "f"}], "not supported"),
    ("function_call", "auto", "not supported"),
    ("reasoning_effort", "high", "does not support reasoning"),
    ("reasoning_effort", "extreme", "must be one of"),
    ("thinking", {"type": "enabled"}, "Unrecognized request argument supplied: thinking"),
    ("temprature", 0.5, "Unrecognized request argument supplied: temprature"),
])
def test_it_rejects_fields_it_cannot_honour_naming_them(field, value, fragment):
    error = rejected(body(**{field: value}))
    assert error.param == field and fragment in error.message


def test_it_rejects_unknown_fields_even_when_null():
    assert rejected(body(extra_thing=None)).param == "extra_thing"


def test_it_rejects_an_unknown_response_format_type():
    assert rejected(body(response_format={"type": "yaml"})).param == "response_format.type"


@pytest.mark.parametrize("field, value", [
    ("seed", 42), ("frequency_penalty", 0.5), ("presence_penalty", -0.5), ("logit_bias", {"50256": -100}),
    ("store", True), ("service_tier", "auto"), ("prompt_cache_key", "k"), ("safety_identifier", "u1"),
    ("verbosity", "low"), ("logprobs", False), ("modalities", ["text"]), ("response_format", {"type": "text"}),
    ("n", 1), ("user", "alice"), ("metadata", {"ticket": "42"}), ("parallel_tool_calls", True),
])
def test_it_accepts_and_ignores_fields_without_a_converse_equivalent(field, value):
    assert converse(body(**{field: value})) == converse(body())


def test_it_treats_null_fields_as_absent():
    fields = {name: None for name in ("temperature", "top_p", "max_tokens", "stop", "tools", "tool_choice", "n",
                                      "stream", "stream_options", "user", "metadata", "response_format", "logprobs")}
    assert converse(body(**fields)) == converse(body())


def test_it_keeps_user_and_metadata_for_logging():
    chat = validate_chat_request(body(user="alice@example.com", metadata={"repo": "sbc", "ticket": "42"}))
    assert chat.user == "alice@example.com" and chat.metadata == {"repo": "sbc", "ticket": "42"}
    assert "requestMetadata" not in to_converse_request(chat, CLAUDE).kwargs


@pytest.mark.parametrize("field, value, param", [
    ("user", 42, "user"),
    ("metadata", {f"k{i}": "v" for i in range(17)}, "metadata"),
    ("metadata", {"k": 1}, "metadata.k"),
    ("metadata", {"k" * 65: "v"}, "metadata." + "k" * 65),
    ("metadata", {"k": "v" * 513}, "metadata.k"),
    ("metadata", ["k"], "metadata"),
    ("model", 42, "model"),
    ("parallel_tool_calls", "no", "parallel_tool_calls"),
])
def test_it_rejects_malformed_logging_fields(field, value, param):
    assert rejected(body(**{field: value})).param == param


def test_it_keeps_the_requested_model_name():
    assert validate_chat_request(body()).model == "claude"
    assert validate_chat_request({"messages": [user("hi")]}).model is None
