"""Server-Sent Events for `POST /v1/responses`: each Bedrock event is translated and written at once.

Like `streaming.chat_events`, the generator owns the request's ending and settles the meter exactly once:
when the response completes, when Bedrock fails mid-stream (`error` and `response.failed` events), or when
the client goes away (the Bedrock stream is closed and what was generated so far is charged). Frames carry
both `event: <type>` and `data: <json>`, as OpenAI sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import orjson

from core.errors import ApiError
from gateway import bedrock
from gateway.streaming import estimated_usage, named_sse, settled
from gateway.translate.responses_stream import ResponsesStreamTranslator
from usage.metering import Meter


def frame(event: dict) -> bytes:
    return named_sse(event["type"], orjson.dumps(event))


def _same(value):
    return value


def responses_events(
    result: bedrock.BedrockResult,
    translator: ResponsesStreamTranslator,
    meter: Meter,
    *,
    shown: Callable[[dict], dict] = _same,
    finishing: Callable[[list[dict]], list[dict]] = _same,
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """`shown` is each event as the client sees it; `finishing` gets the final events before they are written
    and before the meter settles (the stored response is kept there, see gateway.responses_store)."""

    def error_frames(error: ApiError) -> list[bytes]:
        return [frame(shown(event)) for event in translator.failure_events(error.message, error.type, error.code)]

    return settled(
        result,
        opening=lambda: [frame(shown(event)) for event in translator.start_events()],
        each=lambda bedrock_event: [frame(shown(event)) for event in translator.feed(bedrock_event)],
        meter=meter,
        error_frames=error_frames,
        usage=lambda: translator.usage or estimated_usage(meter.prompt_estimate, translator.completion_text_chars),
        finish_reason=lambda: translator.finish_reason,
        closing=lambda: [frame(shown(event)) for event in finishing(translator.final_events())],
    )
