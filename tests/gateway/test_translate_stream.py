"""ConverseStream events -> OpenAI chat.completion.chunk objects."""

from __future__ import annotations

import pytest

from gateway.translate.chat_stream import ChatStreamTranslator, error_chunk

ID, CREATED, MODEL = "chatcmpl-abc", 1764000000, "claude"
USAGE_EVENT = {
    "metadata": {
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 50},
        "p": "abcdef",
    }
}
USAGE = {
    "prompt_tokens": 10,
    "completion_tokens": 5,
    "total_tokens": 15,
    "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


def translator(include_usage: bool = False, tool_names: dict[str, str] | None = None) -> ChatStreamTranslator:
    return ChatStreamTranslator(
        completion_id=ID, created=CREATED, model=MODEL, include_usage=include_usage, tool_names=tool_names or {}
    )


def chunk(delta: dict, finish_reason: str | None = None, *, include_usage: bool = False) -> dict:
    result = {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if include_usage:
        result["usage"] = None
    return result


def run(events: list[dict], stream: ChatStreamTranslator) -> list[dict]:
    chunks = [stream.first_chunk()]
    for event in events:
        chunks.extend(stream.feed(event))
    return chunks + stream.final_chunks()


def text(index: int, value: str) -> dict:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"text": value}, "p": "xyz"}}


def tool_start(index: int, tool_id: str, name: str) -> dict:
    return {
        "contentBlockStart": {"contentBlockIndex": index, "start": {"toolUse": {"toolUseId": tool_id, "name": name}}}
    }


def tool_input(index: int, value: str) -> dict:
    return {"contentBlockDelta": {"contentBlockIndex": index, "delta": {"toolUse": {"input": value}}}}


def stop(index: int) -> dict:
    return {"contentBlockStop": {"contentBlockIndex": index}}


def message_stop(reason: str) -> dict:
    return {"messageStop": {"stopReason": reason}}


ROLE = {"role": "assistant", "content": ""}

SEQUENCES = {
    "text": (
        [
            {"messageStart": {"role": "assistant"}},
            text(0, "Hel"),
            text(0, "lo"),
            text(0, "!"),
            stop(0),
            message_stop("end_turn"),
            USAGE_EVENT,
        ],
        [ROLE, {"content": "Hel"}, {"content": "lo"}, {"content": "!"}, ({}, "stop")],
    ),
    "thinking, text and a tool": (
        [
            {"messageStart": {"role": "assistant"}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "I should "}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "check."}}}},
            {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "EqQB"}}}},
            stop(0),
            text(1, "Let me "),
            text(1, "check."),
            stop(1),
            tool_start(2, "tooluse_x", "get_weather"),
            tool_input(2, '{"city": '),
            tool_input(2, '"Paris"}'),
            stop(2),
            message_stop("tool_use"),
            USAGE_EVENT,
        ],
        [
            ROLE,
            {"reasoning_content": "I should "},
            {"reasoning_content": "check."},
            {"thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "EqQB"}]},
            {"content": "Let me "},
            {"content": "check."},
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "tooluse_x",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            },
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
            ({}, "tool_calls"),
        ],
    ),
    "two tools": (
        [
            {"messageStart": {"role": "assistant"}},
            text(0, "Both."),
            stop(0),
            tool_start(1, "tooluse_a", "read_file"),
            tool_input(1, '{"path": "a"}'),
            stop(1),
            tool_start(2, "tooluse_b", "read_file"),
            tool_input(2, '{"path": "b"}'),
            stop(2),
            message_stop("tool_use"),
            USAGE_EVENT,
        ],
        [
            ROLE,
            {"content": "Both."},
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "tooluse_a",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": ""},
                    }
                ]
            },
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"path": "a"}'}}]},
            {
                "tool_calls": [
                    {
                        "index": 1,
                        "id": "tooluse_b",
                        "type": "function",
                        "function": {"name": "read_file", "arguments": ""},
                    }
                ]
            },
            {"tool_calls": [{"index": 1, "function": {"arguments": '{"path": "b"}'}}]},
            ({}, "tool_calls"),
        ],
    ),
    "a tool without arguments as the first block": (
        [
            {"messageStart": {"role": "assistant"}},
            tool_start(0, "tooluse_n", "list_files"),
            stop(0),
            message_stop("tool_use"),
            USAGE_EVENT,
        ],
        [
            ROLE,
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "tooluse_n",
                        "type": "function",
                        "function": {"name": "list_files", "arguments": ""},
                    }
                ]
            },
            ({}, "tool_calls"),
        ],
    ),
    "max tokens": (
        [{"messageStart": {"role": "assistant"}}, text(0, "cut"), message_stop("max_tokens")],
        [ROLE, {"content": "cut"}, ({}, "length")],
    ),
}


def expected_chunks(deltas: list, include_usage: bool) -> list[dict]:
    return [chunk(*(d if isinstance(d, tuple) else (d,)), include_usage=include_usage) for d in deltas]


@pytest.mark.parametrize("name", SEQUENCES)
def test_it_translates_event_sequences_into_exactly_the_expected_chunks(name):
    events, deltas = SEQUENCES[name]
    assert run(events, translator()) == expected_chunks(deltas, include_usage=False)


@pytest.mark.parametrize("name", [n for n in SEQUENCES if SEQUENCES[n][0][-1] is USAGE_EVENT])
def test_it_adds_null_usage_to_every_chunk_and_a_final_usage_chunk_when_asked(name):
    events, deltas = SEQUENCES[name]
    chunks = run(events, translator(include_usage=True))
    assert chunks[:-1] == expected_chunks(deltas, include_usage=True)
    # Reasoning tokens are estimated from the reasoning text ("I should check." is about 4 tokens).
    reasoning = {"reasoning_tokens": 4 if name.startswith("thinking") else 0}
    assert chunks[-1] == {
        "id": ID,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": None,
        "choices": [],
        "usage": {**USAGE, "completion_tokens_details": reasoning},
    }


def test_it_remembers_finish_reason_and_usage_for_metering():
    stream = translator()
    run(SEQUENCES["thinking, text and a tool"][0], stream)
    assert stream.finish_reason == "tool_calls"
    assert stream.usage == {**USAGE, "completion_tokens_details": {"reasoning_tokens": 4}}
    assert stream.completion_text_chars == len("I should check.Let me check.") + len('{"city": "Paris"}')


def test_it_knows_nothing_before_the_stream_ends():
    stream = translator()
    stream.feed(text(0, "partial"))
    assert (stream.finish_reason, stream.usage, stream.completion_text_chars) == (None, None, 7)


def test_it_sends_no_usage_chunk_without_bedrock_usage_or_without_the_option():
    missing_metadata = translator(include_usage=True)
    run([text(0, "x"), message_stop("end_turn")], missing_metadata)
    assert missing_metadata.final_chunks() == []
    not_asked = translator(include_usage=False)
    run(SEQUENCES["text"][0], not_asked)
    assert not_asked.final_chunks() == []


def test_it_emits_the_role_chunk_once_when_message_start_comes_late():
    stream = translator()
    assert stream.first_chunk() == chunk(ROLE)
    assert stream.feed({"messageStart": {"role": "assistant"}}) == []
    assert stream.feed(text(0, "hi")) == [chunk({"content": "hi"})]


def test_it_emits_the_role_chunk_before_content_when_first_chunk_was_not_taken():
    stream = translator()
    assert stream.feed(text(0, "hi")) == [chunk(ROLE), chunk({"content": "hi"})]
    assert stream.feed({"messageStart": {"role": "assistant"}}) == []


def test_it_emits_the_role_chunk_for_message_start_when_first_chunk_was_not_taken():
    stream = translator()
    assert stream.feed({"messageStart": {"role": "assistant"}}) == [chunk(ROLE)]
    assert stream.feed({"messageStart": {"role": "assistant"}}) == []


def test_it_restores_rewritten_tool_names():
    stream = translator(tool_names={"github_create_issue_0123456789": "github.create_issue"})
    stream.first_chunk()
    chunks = stream.feed(tool_start(0, "tooluse_1", "github_create_issue_0123456789"))
    assert chunks[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "github.create_issue"


@pytest.mark.parametrize(
    "event",
    [
        {"fooBar": {"x": 1}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockStart": {"contentBlockIndex": 0, "start": {"image": {"format": "png"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"citation": {"title": "x"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"redactedContent": b"\x01"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 7, "delta": {"toolUse": {"input": "{}"}}}},
        {"metadata": {"usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}}},
        {"p": "padding"},
    ],
)
def test_it_emits_nothing_for_events_without_client_content(event):
    stream = translator()
    stream.first_chunk()
    assert stream.feed(event) == []


def test_it_keeps_reasoning_signatures_and_redacted_reasoning():
    stream = translator()
    stream.first_chunk()
    stream.feed({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "Eq"}}}})
    stream.feed({"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "QB"}}}})
    stream.feed(
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"reasoningContent": {"redactedContent": b"\x02"}}}}
    )
    assert stream.reasoning_signatures == {0: "EqQB"}
    assert stream.feed({"contentBlockStop": {"contentBlockIndex": 0}})[0]["choices"][0]["delta"] == {
        "thinking_blocks": [{"type": "thinking", "thinking": "", "signature": "EqQB"}]
    }
    assert stream.feed({"contentBlockStop": {"contentBlockIndex": 1}})[0]["choices"][0]["delta"] == {
        "thinking_blocks": [{"type": "redacted_thinking", "data": "Ag=="}]
    }


def test_it_keeps_id_and_created_identical_on_every_chunk():
    chunks = run(SEQUENCES["two tools"][0], translator(include_usage=True))
    assert {(c["id"], c["created"], c["model"]) for c in chunks} == {(ID, CREATED, MODEL)}


def test_it_builds_error_chunks_openai_sdks_raise_on():
    assert error_chunk("Bedrock throttled the request", "rate_limit_error", "rate_limit_exceeded") == {
        "error": {
            "message": "Bedrock throttled the request",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
