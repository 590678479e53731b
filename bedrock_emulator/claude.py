"""Claude's native Messages body on InvokeModel: Bedrock's checks, and the synthetic answer as Claude's JSON and events.

The answer itself comes from `scenarios.compose`, fed a Converse-shaped view of the Anthropic body, so tool
calls, thinking, directives and prompt-cache accounting behave exactly as they do on Converse.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

import orjson

from bedrock_emulator import streaming
from bedrock_emulator.errors import BedrockError, validation
from bedrock_emulator.eventstream import event
from bedrock_emulator.scenarios import Answer

ANTHROPIC_VERSION = "bedrock-2023-05-31"
FIELDS = frozenset(
    {
        "anthropic_version",
        "anthropic_beta",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
        "output_config",
    }
)
# What Bedrock accepts in `anthropic_beta`; anything else is "invalid beta flag".
BETAS = frozenset(
    {
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "computer-use-2025-11-24",
        "token-efficient-tools-2025-02-19",
        "interleaved-thinking-2025-05-14",
        "output-128k-2025-02-19",
        "dev-full-thinking-2025-05-14",
        "context-1m-2025-08-07",
        "effort-2025-11-24",
        "tool-search-tool-2025-10-19",
        "tool-examples-2025-10-29",
    }
)
TTLS = ("5m", "1h")
HOUR_TTL = re.compile(r"anthropic\.claude-(?:(?:opus|sonnet|haiku)-4-[5-9]|[a-z]+-(?:[5-9]|\d\d))")  # Jan 2026
CLIENT_TOOL_TYPES = ("custom", "bash_", "text_editor_", "computer_", "memory_")
TOOL_CHOICES = {
    "auto": lambda choice: {"auto": {}},
    "any": lambda choice: {"any": {}},
    "tool": lambda choice: {"tool": {"name": choice.get("name")}},
}
MEDIA_FORMATS = {
    "image": lambda source: (source.get("media_type") or "image/png").split("/")[-1],
    "document": lambda source: "pdf" if source.get("type") == "base64" else "txt",
}


def malformed(detail: str) -> BedrockError:
    return validation(f"Malformed input request: {detail}, please reformat your input and try again.")


def signature_of(thinking: str) -> str:
    """The signature the emulator gives a thinking text; a replayed block must carry it back unchanged."""
    return base64.b64encode(hashlib.sha256(thinking.encode()).digest()).decode()


def _content(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def _check_tools(tools: Any) -> None:
    for index, tool in enumerate(tools or []):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind is not None and not str(kind).startswith(CLIENT_TOOL_TYPES):
            raise validation(
                f"tools.{index}: Input tag '{kind}' found using 'type' does not match any of the expected tags"
            )
        if kind in (None, "custom") and not (tool.get("name") and isinstance(tool.get("input_schema"), dict)):
            raise validation(f"tools.{index}: `name` and `input_schema` are required")


def _check_thinking_replay(body: dict[str, Any]) -> None:
    """With thinking on, an assistant turn that called tools must start with its signed thinking block."""
    thinking = body.get("thinking") or {}
    for index, message in enumerate(body["messages"]):
        blocks = _content(message)
        for block in blocks:
            if block.get("type") == "thinking" and block.get("signature") != signature_of(block.get("thinking", "")):
                raise validation(f"messages.{index}.content: Invalid `signature` in `thinking` block")
        calls_tools = any(block.get("type") == "tool_use" for block in blocks)
        if (
            thinking.get("type") == "enabled"
            and message["role"] == "assistant"
            and calls_tools
            and index == len(body["messages"]) - 2
            and blocks[0].get("type") != "thinking"
        ):
            raise validation(
                f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
                f"found `{blocks[0].get('type')}`. When `thinking` is enabled, a final `assistant` "
                "message must start with a thinking block."
            )


def validate(body: Any) -> None:
    """Bedrock's checks of an Anthropic Messages body, with its error messages."""
    if not isinstance(body, dict):
        raise malformed("#: expected type: JSONObject")
    extra = sorted(set(body) - FIELDS)
    if extra:
        raise malformed(f"#: extraneous key [{extra[0]}] is not permitted")
    if body.get("anthropic_version") != ANTHROPIC_VERSION:
        raise malformed("#/anthropic_version: bedrock-2023-05-31 is required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        raise malformed("#: required key [max_tokens] not found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise malformed("#: required key [messages] not found")
    unknown = [beta for beta in body.get("anthropic_beta") or [] if beta not in BETAS]
    if unknown:
        raise validation("invalid beta flag")
    _check_tools(body.get("tools"))
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled" and not 1024 <= int(thinking.get("budget_tokens") or 0) < body["max_tokens"]:
        raise validation(
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024 and "
            "max_tokens must be greater than thinking.budget_tokens"
        )
    _check_thinking_replay(body)


def _cache_marks(value: Any) -> list[dict[str, Any]]:
    """Every `cache_control` under `value`, in prompt order."""
    if isinstance(value, list):
        return [mark for item in value for mark in _cache_marks(item)]
    if not isinstance(value, dict):
        return []
    own = [value["cache_control"]] if isinstance(value.get("cache_control"), dict) else []
    return own + _cache_marks(value.get("content"))


def check_ttls(body: dict[str, Any], model: Any) -> None:
    """Cache TTLs: 5m everywhere, 1h only on the models that have it, and never a 1h after a 5m."""
    short_seen = False
    for mark in _cache_marks([body.get("tools"), body.get("system"), body.get("messages")]):
        ttl = mark.get("ttl", "5m")
        extra = sorted(set(mark) - {"type", "ttl"})
        if extra:
            raise malformed(f"#/cache_control: extraneous key [{extra[0]}] is not permitted")
        if mark.get("type") != "ephemeral" or ttl not in TTLS:
            raise validation(
                "cache_control: Input tag or ttl does not match any of the expected values "
                "('ephemeral' with ttl '5m' or '1h')"
            )
        if ttl == "1h" and not HOUR_TTL.match(model.base_id):
            raise validation("cache_control.ttl: a 1h cache TTL is not supported by this model")
        if ttl == "1h" and short_seen:
            raise validation(
                "A ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. "
                "Note that blocks are processed in the following order: `tools`, `system`, `messages`."
            )
        short_seen = short_seen or ttl == "5m"


def _to_converse_block(block: dict[str, Any]) -> dict[str, Any] | None:
    kind = block.get("type")
    if kind == "text":
        return {"text": block.get("text", "")}
    if kind == "thinking":
        return {
            "reasoningContent": {
                "reasoningText": {"text": block.get("thinking", ""), "signature": block.get("signature", "")}
            }
        }
    if kind == "tool_use":
        return {"toolUse": {"toolUseId": block.get("id"), "name": block.get("name"), "input": block.get("input")}}
    if kind == "tool_result":
        inner = block.get("content")
        items = (
            [{"text": inner}]
            if isinstance(inner, str)
            else [converted for item in inner or [] if (converted := _to_converse_block(item))]
        )
        return {"toolResult": {"toolUseId": block.get("tool_use_id"), "content": items}}
    if kind in MEDIA_FORMATS:
        return {kind: {"format": MEDIA_FORMATS[kind](block.get("source") or {})}}
    return None


def _blocks(blocks: list[Any]) -> list[dict[str, Any]]:
    """Converse blocks, with a cachePoint after each block marked `cache_control`."""
    result: list[dict[str, Any]] = []
    for block in blocks:
        converted = _to_converse_block(block) if isinstance(block, dict) else None
        if converted is not None:
            result.append(converted)
        if isinstance(block, dict) and block.get("cache_control"):
            result.append({"cachePoint": {"type": "default"}})
    return result


def _tools(body: dict[str, Any]) -> dict[str, Any] | None:
    tools: list[dict[str, Any]] = []
    for tool in body.get("tools") or []:
        tools.append(
            {
                "toolSpec": {
                    "name": tool.get("name") or tool.get("type"),
                    "description": "tool",
                    "inputSchema": {"json": tool.get("input_schema") or {"type": "object"}},
                }
            }
        )
        if tool.get("cache_control"):
            tools.append({"cachePoint": {"type": "default"}})
    choice = body.get("tool_choice") or {"type": "auto"}
    if not tools or choice.get("type") == "none":
        return None
    return {"tools": tools, "toolChoice": TOOL_CHOICES.get(choice.get("type"), TOOL_CHOICES["auto"])(choice)}


def converse_view(body: dict[str, Any]) -> dict[str, Any]:
    """The same request as a Converse body, for the scenario engine and the token counter."""
    system = body.get("system")
    view: dict[str, Any] = {
        "system": [{"text": system}] if isinstance(system, str) else _blocks(system or []),
        "messages": [{"role": m["role"], "content": _blocks(_content(m))} for m in body["messages"]],
        "inferenceConfig": {"maxTokens": body["max_tokens"], "stopSequences": body.get("stop_sequences") or []},
    }
    tool_config = _tools(body)
    if tool_config:
        view["toolConfig"] = tool_config
    if body.get("thinking"):
        view["additionalModelRequestFields"] = {"thinking": body["thinking"]}
    if isinstance(body.get("output_config"), dict) and "effort" in body["output_config"]:
        view["outputConfig"] = {"effort": body["output_config"]["effort"]}
    return view


def content_block(block: dict[str, Any]) -> dict[str, Any]:
    if "text" in block:
        return {"type": "text", "text": block["text"]}
    if "reasoningContent" in block:
        text = block["reasoningContent"]["reasoningText"]["text"]
        return {"type": "thinking", "thinking": text, "signature": signature_of(text)}
    tool = block["toolUse"]
    return {
        "type": "tool_use",
        "id": tool["toolUseId"].replace("tooluse_", "toolu_bdrk_", 1),
        "name": tool["name"],
        "input": tool["input"],
    }


def anthropic_usage(usage: dict[str, int]) -> dict[str, int]:
    return {
        "input_tokens": usage["inputTokens"],
        "output_tokens": usage["outputTokens"],
        "cache_read_input_tokens": usage["cacheReadInputTokens"],
        "cache_creation_input_tokens": usage["cacheWriteInputTokens"],
    }


def message(answer: Answer, usage: dict[str, int], model_id: str) -> dict[str, Any]:
    """The non-streamed answer, as Claude's JSON."""
    return {
        "id": "msg_bdrk_" + uuid.uuid4().hex[:24],
        "type": "message",
        "role": "assistant",
        "model": model_id.rsplit(".", 1)[-1],
        "content": [content_block(b) for b in answer.blocks],
        "stop_reason": answer.stop_reason,
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }


def chunk(payload: dict[str, Any]) -> bytes:
    """One InvokeModelWithResponseStream `chunk` event carrying Claude's event JSON."""
    return event("chunk", {"bytes": base64.b64encode(orjson.dumps(payload)).decode()})


def _block_events(index: int, block: dict[str, Any], deltas: int) -> list[tuple[bool, dict[str, Any]]]:
    """(is a delta, Claude event) for one content block, from its start to its stop."""
    full = content_block(block)
    if full["type"] == "text":
        start, pieces = (
            {**full, "text": ""},
            [{"type": "text_delta", "text": piece} for piece in streaming.chunks(full["text"], deltas)],
        )
    elif full["type"] == "thinking":
        start = {"type": "thinking", "thinking": ""}
        pieces = [{"type": "thinking_delta", "thinking": piece} for piece in streaming.chunks(full["thinking"])]
        pieces.append({"type": "signature_delta", "signature": full["signature"]})
    else:
        start = {**full, "input": {}}
        raw = orjson.dumps(full["input"]).decode()
        pieces = [{"type": "input_json_delta", "partial_json": raw[i : i + 16]} for i in range(0, len(raw), 16)]
    return (
        [(False, {"type": "content_block_start", "index": index, "content_block": start})]
        + [(True, {"type": "content_block_delta", "index": index, "delta": piece}) for piece in pieces]
        + [(False, {"type": "content_block_stop", "index": index})]
    )


def stream_plan(
    answer: Answer,
    usage: dict[str, int],
    model_id: str,
    *,
    deltas: int = 0,
    interval_ms: int = 0,
    gate: str | None = None,
    stream_error: str | None = None,
) -> list[streaming.Step]:
    """The steps of one streamed answer, paced, gated and broken like ConverseStream's (see streaming.plan)."""
    start = message(answer, usage, model_id)
    start.update(content=[], stop_reason=None, usage={**start["usage"], "output_tokens": 1})
    steps: list[streaming.Step] = [
        (streaming.FRAME, chunk({"type": "message_start", "message": start})),
        (streaming.FRAME, chunk({"type": "ping"})),
    ]
    sent = 0
    for index, block in enumerate(answer.blocks):
        for is_delta, payload in _block_events(index, block, deltas):
            if is_delta and sent and interval_ms:
                steps.append((streaming.PAUSE, interval_ms / 1000))
            steps.append((streaming.FRAME, chunk(payload)))
            sent += is_delta
            if is_delta and sent == 1 and gate is not None:
                steps.append((streaming.GATE, gate))
            if is_delta and sent == 2 and stream_error:
                return steps + [(streaming.FRAME, streaming.exception_frame(stream_error))]
    ending = [
        {
            "type": "message_delta",
            "delta": {"stop_reason": answer.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": usage["outputTokens"]},
        },
        {
            "type": "message_stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": usage["inputTokens"],
                "outputTokenCount": usage["outputTokens"],
            },
        },
    ]
    return steps + [(streaming.FRAME, chunk(payload)) for payload in ending]


def counting_body(body: Any) -> dict[str, Any]:
    """The request inside a CountTokens body, as a Converse-shaped body for the token counter."""
    source = (body or {}).get("input") if isinstance(body, dict) else None
    if isinstance(source, dict) and isinstance(source.get("invokeModel"), dict):
        inner = orjson.loads(base64.b64decode(source["invokeModel"].get("body") or b"e30="))
        validate(inner)
        return converse_view(inner)
    if isinstance(source, dict) and isinstance(source.get("converse"), dict):
        return source["converse"]
    raise malformed("#/input: exactly one of [invokeModel, converse] is required")
