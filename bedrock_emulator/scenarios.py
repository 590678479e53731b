"""The synthetic model: a pure function from a Converse request (plus directives and knobs) to its answer.

Answers are deterministic so tests can assert on them: a fixed sentence describing what was received,
tool calls for tools named in the prompt, a summary of a tool result, optional reasoning first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from bedrock_emulator import structured, toolcalls
from bedrock_emulator.directives import as_int, last_user_message, message_text, pace, parse
from bedrock_emulator.faults import Knobs

GREETING = "This is a synthetic answer from the Bedrock emulator."
THINKING_TYPES = ("enabled", "adaptive")
MEDIA = ("image", "document", "video", "audio")
_FILLER = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
)
_WORD = re.compile(r"\S+\s*")


@dataclass
class Answer:
    blocks: list[dict[str, Any]]  # ConverseResponse output.message.content
    stop_reason: str
    output_tokens: int


def words(text: str) -> list[str]:
    """Word pieces that keep their trailing whitespace, so joining them gives the text back."""
    return _WORD.findall(text)


@lru_cache(maxsize=64)
def filler(count: int) -> str:
    return " ".join(_FILLER[index % len(_FILLER)] for index in range(count)) + "." if count else ""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _media_sentences(messages: list[dict[str, Any]]) -> list[str]:
    """`I received 1 image (png).` for each kind of attachment present."""
    seen: dict[str, Counter[str]] = {kind: Counter() for kind in MEDIA}
    for message in messages:
        blocks = list(message.get("content") or [])
        for result in toolcalls.tool_results(message):
            blocks.extend(result.get("content") or [])
        for block in blocks:
            for kind in MEDIA:
                if isinstance(block, dict) and isinstance(block.get(kind), dict):
                    seen[kind][block[kind].get("format", "unknown")] += 1
    return [
        f"I received {_plural(sum(formats.values()), kind)} ({', '.join(formats)})."
        for kind, formats in seen.items()
        if formats
    ]


def default_text(body: dict[str, Any], knobs: Knobs) -> str:
    messages = body.get("messages") or []
    sentences = [GREETING, f"The conversation has {_plural(len(messages), 'message')}.", *_media_sentences(messages)]
    text = " ".join(sentences)
    if knobs.large_answer_kb:
        # Filler words average 6.5 characters with their space.
        text += " " + filler(max(0, knobs.large_answer_kb * 1024 - len(text)) * 2 // 13)
    return text


def _with_min_words(text: str, minimum: int) -> str:
    missing = minimum - len(words(text))
    return f"{text} {filler(missing)}" if missing > 0 else text


def _limit(text: str, config: dict[str, Any]) -> tuple[str, str]:
    """Apply stopSequences, then maxTokens (one token per word): (text, stopReason)."""
    stop_reason = "end_turn"
    cuts = [text.find(seq) for seq in config.get("stopSequences") or [] if seq and seq in text]
    if cuts:
        text, stop_reason = text[: min(cuts)], "stop_sequence"
    max_tokens = config.get("maxTokens")
    if max_tokens is not None:
        pieces = words(text)
        if len(pieces) > max_tokens:
            text, stop_reason = "".join(pieces[:max_tokens]).rstrip(), "max_tokens"
    return text, stop_reason


def wants_thinking(body: dict[str, Any], directives: dict[str, str]) -> bool:
    thinking = (body.get("additionalModelRequestFields") or {}).get("thinking")
    return "thinking" in directives or (isinstance(thinking, dict) and thinking.get("type") in THINKING_TYPES)


def reasoning_block(body: dict[str, Any]) -> dict[str, Any]:
    count = len(body.get("messages") or [])
    text = f"The user sent {_plural(count, 'message')}. A short synthetic answer is enough here."
    signature = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}


def min_words(directives: dict[str, str], knobs: Knobs) -> int:
    paced = pace(directives)
    return paced[0] if paced else knobs.stream_deltas


def _text_answer(body: dict[str, Any], directives: dict[str, str], knobs: Knobs) -> tuple[str, str]:
    results = toolcalls.tool_results(last_user_message(body))
    if results:
        text = "The tool returned: " + toolcalls.result_preview(results[0])
    elif "long" in directives:
        text = filler(as_int(directives, "long", 1, lowest=1))
    else:
        text = default_text(body, knobs)
    return _limit(_with_min_words(text, min_words(directives, knobs)), body.get("inferenceConfig") or {})


# `[[sbc:in-turn]]` in the task: the tools it names are called one per turn, in order; `[[sbc:in-turn=2,1]]`
# says how many each turn calls together (here a parallel pair, then one alone; any tools left, one per turn).
IN_TURN = "in-turn"


def _rounds(sizes: str, count: int) -> list[tuple[int, int]]:
    """The (start, end) slices of the `count` named tools each turn calls, from an `in-turn` value."""
    wanted = [int(size) for size in sizes.split(",") if size.strip().isdigit() and int(size) > 0]
    rounds, start = [], 0
    while start < count:
        end = min(count, start + (wanted.pop(0) if wanted else 1))
        rounds.append((start, end))
        start = end
    return rounds


def _tool_blocks(body: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """Text-plus-toolUse blocks when the model decides to call tools, else []."""
    if not body.get("toolConfig"):
        return []
    if toolcalls.tool_results(last_user_message(body)):
        return _next_in_turn(body)
    specs, may_talk = toolcalls.choose_tools(body, text)
    directives = parse(text)
    if IN_TURN in directives:
        specs = specs[: _rounds(directives[IN_TURN], len(specs))[0][1]] if specs else []
    if not specs:
        return []
    prefix = [{"text": toolcalls.intro(specs)}] if may_talk else []
    return prefix + toolcalls.tool_use_blocks(body, specs, text)


def _next_in_turn(body: dict[str, Any]) -> list[dict[str, Any]]:
    """After a tool result, the next round of tools an `in-turn` task names that no turn since the task has
    called: a multi-round tool loop, where each round waits for the results of the one before."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    asked = [i for i, message in enumerate(messages) if message.get("role") == "user" and message_text(message)]
    task_at = asked[-1] if asked else None
    if task_at is None:
        return []
    task = message_text(messages[task_at])
    directives = parse(task)
    if IN_TURN not in directives:
        return []
    called = sum(
        1
        for message in messages[task_at + 1 :]
        if message.get("role") == "assistant"
        for block in message.get("content") or []
        if isinstance(block, dict) and "toolUse" in block
    )
    specs, _ = toolcalls.choose_tools(body, task)
    upcoming = [(start, end) for start, end in _rounds(directives[IN_TURN], len(specs)) if start >= called]
    if not upcoming:
        return []
    start, end = upcoming[0]
    return toolcalls.tool_use_blocks(body, specs[start:end], task)


def output_tokens(blocks: list[dict[str, Any]]) -> int:
    total = 0
    for block in blocks:
        if "text" in block:
            total += len(block["text"].split())
        elif "reasoningContent" in block:
            total += len(block["reasoningContent"]["reasoningText"]["text"].split())
        elif "toolUse" in block:
            total += -(-len(orjson.dumps(block["toolUse"]["input"])) // 4)
    return max(total, 1)


def json_answer(schema: dict[str, Any], text: str) -> str:
    """An instance of `schema` as spaced JSON (so it streams in several deltas); `name=value` in the
    prompt fills string properties of that name."""
    names = list(schema.get("properties") or {})
    given = {name: value for name in names if (value := toolcalls.given(name, text)) is not None}
    return json.dumps(structured.instance(schema, given))


def compose(body: dict[str, Any], text: str, directives: dict[str, str], knobs: Knobs) -> Answer:
    """The whole answer to a valid Converse request whose last user text is `text`."""
    blocks = [reasoning_block(body)] if wants_thinking(body, directives) else []
    tool_blocks = _tool_blocks(body, text)
    schema = structured.requested_schema(body)
    if tool_blocks:
        blocks += tool_blocks
        stop_reason = "tool_use"
    elif schema is not None:
        blocks.append({"text": json_answer(schema, text)})
        stop_reason = "end_turn"
    else:
        answer, stop_reason = _text_answer(body, directives, knobs)
        blocks.append({"text": answer})
    return Answer(blocks, stop_reason, output_tokens(blocks))
