"""OpenAI chat requests, model specs and helpers shared by the chat translation tests."""

from __future__ import annotations

import base64

import pytest

from core.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.chat_request import to_converse_request, validate_chat_request

CLAUDE = ModelSpec(
    name="claude", base_model_id="anthropic.claude-sonnet-4-5-20250929-v1:0", sampling="one", max_output_tokens=64000
)
CLAUDE_OLD = ModelSpec(
    name="claude-old", base_model_id="anthropic.claude-3-haiku-20240307-v1:0", sampling="both", max_output_tokens=4096
)
LLAMA = ModelSpec(
    name="llama",
    base_model_id="meta.llama3-3-70b-instruct-v1:0",
    supports_images=False,
    supports_tools=False,
    max_output_tokens=0,
)
PNG = b"\x89PNG\r\n\x1a\nfake"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


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
