"""Token accounting for synthetic answers, including Bedrock's prompt-cache read/write split.

A token is four characters of prompt text; the prompt is tools, then system, then messages (the order
Bedrock caches in), and everything before a `cachePoint` is a cacheable prefix. Like Claude on Bedrock, a
request reads the longest prefix an earlier request wrote that ends at one of its cache points or up to
`LOOKBACK` blocks before one, and writes the rest up to its last point: an agent whose conversation grows
each turn (moving its last cache point along) still reads the history the previous turn cached.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

CACHE_ENTRIES = 10_000
LOOKBACK = 20  # blocks before a cache point where Claude also looks for a cached prefix


@dataclass(frozen=True)
class Prompt:
    input_chars: int  # system + message text after the last cache point
    cached_chars: int  # everything before the last cache point (tools included)
    prefix_key: str | None  # identifies that prefix; None without a cache point
    checkpoints: tuple[tuple[str, int], ...] = ()  # (prefix key, chars) written: one per cache point
    candidates: tuple[tuple[str, int], ...] = ()  # (prefix key, chars) a cache hit may end at


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


def _prefix_keys(model_id: str, pieces: list[tuple[Any, int, bool]]) -> list[str]:
    """The key of every prefix `pieces[:k]` (k = 0..len), hashed incrementally so each costs one piece."""
    digest = hashlib.sha256(model_id.encode())
    keys = [digest.hexdigest()]
    for piece, _, _ in pieces:
        digest.update(orjson.dumps(piece, option=orjson.OPT_SORT_KEYS))
        keys.append(digest.copy().hexdigest())
    return keys


def measure(body: dict[str, Any], model_id: str) -> Prompt:
    pieces = _segments(body)
    points = [index for index, (piece, _, _) in enumerate(pieces) if isinstance(piece, dict) and "cachePoint" in piece]
    text_chars = sum(chars for _, chars, is_text in pieces if is_text)
    if not points:
        return Prompt(text_chars, 0, None)
    keys = _prefix_keys(model_id, pieces)
    chars_before = [0]
    for _, chars, _ in pieces:
        chars_before.append(chars_before[-1] + chars)
    checkpoints = tuple((keys[point], chars_before[point]) for point in points if chars_before[point])
    ends = sorted({end for point in points for end in range(max(1, point - LOOKBACK), point + 1)})
    candidates = tuple((keys[end], chars_before[end]) for end in ends if chars_before[end])
    cached = chars_before[points[-1]]
    cached_text = sum(chars for _, chars, is_text in pieces[: points[-1]] if is_text)
    return Prompt(
        text_chars - cached_text, cached, checkpoints[-1][0] if checkpoints else None, checkpoints, candidates
    )


class PromptCache:
    """Which prompt prefixes were already written, like Bedrock's cache but without expiry."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def usage(self, prompt: Prompt, output_tokens: int) -> dict[str, int]:
        read = write = 0
        if prompt.prefix_key is not None:
            hit = max((chars for key, chars in prompt.candidates if key in self._seen), default=0)
            read = tokens(hit)
            write = tokens(prompt.cached_chars) - read
            for key, _ in prompt.checkpoints:
                self._seen[key] = None
                self._seen.move_to_end(key)
            while len(self._seen) > self._size:
                self._seen.popitem(last=False)
        input_tokens = max(1, tokens(prompt.input_chars))
        return {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens + read + write,
            "cacheReadInputTokens": read,
            "cacheWriteInputTokens": write,
        }

    def clear(self) -> None:
        self._seen.clear()
