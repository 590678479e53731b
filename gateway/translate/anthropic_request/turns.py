"""Mid-conversation `system` entries kept at their place, as system text inside a user turn.

Claude Code (2.1.154 and later) sends `{"role": "system"}` entries inside `messages`; Bedrock's InvokeModel
takes only user and assistant turns. Hoisting them into the top-level `system` would change the start of the
prompt whenever a new entry arrives, so every turn would miss the prompt cache. Instead each entry's text
blocks become user text blocks at the same place, wrapped in `<system-reminder>` tags (`MARK`), the marking
Claude Code itself uses for system text inside user turns. Each block keeps its own `cache_control`.

Placement only ever depends on what comes before an entry, so the history a request shares with the next
one is converted to the same bytes both times: an entry becomes a user turn of its own, and consecutive
turns of one role are then merged into one (as Anthropic's API merges them), which puts it at the end of the
user turn before it, or at the start of the user turn after it (after that turn's tool results, which must
come first), or alone between two assistant turns.
"""

from __future__ import annotations

from typing import Any

from core.errors import InvalidRequest
from gateway.compat import Adaptations

MARK = "<system-reminder>\n{}\n</system-reminder>"
SYSTEM_NOTE = "messages.role:system"
MERGED_NOTE = "messages:merged"


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _system_turn(index: int, message: dict[str, Any]) -> dict[str, Any] | None:
    """The entry as a user turn of marked text blocks; None when it carries no text."""
    blocks = []
    for position, block in enumerate(_blocks(message["content"])):
        if not isinstance(block, dict) or block.get("type") != "text" or not isinstance(block.get("text"), str):
            raise InvalidRequest(
                f"messages.{index}.content.{position}: a `system` entry may carry text blocks only.",
                param=f"messages.{index}.content",
            )
        if block["text"].strip():
            blocks.append({**block, "text": MARK.format(block["text"])})
    return {"role": "user", "content": blocks} if blocks else None


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One turn holding both; in a user turn, tool results stay first, as Claude requires."""
    blocks = _blocks(first["content"]) + _blocks(second["content"])
    if first["role"] == "user":
        results = [block for block in blocks if isinstance(block, dict) and block.get("type") == "tool_result"]
        blocks = results + [
            block for block in blocks if not (isinstance(block, dict) and block.get("type") == "tool_result")
        ]
    return {**first, "content": blocks}


def place_system_entries(messages: list[dict[str, Any]], notes: Adaptations) -> list[dict[str, Any]]:
    """The turns Bedrock accepts: system entries as marked user text, one turn per role change."""
    turns: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        if message["role"] == "system":
            notes.note(SYSTEM_NOTE)
            placed = _system_turn(index, message)
            if placed is None:
                continue
            message = placed
        if turns and turns[-1]["role"] == message["role"]:
            if "system" not in (messages[index]["role"], messages[index - 1]["role"]):
                notes.note(MERGED_NOTE)  # the client's own consecutive turns, not a placed entry
            turns[-1] = _merge(turns[-1], message)
        else:
            turns.append(message)
    return turns
