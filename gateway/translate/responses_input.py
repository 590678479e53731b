"""Turns a Responses API `input` (and `instructions`) into chat messages, then into a Converse conversation.

Each input item becomes one chat-completions message, so `messages.convert_messages` does the real work
(merging turns, ordering tool results and calls, images, signed thinking) exactly as for chat. Errors it
raises name `messages[i]...`; they are renamed to the Responses item they came from (`input[k].arguments`).

Item choices clients notice:

* `message` items (with or without `"type": "message"`) of role user, assistant, system or developer;
  system and developer messages, like `instructions`, become Converse `system` blocks.
* `function_call` / `function_call_output` pair up by `call_id`. An output given as content parts keeps its
  text; its images cannot sit inside a Converse tool result here, so they follow it in the same user turn.
* `reasoning` items are replayed to Claude when their `encrypted_content` is one this gateway issued
  (`REASONING_PREFIX`: the signed thinking, base64 JSON); one sent back by id alone (the OpenAI Agents SDK's way)
  is the stored item of that id, signature included, when responses are kept. Any other reasoning item is left
  out and named `item:reasoning`, since Claude refuses thinking it did not sign.
* `item_reference` items become the stored item they name (`Stored.resolve`, one look-up for them all); an
  id that is not the caller's, or has expired, is a 404 naming `input[k].id`. Items a request continues
  (`previous_response_id`, `conversation`) come first, named by that field in errors.
* `compaction` items this gateway issued (`COMPACTION_PREFIX`, see `gateway.translate.compaction`) become
  the summary they carry, as user text; a compaction item from elsewhere cannot be read and is dropped,
  named `item:compaction`.
* Calls of hosted tools the client sends back (`web_search_call`, ...: the tool was dropped from the
  request, see `responses_request`, but another provider may have run it earlier in the session) are
  dropped and named `item:<type>`: Bedrock has no such block, and the answer the model wrote from their
  results follows them as an ordinary assistant message.
* Items of custom (freeform) tools are refused by name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from core.errors import InvalidRequest, NotFound
from gateway.compat import Adaptations
from gateway.translate.messages import Conversation, convert_messages, part_kind

REASONING_PREFIX = "sbc-reasoning-v1:"
COMPACTION_PREFIX = "sbc-compaction-v1:"
COMPACTION_TYPES = ("compaction", "compaction_summary")  # Codex reads and writes both names
SUMMARY_INTRO = "Summary of the earlier part of this conversation, which was compacted:\n\n"
NAMESPACE_SEPARATOR = "__"
IMAGE_IN_OUTPUT_TEXT = "(image attached below)"
MESSAGE_ROLES = ("user", "assistant", "system", "developer")
# Responses content part type -> chat part type; images only where a user speaks.
TEXT_PARTS = {"input_text": "text", "output_text": "text", "text": "text", "refusal": "refusal"}
UNSUPPORTED_PARTS = {"input_file": "file input; send the text or an image", "input_audio": "audio input"}
REFERENCE = "item_reference"
UNSUPPORTED_ITEMS = {
    "custom_tool_call": "custom (freeform) tools are not supported; use function tools",
    "custom_tool_call_output": "custom (freeform) tools are not supported; use function tools",
}
# Items recording a hosted tool's run: dropped, as the tools themselves are.
HOSTED_TOOL_ITEMS = (
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "mcp_approval_response",
)
# Chat message sub-paths and the Responses item field they came from, for renamed errors.
PARAM_TAILS = (
    (".tool_calls[0].function.arguments", ".arguments"),
    (".tool_calls[0].function.name", ".name"),
    (".tool_calls[0].id", ".call_id"),
    (".tool_calls[0]", ""),
    (".tool_call_id", ".call_id"),
    (".thinking_blocks[0]", ".encrypted_content"),
)
CHAT_PARAM_RE = re.compile(r"messages\[(\d+)\]((?:\.[A-Za-z_]+|\[\d+\])*)")


@dataclass(frozen=True)
class Stored:
    """What a request continues, and how its `item_reference` items are found (see gateway.responses_store)."""

    prior: tuple[dict, ...] = ()  # earlier items (a previous response's chain, a conversation), in order
    prior_param: str = "previous_response_id"
    resolve: Callable[[list[str]], dict[str, dict]] | None = None  # ids -> stored items; None: nothing stored


NOTHING_STORED = Stored()


@dataclass(frozen=True)
class _Origin:
    item: str  # e.g. "input[3]" or "instructions"
    content: str = ".content"  # the item field chat's `content` came from


def flat_tool_name(name: str, namespace: str | None) -> str:
    """The single tool name Bedrock sees for a function inside a Responses `namespace` tool."""
    return f"{namespace}{NAMESPACE_SEPARATOR}{name}" if namespace else name


def _string(value: object, param: str, *, empty: bool = True) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise InvalidRequest(f"`{param}` must be a {'string' if empty else 'non-empty string'}", param=param)
    return value


def _image_part(part: dict, param: str) -> dict:
    if part.get("file_id") is not None:
        raise InvalidRequest(
            "Image file ids are not supported: this gateway stores no files; send the image as a "
            "data: URL in `image_url`",
            param=f"{param}.file_id",
        )
    return {"type": "image_url", "image_url": {"url": _string(part.get("image_url"), f"{param}.image_url")}}


def _part(part: object, param: str, *, images: bool) -> dict:
    allowed = [*TEXT_PARTS, "input_image"] if images else list(TEXT_PARTS)
    kind = part_kind(part, param, allowed=allowed, unsupported=UNSUPPORTED_PARTS)
    fields = cast(dict, part)  # `part_kind` found a string `type` in it, so it is an object
    if kind == "input_image":
        return _image_part(fields, param)
    field = "refusal" if kind == "refusal" else "text"
    return {"type": TEXT_PARTS[kind], field: _string(fields.get(field), f"{param}.{field}")}


def _content(content: object, param: str, *, images: bool) -> str | list[dict]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise InvalidRequest(f"`{param}` must be a string or a list of content parts", param=param)
    return [_part(part, f"{param}[{j}]", images=images) for j, part in enumerate(content)]


# ---- items ------------------------------------------------------------------------------------------


def _message(item: dict, param: str) -> list[tuple[dict, _Origin]]:
    role = item.get("role")
    if role not in MESSAGE_ROLES:
        raise InvalidRequest(f"`{param}.role` must be one of: {', '.join(MESSAGE_ROLES)}", param=f"{param}.role")
    content = _content(item.get("content"), f"{param}.content", images=role == "user")
    return [({"role": role, "content": content}, _Origin(param))]


def _function_call(item: dict, param: str) -> list[tuple[dict, _Origin]]:
    call_id = _string(item.get("call_id"), f"{param}.call_id", empty=False)
    name = _string(item.get("name"), f"{param}.name", empty=False)
    namespace = item.get("namespace")
    if namespace is not None:
        name = flat_tool_name(name, _string(namespace, f"{param}.namespace", empty=False))
    arguments = item.get("arguments")
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    return [({"role": "assistant", "content": None, "tool_calls": [call]}, _Origin(param))]


def _function_call_output(item: dict, param: str) -> list[tuple[dict, _Origin]]:
    call_id = _string(item.get("call_id"), f"{param}.call_id", empty=False)
    output = _content(item.get("output"), f"{param}.output", images=True)
    origin = _Origin(param, ".output")
    if isinstance(output, str):
        return [({"role": "tool", "tool_call_id": call_id, "content": output}, origin)]
    images = [part for part in output if part["type"] == "image_url"]
    texts = [
        part if part["type"] == "text" else {"type": "text", "text": part.get("text") or part.get("refusal")}
        for part in output
        if part["type"] != "image_url"
    ]
    if images:
        texts.append({"type": "text", "text": IMAGE_IN_OUTPUT_TEXT})
    messages = [({"role": "tool", "tool_call_id": call_id, "content": texts}, origin)]
    if images:
        messages.append(({"role": "user", "content": images}, origin))
    return messages


def decode_reasoning(encrypted: object) -> dict | None:
    """The chat `thinking_blocks` entry this gateway packed into `encrypted_content`, else None."""
    if not isinstance(encrypted, str) or not encrypted.startswith(REASONING_PREFIX):
        return None
    try:
        block = json.loads(base64.b64decode(encrypted[len(REASONING_PREFIX) :], validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return block if isinstance(block, dict) and block.get("type") in ("thinking", "redacted_thinking") else None


def encode_reasoning(block: dict) -> str:
    """`encrypted_content` for a chat `thinking_blocks` entry (Claude's signature travels inside)."""
    return REASONING_PREFIX + base64.b64encode(json.dumps(block, separators=(",", ":")).encode()).decode()


def _reasoning(item: dict, param: str, adaptations: Adaptations) -> list[tuple[dict, _Origin]]:
    block = decode_reasoning(item.get("encrypted_content"))
    if block is None:  # not signed here, and not kept here: Claude cannot be shown thinking it cannot verify
        adaptations.note("item:reasoning")
        return []
    return [({"role": "assistant", "content": None, "thinking_blocks": [block]}, _Origin(param))]


def encode_compaction(summary: str) -> str:
    """`encrypted_content` of a compaction item: the summary, base64 JSON behind our prefix.

    Not signed: it reaches the model as user text, which the client may send anyway.
    """
    payload = json.dumps({"summary": summary}, separators=(",", ":")).encode()
    return COMPACTION_PREFIX + base64.b64encode(payload).decode()


def decode_compaction(encrypted: object) -> str | None:
    """The summary this gateway packed into a compaction item's `encrypted_content`, else None."""
    if not isinstance(encrypted, str) or not encrypted.startswith(COMPACTION_PREFIX):
        return None
    try:
        payload = json.loads(base64.b64decode(encrypted[len(COMPACTION_PREFIX) :], validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    summary = payload.get("summary") if isinstance(payload, dict) else None
    return summary if isinstance(summary, str) and summary else None


def _compaction(item: dict, param: str, adaptations: Adaptations) -> list[tuple[dict, _Origin]]:
    summary = decode_compaction(item.get("encrypted_content"))
    if summary is None:
        adaptations.note("item:compaction")
        return []
    return [({"role": "user", "content": SUMMARY_INTRO + summary}, _Origin(param, ".encrypted_content"))]


ITEM_CONVERTERS = {
    "message": _message,
    "function_call": _function_call,
    "function_call_output": _function_call_output,
}


def _item(item: object, param: str, adaptations: Adaptations) -> list[tuple[dict, _Origin]]:
    if not isinstance(item, dict):
        raise InvalidRequest(f"`{param}` must be an object", param=param)
    kind = item.get("type", "message" if "role" in item else None)
    if kind in HOSTED_TOOL_ITEMS:
        adaptations.note(f"item:{kind}")
        return []
    if kind in COMPACTION_TYPES:
        return _compaction(item, param, adaptations)
    if kind == "reasoning":
        return _reasoning(item, param, adaptations)
    if kind in UNSUPPORTED_ITEMS:
        raise InvalidRequest(
            f"Input items of type `{kind}` are not supported: {UNSUPPORTED_ITEMS[kind]}", param=f"{param}.type"
        )
    if kind not in ITEM_CONVERTERS:
        raise InvalidRequest(
            f"Input items of type `{kind}` are not supported; expected one of: "
            f"{', '.join([*ITEM_CONVERTERS, 'reasoning'])}",
            param=f"{param}.type",
        )
    return ITEM_CONVERTERS[kind](item, param)


# ---- whole input --------------------------------------------------------------------------------------


def _renamed_param(match: re.Match, origins: list[_Origin]) -> str:
    index, tail = int(match.group(1)), match.group(2)
    if index >= len(origins):
        return match.group(0)
    origin = origins[index]
    for chat_tail, item_tail in PARAM_TAILS:
        if tail.startswith(chat_tail):
            return origin.item + item_tail + tail[len(chat_tail) :]
    if tail.startswith(".content"):
        return origin.item + origin.content + tail[len(".content") :]
    return origin.item + tail


def _renamed(error: InvalidRequest, origins: list[_Origin]) -> InvalidRequest:
    """`error` as the client wrote the request: `messages[i]...` becomes the `input[k]...` it came from."""
    rename = lambda text: CHAT_PARAM_RE.sub(lambda m: _renamed_param(m, origins), text)  # noqa: E731
    message = rename(error.message).replace("`messages`", "`input`")
    param = "input" if error.param == "messages" else rename(error.param) if error.param else error.param
    renamed = type(error)(message, param=param, code=error.code)
    renamed.headers = error.headers
    return renamed


def _is_reference(item: object) -> bool:
    return isinstance(item, dict) and (item.get("type") == REFERENCE or (set(item) == {"id"}))


def _is_bare_reasoning(item: object) -> bool:
    """A reasoning item sent back by id without the signed thinking (the OpenAI Agents SDK replays them so)."""
    return (
        isinstance(item, dict)
        and item.get("type") == "reasoning"
        and isinstance(item.get("id"), str)
        and decode_reasoning(item.get("encrypted_content")) is None
    )


def resolved_input(value: list, stored: Stored) -> list[object]:
    """`input` (a list) with each `item_reference` replaced by the stored item it names, and each reasoning item
    sent by id alone by the stored one, which keeps Claude's signed thinking (when it is kept here)."""
    bare = {k: item["id"] for k, item in enumerate(value) if stored.resolve is not None and _is_bare_reasoning(item)}
    if bare:
        assert stored.resolve is not None
        found = stored.resolve(list(set(bare.values())))
        value = [found.get(bare[k], item) if k in bare else item for k, item in enumerate(value)]
    wanted = {k: item.get("id") for k, item in enumerate(value) if _is_reference(item)}
    if not wanted:
        return list(value)
    if stored.resolve is None:
        k = next(iter(wanted))
        raise InvalidRequest(
            "Input items of type `item_reference` are not supported: this gateway does not "
            "store items here (storage is off); send each item in full",
            param=f"input[{k}].type",
        )
    for k, item_id in wanted.items():
        _string(item_id, f"input[{k}].id", empty=False)
    found = stored.resolve(list(set(wanted.values())))
    items = list(value)
    for k, item_id in wanted.items():
        if item_id not in found:
            raise NotFound(f"Item with id '{item_id}' not found.", param=f"input[{k}].id")
        items[k] = found[item_id]
    return items


def input_messages(
    value: str | list, instructions: str | None, stored: Stored = NOTHING_STORED, adaptations: Adaptations | None = None
) -> list[tuple[dict, _Origin]]:
    """Chat messages (with where each came from) for a Responses `input` and `instructions`; `value` is a
    string or a list whose item references are resolved already. What was dropped is noted in `adaptations`."""
    adaptations = Adaptations() if adaptations is None else adaptations
    pieces: list[tuple[dict, _Origin]] = []
    if instructions:
        pieces.append(({"role": "system", "content": instructions}, _Origin("instructions", "")))
    for item in stored.prior:
        pieces.extend(_item(item, stored.prior_param, adaptations))
    if isinstance(value, str):
        return [*pieces, ({"role": "user", "content": value}, _Origin("input", ""))]
    for k, item in enumerate(value):
        pieces.extend(_item(item, f"input[{k}]", adaptations))
    return pieces


def input_items(value: object, stored: Stored = NOTHING_STORED) -> list[object]:
    """The request's own input as items (a string is one user message), references resolved."""
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise InvalidRequest("`input` must be a string or a non-empty list of input items", param="input")
    return resolved_input(value, stored)


def convert_input(
    value: object, instructions: str | None, stored: Stored = NOTHING_STORED, adaptations: Adaptations | None = None
) -> tuple[list[dict], Conversation, list[object]]:
    """The chat messages, the Converse conversation and the request's own items (references resolved) for
    `input`; errors name `input[k]...`. What was dropped from `input` is noted in `adaptations`."""
    items = input_items(value, stored)
    pieces = input_messages(value if isinstance(value, str) else items, instructions, stored, adaptations)
    messages, origins = [message for message, _ in pieces], [origin for _, origin in pieces]
    try:
        return messages, convert_messages(messages), items
    except InvalidRequest as error:
        raise _renamed(error, origins) from None
