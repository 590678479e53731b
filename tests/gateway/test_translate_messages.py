"""OpenAI chat messages -> Converse messages: roles, content parts and images, tool calls and results,
merging, and tool ids and names."""

from __future__ import annotations

import base64

import pytest

from core.errors import InvalidRequest
from gateway.translate.chat_request import to_converse_request, validate_chat_request
from gateway.translate.tool_names import TOOL_ID_RE, TOOL_NAME_RE
from tests.gateway.chat_requests import (
    CLAUDE,
    LLAMA,
    PNG,
    WEATHER,
    assistant,
    body,
    call,
    converse,
    data_url,
    image,
    rejected,
    tool,
    user,
)

# ---- body and messages shape ------------------------------------------------------------------


@pytest.mark.parametrize("request_body", [[], "hello", None, 3])
def test_it_rejects_a_body_that_is_not_an_object(request_body):
    assert "JSON object" in rejected(request_body).message


@pytest.mark.parametrize(
    "request_body, param",
    [
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
        (
            {"messages": [{"role": "system", "content": [image(data_url("image/png"))]}, user("a")]},
            "messages[0].content[0].type",
        ),
        ({"messages": [{"role": "system", "content": "only a system prompt"}]}, "messages"),
        ({"messages": [user("   "), assistant("")]}, "messages"),
        (
            {
                "messages": [
                    assistant(None, {"id": "c1", "function": {"name": "f", "arguments": "{}"}}),
                    {"role": "assistant", "content": None, "function_call": {"name": "f"}},
                ]
            },
            "messages[1].function_call",
        ),
    ],
)
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
    kwargs = converse(
        body(
            {"role": "system", "content": "one"},
            user("hi"),
            {"role": "developer", "content": [{"type": "text", "text": "two"}]},
            {"role": "system", "content": "  "},
            assistant("ok"),
            {"role": "developer", "content": "three"},
            user("more"),
        )
    )
    assert kwargs["system"] == [{"text": "one"}, {"text": "two"}, {"text": "three"}]
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]


def test_it_omits_system_when_there_is_no_system_text():
    assert "system" not in converse(body(user("hi")))


# ---- user content and images -------------------------------------------------------------------


@pytest.mark.parametrize(
    "mime, expected_format",
    [
        ("image/png", "png"),
        ("image/jpeg", "jpeg"),
        ("image/jpg", "jpeg"),
        ("image/gif", "gif"),
        ("image/webp", "webp"),
        ("image/PNG", "png"),
    ],
)
def test_it_sends_data_url_images_as_raw_bytes(mime, expected_format):
    kwargs = converse(body(user([{"type": "text", "text": "what is this?"}, image(data_url(mime))])))
    assert kwargs["messages"][0]["content"] == [
        {"text": "what is this?"},
        {"image": {"format": expected_format, "source": {"bytes": PNG}}},
    ]


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


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("data:image/png;base64,not base64!!", "valid base64"),
        ("data:image/png;base64,", "valid base64"),
        ("https://example.com/cat.png", "Remote image URLs are not fetched"),
        ("http://169.254.169.254/latest/meta-data", "Remote image URLs are not fetched"),
        ("HTTPS://EXAMPLE.COM/cat.png", "Remote image URLs are not fetched"),
        ("data:image/bmp;base64,Qk0=", "Unsupported image type"),
        ("data:application/pdf;base64,JVBERi0=", "data: URL"),
        ("file:///etc/passwd", "data: URL"),
    ],
)
def test_it_rejects_images_it_cannot_send(url, fragment):
    error = rejected(body(user("first"), assistant("ok"), user([{"type": "text", "text": "see"}, image(url)])))
    assert error.param == "messages[2].content[1].image_url"
    assert fragment in error.message


def test_it_tells_remote_url_senders_to_use_a_data_url():
    assert "data: URL" in rejected(body(user([image("https://example.com/cat.png")]))).message


def test_it_rejects_images_for_models_without_image_input():
    error = rejected(body(user([{"type": "text", "text": "see"}, image(data_url("image/png"))])), LLAMA)
    assert error.param == "messages[0].content[1].image_url" and "does not accept images" in error.message


@pytest.mark.parametrize(
    "part, named",
    [
        ({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}, "input_audio"),
        ({"type": "file", "file": {"file_data": "JVBERi0="}}, "file"),
        ({"type": "video_url", "video_url": {"url": "x"}}, "video_url"),
    ],
)
def test_it_rejects_unsupported_content_parts_by_name(part, named):
    error = rejected(body(user([part])))
    assert error.param == "messages[0].content[0].type" and f"`{named}`" in error.message


# ---- assistant content and tool calls ----------------------------------------------------------


def test_it_puts_assistant_text_before_its_tool_calls():
    kwargs = converse(
        body(
            user("weather?"),
            assistant([{"type": "text", "text": "Checking."}], call("c1"), call("c2")),
            tool("c1"),
            tool("c2"),
            tools=[WEATHER],
        )
    )
    assert kwargs["messages"][1]["content"] == [
        {"text": "Checking."},
        {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}},
        {"toolUse": {"toolUseId": "c2", "name": "get_weather", "input": {"city": "Paris"}}},
    ]


@pytest.mark.parametrize(
    "arguments, expected",
    [
        ("", {}),
        ("  ", {}),
        (None, {}),
        ('{"a": [1, 2]}', {"a": [1, 2]}),
        ({"a": 1}, {"a": 1}),
    ],
)
def test_it_parses_tool_call_arguments(arguments, expected):
    kwargs = converse(body(user("go"), assistant(None, call("c1", arguments=arguments)), tool("c1")))
    assert kwargs["messages"][1]["content"][0]["toolUse"]["input"] == expected


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('"text"', "JSON object"),
        ('{"x": NaN}', "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        (5, "JSON string"),
    ],
)
def test_it_rejects_tool_call_arguments_that_are_not_a_json_object(arguments, fragment):
    error = rejected(body(user("go"), assistant(None, call("c1", arguments=arguments)), tool("c1")))
    assert error.param == "messages[1].tool_calls[0].function.arguments" and fragment in error.message


@pytest.mark.parametrize(
    "bad_call, param",
    [
        ({"type": "function", "function": {"name": "f"}}, "messages[1].tool_calls[0].id"),
        ({"id": "c1", "type": "custom", "custom": {}}, "messages[1].tool_calls[0].custom.name"),
        ({"id": "c1", "type": "mystery", "function": {"name": "f"}}, "messages[1].tool_calls[0].type"),
        ({"id": "c1", "type": "function", "function": {"name": ""}}, "messages[1].tool_calls[0].function.name"),
        ({"id": "c1", "type": "function"}, "messages[1].tool_calls[0].function.name"),
        ("c1", "messages[1].tool_calls[0]"),
    ],
)
def test_it_rejects_malformed_tool_calls(bad_call, param):
    assert rejected(body(user("go"), assistant(None, bad_call))).param == param


def test_it_sends_an_assistant_refusal_field_as_text():
    kwargs = converse(body(user("a"), {"role": "assistant", "content": None, "refusal": "No."}, user("b")))
    assert kwargs["messages"][1] == {"role": "assistant", "content": [{"text": "No."}]}


def test_it_sends_refusals_as_assistant_text():
    kwargs = converse(body(user("a"), assistant([{"type": "refusal", "refusal": "I can't."}]), user("b")))
    assert kwargs["messages"][1] == {"role": "assistant", "content": [{"text": "I can't."}]}


# ---- merging rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, expected",
    [
        pytest.param([user("a"), user("b")], [("user", [{"text": "a"}, {"text": "b"}])], id="user run"),
        pytest.param(
            [user("a"), assistant("b"), assistant("c"), user("d")],
            [("user", [{"text": "a"}]), ("assistant", [{"text": "b"}, {"text": "c"}]), ("user", [{"text": "d"}])],
            id="assistant run",
        ),
        pytest.param(
            [user("a"), user(" \n"), assistant(""), user("b")],
            [("user", [{"text": "a"}, {"text": "b"}])],
            id="blank messages vanish and their neighbours merge",
        ),
        pytest.param(
            [user([{"type": "text", "text": ""}, {"type": "text", "text": "x"}])],
            [("user", [{"text": "x"}])],
            id="blank parts dropped",
        ),
        pytest.param(
            [assistant("Hello! How can I help?"), user("fix it")],
            [
                ("user", [{"text": "."}]),
                ("assistant", [{"text": "Hello! How can I help?"}]),
                ("user", [{"text": "fix it"}]),
            ],
            id="leading assistant gets a placeholder user turn",
        ),
        pytest.param(
            [{"role": "system", "content": "s"}, assistant("hi"), user("go")],
            [("user", [{"text": "."}]), ("assistant", [{"text": "hi"}]), ("user", [{"text": "go"}])],
            id="leading assistant after system",
        ),
        pytest.param(
            [user("q"), assistant("a")],
            [("user", [{"text": "q"}]), ("assistant", [{"text": "a"}])],
            id="trailing assistant kept as prefill",
        ),
    ],
)
def test_it_merges_and_cleans_the_conversation(messages, expected):
    kwargs = converse(body(*messages))
    assert [(m["role"], m["content"]) for m in kwargs["messages"]] == expected


def result(call_id: str, text: str = "sunny") -> dict:
    return {"toolResult": {"toolUseId": call_id, "content": [{"text": text}]}}


@pytest.mark.parametrize(
    "after_calls, expected_user_turn",
    [
        pytest.param(
            [tool("c1"), tool("c2", "rainy")],
            [result("c1"), result("c2", "rainy")],
            id="consecutive tool results share one user turn",
        ),
        pytest.param(
            [tool("c1"), tool("c2"), user("and tomorrow?")],
            [result("c1"), result("c2"), {"text": "and tomorrow?"}],
            id="user text after results joins them",
        ),
        pytest.param(
            [user("hurry"), tool("c1"), tool("c2")],
            [result("c1"), result("c2"), {"text": "hurry"}],
            id="results move ahead of text",
        ),
        pytest.param(
            [tool("c1", ""), tool("c2", [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])],
            [
                result("c1", "(no output)"),
                {"toolResult": {"toolUseId": "c2", "content": [{"text": "a"}, {"text": "b"}]}},
            ],
            id="empty tool output gets a placeholder",
        ),
    ],
)
def test_it_merges_tool_results_into_one_user_turn(after_calls, expected_user_turn):
    kwargs = converse(body(user("weather?"), assistant(None, call("c1"), call("c2")), *after_calls, tools=[WEATHER]))
    assert [m["role"] for m in kwargs["messages"]] == ["user", "assistant", "user"]
    assert kwargs["messages"][2]["content"] == expected_user_turn


def test_it_keeps_tool_calls_after_text_when_assistant_messages_merge():
    kwargs = converse(body(user("q"), assistant(None, call("c1")), assistant("Let me look."), tool("c1")))
    assert kwargs["messages"][1]["content"] == [
        {"text": "Let me look."},
        {"toolUse": {"toolUseId": "c1", "name": "get_weather", "input": {"city": "Paris"}}},
    ]


# ---- tool ids and names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    [
        "call abc",
        "call/1",
        "toolu_01!?",
        "x" * 65,
        "id-with-ünïcode",
        "call_" + "9" * 80,
    ],
)
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
    request = body(
        user("q"),
        assistant(None, call("c1", client_name, "{}")),
        tool("c1"),
        tools=tools,
        tool_choice={"type": "function", "function": {"name": client_name}},
    )
    converse_call = to_converse_request(validate_chat_request(request), CLAUDE)
    spec_name = converse_call.kwargs["toolConfig"]["tools"][0]["toolSpec"]["name"]
    assert TOOL_NAME_RE.fullmatch(spec_name) and spec_name != client_name
    assert converse_call.kwargs["messages"][1]["content"][0]["toolUse"]["name"] == spec_name
    assert converse_call.kwargs["toolConfig"]["toolChoice"] == {"tool": {"name": spec_name}}
    assert converse_call.tool_names == {spec_name: client_name}


def test_it_records_no_mapping_for_names_bedrock_accepts():
    assert to_converse_request(validate_chat_request(body(tools=[WEATHER])), CLAUDE).tool_names == {}
