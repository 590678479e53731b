"""However a stream ends, the client gets a proper ending in its protocol and the meter is settled exactly once."""

from __future__ import annotations

import orjson
import pytest

from core.errors import RateLimited
from gateway.bedrock import BedrockResult
from gateway.responses_streaming import responses_events
from gateway.streaming import chat_events, messages_events
from gateway.translate.anthropic_usage import MessagesStreamReader
from gateway.translate.chat_stream import ChatStreamTranslator
from gateway.translate.responses_stream import ResponsesStreamTranslator
from tests.gateway.test_translate_responses import shape


class Upstream:
    """A Bedrock event stream that yields `events`, then raises `failure` if given."""

    def __init__(self, events: list[dict], failure: Exception | None = None) -> None:
        self.events, self.failure, self.closed = events, failure, False

    def __iter__(self):
        yield from self.events
        if self.failure is not None:
            raise self.failure

    def close(self) -> None:
        self.closed = True


class Meter:
    request_id = "req_test"
    prompt_estimate = 10

    def __init__(self) -> None:
        self.settlements: list[dict] = []

    def settle(self, **outcome) -> None:
        self.settlements.append(outcome)


TEXT = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hello there"}}},
]
CLAUDE_TEXT = [
    {
        "chunk": {
            "bytes": orjson.dumps(
                {
                    "type": "message_start",
                    "message": {
                        "id": "msg_1",
                        "type": "message",
                        "role": "assistant",
                        "model": "x",
                        "content": [],
                        "usage": {"input_tokens": 3, "output_tokens": 1},
                    },
                }
            )
        }
    }
]


def broken(translator, broken: bool):
    """The translator, made to fail on Bedrock's first event, as a bug in it would."""
    if broken:

        def feed(event):
            raise KeyError("a translation bug")

        translator.feed = feed
    return translator


def chat(upstream: Upstream, meter: Meter, *, bug: bool = False):
    translator = ChatStreamTranslator(
        completion_id="chatcmpl-1", created=1, model="m", include_usage=False, tool_names={}
    )
    return chat_events(BedrockResult("us-east-1", "m", {"stream": upstream}), broken(translator, bug), meter)


def responses(upstream: Upstream, meter: Meter, *, bug: bool = False):
    translator = ResponsesStreamTranslator(shape())
    return responses_events(BedrockResult("us-east-1", "m", {"stream": upstream}), broken(translator, bug), meter)


def messages(upstream: Upstream, meter: Meter, *, bug: bool = False):
    return messages_events(
        BedrockResult("us-east-1", "m", {"stream": upstream}), broken(MessagesStreamReader(model="m"), bug), meter
    )


STREAMS = {
    "chat": (chat, TEXT, b'"error"'),
    "responses": (responses, TEXT, b"response.failed"),
    "messages": (messages, CLAUDE_TEXT, b"event: error"),
}


@pytest.mark.parametrize("name", STREAMS)
def test_a_bug_mid_stream_ends_it_with_an_error_event_and_a_500_record(name):
    start, events, error_marker = STREAMS[name]
    upstream, meter = Upstream(events), Meter()
    body = b"".join(start(upstream, meter, bug=True))
    assert error_marker in body and b"Traceback" not in body and b"translation bug" not in body
    assert [(s["status"], s["error_code"], s["disconnected"]) for s in meter.settlements] == [
        (500, "stream_failed", False)
    ]
    assert upstream.closed


@pytest.mark.parametrize("name", STREAMS)
def test_bedrock_failing_mid_stream_is_recorded_with_its_error(name):
    start, events, error_marker = STREAMS[name]
    upstream, meter = Upstream(events, RateLimited("Bedrock is throttling")), Meter()
    body = b"".join(start(upstream, meter))
    assert error_marker in body
    assert [(s["status"], s["disconnected"]) for s in meter.settlements] == [(429, False)]


@pytest.mark.parametrize("name", STREAMS)
def test_a_client_going_away_closes_bedrock_and_records_one_disconnect(name):
    start, events, _ = STREAMS[name]
    upstream, meter = Upstream(events * 3), Meter()
    stream = start(upstream, meter)
    next(stream)
    stream.close()
    assert upstream.closed
    assert [(s["status"], s["disconnected"]) for s in meter.settlements] == [(499, True)]


CLOSING = {"chat": b"data: [DONE]", "responses": b"event: response.completed", "messages": b"event: message_stop"}


@pytest.mark.parametrize("name", STREAMS)
def test_the_usage_record_is_written_before_the_stream_says_it_is_done(name):
    """A client (or a test) that has read the end of its stream finds the request in its usage."""
    start, events, _ = STREAMS[name]
    if name == "messages":
        events = [*events, {"chunk": {"bytes": orjson.dumps({"type": "message_stop"})}}]
    meter = Meter()
    seen_closing = False
    for frame in start(Upstream(events), meter):
        if frame.startswith(CLOSING[name]):
            seen_closing = True
            assert len(meter.settlements) == 1, "the record comes first"
    assert seen_closing and len(meter.settlements) == 1
