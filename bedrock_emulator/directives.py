"""Reads `[[sbc:NAME]]` / `[[sbc:NAME=VALUE]]` directives from the last user message of a request.

Directives travel inside ordinary prompt text, so a test can steer the emulator through any client
(boto3, the gateway, an OpenAI SDK) without a private channel.
"""

from __future__ import annotations

import re
from typing import Any

_DIRECTIVE = re.compile(r"\[\[sbc:([A-Za-z][\w-]*)(?:=([^\]]*))?\]\]")


def last_user_message(body: dict[str, Any]) -> dict[str, Any] | None:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message
    return None


# System text inside a user turn (Claude Code's own, the gateway's placed system entries): not the user's words.
SYSTEM_TEXT = "<system-reminder>"


def message_text(message: dict[str, Any] | None) -> str:
    """The message's text blocks joined by newlines; other blocks, and system text, carry no directives."""
    if not message or not isinstance(message.get("content"), list):
        return ""
    return "\n".join(
        block["text"]
        for block in message["content"]
        if isinstance(block, dict) and isinstance(block.get("text"), str) and not block["text"].startswith(SYSTEM_TEXT)
    )


def parse(text: str) -> dict[str, str]:
    """Directive name -> value ("" for a bare flag). Later directives win."""
    if "[[sbc:" not in text:
        return {}
    return {name.lower(): (value or "").strip() for name, value in _DIRECTIVE.findall(text)}


def of_request(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """(last user text, its directives) for a Converse request body."""
    text = message_text(last_user_message(body))
    return text, parse(text)


def as_int(directives: dict[str, str], name: str, default: int = 0, lowest: int = 0) -> int:
    try:
        return max(lowest, int(directives[name]))
    except (KeyError, ValueError):
        return default


def pace(directives: dict[str, str]) -> tuple[int, int] | None:
    """`pace=20x50` -> (20 deltas, 50 ms apart)."""
    raw = directives.get("pace", "")
    count, _, interval = raw.partition("x")
    if not count.isdigit() or not interval.isdigit():
        return None
    return max(1, int(count)), int(interval)
