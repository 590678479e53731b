"""Turns a synthetic answer into the ConverseStream event sequence, as steps the server plays back.

A step is an encoded frame, a pause, a gate to wait at, or the closing metadata event (whose usage and
latency are only known at the end). Frames the answer always repeats are encoded once and cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from bedrock_emulator.errors import STREAM_ERRORS
from bedrock_emulator.eventstream import event, stream_exception
from bedrock_emulator.scenarios import Answer, words

FRAME, PAUSE, GATE, METADATA = "frame", "pause", "gate", "metadata"
Step = tuple[str, Any]
MAX_WORD_DELTAS = 256  # past this, several words share a delta so huge answers stay cheap

MESSAGE_START = event("messageStart", {"role": "assistant"})


@lru_cache(maxsize=8192)
def _text_delta(index: int, text: str) -> bytes:
    return event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": text}})


@lru_cache(maxsize=64)
def _block_stop(index: int) -> bytes:
    return event("contentBlockStop", {"contentBlockIndex": index})


@lru_cache(maxsize=16)
def _message_stop(stop_reason: str) -> bytes:
    return event("messageStop", {"stopReason": stop_reason})


def chunks(text: str, count: int = 0) -> list[str]:
    """`text` cut at word boundaries into `count` deltas (0 = one per word, up to MAX_WORD_DELTAS)."""
    pieces = words(text)
    count = count or min(len(pieces), MAX_WORD_DELTAS)
    if count >= len(pieces):
        return pieces or [text]
    size, extra = divmod(len(pieces), count)
    result, start = [], 0
    for position in range(count):
        end = start + size + (position < extra)
        result.append("".join(pieces[start:end]))
        start = end
    return result


def _split_json(raw: str) -> list[str]:
    # Real tool input arrives as several partial-JSON fragments; always send at least two.
    parts = max(2, min(8, len(raw) // 16))
    step = -(-len(raw) // parts)
    return [raw[start : start + step] for start in range(0, len(raw), step)]


def _block_frames(index: int, block: dict[str, Any], deltas: int) -> list[tuple[bool, bytes]]:
    """(is a delta, frame) for one content block, ending with its contentBlockStop."""
    if "text" in block:
        frames = [(True, _text_delta(index, piece)) for piece in chunks(block["text"], deltas)]
    elif "reasoningContent" in block:
        reasoning = block["reasoningContent"]["reasoningText"]
        frames = [
            (
                True,
                event(
                    "contentBlockDelta", {"contentBlockIndex": index, "delta": {"reasoningContent": {"text": piece}}}
                ),
            )
            for piece in chunks(reasoning["text"])
        ]
        frames.append(
            (
                True,
                event(
                    "contentBlockDelta",
                    {"contentBlockIndex": index, "delta": {"reasoningContent": {"signature": reasoning["signature"]}}},
                ),
            )
        )
    else:
        tool = block["toolUse"]
        frames = [
            (
                False,
                event(
                    "contentBlockStart",
                    {
                        "contentBlockIndex": index,
                        "start": {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}},
                    },
                ),
            )
        ]
        frames += [
            (True, event("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}))
            for piece in _split_json(orjson.dumps(tool["input"]).decode())
        ]
    frames.append((False, _block_stop(index)))
    return frames


def exception_frame(member: str) -> bytes:
    payload: dict[str, Any] = {"message": STREAM_ERRORS[member]}
    if member == "modelStreamErrorException":
        payload.update(originalStatusCode=500, originalMessage="The model stopped unexpectedly.")
    return stream_exception(member, payload)


def plan(
    answer: Answer, *, deltas: int = 0, interval_ms: int = 0, gate: str | None = None, stream_error: str | None = None
) -> list[Step]:
    """The steps of one streamed answer. A gate waits after the first delta; a stream error follows the second."""
    steps: list[Step] = [(FRAME, MESSAGE_START)]
    sent = 0
    for index, block in enumerate(answer.blocks):
        for is_delta, frame in _block_frames(index, block, deltas):
            if is_delta and sent and interval_ms:
                steps.append((PAUSE, interval_ms / 1000))
            steps.append((FRAME, frame))
            sent += is_delta
            if is_delta and sent == 1 and gate is not None:
                steps.append((GATE, gate))
            if is_delta and sent == 2 and stream_error:
                return steps + [(FRAME, exception_frame(stream_error))]
    if stream_error:
        return steps + [(FRAME, exception_frame(stream_error))]
    return steps + [(FRAME, _message_stop(answer.stop_reason)), (METADATA, None)]


def metadata_frame(usage: dict[str, int], latency_ms: int) -> bytes:
    return event("metadata", {"usage": usage, "metrics": {"latencyMs": latency_ms}})
