"""Compaction: a Responses conversation summarised by the same model, as `/v1/responses/compact` returns it.

OpenAI compacts a conversation into the user's own messages plus one opaque `compaction` item; sent back as
input, that item restores the earlier context. Bedrock has no such thing, so the gateway asks the model the
client named, through Converse, to summarise the conversation (`SUMMARY_PROMPT`), and returns the user
messages it was given followed by a `compaction` item whose `encrypted_content` carries that summary
(`responses_input.encode_compaction`). Sent back, the item becomes the summary as user text.

The same summary serves `context_management: [{"type": "compaction", "compact_threshold": N}]` on
`/v1/responses`: when the prompt is estimated above N tokens, the items before the last user message are
compacted first, and the answer is given on the compacted input, its output opening with the new item.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from gateway.translate.chat_response import output_blocks
from gateway.translate.responses_input import COMPACTION_TYPES, encode_compaction

SUMMARY_PROMPT = (
    "Your context is about to be compacted. Write a summary of the conversation so far that lets you continue "
    "the work from it alone: the user's goals and requests, decisions made, what was done (files, commands, "
    "tool results that matter), what is in progress and what remains. Be specific and complete but concise. "
    "Answer with the summary only; call no tools."
)
SUMMARY_MAX_TOKENS = 4096
# Fields of the client's request that would change the summary's form, not its content: left out of it.
NOT_FOR_SUMMARY = (
    "store",
    "stream",
    "stream_options",
    "tool_choice",
    "reasoning",
    "include",
    "max_output_tokens",
    "text",
    "context_management",
    "background",
)
THRESHOLD_SHARE = 0.8  # of the model's window, when `compact_threshold` is not given
MIN_THRESHOLD = 1000


def as_items(value: object) -> list:
    """`input` as a list of items (a string is one user message)."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    if not isinstance(value, list) or not value:
        raise InvalidRequest("`input` must be a string or a non-empty list of input items", param="input")
    return value


def is_user_message(item: object) -> bool:
    return isinstance(item, dict) and item.get("role") == "user" and item.get("type", "message") == "message"


def summary_body(body: dict, items: list) -> dict:
    """The Responses request asking the model for the summary of `items`, with the client's tools and model."""
    kept = {key: value for key, value in body.items() if key not in NOT_FOR_SUMMARY}
    return {
        **kept,
        "input": [*items, {"type": "message", "role": "user", "content": SUMMARY_PROMPT}],
        "tool_choice": "none",
        "max_output_tokens": SUMMARY_MAX_TOKENS,
        "stream": False,
        "store": False,
    }


def summary_text(response: dict) -> str:
    """The summary a Converse response holds (its text blocks)."""
    text = "".join(
        block["text"]
        for block in output_blocks(response)
        if isinstance(block, dict) and isinstance(block.get("text"), str)
    ).strip()
    return text or "(The model wrote no summary.)"


def compaction_item(item_id: str, summary: str) -> dict:
    return {"id": item_id, "type": "compaction", "encrypted_content": encode_compaction(summary)}


def compacted(items: list, item: dict) -> list[dict]:
    """The compacted window: the user's own messages from `items`, in order, then the compaction item."""
    kept = [
        message if message.get("type") == "message" else {"type": "message", **message}
        for message in items
        if is_user_message(message)
    ]
    return [*kept, item]


@dataclass(frozen=True)
class Split:
    """A request's input cut where compaction stops: `head` is summarised, `tail` is answered as sent."""

    head: list
    tail: list


def split_for_answer(items: list) -> Split | None:
    """`items` cut before the last user message, or None when nothing comes before it to compact."""
    last = max((k for k, item in enumerate(items) if is_user_message(item)), default=None)
    if not last or all(isinstance(item, dict) and item.get("type") in COMPACTION_TYPES for item in items[:last]):
        return None
    return Split(head=items[:last], tail=items[last:])


def compact_threshold(value: object) -> int | None:
    """The `compact_threshold` of a valid `context_management` list (None: the model's default)."""
    if not isinstance(value, list) or not value:
        raise InvalidRequest(
            '`context_management` must be a list of {"type": "compaction", ...} entries', param="context_management"
        )
    threshold = None
    for k, entry in enumerate(value):
        param = f"context_management[{k}]"
        if not isinstance(entry, dict) or entry.get("type") != "compaction":
            raise InvalidRequest(
                f'`{param}.type` must be "compaction", the only context management there is', param=f"{param}.type"
            )
        given = entry.get("compact_threshold")
        if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < MIN_THRESHOLD):
            raise InvalidRequest(
                f"`{param}.compact_threshold` must be an integer of at least {MIN_THRESHOLD}",
                param=f"{param}.compact_threshold",
            )
        threshold = given if given is not None else threshold
    return threshold


def threshold_for(value: object, context_window: int | None) -> int | None:
    """Tokens above which a request with `context_management` is compacted first; None: never."""
    threshold = compact_threshold(value)
    if threshold is None and context_window:
        threshold = int(context_window * THRESHOLD_SHARE)
    return threshold
