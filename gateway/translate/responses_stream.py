"""Turns ConverseStream events into the Responses API's streaming events, numbered by `sequence_number`.

The sequence is OpenAI's: `response.created` and `response.in_progress` first; then for each Bedrock
content block an output item (`response.output_item.added` ... `response.output_item.done`) with, inside,
`response.content_part.added` / `response.output_text.delta` / `.done` / `response.content_part.done` for
text, `response.reasoning_summary_part.added` / `response.reasoning_summary_text.delta` / `.done` /
`response.reasoning_summary_part.done` for reasoning, and `response.function_call_arguments.delta` / `.done`
for a tool call; finally `response.completed` (or `response.incomplete` when the model stopped early) with the
whole response and usage. A failure after the stream began ends it with `error` and `response.failed`.

Items open when their block's first content arrives (text blocks have no start event) and close at the block's
`contentBlockStop`; output indexes count items in the order they open, independent of Bedrock's block index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.translate.chat_response import finish_reason_for, thinking_block, usage_from_converse
from gateway.translate.responses_response import (
    ResponseShape,
    function_call_item,
    message_item,
    output_text_part,
    reasoning_item,
    response_object,
    status_of,
)


@dataclass
class _Item:
    kind: str  # "message", "reasoning" or "function_call"
    output_index: int
    item: dict  # as announced by output_item.added
    text: str = ""  # text, reasoning text or arguments so far
    signature: str = ""
    redacted: object = None
    extra: dict = field(default_factory=dict)


class ResponsesStreamTranslator:
    def __init__(self, shape: ResponseShape) -> None:
        self.shape = shape
        self.sequence = 0
        self.stop_reason: str | None = None
        self.usage: dict | None = None  # chat-shaped, for the meter
        self.completion_text_chars = 0
        self.reasoning_chars = 0
        self._open: dict[object, _Item] = {}  # Bedrock block index -> open item
        self._done: dict[int, dict] = {}  # output index -> finished item
        self._next_index = 0
        self._handlers: dict[str, Callable[[dict], list[dict]]] = {
            "contentBlockStart": self._block_start,
            "contentBlockDelta": self._block_delta,
            "contentBlockStop": self._block_stop,
            "messageStop": self._message_stop,
            "metadata": self._metadata,
        }

    # ---- events -------------------------------------------------------------------------------------

    def _event(self, kind: str, **fields) -> dict:
        event = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        return event

    def _response(self, status: str, **fields) -> dict:
        output = [self._done[index] for index in sorted(self._done)]
        return response_object(self.shape, status=status, output=output, usage=fields.pop("usage", None), **fields)

    def start_events(self) -> list[dict]:
        """`response.created` and `response.in_progress`, then the shape's lead items: sent before Bedrock answers."""
        events = [
            self._event("response.created", response=self._response("in_progress")),
            self._event("response.in_progress", response=self._response("in_progress")),
        ]
        for item in self.shape.lead_items:
            index, self._next_index = self._next_index, self._next_index + 1
            self._done[index] = item
            events += [
                self._event("response.output_item.added", output_index=index, item=item),
                self._event("response.output_item.done", output_index=index, item=item),
            ]
        return events

    def feed(self, event: dict) -> list[dict]:
        """The events for one ConverseStream event (`{"contentBlockDelta": {...}}`); unknown events give none."""
        events: list[dict] = []
        for name, payload in event.items():
            handler = self._handlers.get(name)
            if handler is not None and isinstance(payload, dict):
                events.extend(handler(payload))
        return events

    def final_events(self) -> list[dict]:
        """Items left open closed, then `response.completed` or `response.incomplete` with usage."""
        events = [event for block in list(self._open) for event in self._close(block)]
        status, incomplete = status_of(self.stop_reason)
        usage = self.usage or usage_from_converse({}, self.reasoning_chars)
        kind = "response.completed" if status == "completed" else "response.incomplete"
        events.append(self._event(kind, response=self._response(status, usage=usage, incomplete_details=incomplete)))
        return events

    def failure_events(self, message: str, type_: str, code: str | None) -> list[dict]:
        """`error` and `response.failed` for a failure after the stream began (Codex reads the latter)."""
        error = {"code": code or type_, "message": message}
        return [
            self._event("error", code=code, message=message, param=None),
            self._event("response.failed", response=self._response("failed", error=error)),
        ]

    @property
    def finish_reason(self) -> str | None:
        """Chat's finish reason, for the meter."""
        if self.stop_reason is None:
            return None
        reason = finish_reason_for(self.stop_reason)
        has_calls = any(item["type"] == "function_call" for item in self._done.values())
        return "stop" if reason == "tool_calls" and not has_calls else reason

    # ---- opening and closing items ------------------------------------------------------------------

    def _open_item(self, block: object, kind: str, item: dict) -> tuple[_Item, list[dict]]:
        opened = _Item(kind=kind, output_index=self._next_index, item=item)
        self._next_index += 1
        self._open[block] = opened
        events = [self._event("response.output_item.added", output_index=opened.output_index, item=item)]
        if kind == "message":
            events.append(
                self._event(
                    "response.content_part.added",
                    item_id=item["id"],
                    output_index=opened.output_index,
                    content_index=0,
                    part=output_text_part(""),
                )
            )
        elif kind == "reasoning":
            events.append(
                self._event(
                    "response.reasoning_summary_part.added",
                    item_id=item["id"],
                    output_index=opened.output_index,
                    summary_index=0,
                    part={"type": "summary_text", "text": ""},
                )
            )
        return opened, events

    def _item_for(self, block: object, kind: str) -> tuple[_Item, list[dict]]:
        opened = self._open.get(block)
        if opened is not None:
            return opened, []
        if kind == "message":
            return self._open_item(block, kind, message_item(self.shape.item_id("msg"), None, "in_progress"))
        return self._open_item(block, kind, {"id": self.shape.item_id("rs"), "type": "reasoning", "summary": []})

    def _close(self, block: object) -> list[dict]:
        opened = self._open.pop(block, None)
        if opened is None:
            return []
        closers = {
            "message": self._close_message,
            "reasoning": self._close_reasoning,
            "function_call": self._close_call,
        }
        item, events = closers[opened.kind](opened)
        self._done[opened.output_index] = item
        return [*events, self._event("response.output_item.done", output_index=opened.output_index, item=item)]

    def _close_message(self, opened: _Item) -> tuple[dict, list[dict]]:
        item_id, index = opened.item["id"], opened.output_index
        part = output_text_part(opened.text)
        return message_item(item_id, opened.text), [
            self._event(
                "response.output_text.done",
                item_id=item_id,
                output_index=index,
                content_index=0,
                text=opened.text,
                logprobs=[],
            ),
            self._event("response.content_part.done", item_id=item_id, output_index=index, content_index=0, part=part),
        ]

    def _close_reasoning(self, opened: _Item) -> tuple[dict, list[dict]]:
        item_id, index = opened.item["id"], opened.output_index
        reasoning = (
            {"redactedContent": opened.redacted}
            if opened.redacted is not None
            else {"reasoningText": {"text": opened.text, "signature": opened.signature or None}}
        )
        item = reasoning_item(
            item_id, opened.text, thinking_block(reasoning), encrypted=self.shape.ask.encrypted_reasoning
        )
        part = {"type": "summary_text", "text": opened.text}
        return item, [
            self._event(
                "response.reasoning_summary_text.done",
                item_id=item_id,
                output_index=index,
                summary_index=0,
                text=opened.text,
            ),
            self._event(
                "response.reasoning_summary_part.done", item_id=item_id, output_index=index, summary_index=0, part=part
            ),
        ]

    def _close_call(self, opened: _Item) -> tuple[dict, list[dict]]:
        item = {**opened.item, "arguments": opened.text or "{}", "status": "completed"}
        return item, [
            self._event(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=opened.output_index,
                arguments=item["arguments"],
            )
        ]

    # ---- Bedrock events -----------------------------------------------------------------------------

    def _block_start(self, payload: dict) -> list[dict]:
        tool_use = (payload.get("start") or {}).get("toolUse")
        block = payload.get("contentBlockIndex")
        if not isinstance(tool_use, dict) or block in self._open:
            return []
        if self.shape.call.json_tool and tool_use.get("name") == self.shape.call.json_tool:
            return self._item_for(block, "message")[1]
        item = function_call_item(
            self.shape.item_id("fc"),
            tool_use.get("toolUseId", ""),
            self.shape.tool_call_name(tool_use.get("name", "")),
            "",
            "in_progress",
        )
        return self._open_item(block, "function_call", item)[1]

    def _block_delta(self, payload: dict) -> list[dict]:
        delta = payload.get("delta") or {}
        block = payload.get("contentBlockIndex")
        if isinstance(delta.get("text"), str):
            return self._text(block, delta["text"])
        if isinstance(delta.get("toolUse"), dict):
            return self._tool_input(block, delta["toolUse"].get("input"))
        if isinstance(delta.get("reasoningContent"), dict):
            return self._reasoning(block, delta["reasoningContent"])
        return []

    def _text(self, block: object, text: str) -> list[dict]:
        if not text:
            return []
        opened, events = self._item_for(block, "message")
        opened.text += text
        self.completion_text_chars += len(text)
        return [
            *events,
            self._event(
                "response.output_text.delta",
                item_id=opened.item["id"],
                output_index=opened.output_index,
                content_index=0,
                delta=text,
                logprobs=[],
            ),
        ]

    def _tool_input(self, block: object, arguments: object) -> list[dict]:
        opened = self._open.get(block)
        if opened is None or not isinstance(arguments, str) or not arguments:
            return []
        if opened.kind == "message":  # the structured-output tool: its input is the answer's text
            return self._text(block, arguments)
        opened.text += arguments
        self.completion_text_chars += len(arguments)
        return [
            self._event(
                "response.function_call_arguments.delta",
                item_id=opened.item["id"],
                output_index=opened.output_index,
                delta=arguments,
            )
        ]

    def _reasoning(self, block: object, reasoning: dict) -> list[dict]:
        opened, events = self._item_for(block, "reasoning")
        if isinstance(reasoning.get("signature"), str):
            opened.signature += reasoning["signature"]
        if reasoning.get("redactedContent") is not None:
            opened.redacted = reasoning["redactedContent"]
        text = reasoning.get("text")
        if not isinstance(text, str) or not text:
            return events
        opened.text += text
        self.completion_text_chars += len(text)
        self.reasoning_chars += len(text)
        return [
            *events,
            self._event(
                "response.reasoning_summary_text.delta",
                item_id=opened.item["id"],
                output_index=opened.output_index,
                summary_index=0,
                delta=text,
            ),
        ]

    def _block_stop(self, payload: dict) -> list[dict]:
        return self._close(payload.get("contentBlockIndex"))

    def _message_stop(self, payload: dict) -> list[dict]:
        stop = payload.get("stopReason")
        self.stop_reason = stop if isinstance(stop, str) else "end_turn"
        return []

    def _metadata(self, payload: dict) -> list[dict]:
        self.usage = usage_from_converse(payload.get("usage") or {}, self.reasoning_chars)
        return []
