"""Server-Sent Events for chat completions and Anthropic messages: each Bedrock event is written at once.

`settled` owns every stream's ending (here and in `responses_streaming`): it settles the meter exactly
once whether the stream completes, fails (one final error event in the endpoint's protocol), or the
client goes away (the Bedrock stream is closed and what was generated so far is charged).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

import orjson
from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse

from core.errors import ApiError
from gateway import bedrock
from gateway.http import anthropic_error_type
from gateway.translate.anthropic_usage import MessagesStreamReader, error_event
from gateway.translate.chat_stream import ChatStreamTranslator, error_chunk
from usage.metering import Meter

log = logging.getLogger("sbc.streaming")

DONE = b"data: [DONE]\n\n"
CLIENT_CLOSED_REQUEST = 499


def sse(data: dict) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


def estimated_usage(prompt_tokens: int, completion_chars: int) -> dict:
    completion = (completion_chars + 3) // 4
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
        "estimated": True,
    }


class Ending:
    """How a stream ended, and its one settlement of the meter."""

    def __init__(self, result: bedrock.BedrockResult, meter: Meter, usage: Callable[[], dict], finish_reason) -> None:
        self.result, self.meter, self.usage, self.finish_reason = result, meter, usage, finish_reason
        self.status, self.error_code, self.finished = 200, None, False

    def failed(self, exc: Exception) -> ApiError:
        """The error a failure mid-stream is reported as: Bedrock's, or (for a bug) a 500 with the stream closed."""
        if not isinstance(exc, ApiError):
            log.exception("%s: stream failed", self.meter.request_id, exc_info=exc)
            exc = ApiError("The gateway failed while streaming the answer.", code="stream_failed")
            bedrock.stream_close(self.result)
        self.status, self.error_code, self.finished = exc.status, exc.code, True
        return exc

    def settle(self) -> None:
        """Once, however the stream ended: a stream that neither finished nor failed lost its client."""
        if not self.finished:
            self.status = CLIENT_CLOSED_REQUEST
            bedrock.stream_close(self.result)
        self.meter.settle(
            status=self.status,
            usage=self.usage(),
            finish_reason=self.finish_reason(),
            error_code=self.error_code,
            disconnected=not self.finished,
        )


def settled(
    result: bedrock.BedrockResult,
    *,
    opening: Callable[[], Iterable[bytes]] = tuple,
    each: Callable[[dict], Iterable[bytes]],
    meter: Meter,
    error_frames: Callable[[ApiError], Iterable[bytes]],
    usage: Callable[[], dict],
    finish_reason: Callable[[], str | None],
    closing: Callable[[], Iterable[bytes]] = tuple,
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The `opening` frames, `each` Bedrock event's frames, then exactly one settlement of the meter, then the
    `closing` frames, however the stream ends.

    The closing frames (`[DONE]`, `response.completed`, `message_stop`) leave after the usage record is
    written, so a client that has seen the end of its stream finds the request in its usage. Bedrock failing
    mid-stream ends it with the endpoint's error frames; any other exception (a bug) does too, as a 500, so
    the client is not left waiting and the record does not pass for a disconnect. Only the client going away
    (GeneratorExit, or the task cancelled under ASGI) closes the Bedrock stream and records a disconnect.

    A stream read on the serving event loop gives an async iterator: the events are translated on the loop,
    and what touches the database (`closing`, the settlement) runs in the request's thread.
    """
    ending = Ending(result, meter, usage, finish_reason)
    if bedrock.streams_on_loop(result):
        return _settled_on_loop(result, opening, each, ending, error_frames, closing)
    return _settled_in_thread(result, opening, each, ending, error_frames, closing)


def _settled_in_thread(result, opening, each, ending: Ending, error_frames, closing) -> Iterator[bytes]:
    tail: list[bytes] = []
    try:
        yield from opening()
        for event in bedrock.stream_events(result):
            yield from each(event)
        tail = list(closing())
        ending.finished = True
    except Exception as exc:  # noqa: BLE001 - the stream must still end in the client's protocol
        yield from error_frames(ending.failed(exc))
    finally:
        ending.settle()
    yield from tail


async def _settled_on_loop(result, opening, each, ending: Ending, error_frames, closing) -> AsyncIterator[bytes]:
    tail: list[bytes] = []
    try:
        for frame in opening():
            yield frame
        async for event in bedrock.astream_events(result):
            for frame in each(event):
                yield frame
        tail = list(await sync_to_async(closing)())
        ending.finished = True
    except Exception as exc:  # noqa: BLE001 - the stream must still end in the client's protocol
        for frame in error_frames(ending.failed(exc)):
            yield frame
    finally:
        await sync_to_async(ending.settle)()
    for frame in tail:
        yield frame


def chat_events(result: bedrock.BedrockResult, translator: ChatStreamTranslator, meter: Meter):
    return settled(
        result,
        opening=lambda: [sse(translator.first_chunk())],
        each=lambda event: [sse(chunk) for chunk in translator.feed(event)],
        meter=meter,
        error_frames=lambda error: [sse(error_chunk(error.message, error.type, error.code))],
        usage=lambda: translator.usage or estimated_usage(meter.prompt_estimate, translator.completion_text_chars),
        finish_reason=lambda: translator.finish_reason,
        closing=lambda: [*map(sse, translator.final_chunks()), DONE],
    )


def named_sse(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def messages_events(
    result: bedrock.BedrockResult,
    reader: MessagesStreamReader,
    meter: Meter,
    keep: Callable[[dict], object] | None = None,
):
    """Claude's own events from Bedrock's `chunk.bytes`, passed through one by one as Anthropic SSE. `keep`
    (a message thread's) is handed the whole reply before `message_stop` leaves, so its id works at once."""
    last: list[bytes] = []

    def closing() -> list[bytes]:
        if keep is not None and reader.reply is not None and reader.finished:
            keep(reader.reply.message_whole())
        return last

    def each(event: dict) -> list[bytes]:
        payload = (event.get("chunk") or {}).get("bytes")
        if not payload:
            return []
        kind, data = reader.feed(payload)
        if kind == "message_stop":
            last.append(named_sse(kind, data))
            return []
        return [named_sse(kind, data)]

    def error_frames(error: ApiError) -> list[bytes]:
        return [named_sse("error", orjson.dumps(error_event(anthropic_error_type(error), error.message)))]

    return settled(
        result,
        each=each,
        meter=meter,
        error_frames=error_frames,
        usage=lambda: reader.usage or estimated_usage(meter.prompt_estimate, reader.output_chars),
        finish_reason=lambda: reader.stop_reason,
        closing=closing,
    )


def sse_response(events: Iterator[bytes] | AsyncIterator[bytes], headers: dict[str, str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    for name, value in headers.items():
        response[name] = value
    return response
