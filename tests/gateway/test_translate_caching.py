"""Prompt-cache points: where they go automatically, the client's own markers, and the per-alias switch;
and the context-window guard."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.errors import ContextLengthExceeded
from gateway.translate.caching import CACHE_POINT, MAX_CACHE_POINTS
from gateway.translate.chat_request import to_converse_request, validate_chat_request
from tests.gateway.chat_features import (
    PERSON_FORMAT,
    SIGNED,
    SONNET_4,
    WEATHER,
    cache_points,
    call_for,
    converse,
    tool_loop,
)
from tests.gateway.chat_requests import body, user

# ---- prompt caching --------------------------------------------------------------------------------

LONG = [
    {"role": "system", "content": "You are a coding agent."},
    user("one"),
    {"role": "assistant", "content": "two"},
    user("three"),
    {"role": "assistant", "content": "four"},
    user("five"),
]


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
        "reasoningContent",
        "toolUse",
        "cachePoint",
    ]
    assert kwargs["messages"][4]["content"][0]["toolResult"]["toolUseId"] == "call_1"


def test_the_json_tool_is_inside_the_cached_tool_prefix():
    tools = converse(body(*LONG, response_format=PERSON_FORMAT), SONNET_4)["toolConfig"]["tools"]
    assert [next(iter(tool)) for tool in tools] == ["toolSpec", "cachePoint"]


def test_an_alias_without_prompt_caching_gets_no_cache_points_not_even_the_clients():
    marked = [
        {"role": "system", "content": [{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]},
        *LONG[1:],
    ]
    for messages in (LONG, marked):
        kwargs = converse(body(*messages, tools=[WEATHER]), replace(SONNET_4, prompt_caching=False))
        assert cache_points(kwargs) == []
        assert kwargs["system"] == [
            {"text": messages[0]["content"] if isinstance(messages[0]["content"], str) else "rules"}
        ]


def test_the_clients_own_cache_markers_replace_the_automatic_ones():
    marked = user(
        [
            {"type": "text", "text": "big file", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "question"},
        ]
    )
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


def test_a_marked_blank_text_leaves_no_cache_point_behind():
    """Bedrock refuses a cache point with no content before it, and a message holding nothing else."""
    blank = {"type": "text", "text": "  ", "cache_control": {"type": "ephemeral"}}
    kwargs = converse(
        body(
            {"role": "system", "content": [blank]},
            user([blank, {"type": "text", "text": "hi"}]),
            {"role": "assistant", "content": [blank]},
            user("again"),
        ),
        SONNET_4,
    )
    assert "system" not in kwargs or kwargs["system"] == []
    assert [message["content"] for message in kwargs["messages"]] == [[{"text": "hi"}, {"text": "again"}]]


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
        call_for(body(user([{"type": "image_url", "image_url": {"url": png}}])), replace(SONNET_4, context_window=1000))
    with pytest.raises(ContextLengthExceeded):
        call_for(body({"role": "system", "content": "s" * 800}, user("hi")), replace(SONNET_4, context_window=150))
    big_tool = {"type": "function", "function": {"name": "t", "description": "d" * 800}}
    with pytest.raises(ContextLengthExceeded):
        call_for(body(tools=[big_tool]), replace(SONNET_4, context_window=150))


def test_a_model_without_a_known_window_is_not_guarded():
    assert call_for(body(user("x" * 10_000)), replace(SONNET_4, context_window=0)).message_count == 1
