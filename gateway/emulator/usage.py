"""Token accounting for synthetic answers, including Bedrock's prompt-cache read/write split.

A token is four characters of prompt text; the prompt is tools, then system, then messages (the order
Bedrock caches in), and everything before the last `cachePoint` is the cacheable prefix.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

CACHE_ENTRIES = 10_000


@dataclass(frozen=True)
class Prompt:
    input_chars: int             # system + message text after the last cache point
    cached_chars: int            # everything before the last cache point (tools included)
    prefix_key: str | None       # identifies that prefix; None without a cache point


def tokens(chars: int) -> int:
    return -(-chars // 4)


def _block_chars(block: Any) -> int:
    if not isinstance(block, dict):
        return 0
    if isinstance(block.get("text"), str):
        return len(block["text"])
    if "toolResult" in block:
        total = 0
        for item in block["toolResult"].get("content") or []:
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                total += len(item["text"])
            elif isinstance(item, dict) and "json" in item:
                total += len(orjson.dumps(item["json"]))
        return total
    if "toolUse" in block:
        return len(orjson.dumps(block["toolUse"].get("input")))
    if "reasoningContent" in block:
        return len((block["reasoningContent"].get("reasoningText") or {}).get("text") or "")
    return 0


def _segments(body: dict[str, Any]) -> list[tuple[Any, int, bool]]:
    """(piece, chars, counts as input text) in prompt order; cache points are pieces of 0 chars."""
    pieces: list[tuple[Any, int, bool]] = []
    for tool in (body.get("toolConfig") or {}).get("tools") or []:
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        pieces.append((tool, len(orjson.dumps(spec)) if spec else 0, False))
    for block in body.get("system") or []:
        pieces.append((block, _block_chars(block), True))
    for message in body.get("messages") or []:
        pieces.append((message.get("role"), 0, True))
        pieces.extend((block, _block_chars(block), True) for block in message.get("content") or [])
    return pieces


def measure(body: dict[str, Any], model_id: str) -> Prompt:
    pieces = _segments(body)
    last_point = max((index for index, (piece, _, _) in enumerate(pieces)
                      if isinstance(piece, dict) and "cachePoint" in piece), default=-1)
    text_chars = sum(chars for _, chars, is_text in pieces if is_text)
    if last_point < 0:
        return Prompt(text_chars, 0, None)
    prefix = pieces[:last_point]
    cached = sum(chars for _, chars, _ in prefix)
    cached_text = sum(chars for _, chars, is_text in prefix if is_text)
    digest = hashlib.sha256(orjson.dumps([model_id, [piece for piece, _, _ in prefix]],
                                         option=orjson.OPT_SORT_KEYS)).hexdigest()
    return Prompt(text_chars - cached_text, cached, digest if cached else None)


class PromptCache:
    """Which prompt prefixes were already written, like Bedrock's cache but without expiry."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def usage(self, prompt: Prompt, output_tokens: int) -> dict[str, int]:
        read = write = 0
        if prompt.prefix_key is not None:
            if prompt.prefix_key in self._seen:
                read = tokens(prompt.cached_chars)
                self._seen.move_to_end(prompt.prefix_key)
            else:
                write = tokens(prompt.cached_chars)
                self._seen[prompt.prefix_key] = None
                if len(self._seen) > self._size:
                    self._seen.popitem(last=False)
        input_tokens = max(1, tokens(prompt.input_chars))
        return {"inputTokens": input_tokens, "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens + read + write,
                "cacheReadInputTokens": read, "cacheWriteInputTokens": write}

    def clear(self) -> None:
        self._seen.clear()
