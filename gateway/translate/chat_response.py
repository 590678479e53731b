"""Turns a Converse response into an OpenAI `chat.completion` object, with finish reasons and usage mapped."""
from __future__ import annotations

import json

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
    return FINISH_REASONS.get(stop_reason, DEFAULT_FINISH_REASON) if isinstance(stop_reason, str) \
        else DEFAULT_FINISH_REASON


def usage_from_converse(usage: dict) -> dict:
    """OpenAI usage from Bedrock's: `inputTokens` excludes cached tokens, so they are added back."""
    def count(key: str) -> int:
        value = (usage or {}).get(key)
        return value if isinstance(value, int) else 0

    cached, cache_write = count("cacheReadInputTokens"), count("cacheWriteInputTokens")
    prompt = count("inputTokens") + cached + cache_write
    completion = count("outputTokens")
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached, "cache_write_tokens": cache_write},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def tool_call(tool_use: dict, tool_names: dict[str, str]) -> dict:
    return {
        "id": tool_use.get("toolUseId", ""),
        "type": "function",
        "function": {"name": client_tool_name(tool_use.get("name", ""), tool_names),
                     "arguments": json.dumps(tool_use.get("input") or {})},
    }


def _message(content: list[dict], tool_names: dict[str, str]) -> dict:
    texts = [block["text"] for block in content if isinstance(block.get("text"), str)]
    reasoning = [block["reasoningContent"] for block in content if isinstance(block.get("reasoningContent"), dict)]
    calls = [tool_call(block["toolUse"], tool_names) for block in content if isinstance(block.get("toolUse"), dict)]
    message: dict = {"role": "assistant", "content": "".join(texts) if texts else None,
                     "refusal": None, "annotations": []}
    if reasoning:
        message["reasoning_content"] = "".join(r.get("reasoningText", {}).get("text", "") for r in reasoning)
    if calls:
        message["tool_calls"] = calls
    return message


def to_chat_completion(response: dict, *, completion_id: str, created: int, model: str,
                       tool_names: dict[str, str]) -> dict:
    """The `chat.completion` object for a Converse `response`, with the client's tool names restored."""
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": _message([block for block in content if isinstance(block, dict)], tool_names),
            "logprobs": None,
            "finish_reason": finish_reason_for(response.get("stopReason")),
        }],
        "usage": usage_from_converse(response.get("usage") or {}),
        "system_fingerprint": None,
    }
