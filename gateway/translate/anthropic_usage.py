"""Anthropic Messages answers from Bedrock, read for metering: usage in the gateway's (OpenAI-shaped) terms.

Bedrock returns Claude's own JSON and, when streaming, Claude's own events inside `chunk.bytes`; the
gateway passes both through unchanged and only reads the usage and stop reason they carry.
"""

from __future__ import annotations

from typing import Any

import orjson

# Bedrock appends its own metrics to the last event; Anthropic's clients do not know the field.
BEDROCK_METRICS_FIELD = "amazon-bedrock-invocationMetrics"


def usage_from_anthropic(usage: dict[str, Any] | None) -> dict[str, Any] | None:
    """OpenAI-style usage (prompt tokens include cache reads and writes) from Anthropic's usage object."""
    if not usage:
        return None
    fresh = int(usage.get("input_tokens") or 0)
    read = int(usage.get("cache_read_input_tokens") or 0)
    written = int(usage.get("cache_creation_input_tokens") or 0)
    output = int(usage.get("output_tokens") or 0)
    prompt = fresh + read + written
    return {
        "prompt_tokens": prompt,
        "completion_tokens": output,
        "total_tokens": prompt + output,
        "prompt_tokens_details": {"cached_tokens": read, "cache_write_tokens": written},
    }


def message_answer(answer: dict[str, Any], *, model: str) -> dict[str, Any]:
    """A non-streamed Messages answer as the client should see it: named by the model it asked for."""
    answer.pop(BEDROCK_METRICS_FIELD, None)
    return {**answer, "model": model}


class MessagesStreamReader:
    """Follows a streamed answer's events: usage from `message_start` and `message_delta`, text size, stop.

    `message_start` names the model the client asked for, as non-streamed answers do: Claude Code treats an
    answer from a differently named model as a model switch and drops its thinking blocks from the next
    turn, which Claude then refuses during tool use.
    """

    def __init__(self, *, model: str, collect: bool = False) -> None:
        self.model = model
        self.anthropic_usage: dict[str, Any] = {}
        self.stop_reason: str | None = None
        self.output_chars = 0
        self.finished = False
        self.reply = ReplyCollector() if collect else None  # the whole message, for a thread to keep

    def feed(self, raw: bytes) -> tuple[str, bytes]:
        """(event type, the event's JSON for the client) for one `chunk.bytes` payload."""
        event = orjson.loads(raw)
        kind = event.get("type", "")
        if kind == "message_start":
            message = event.get("message") or {}
            self.anthropic_usage.update(message.get("usage") or {})
            if isinstance(event.get("message"), dict) and message.get("model") != self.model:
                message["model"] = self.model
                raw = orjson.dumps(event)
        elif kind == "message_delta":
            self.anthropic_usage.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
            self.stop_reason = (event.get("delta") or {}).get("stop_reason") or self.stop_reason
        elif kind == "content_block_delta":
            delta = event.get("delta") or {}
            self.output_chars += len(delta.get("text") or delta.get("thinking") or delta.get("partial_json") or "")
        elif kind == "message_stop":
            self.finished = True
            if BEDROCK_METRICS_FIELD in event:
                event.pop(BEDROCK_METRICS_FIELD)
                raw = orjson.dumps(event)
        if self.reply is not None:
            self.reply.feed(kind, event)
        return kind, raw

    @property
    def usage(self) -> dict[str, Any] | None:
        return usage_from_anthropic(self.anthropic_usage)


def error_event(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


class ReplyCollector:
    """Puts a streamed message back together as the non-streamed answer would have it: its id and its content
    blocks, thinking with its signature and tool calls with their parsed input."""

    def __init__(self) -> None:
        self.message: dict[str, Any] = {}
        self.content: list[dict[str, Any]] = []
        self._json: dict[int, str] = {}

    def feed(self, kind: str, event: dict[str, Any]) -> None:
        if kind == "message_start":
            self.message = dict(event.get("message") or {})
        elif kind == "content_block_start":
            self.content.append(orjson.loads(orjson.dumps(event.get("content_block") or {})))
        elif kind == "content_block_delta" and self.content:
            self._delta(event.get("index", len(self.content) - 1), event.get("delta") or {})
        elif kind == "content_block_stop":
            index = event.get("index", len(self.content) - 1)
            if index in self._json and 0 <= index < len(self.content):
                try:
                    self.content[index]["input"] = orjson.loads(self._json.pop(index) or "{}")
                except orjson.JSONDecodeError:
                    self.content[index]["input"] = {}

    def _delta(self, index: int, delta: dict[str, Any]) -> None:
        if not 0 <= index < len(self.content):
            return
        block, kind = self.content[index], delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + (delta.get("text") or "")
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + (delta.get("thinking") or "")
        elif kind == "signature_delta":
            block["signature"] = block.get("signature", "") + (delta.get("signature") or "")
        elif kind == "input_json_delta":
            self._json[index] = self._json.get(index, "") + (delta.get("partial_json") or "")
        elif kind == "citations_delta" and delta.get("citation") is not None:
            block.setdefault("citations", []).append(delta["citation"])

    def message_whole(self) -> dict[str, Any]:
        return {**self.message, "content": self.content}
