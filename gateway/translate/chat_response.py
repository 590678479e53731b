"""Turns a Converse response into an OpenAI `chat.completion` object, with finish reasons and usage mapped.

Reasoning comes back as `reasoning_content` (the text) and `thinking_blocks` (LiteLLM's shape, with
Claude's signatures), which clients send back on the assistant message to keep a thinking tool loop going.
A call of the synthetic structured-output tool becomes the message's JSON `content`, finishing with `stop`.
"""

from __future__ import annotations

import base64
import json

from gateway.translate.custom_tools import custom_call
from gateway.translate.tool_names import client_tool_name

# Bedrock stop reasons -> OpenAI finish reasons. Reasons without an OpenAI counterpart become "stop",
# never passed through verbatim: OpenAI clients only understand their own values.
FINISH_REASONS: dict[str, str] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
    "model_context_window_exceeded": "length",
    "malformed_model_output": "stop",
    "malformed_tool_use": "stop",
}
DEFAULT_FINISH_REASON = "stop"


def finish_reason_for(stop_reason: object) -> str:
    return (
        FINISH_REASONS.get(stop_reason, DEFAULT_FINISH_REASON)
        if isinstance(stop_reason, str)
        else DEFAULT_FINISH_REASON
    )


def estimated_tokens(chars: int) -> int:
    return -(-chars // 4)


def usage_from_converse(usage: dict, reasoning_chars: int = 0) -> dict:
    """OpenAI usage from Bedrock's: `inputTokens` excludes cached tokens, so they are added back."""

    def count(key: str) -> int:
        value = (usage or {}).get(key)
        return value if isinstance(value, int) else 0

    cached, cache_write = count("cacheReadInputTokens"), count("cacheWriteInputTokens")
    prompt = count("inputTokens") + cached + cache_write
    completion = count("outputTokens")
    # Bedrock does not count reasoning tokens separately; the reasoning text gives an estimate.
    reasoning = min(completion, estimated_tokens(reasoning_chars))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "cache_write_tokens": cache_write},
        "completion_tokens_details": {"reasoning_tokens": reasoning},
    }


def tool_call(tool_use: dict, tool_names: dict[str, str], custom_tools: frozenset[str] = frozenset()) -> dict:
    name = client_tool_name(tool_use.get("name", ""), tool_names)
    if name in custom_tools:
        return custom_call(tool_use.get("toolUseId", ""), name, tool_use.get("input"))
    return {
        "id": tool_use.get("toolUseId", ""),
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(tool_use.get("input") or {})},
    }


def thinking_block(reasoning: dict) -> dict:
    """LiteLLM's `thinking_blocks` entry for a Converse `reasoningContent` block."""
    if reasoning.get("redactedContent") is not None:
        data = reasoning["redactedContent"]
        return {
            "type": "redacted_thinking",
            "data": base64.b64encode(data).decode() if isinstance(data, bytes) else data,
        }
    text = reasoning.get("reasoningText") or {}
    return {"type": "thinking", "thinking": text.get("text", ""), "signature": text.get("signature")}


def reasoning_text(content: list[dict]) -> str:
    return "".join(
        (block["reasoningContent"].get("reasoningText") or {}).get("text", "")
        for block in content
        if isinstance(block.get("reasoningContent"), dict)
    )


def structured_json(content: list[dict], json_tool: str | None) -> str | None:
    """The JSON answer the synthetic structured-output tool carried, if it was called."""
    for block in content:
        tool_use = block.get("toolUse")
        if json_tool and isinstance(tool_use, dict) and tool_use.get("name") == json_tool:
            return json.dumps(tool_use.get("input") or {})
    return None


def _message(
    content: list[dict], tool_names: dict[str, str], json_tool: str | None, custom_tools: frozenset[str] = frozenset()
) -> dict:
    texts = [block["text"] for block in content if isinstance(block.get("text"), str)]
    reasoning = [block["reasoningContent"] for block in content if isinstance(block.get("reasoningContent"), dict)]
    calls = [
        tool_call(block["toolUse"], tool_names, custom_tools)
        for block in content
        if isinstance(block.get("toolUse"), dict) and block["toolUse"].get("name") != json_tool
    ]
    structured = structured_json(content, json_tool)
    if structured is not None:
        texts = [structured]
    message: dict = {
        "role": "assistant",
        "content": "".join(texts) if texts else None,
        "refusal": None,
        "annotations": [],
    }
    if reasoning:
        message["reasoning_content"] = reasoning_text(content)
        message["thinking_blocks"] = [thinking_block(r) for r in reasoning]
    if calls:
        message["tool_calls"] = calls
    return message


def finish_reason_of(response: dict, content: list[dict], json_tool: str | None) -> str:
    reason = finish_reason_for(response.get("stopReason"))
    if reason == "tool_calls" and structured_json(content, json_tool) is not None:
        return "stop"
    return reason


def output_blocks(response: dict) -> list:
    return ((response.get("output") or {}).get("message") or {}).get("content") or []


def to_chat_completion(
    response: dict,
    *,
    completion_id: str,
    created: int,
    model: str,
    tool_names: dict[str, str],
    json_tool: str | None = None,
    custom_tools: frozenset[str] = frozenset(),
) -> dict:
    """The `chat.completion` object for a Converse `response`, with the client's tool names restored."""
    content = [block for block in output_blocks(response) if isinstance(block, dict)]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": _message(content, tool_names, json_tool, custom_tools),
                "logprobs": None,
                "finish_reason": finish_reason_of(response, content, json_tool),
            }
        ],
        "usage": usage_from_converse(response.get("usage") or {}, len(reasoning_text(content))),
        "system_fingerprint": None,
    }
