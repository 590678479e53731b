"""Hostile and broken requests through the live gateway: each gets an OpenAI-shaped 4xx, never a 5xx or a page."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e

HELLO = [{"role": "user", "content": "Hello"}]


def chat(**fields) -> dict:
    return {"model": "claude-4-sonnet", "messages": HELLO, **fields}


# ---- the body as a whole ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'model': 'x'}",
        b'{"messages": [}',
        b"null",
        b"[]",
        b"42",
        b'"a string"',
        b"   ",
        b"",
        b'{"messages": NaN}',
        b'{"a": 1}{"b": 2}',
        b"\xef\xbb\xbf{}",
        b'{"messages": [{"role": "user", "content": "x"}]',
    ],
)
def test_malformed_json_is_a_400(post, raw):
    assert_openai_error(post(raw), 400)


@pytest.mark.parametrize("opener, closer", [(b"[", b"]"), (b'{"a":', b"}")])
def test_json_nested_a_hundred_thousand_deep_is_a_400(post, opener, closer):
    depth = 100_000
    assert_openai_error(post(opener * depth + closer * depth), 400)


@pytest.mark.parametrize("depth", [5000, 100_000])
def test_nesting_inside_a_valid_request_is_a_400(post, depth):
    nested = b'{"type": "object", "properties": {"x": ' * depth + b"{}" + b"}}" * depth
    raw = (
        b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": '
        b'{"name": "deep", "parameters": ' + nested + b"}}]}"
    )
    assert_openai_error(post(raw), 400)


def deep_tool_request(depth: int) -> bytes:
    nested = b'{"type": "object", "properties": {"x": ' * depth + b"{}" + b"}}" * depth
    return (
        b'{"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": '
        b'{"name": "deep", "parameters": ' + nested + b"}}]}"
    )


@pytest.mark.parametrize("depth", [40, 300, 1000])
def test_nesting_the_json_parser_accepts_but_python_cannot_serialize_is_a_400(post, depth):
    """Bodies nested past the limit, even those the JSON parser itself could read, are refused before any
    serializer recurses through them."""
    error = assert_openai_error(post(deep_tool_request(depth)), 400)
    assert "nested" in error["message"]


def test_a_realistically_nested_tool_schema_is_served(post):
    assert post(deep_tool_request(12)).status_code == 200


@pytest.mark.parametrize("raw", [b'{"messages": "\xff\xfe"}', b'{"model": "\xc3\x28"}', b"\x80\x81\x82"])
def test_invalid_utf8_is_a_400(post, raw):
    error = assert_openai_error(post(raw), 400)
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/xml",
        "",
        "application/jsonx",
        "image/png",
    ],
)
def test_other_content_types_are_a_415(post, content_type):
    headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
    assert_openai_error(post(b'{"messages": []}', headers=headers), 415)


def test_json_with_a_charset_and_vendor_json_types_are_accepted(post):
    assert post(chat(), headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 200
    assert post(chat(), headers={"Content-Type": "application/vnd.api+json"}).status_code == 200


# ---- sizes --------------------------------------------------------------------------------------------


def limited_post(server, token, content, headers=None):
    return httpx.post(
        f"{server.url}/v1/chat/completions",
        content=content,
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})},
    )


def test_a_body_above_max_request_bytes_is_a_413(limited_gateway, token):
    body = b'{"messages": [{"role": "user", "content": "' + b"x" * 5000 + b'"}]}'
    error = assert_openai_error(limited_post(limited_gateway, token, body), 413)
    assert "4096" in error["message"]


def test_a_body_just_under_the_limit_is_served(limited_gateway, token):
    head, tail = b'{"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "', b'"}]}'
    body = head + b"x" * (4096 - len(head) - len(tail)) + tail
    assert len(body) == 4096
    assert limited_post(limited_gateway, token, body).status_code == 200


def test_a_chunked_body_without_content_length_obeys_the_same_limit(limited_gateway, token):
    def chunks(total: int):
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(total // 1000):
            yield b"x" * 1000
        yield b'"}]}'

    response = limited_post(limited_gateway, token, chunks(50_000))
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_openai_error(response, 413)


def test_a_small_chunked_body_is_read(limited_gateway, token):
    def chunks():
        yield b'{"model": "claude-4-sonnet", '
        yield b'"messages": [{"role": "user", "content": "Hello"}]}'

    assert limited_post(limited_gateway, token, chunks()).status_code == 200


def test_a_lying_content_length_above_the_limit_is_refused_before_the_body_is_read(limited_gateway, token):
    """A client that announces 10 MB and sends nothing gets its 413 at once, not after a read timeout."""
    host, port = urlsplit(limited_gateway.url).hostname, urlsplit(limited_gateway.url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\n".encode()
            + b"Content-Length: 10000000\r\n\r\n{"
        )
        sock.settimeout(5)
        answer = b""
        while b"request_too_large" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        answer = answer.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:300]
    assert '"request_too_large"' in answer


def test_more_messages_than_max_messages_is_a_400(limited_gateway, token):
    many = [{"role": "user" if i % 2 == 0 else "assistant", "content": "hi"} for i in range(21)]
    import orjson

    error = assert_openai_error(limited_post(limited_gateway, token, orjson.dumps({"messages": many})), 400)
    assert error["param"] == "messages" and "20" in error["message"]


def test_thousands_of_messages_on_the_default_limit_are_a_400(post):
    many = [{"role": "user" if i % 2 == 0 else "assistant", "content": "hi"} for i in range(5001)]
    error = assert_openai_error(post({"messages": many}), 400)
    assert error["param"] == "messages"


# ---- fields -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, 0, 10**12, "10", 1.5, True, [], {}, 2**63, -(2**63)])
@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_absurd_max_tokens_are_a_400(post, name, value):
    error = assert_openai_error(post(chat(**{name: value})), 400)
    assert error["param"] == name


def test_a_max_tokens_beyond_64_bits_is_a_400(post):
    raw = b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1' + b"0" * 30 + b"}"
    assert_openai_error(post(raw), 400)


WRONG_VALUES = {
    "model": [1, [], {}, True, ""],
    "messages": [
        "hi",
        [],
        {},
        1,
        [1],
        [None],
        [{"role": 1, "content": "x"}],
        [{"role": "wizard", "content": "x"}],
        [{"role": "user"}],
        [{"role": "user", "content": 5}],
        [{"role": "user", "content": [{"type": "x"}]}],
        [{"role": "user", "content": [{"type": "text"}]}],
        [{"role": "user", "content": [5]}],
        [{"role": "tool", "content": "x"}],
        [{"role": "assistant", "tool_calls": "x"}],
        [{"role": "assistant", "tool_calls": [{"id": 1}]}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": 5}}]}],
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,!!"}}]}],
    ],
    "stream": ["true", 1, [], {}],
    "stream_options": ["x", 1, [], {"include_usage": "yes"}, {"unknown": True}],
    "temperature": ["1", -1, 3, [], {}, True],
    "top_p": ["1", -0.1, 1.1, [], True],
    "stop": [1, [1], ["a", "b", "c", "d", "e"], [""], {}, True],
    "n": [0, 2, "1", 1.5, [], True],
    "tools": [
        "x",
        1,
        {},
        [1],
        [{"type": "retrieval"}],
        [{"type": "function"}],
        [{"type": "function", "function": {"name": ""}}],
        [{"type": "function", "function": {"name": "a", "parameters": "x"}}],
        [{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"name": "a"}}],
    ],
    "tool_choice": ["maybe", 1, [], {"type": "function"}, {"type": "function", "function": {"name": 1}}],
    "parallel_tool_calls": ["no", 0, []],
    "user": [1, [], {}],
    "metadata": ["x", [], {"k": 1}, {str(i): "v" for i in range(17)}, {"k" * 65: "v"}],
    "response_format": ["json", {"type": "yaml"}, {}, 1, {"type": "json_schema"}],
    "logprobs": [True, "x"],
    "top_logprobs": [1],
    "modalities": [["audio"], "text"],
    "functions": [[]],
    "function_call": ["auto"],
    "audio": [{}],
    "prediction": [{}],
    "reasoning_effort": ["extreme", 1, []],
}


@pytest.mark.parametrize("name, value", [(n, v) for n, values in WRONG_VALUES.items() for v in values])
def test_a_wrong_value_in_any_field_is_a_400_naming_it(post, name, value):
    body = chat(**{name: value})
    if name == "stream_options":
        body["stream"] = True
    error = assert_openai_error(post(body), 400, 404)
    assert error["param"] is None or error["param"].startswith(name), error


@pytest.mark.parametrize("name", ["foo", "api_key", "extra_body", "Model", "messages ", "__proto__"])
def test_unknown_fields_are_dropped_named_and_never_forwarded(post, name, emulator_log):
    response = post(chat(**{name: "sbc-unknown-value"}))
    assert response.status_code == 200, response.text
    assert response.headers["x-sbc-adapted"] == f"unknown:{name.replace(' ', '_')}"
    assert "sbc-unknown-value" not in str(emulator_log()[-1]["body"])


def test_unknown_keys_inside_messages_never_reach_bedrock(post, emulator_log):
    """Clients add their own keys to messages (names, cache hints); the Converse request is built from an
    allow-list, so none of them is forwarded, however it is named."""
    steer = {
        "endpoint_url": "http://169.254.169.254/",
        "region": "eu-west-1",
        "aws_access_key_id": "AKIAEXAMPLE",
        "modelId": "arn:aws:bedrock:us-east-1:999999999999:foundation-model/x",
    }
    message = {"role": "user", "content": [{"type": "text", "text": "x", **steer}], "name": "me", **steer}
    assert post({"model": "claude-4-sonnet", "messages": [message]}).status_code == 200
    [sent] = emulator_log()
    assert sent["body"]["messages"] == [{"role": "user", "content": [{"text": "x"}]}]
    assert sent["model_id"] == "us.anthropic.claude-sonnet-4-20250514-v1:0" and sent["region"] == "us-east-1"


# ---- strings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, statuses",
    [
        ("model", "claude-4-sonnet\u0000", (404,)),
        ("model", "\u0000", (400, 404)),
        ("model", "a" * 100_000, (404,)),
        ("model", "claude-4-sonnet\r\nX-Injected: 1", (404,)),
        ("user", "a\u0000b", (200,)),
        ("user", "u" * 100_000, (200,)),
        ("metadata", {"k": "v\u0000"}, (200,)),
        ("stop", ["\u0000"], (200,)),
    ],
)
def test_nul_bytes_and_long_strings_in_fields_are_harmless(post, field, value, statuses):
    response = post(chat(**{field: value}))
    if statuses == (200,):
        assert response.status_code == 200, response.text[:300]
    else:
        assert_openai_error(response, *statuses)


def test_nul_bytes_and_long_message_text_reach_bedrock_verbatim(post, emulator_log):
    text = "before\u0000after " + "y" * 300_000
    assert post(chat(messages=[{"role": "user", "content": text}])).status_code == 200
    [sent] = emulator_log()
    assert sent["body"]["messages"][0]["content"][0]["text"] == text


@pytest.mark.parametrize(
    "text",
    [
        "{{ settings.SECRET_KEY }}",
        "{% debug %}",
        "${jndi:ldap://127.0.0.1/a}",
        "<script>alert(1)</script>",
        "'; DROP TABLE tokens_apitoken; --",
    ],
)
def test_template_and_markup_in_prompts_are_forwarded_verbatim(post, emulator_log, text):
    assert post(chat(messages=[{"role": "user", "content": text}])).status_code == 200
    assert emulator_log()[-1]["body"]["messages"][0]["content"][0]["text"] == text


# ---- methods and paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_chat_completions_are_a_405(gateway, token, method):
    response = httpx.request(method, f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {token}"})
    assert_openai_error(response, 405)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/nope",
        "/v1/",
        "/v1",
        "/v1/chat/completions/",
        "/v1/%00",
        "/v1/chat/completions%00",
        "/v1/models/..%2F..%2Fadmin",
    ],
)
def test_unknown_api_paths_are_json_404s(gateway, token, path):
    response = httpx.get(gateway.url + path, headers={"Authorization": f"Bearer {token}"})
    assert_openai_error(response, 401, 404, 405)


# A model named by an ARN of another account: tests/security/test_attack_model_passthrough.py
