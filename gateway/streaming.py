"""Server-Sent Events for chat completions and Anthropic messages: each Bedrock event is written at once.

The generator owns the request's ending: it settles the meter exactly once whether the stream
completes, Bedrock fails mid-stream (one final `data: {"error": ...}` event), or the client goes
away (the Bedrock stream is closed and what was generated so far is charged).
"""
from __future__ import annotations

from typing import Iterator

import orjson
from django.http import StreamingHttpResponse

from gateway import bedrock
from gateway.errors import ApiError
from gateway.http import anthropic_error_type
from gateway.translate.anthropic_usage import MessagesStreamReader, error_event
from gateway.translate.chat_stream import ChatStreamTranslator, error_chunk
from usage.metering import Meter

DONE = b"data: [DONE]\n\n"
CLIENT_CLOSED_REQUEST = 499


def sse(data: dict) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


def estimated_usage(prompt_tokens: int, completion_chars: int) -> dict:
    completion = (completion_chars + 3) // 4
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion, "estimated": True}


def chat_events(result: bedrock.BedrockResult, translator: ChatStreamTranslator, meter: Meter,
                prompt_estimate: int) -> Iterator[bytes]:
    status, error_code, finished = 200, None, False
    try:
        yield sse(translator.first_chunk())
        for event in bedrock.stream_events(result):
            for chunk in translator.feed(event):
                yield sse(chunk)
        for chunk in translator.final_chunks():
            yield sse(chunk)
        finished = True
        yield DONE
    except ApiError as error:
        status, error_code, finished = error.status, error.code, True
        yield sse(error_chunk(error.message, error.type, error.code))
    finally:
        if not finished:
            status = CLIENT_CLOSED_REQUEST
            bedrock.stream_close(result)
        usage = translator.usage or estimated_usage(prompt_estimate, translator.completion_text_chars)
        meter.settle(status=status, usage=usage, finish_reason=translator.finish_reason, error_code=error_code,
                     disconnected=not finished)


def named_sse(kind: str, data: bytes) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + data + b"\n\n"


def messages_events(result: bedrock.BedrockResult, reader: MessagesStreamReader, meter: Meter,
                    prompt_estimate: int) -> Iterator[bytes]:
    """Claude's own events from Bedrock's `chunk.bytes`, passed through one by one as Anthropic SSE."""
    status, error_code, finished = 200, None, False
    try:
        for event in bedrock.stream_events(result):
            payload = (event.get("chunk") or {}).get("bytes")
            if payload:
                kind, data = reader.feed(payload)
                yield named_sse(kind, data)
        finished = True
    except ApiError as error:
        status, error_code, finished = error.status, error.code, True
        yield named_sse("error", orjson.dumps(error_event(anthropic_error_type(error), error.message)))
    finally:
        if not finished:
            status = CLIENT_CLOSED_REQUEST
            bedrock.stream_close(result)
        usage = reader.usage or estimated_usage(prompt_estimate, reader.output_chars)
        meter.settle(status=status, usage=usage, finish_reason=reader.stop_reason, error_code=error_code,
                     disconnected=not finished)


def sse_response(events: Iterator[bytes], headers: dict[str, str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    for name, value in headers.items():
        response[name] = value
    return response
