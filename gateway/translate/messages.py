"""Turns OpenAI chat messages into Converse `system` blocks and a conversation Bedrock accepts.

Bedrock is stricter than OpenAI about conversation shape, so besides converting each message this
module normalises the whole list:

* `system` and `developer` messages, wherever they appear, become `system` text blocks in order.
* `tool` messages become `toolResult` blocks in a user turn; consecutive same-role messages are merged
  into one turn, which puts the results of parallel tool calls (and any user text right after them)
  into the single user turn Bedrock expects.
* Inside a turn, `toolResult` blocks come first and `toolUse` blocks last: Bedrock rejects tool results
  that follow text, and tool calls that precede text.
* Blank text blocks are dropped, and a message left with no content disappears.
* A conversation that starts with an assistant message gets a placeholder user turn in front of it
  (`LEADING_USER_TEXT`), so the history the client sent is kept rather than silently truncated.
* An assistant message's signed `thinking_blocks` (LiteLLM's shape, which this gateway also returns)
  become `reasoningContent` blocks at the start of its turn, as Claude needs them replayed during tool
  use. Unsigned thinking and a bare `reasoning_content` are dropped: Claude refuses thinking it did not sign.
  A streamed turn's one signed block arrives with empty text (the text came as `reasoning_content`
  deltas), so such a block takes its text from the message's `reasoning_content`.
* A content part carrying `cache_control` (Anthropic's marker) is followed by a `cachePoint`, unless
  nothing is left for it to follow (a marked blank text): Bedrock refuses a point with nothing before it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.errors import InvalidRequest
from gateway.translate.custom_tools import function_call
from gateway.translate.tool_names import bedrock_tool_id, bedrock_tool_name

# Bedrock rejects whitespace-only text, so placeholders must contain a visible character.
LEADING_USER_TEXT = "."
EMPTY_TOOL_RESULT_TEXT = "(no output)"

DATA_URL_RE = re.compile(r"data:image/([A-Za-z0-9.+-]+);base64,(.*)", re.DOTALL)
IMAGE_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "gif": "gif", "webp": "webp"}
UNSUPPORTED_PARTS = {"input_audio": "audio input", "file": "file input"}
CACHE_POINT = {"cachePoint": {"type": "default"}}
# Stable ordering inside a turn: results before text (user), calls after text (assistant).
BLOCK_RANK = {"toolResult": 0, "reasoningContent": 0, "toolUse": 2}


@dataclass(frozen=True)
class Conversation:
    system: list[dict]
    messages: list[dict]
    tool_names: dict[str, str] = field(default_factory=dict)  # bedrock name -> client name (rewritten only)
    history_tools: tuple[str, ...] = ()  # bedrock names called in history
    has_tool_blocks: bool = False
    image_params: tuple[str, ...] = ()  # where images are, for text-only models


@dataclass
class _Collector:
    """What conversion learns about the history along the way."""

    tool_names: dict[str, str] = field(default_factory=dict)
    history_tools: list[str] = field(default_factory=list)
    image_params: list[str] = field(default_factory=list)
    has_tool_blocks: bool = False


# ---- content parts ----------------------------------------------------------------------------


def _require_str(value: object, param: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"`{param}` must be a string", param=param)
    return value


def _text_part(part: dict, param: str, acc: _Collector) -> dict:
    return {"text": _require_str(part.get("text"), f"{param}.text")}


def _refusal_part(part: dict, param: str, acc: _Collector) -> dict:
    return {"text": _require_str(part.get("refusal"), f"{param}.refusal")}


def _image_part(part: dict, param: str, acc: _Collector) -> dict:
    param = f"{param}.image_url"
    image_url = part.get("image_url")
    # Some clients send the URL itself instead of {"url": ...}; both mean the same image.
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str):
        raise InvalidRequest(f"`{param}` must be an object with a string `url`", param=param)
    if url[:8].lower().startswith(("http://", "https://")):
        raise InvalidRequest(
            "Remote image URLs are not fetched by this gateway; send the image inline as a "
            "data: URL (data:image/png;base64,...)",
            param=param,
        )
    match = DATA_URL_RE.fullmatch(url)
    if match is None:
        raise InvalidRequest("Images must be sent as base64 data: URLs (data:image/png;base64,...)", param=param)
    image_format = IMAGE_FORMATS.get(match.group(1).lower())
    if image_format is None:
        raise InvalidRequest(
            f"Unsupported image type `image/{match.group(1)}`; supported types are png, jpeg, gif and webp", param=param
        )
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data:
        raise InvalidRequest("The image data URL does not contain valid base64 data", param=param)
    acc.image_params.append(param)
    return {"image": {"format": image_format, "source": {"bytes": data}}}


PartConverter = Callable[[dict, str, _Collector], dict]
SYSTEM_PARTS: dict[str, PartConverter] = {"text": _text_part}
USER_PARTS: dict[str, PartConverter] = {"text": _text_part, "image_url": _image_part}
ASSISTANT_PARTS: dict[str, PartConverter] = {"text": _text_part, "refusal": _refusal_part}


def _content_blocks(
    content: object, param: str, parts: dict[str, PartConverter], acc: _Collector, *, nullable: bool = False
) -> list[dict]:
    if content is None and nullable:
        return []
    if isinstance(content, str):
        return [{"text": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"`{param}` must be a string or a list of content parts", param=param)
    blocks = []
    for j, part in enumerate(content):
        part_param = f"{param}[{j}]"
        kind = part_kind(part, part_param, allowed=parts, unsupported=UNSUPPORTED_PARTS)
        blocks.append(parts[kind](part, part_param, acc))
        if isinstance(part.get("cache_control"), dict):
            blocks.append(dict(CACHE_POINT))
    return blocks


def part_kind(part: object, param: str, *, allowed: Iterable[str], unsupported: dict[str, str]) -> str:
    """The `type` of a content part, if it is one of `allowed`; InvalidRequest naming `param` otherwise.

    `unsupported` maps the types this API defines but the gateway cannot send to Bedrock to what they are.
    """
    kind = part.get("type") if isinstance(part, dict) else None
    if not isinstance(kind, str):
        raise InvalidRequest(f"`{param}` must be an object with a string `type`", param=param)
    if kind in unsupported:
        raise InvalidRequest(
            f"Content parts of type `{kind}` ({unsupported[kind]}) are not supported", param=f"{param}.type"
        )
    if kind not in allowed:
        raise InvalidRequest(
            f"Content part type `{kind}` is not allowed here; expected one of: {', '.join(sorted(allowed))}",
            param=f"{param}.type",
        )
    return kind


# ---- messages by role -------------------------------------------------------------------------


def _system(message: dict, param: str, acc: _Collector) -> tuple[str, list[dict]]:
    return "system", _content_blocks(message.get("content"), f"{param}.content", SYSTEM_PARTS, acc)


def _user(message: dict, param: str, acc: _Collector) -> tuple[str, list[dict]]:
    return "user", _content_blocks(message.get("content"), f"{param}.content", USER_PARTS, acc)


def _tool_input(arguments: object, param: str) -> dict:
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        return {}
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str):
        raise InvalidRequest(f"`{param}` must be a JSON string", param=param)
    try:
        value = json.loads(arguments, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise InvalidRequest(f"`{param}` is not valid JSON", param=param) from None
    if not isinstance(value, dict):
        raise InvalidRequest(f"`{param}` must encode a JSON object", param=param)
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _tool_use(call: object, param: str, acc: _Collector) -> dict:
    if not isinstance(call, dict):
        raise InvalidRequest(f"`{param}` must be an object", param=param)
    call_id = call.get("id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"`{param}.id` must be a non-empty string", param=f"{param}.id")
    if call.get("type") == "custom":
        custom = call.get("custom")
        if not isinstance(custom, dict) or not isinstance(custom.get("name"), str) or not custom["name"]:
            raise InvalidRequest(f"`{param}.custom.name` must be a non-empty string", param=f"{param}.custom.name")
        call = function_call(call)
    if call.get("type", "function") != "function":
        raise InvalidRequest("Only tool calls of type `function` or `custom` are supported", param=f"{param}.type")
    function = call.get("function")
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(function, dict) or not isinstance(name, str) or not name:
        raise InvalidRequest(f"`{param}.function.name` must be a non-empty string", param=f"{param}.function.name")
    tool_input = _tool_input(function.get("arguments"), f"{param}.function.arguments")
    bedrock_name = bedrock_tool_name(name)
    if bedrock_name != name:
        acc.tool_names[bedrock_name] = name
    if bedrock_name not in acc.history_tools:
        acc.history_tools.append(bedrock_name)
    acc.has_tool_blocks = True
    return {"toolUse": {"toolUseId": bedrock_tool_id(call_id), "name": bedrock_name, "input": tool_input}}


def _thinking_block(block: object, param: str) -> dict | None:
    fields: dict = block if isinstance(block, dict) else {}
    kind = fields.get("type")
    if kind == "thinking":
        text, signature = fields.get("thinking"), fields.get("signature")
        if isinstance(text, str) and isinstance(signature, str) and signature:
            return {"reasoningContent": {"reasoningText": {"text": text, "signature": signature}}}
        return None
    if kind == "redacted_thinking" and isinstance(fields.get("data"), str):
        try:
            return {"reasoningContent": {"redactedContent": base64.b64decode(fields["data"], validate=True)}}
        except (binascii.Error, ValueError):
            raise InvalidRequest(f"`{param}.data` must be base64", param=f"{param}.data") from None
    raise InvalidRequest(f"`{param}` must be a thinking or redacted_thinking block", param=param)


def _thinking_blocks(blocks: object, param: str, reasoning: object = None) -> list[dict]:
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        raise InvalidRequest(f"`{param}` must be a list", param=param)
    thinking = [block for block in blocks if isinstance(block, dict) and block.get("type") == "thinking"]
    if isinstance(reasoning, str) and reasoning and len(thinking) == 1 and thinking[0].get("thinking") == "":
        blocks = [{**block, "thinking": reasoning} if block is thinking[0] else block for block in blocks]
    converted = (_thinking_block(block, f"{param}[{k}]") for k, block in enumerate(blocks))
    return [block for block in converted if block is not None]


def _assistant(message: dict, param: str, acc: _Collector) -> tuple[str, list[dict]]:
    if message.get("function_call") is not None:
        raise InvalidRequest(
            "The deprecated `function_call` is not supported; use `tool_calls`", param=f"{param}.function_call"
        )
    blocks = _thinking_blocks(
        message.get("thinking_blocks"), f"{param}.thinking_blocks", message.get("reasoning_content")
    )
    blocks += _content_blocks(message.get("content"), f"{param}.content", ASSISTANT_PARTS, acc, nullable=True)
    refusal = message.get("refusal")
    if refusal is not None:
        blocks.append({"text": _require_str(refusal, f"{param}.refusal")})
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            raise InvalidRequest(f"`{param}.tool_calls` must be a list", param=f"{param}.tool_calls")
        blocks.extend(_tool_use(call, f"{param}.tool_calls[{k}]", acc) for k, call in enumerate(calls))
    return "assistant", blocks


def _tool(message: dict, param: str, acc: _Collector) -> tuple[str, list[dict]]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest(f"`{param}.tool_call_id` must be a non-empty string", param=f"{param}.tool_call_id")
    texts = _content_blocks(message.get("content"), f"{param}.content", SYSTEM_PARTS, acc)
    points = [block for block in texts if "cachePoint" in block][:1]
    content = [block for block in texts if "text" in block and not _is_blank(block)] or [
        {"text": EMPTY_TOOL_RESULT_TEXT}
    ]
    acc.has_tool_blocks = True
    # A cache point belongs beside the result, not inside it.
    return "user", [{"toolResult": {"toolUseId": bedrock_tool_id(call_id), "content": content}}, *points]


ROLE_CONVERTERS = {"system": _system, "developer": _system, "user": _user, "assistant": _assistant, "tool": _tool}


# ---- whole conversation -----------------------------------------------------------------------


def _is_blank(block: dict) -> bool:
    return "text" in block and not block["text"].strip()


def _kept(blocks: list[dict]) -> list[dict]:
    """`blocks` without blank text, and without cache points that no longer follow any content."""
    kept: list[dict] = []
    for block in blocks:
        if _is_blank(block) or ("cachePoint" in block and (not kept or "cachePoint" in kept[-1])):
            continue
        kept.append(block)
    return kept


def _merge(pieces: list[tuple[str, list[dict]]]) -> list[dict]:
    turns: list[dict] = []
    for role, blocks in pieces:
        blocks = _kept(blocks)
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    for turn in turns:
        turn["content"].sort(key=lambda block: BLOCK_RANK.get(next(iter(block)), 1))
    if turns and turns[0]["role"] == "assistant":
        turns.insert(0, {"role": "user", "content": [{"text": LEADING_USER_TEXT}]})
    return turns


def convert_messages(messages: list) -> Conversation:
    """The Converse form of `messages`; raises InvalidRequest naming the offending `messages[i]...`."""
    acc = _Collector()
    system: list[dict] = []
    pieces: list[tuple[str, list[dict]]] = []
    for i, message in enumerate(messages):
        param = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"`{param}` must be an object", param=param)
        role = message.get("role")
        if not isinstance(role, str) or role not in ROLE_CONVERTERS:
            raise InvalidRequest(f"`{param}.role` must be one of: {', '.join(ROLE_CONVERTERS)}", param=f"{param}.role")
        kind, blocks = ROLE_CONVERTERS[role](message, param, acc)
        if kind == "system":
            system = _kept(system + blocks)
        else:
            pieces.append((kind, blocks))
    turns = _merge(pieces)
    if not turns:
        raise InvalidRequest(
            "`messages` must contain at least one user or assistant message with content", param="messages"
        )
    return Conversation(
        system=system,
        messages=turns,
        tool_names=acc.tool_names,
        history_tools=tuple(acc.history_tools),
        has_tool_blocks=acc.has_tool_blocks,
        image_params=tuple(acc.image_params),
    )
