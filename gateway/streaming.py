"""Server-Sent Events for chat completions and Anthropic messages: each Bedrock event is written at once.

`settled` owns every stream's ending (here and in `responses_streaming`): it settles the meter exactly
once whether the stream completes, fails (one final error event in the endpoint's protocol), or the
client goes away (the Bedrock stream is closed and what was generated so far is charged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

import orjson
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


def settled(
    frames: Iterator[bytes],
    *,
    result: bedrock.BedrockResult,
    meter: Meter,
    error_frames: Callable[[ApiError], Iterable[bytes]],
    usage: Callable[[], dict],
    finish_reason: Callable[[], str | None],
    closing: Callable[[], Iterable[bytes]] = tuple,
) -> Iterator[bytes]:
    """`frames`, then exactly one settlement of the meter, then the `closing` frames, however the stream ends.

    The closing frames (`[DONE]`, `response.completed`, `message_stop`) leave after the usage record is
    written, so a client that has seen the end of its stream finds the request in its usage. Bedrock failing
    mid-stream ends it with the endpoint's error frames; any other exception (a bug) does too, as a 500, so
    the client is not left waiting and the record does not pass for a disconnect. Only the client going away
    (GeneratorExit) closes the Bedrock stream and records a disconnect.
    """
    status, error_code, finished, tail = 200, None, False, []
    try:
        yield from frames
        tail = list(closing())
        finished = True
    except ApiError as error:
        status, error_code, finished = error.status, error.code, True
        yield from error_frames(error)
    except Exception:  # noqa: BLE001 - the stream must still end in the client's protocol
        log.exception("%s: stream failed", meter.request_id)
        error = ApiError("The gateway failed while streaming the answer.", code="stream_failed")
        status, error_code, finished = error.status, error.code, True
        bedrock.stream_close(result)
        yield from error_frames(error)
    finally:
        if not finished:
            status = CLIENT_CLOSED_REQUEST
            bedrock.stream_close(result)
        meter.settle(
            status=status,
            usage=usage(),
            finish_reason=finish_reason(),
            error_code=error_code,
            disconnected=not finished,
        )
    yield from tail


def chat_events(result: bedrock.BedrockResult, translator: ChatStreamTranslator, meter: Meter) -> Iterator[bytes]:
    def frames() -> Iterator[bytes]:
        yield sse(translator.first_chunk())
        for event in bedrock.stream_events(result):
            for chunk in translator.feed(event):
                yield sse(chunk)

    return settled(
        frames(),
        result=result,
        meter=meter,
        error_frames=lambda error: [sse(error_chunk(error.message, error.type, error.code))],
        usage=lambda: translator.usage or estimated_usage(meter.prompt_estimate, translator.completion_text_chars),
        finish_reason=lambda: translator.finish_reason,
        closing=lambda: [*map(sse, translator.final_chunks()), DONE],
    )


def named_sse(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def messages_events(result: bedrock.BedrockResult, reader: MessagesStreamReader, meter: Meter) -> Iterator[bytes]:
    """Claude's own events from Bedrock's `chunk.bytes`, passed through one by one as Anthropic SSE."""
    last: list[bytes] = []

    def frames() -> Iterator[bytes]:
        for event in bedrock.stream_events(result):
            payload = (event.get("chunk") or {}).get("bytes")
            if payload:
                kind, data = reader.feed(payload)
                if kind == "message_stop":
                    last.append(named_sse(kind, data))
                else:
                    yield named_sse(kind, data)

    def error_frames(error: ApiError) -> list[bytes]:
        return [named_sse("error", orjson.dumps(error_event(anthropic_error_type(error), error.message)))]

    return settled(
        frames(),
        result=result,
        meter=meter,
        error_frames=error_frames,
        usage=lambda: reader.usage or estimated_usage(meter.prompt_estimate, reader.output_chars),
        finish_reason=lambda: reader.stop_reason,
        closing=lambda: last,
    )


def sse_response(events: Iterator[bytes], headers: dict[str, str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    for name, value in headers.items():
        response[name] = value
    return response
