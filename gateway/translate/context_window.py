"""An estimate of a Converse prompt's size, and the guard that refuses prompts over the model's window.

Coding tools condense their history when they see OpenAI's `context_length_exceeded`, so answering it
before Bedrock does (and instead of Bedrock's raw validation text) keeps them working. The estimate is
four characters per token over every text, tool schema and tool input, and a fixed cost per image;
Bedrock's own "too long" errors map to the same code in the adapter for what the estimate misses.
"""

from __future__ import annotations

import json

from core.errors import ContextLengthExceeded
from gateway.registry import ModelSpec

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1600  # about what Claude charges for a 1-megapixel image


def _chars(value: object) -> int:
    """Characters of text in a Converse block (or part of one); images count separately."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_chars(item) for item in value)
    if not isinstance(value, dict):
        return 0
    if "toolUse" in value:
        return len(json.dumps(value["toolUse"].get("input"))) + len(value["toolUse"].get("name", ""))
    if "json" in value:
        return len(json.dumps(value["json"]))
    return sum(_chars(item) for key, item in value.items() if key not in ("image", "signature", "cachePoint"))


def _images(messages: list[dict]) -> int:
    count = 0
    for message in messages:
        for block in message["content"]:
            count += "image" in block
            for item in (block.get("toolResult") or {}).get("content") or []:
                count += "image" in item
    return count


def estimate_prompt_tokens(kwargs: dict) -> int:
    tools = (kwargs.get("toolConfig") or {}).get("tools") or []
    chars = _chars(kwargs.get("system") or []) + _chars(kwargs["messages"]) + len(json.dumps(tools))
    return -(-chars // CHARS_PER_TOKEN) + IMAGE_TOKENS * _images(kwargs["messages"])


def check_context_window(kwargs: dict, spec: ModelSpec) -> None:
    """Raise OpenAI's `context_length_exceeded` when the prompt cannot fit the model's window."""
    tokens = estimate_prompt_tokens(kwargs)
    if spec.context_window and tokens > spec.context_window:
        raise ContextLengthExceeded(
            f"This model's maximum context length is {spec.context_window} tokens. However, your messages "
            f"resulted in about {tokens} tokens. Please reduce the length of the messages.",
            param="messages",
        )
