"""The server-side checks Bedrock applies to a Converse request, with Bedrock's own messages.

Thinking rules live in `thinking`, structured-output (`outputConfig.textFormat`) rules in `structured`.

botocore already rejects missing members and wrong types before sending; these are the rules only the
service enforces, so the gateway's error paths meet the same answers they would meet in AWS.
"""

from __future__ import annotations

import re
from typing import Any

from bedrock_emulator import claude, structured, thinking
from bedrock_emulator.catalog import Model
from bedrock_emulator.errors import validation

ROLES = ("user", "assistant")
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")

START_WITH_USER = (
    "A conversation must start with a user message. Try again with a conversation that starts with a user message."
)
ALTERNATE = (
    "A conversation must alternate between user and assistant roles. Make sure the conversation "
    "alternates between user and assistant roles and try again."
)
BLANK_TEXT = (
    "The text field in the ContentBlock object at messages.{}.content.{} is blank. Add text to the "
    "text field, and try again."
)
EMPTY_CONTENT = (
    "The content field in the Message object at messages.{} is empty. Add a ContentBlock object "
    "to the content field and try again."
)
TOOL_CONFIG_NEEDED = "The toolConfig field must be defined when using toolUse and toolResult content blocks."
MISSING_RESULTS = "Expected toolResult blocks at messages.{}.content for the following Ids: {}"
EXTRA_RESULTS = (
    "The number of toolResult blocks at messages.{}.content exceeds the number of toolUse blocks of previous turn."
)
UNKNOWN_RESULT = (
    "The model returned the following errors: messages.{}.content: unexpected `tool_use_id` found "
    "in `tool_result` blocks: {}. Each `tool_result` block must have a corresponding `tool_use` "
    "block in the previous message."
)
SAMPLING_XOR = (
    "The model returned the following errors: `temperature` and `top_p` cannot both be specified "
    "for this model. Please use only one."
)


def _constraint(value: Any, where: str, rule: str) -> str:
    return f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {rule}"


def validate_converse(body: dict[str, Any], model: Model) -> None:
    """Raise the ValidationException Bedrock would answer for `body`, if any."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation(START_WITH_USER)
    _check_roles(messages)
    uses_tools = _check_content(messages)
    if uses_tools and not body.get("toolConfig"):
        raise validation(TOOL_CONFIG_NEEDED)
    _check_tool_results(messages)
    _check_inference(body.get("inferenceConfig") or {}, model)
    _check_tool_config(body.get("toolConfig"))
    thinking.validate(body, model)
    structured.validate(body, model)


def _check_roles(messages: list[Any]) -> None:
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise validation(
                _constraint(
                    role, f"messages.{index + 1}.member.role", "Member must satisfy enum value set: [user, assistant]"
                )
            )
    if messages[0]["role"] != "user":
        raise validation(START_WITH_USER)
    for previous, current in zip(messages, messages[1:]):
        if previous["role"] == current["role"]:
            raise validation(ALTERNATE)


def _check_content(messages: list[dict[str, Any]]) -> bool:
    """Reject empty messages and blank text; report whether any toolUse/toolResult block is present."""
    uses_tools = False
    for index, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list) or not content:
            raise validation(EMPTY_CONTENT.format(index))
        for position, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            text = block.get("text")
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise validation(BLANK_TEXT.format(index, position))
            uses_tools = uses_tools or "toolUse" in block or "toolResult" in block
    return uses_tools


def _ids(message: dict[str, Any], kind: str) -> list[str]:
    return [
        block[kind].get("toolUseId", "")
        for block in message["content"]
        if isinstance(block, dict) and isinstance(block.get(kind), dict)
    ]


def _check_tool_results(messages: list[dict[str, Any]]) -> None:
    for index in range(1, len(messages)):
        if messages[index]["role"] != "user":
            continue
        expected = _ids(messages[index - 1], "toolUse")
        results = _ids(messages[index], "toolResult")
        if len(results) > len(expected):
            raise validation(EXTRA_RESULTS.format(index))
        unknown = [tool_id for tool_id in results if tool_id not in expected]
        if unknown:
            raise validation(UNKNOWN_RESULT.format(index, ", ".join(unknown)))
        missing = [tool_id for tool_id in expected if tool_id not in results]
        if missing:
            raise validation(MISSING_RESULTS.format(index, ", ".join(missing)))


def _check_inference(config: dict[str, Any], model: Model) -> None:
    for name in ("temperature", "topP"):
        value = config.get(name)
        if value is not None and not 0 <= value <= 1:
            rule = "less than or equal to 1" if value > 1 else "greater than or equal to 0"
            raise validation(_constraint(value, f"inferenceConfig.{name}", f"Member must have value {rule}"))
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and max_tokens < 1:
        raise validation(
            _constraint(max_tokens, "inferenceConfig.maxTokens", "Member must have value greater than or equal to 1")
        )
    if model.sampling_xor and config.get("temperature") is not None and config.get("topP") is not None:
        raise validation(SAMPLING_XOR)


def _check_tool_config(tool_config: dict[str, Any] | None) -> None:
    if not tool_config:
        return
    names = []
    for index, tool in enumerate(tool_config.get("tools") or []):
        spec = tool.get("toolSpec") if isinstance(tool, dict) else None
        if not spec:
            continue
        name = spec.get("name", "")
        if not _TOOL_NAME.fullmatch(name):
            raise validation(
                _constraint(
                    name,
                    f"toolConfig.tools.{index + 1}.member.toolSpec.name",
                    "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
                )
            )
        names.append(name)
    chosen = ((tool_config.get("toolChoice") or {}).get("tool") or {}).get("name")
    if chosen is not None and chosen not in names:
        raise validation(
            f"The model returned the following errors: tool_choice: Tool '{chosen}' not found in the provided tools."
        )


# InvokeModel with Claude's own body: the checks Bedrock and Claude apply beyond `claude.validate`'s schema.
CLAUDE_ROLE = (
    "Malformed input request: #/messages/{}/role: {} is not a valid enum value, please reformat your "
    "input and try again."
)
CLAUDE_FIRST_USER = 'messages: first message must use the "user" role'
CLAUDE_ALTERNATE = (
    'messages: roles must alternate between "user" and "assistant", but found multiple "{}" roles in a row'
)
CLAUDE_BLANK = "messages.{}.content.{}: text content blocks must contain non-whitespace text"
CLAUDE_SYSTEM_BLANK = "system.{}: text content blocks must contain non-whitespace text"
CLAUDE_EXTRA = (
    "Malformed input request: {}: extraneous key [{}] is not permitted, please reformat your input and try again."
)
THINKING_KEYS = {"enabled": {"type", "budget_tokens"}, "adaptive": {"type", "display"}, "disabled": {"type"}}
TOOL_KEYS = {"type", "name", "description", "input_schema", "cache_control"}


def validate_claude(body: Any, model: Model) -> None:
    """Raise the ValidationException Bedrock answers for a Claude InvokeModel body, if any."""
    claude.validate(body)
    _check_claude_turns(body["messages"])
    _check_claude_keys(body, model)
    claude.check_ttls(body, model)
    thinking.validate(claude.converse_view(body), model)


def _check_claude_turns(messages: list[dict[str, Any]]) -> None:
    for index, message in enumerate(messages):
        if message.get("role") not in ROLES:
            raise validation(CLAUDE_ROLE.format(index, message.get("role")))
    if messages[0]["role"] != "user":
        raise validation(CLAUDE_FIRST_USER)
    for previous, current in zip(messages, messages[1:]):
        if previous["role"] == current["role"]:
            raise validation(CLAUDE_ALTERNATE.format(current["role"]))
    for index, message in enumerate(messages):
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content or []
        for position, block in enumerate(blocks):
            if isinstance(block, dict) and block.get("type") == "text" and not str(block.get("text") or "").strip():
                raise validation(CLAUDE_BLANK.format(index, position))


def _check_claude_keys(body: dict[str, Any], model: Model) -> None:
    for position, block in enumerate(body.get("system") if isinstance(body.get("system"), list) else []):
        if isinstance(block, dict) and not str(block.get("text") or "").strip():
            raise validation(CLAUDE_SYSTEM_BLANK.format(position))
    if "output_config" in body and "adaptive" not in model.thinking:
        raise validation(CLAUDE_EXTRA.format("#", "output_config"))
    extra = sorted(set(body.get("output_config") or {}) - {"effort"})
    if extra:
        raise validation(CLAUDE_EXTRA.format("#/output_config", extra[0]))
    thinking_config = body.get("thinking") or {}
    extra = sorted(set(thinking_config) - THINKING_KEYS.get(thinking_config.get("type"), set(thinking_config)))
    if extra:
        raise validation(CLAUDE_EXTRA.format("#/thinking", extra[0]))
    for index, tool in enumerate(body.get("tools") or []):
        if isinstance(tool, dict) and tool.get("type") in (None, "custom") and set(tool) - TOOL_KEYS:
            raise validation(CLAUDE_EXTRA.format(f"#/tools/{index}", sorted(set(tool) - TOOL_KEYS)[0]))
