"""`cache_control` TTLs made fit for the model: 1 hour where Bedrock has it, else the 5-minute default.

Bedrock caches prompts for 5 minutes, and since January 2026 for 1 hour on Claude 4.5 and later
(`HOUR_TTL_MODELS`). Elsewhere a `ttl` is removed (the block is still cached, for 5 minutes). Claude
refuses a 1-hour breakpoint after a 5-minute one (in prompt order: tools, system, messages), so such a
1-hour breakpoint is shortened to 5 minutes rather than lengthening the earlier ones, which would cost more.
Keys other than `type` and `ttl` (such as `scope`) are removed: Bedrock rejects them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gateway.compat import Adaptations
from gateway.registry import ModelSpec, strip_profile

HOUR_TTL_MODELS = re.compile(r"anthropic\.claude-(?:(?:opus|sonnet|haiku)-4-[5-9]|[a-z]+-(?:[5-9]|\d\d))")
TTL_NOTE = "cache_control.ttl"
MARK_KEYS = ("type", "ttl")  # Anthropic's `scope` (beta prompt-caching-scope-*) is unknown to Bedrock


def cache_marks(value: Any) -> Iterator[dict[str, Any]]:
    """Every `cache_control` object under `value`, in prompt order (tool results' inner blocks included)."""
    if isinstance(value, list):
        for item in value:
            yield from cache_marks(item)
    elif isinstance(value, dict):
        if isinstance(value.get("cache_control"), dict):
            yield value["cache_control"]
        if isinstance(value.get("content"), list):
            yield from cache_marks(value["content"])


def hour_ttl(spec: ModelSpec) -> bool:
    return bool(HOUR_TTL_MODELS.match(strip_profile(spec.base_model_id)))


def fit_ttls(body: dict[str, Any], spec: ModelSpec, notes: Adaptations) -> None:
    """Removes, in place, the TTLs the model would refuse and keys Bedrock does not know; each removal noted."""
    allowed = hour_ttl(spec)
    seen_short = False
    for mark in cache_marks([body.get("tools"), body.get("system"), body.get("messages")]):
        for key in [key for key in mark if key not in MARK_KEYS]:
            del mark[key]
            notes.note(f"cache_control.{key}")
        ttl = mark.get("ttl")
        if ttl is not None and (not allowed or (ttl == "1h" and seen_short)):
            del mark["ttl"]
            notes.note(TTL_NOTE)
            ttl = None
        seen_short = seen_short or ttl != "1h"
