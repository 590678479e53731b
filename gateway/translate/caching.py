"""Bedrock prompt-cache points: the client's own `cache_control` markers, or automatic ones, per alias.

Agents resend the same long prefix (system prompt, tools, earlier turns) on every turn; a `cachePoint`
after that prefix lets Bedrock bill it at the cache-read rate the next time. For aliases with
`prompt_caching` on, and when the client marked nothing itself, points go after the system prompt,
after the tools, and, once a conversation has `LONG_CONVERSATION_MESSAGES` turns or more, at the end of
the turn before the last user turn (the history the next request will repeat). Bedrock accepts at most
`MAX_CACHE_POINTS`; extra explicit markers are dropped from the front, since later ones cover more.
Aliases without caching get no points at all, explicit ones included: models without prompt caching
reject them.
"""

from __future__ import annotations

from gateway.registry import ModelSpec

CACHE_POINT = {"cachePoint": {"type": "default"}}
MAX_CACHE_POINTS = 4
LONG_CONVERSATION_MESSAGES = 4


def _is_point(block: object) -> bool:
    return isinstance(block, dict) and "cachePoint" in block


def _sections(kwargs: dict) -> list[list]:
    """The block lists a cache point may sit in, in prompt order (tools, system, each message)."""
    tools = (kwargs.get("toolConfig") or {}).get("tools")
    return [s for s in [tools, kwargs.get("system"), *(m["content"] for m in kwargs["messages"])] if s is not None]


def _drop_points(kwargs: dict, keep: int) -> None:
    """Remove all but the last `keep` cache points."""
    sections = _sections(kwargs)
    total = sum(_is_point(block) for section in sections for block in section)
    extra = total - keep
    for section in sections:
        while extra > 0 and any(_is_point(block) for block in section):
            section.remove(next(block for block in section if _is_point(block)))
            extra -= 1


def _last_user_index(messages: list[dict]) -> int:
    return max((i for i, message in enumerate(messages) if message["role"] == "user"), default=0)


def _auto_points(kwargs: dict) -> None:
    if kwargs.get("system"):
        kwargs["system"].append(dict(CACHE_POINT))
    tools = (kwargs.get("toolConfig") or {}).get("tools")
    if tools:
        tools.append(dict(CACHE_POINT))
    messages = kwargs["messages"]
    before_last_user = _last_user_index(messages) - 1
    if len(messages) >= LONG_CONVERSATION_MESSAGES and before_last_user >= 0:
        messages[before_last_user]["content"].append(dict(CACHE_POINT))


def apply_cache_points(kwargs: dict, spec: ModelSpec) -> None:
    """Place cache points in the Converse `kwargs` in place (their lists are this request's own)."""
    explicit = sum(_is_point(block) for section in _sections(kwargs) for block in section)
    if not spec.prompt_caching:
        _drop_points(kwargs, 0)
    elif explicit:
        _drop_points(kwargs, MAX_CACHE_POINTS)
    else:
        _auto_points(kwargs)
