"""Hosted tools and their call items in Responses requests: dropped and named, or refused where relied on."""

from __future__ import annotations

import pytest

from core.errors import InvalidRequest
from gateway.translate.responses_request import validate_responses_request

WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}


def validated(**body):
    return validate_responses_request({"model": "claude", "input": "hi", **body})


@pytest.mark.parametrize(
    "tool",
    [
        {"type": "web_search", "external_web_access": False},
        {"type": "web_search_preview_2025_03_11"},
        {"type": "file_search"},
        {"type": "code_interpreter", "container": {"type": "auto"}},
        {"type": "image_generation"},
        {"type": "mcp", "server_label": "x"},
    ],
)
def test_a_hosted_tool_is_left_out_and_named(tool):
    chat = validated(tools=[WEATHER, tool]).chat
    assert [t["function"]["name"] for t in chat.tools] == ["get_weather"]
    assert list(chat.adaptations) == [f"tool:{tool['type']}"]


def test_a_request_with_only_hosted_tools_has_no_tools():
    assert not validated(tools=[{"type": "web_search"}], tool_choice="auto").chat.tools


@pytest.mark.parametrize("tool", ["local_shell", "computer_use_preview", "custom", "shell", "apply_patch", "frob"])
def test_a_tool_the_client_runs_but_is_no_function_is_refused(tool):
    with pytest.raises(InvalidRequest) as caught:
        validated(tools=[{"type": tool, "name": "x"}])
    assert caught.value.param == "tools[0].type" and f"`{tool}`" in caught.value.message


@pytest.mark.parametrize("choice", [{"type": "web_search"}, {"type": "file_search"}, {"type": "mcp"}])
def test_forcing_a_hosted_tool_is_refused(choice):
    with pytest.raises(InvalidRequest) as caught:
        validated(tools=[WEATHER, {"type": choice["type"]}], tool_choice=choice)
    assert caught.value.param == "tool_choice.type" and "hosted tool" in caught.value.message


def test_hosted_tool_calls_sent_back_are_dropped_and_named():
    ask = validated(
        input=[
            {"role": "user", "content": "news?"},
            {
                "type": "web_search_call",
                "id": "ws_1",
                "status": "completed",
                "action": {"type": "search", "query": "q"},
            },
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Found it."}]},
            {"role": "user", "content": "thanks"},
        ]
    )
    assert [m["role"] for m in ask.chat.messages] == ["user", "assistant", "user"]
    assert list(ask.chat.adaptations) == ["item:web_search_call"]
