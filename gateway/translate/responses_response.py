"""Turns a Converse response into an OpenAI Responses API `response` object, and names its parts for streaming.

Output items follow Bedrock's content blocks in order: reasoning blocks become `reasoning` items (the text as
their summary; Claude's signed thinking in `encrypted_content` when the client asked for it), text becomes a
`message` item with one `output_text` part, and each toolUse a `function_call` item (with `namespace` for a
function of a namespace tool). A call of the synthetic structured-output tool is the message's JSON text.

Bedrock's stop reason decides the status: `INCOMPLETE_REASONS` makes a response `incomplete` with that
reason, anything else is `completed`. Usage is chat's (`usage_from_converse`) in the Responses names.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field

from core.ids import hex_id
from gateway.translate.chat_request import ConverseCall
from gateway.translate.chat_response import (
    finish_reason_of,
    output_blocks,
    reasoning_text,
    thinking_block,
    usage_from_converse,
)
from gateway.translate.responses_input import encode_reasoning
from gateway.translate.responses_request import ResponsesRequest
from gateway.translate.tool_names import client_tool_name

INCOMPLETE_REASONS: dict[str, str] = {
    "max_tokens": "max_output_tokens",
    "model_context_window_exceeded": "max_output_tokens",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{hex_id()}"


@dataclass(frozen=True)
class ResponseShape:
    """Everything about one request the response object and its stream events are built from."""

    response_id: str
    created_at: int
    model: str
    ask: ResponsesRequest
    call: ConverseCall
    _items: itertools.count = field(default_factory=itertools.count, compare=False, repr=False)

    def item_id(self, prefix: str) -> str:
        """An output item's id, carrying the response's, so a stored item is found from its id alone."""
        return f"{prefix}_{self.response_id.partition('_')[2]}{next(self._items):04x}"

    lead_items: tuple[dict, ...] = ()  # output items before the answer's own (a compaction item)

    def tool_call_name(self, bedrock_name: str) -> dict:
        """`name` (and `namespace`) of a function_call item for the tool Bedrock calls `bedrock_name`."""
        name = client_tool_name(bedrock_name, self.call.tool_names)
        if name in self.ask.namespaces:
            namespace, inner = self.ask.namespaces[name]
            return {"name": inner, "namespace": namespace}
        return {"name": name}


@dataclass(frozen=True)
class Answer:
    body: dict  # the `response` object
    usage: dict  # chat-shaped usage, for metering
    finish_reason: str  # chat's finish reason, for metering


def responses_usage(usage: dict) -> dict:
    """Responses API usage from chat-shaped usage."""
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "input_tokens_details": {
            "cached_tokens": prompt_details.get("cached_tokens", 0),
            "cache_write_tokens": prompt_details.get("cache_write_tokens", 0),
        },
        "output_tokens": usage.get("completion_tokens", 0),
        "output_tokens_details": {"reasoning_tokens": completion_details.get("reasoning_tokens", 0)},
        "total_tokens": usage.get("total_tokens", 0),
    }


def output_text_part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def message_item(item_id: str, text: str | None, status: str = "completed") -> dict:
    content = [output_text_part(text)] if text is not None else []
    return {"id": item_id, "type": "message", "role": "assistant", "status": status, "content": content}


def reasoning_item(item_id: str, text: str | None, block: dict | None, *, encrypted: bool) -> dict:
    """A `reasoning` item; `block` is chat's thinking block (with Claude's signature), packed when asked."""
    item: dict = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": text}] if text else [],
    }
    if encrypted and block is not None and (block.get("signature") or block.get("data")):
        item["encrypted_content"] = encode_reasoning(block)
    return item


def function_call_item(item_id: str, call_id: str, naming: dict, arguments: str, status: str = "completed") -> dict:
    return {
        "id": item_id,
        "type": "function_call",
        "call_id": call_id,
        **naming,
        "arguments": arguments,
        "status": status,
    }


def _items(content: list[dict], shape: ResponseShape) -> list[dict]:
    items: list[dict] = []
    json_tool = shape.call.json_tool
    for block in content:
        tool_use = block.get("toolUse")
        if isinstance(block.get("reasoningContent"), dict):
            items.append(
                reasoning_item(
                    shape.item_id("rs"),
                    reasoning_text([block]),
                    thinking_block(block["reasoningContent"]),
                    encrypted=shape.ask.encrypted_reasoning,
                )
            )
        elif isinstance(block.get("text"), str):
            items.append(message_item(shape.item_id("msg"), block["text"]))
        elif isinstance(tool_use, dict) and json_tool and tool_use.get("name") == json_tool:
            items.append(message_item(shape.item_id("msg"), json.dumps(tool_use.get("input") or {})))
        elif isinstance(tool_use, dict):
            items.append(
                function_call_item(
                    shape.item_id("fc"),
                    tool_use.get("toolUseId", ""),
                    shape.tool_call_name(tool_use.get("name", "")),
                    json.dumps(tool_use.get("input") or {}),
                )
            )
    return _merged_messages(items)


def _merged_messages(items: list[dict]) -> list[dict]:
    """Adjacent text blocks as one message item, as OpenAI answers."""
    merged: list[dict] = []
    for item in items:
        if merged and item["type"] == "message" and merged[-1]["type"] == "message":
            merged[-1]["content"][0]["text"] += item["content"][0]["text"]
        else:
            merged.append(item)
    return merged


def status_of(stop_reason: object) -> tuple[str, dict | None]:
    """(status, incomplete_details) for Bedrock's stop reason."""
    reason = INCOMPLETE_REASONS.get(stop_reason) if isinstance(stop_reason, str) else None
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def response_object(
    shape: ResponseShape,
    *,
    status: str,
    output: list[dict],
    usage: dict | None,
    incomplete_details: dict | None = None,
    error: dict | None = None,
) -> dict:
    """The `response` object, as `POST /v1/responses` returns it and the stream's lifecycle events carry it."""
    echo = shape.ask.echo
    return {
        "id": shape.response_id,
        "object": "response",
        "created_at": shape.created_at,
        "status": status,
        "background": False,
        "error": error,
        "incomplete_details": incomplete_details,
        "model": shape.model,
        "output": output,
        "previous_response_id": None,
        "reasoning": {
            "effort": shape.ask.chat.reasoning_effort,
            "summary": (echo.get("reasoning") or {}).get("summary"),
        },
        "usage": responses_usage(usage) if usage is not None else None,
        **{key: value for key, value in echo.items() if key != "reasoning"},
    }


def to_response(response: dict, shape: ResponseShape) -> Answer:
    """The `response` object for a Converse `response`, with usage and finish reason for the meter."""
    content = [block for block in output_blocks(response) if isinstance(block, dict)]
    usage = usage_from_converse(response.get("usage") or {}, len(reasoning_text(content)))
    status, incomplete = status_of(response.get("stopReason"))
    body = response_object(
        shape,
        status=status,
        output=[*shape.lead_items, *_items(content, shape)],
        usage=usage,
        incomplete_details=incomplete,
    )
    return Answer(body=body, usage=usage, finish_reason=finish_reason_of(response, content, shape.call.json_tool))
