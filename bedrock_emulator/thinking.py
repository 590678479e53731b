"""Claude's extended-thinking rules on Converse, with the messages Bedrock relays from Anthropic.

Thinking is on when `additionalModelRequestFields.thinking.type` is `enabled` (a `budget_tokens` budget)
or `adaptive` (Claude 4.6+, with `outputConfig.effort`). While it is on Claude refuses a temperature other
than 1, a top_p below 0.95 and a forced tool choice; and the assistant turn holding the last tool calls,
when it is the turn just before the final user message, must start with its signed reasoning block,
carried back unchanged (the emulator signs each reasoning text with `claude.signature_of`).
"""

from __future__ import annotations

from typing import Any

from bedrock_emulator.catalog import Model
from bedrock_emulator.claude import signature_of
from bedrock_emulator.errors import validation

MIN_BUDGET = 1024
EFFORTS = ("low", "medium", "high", "max")
MIN_TOP_P = 0.95
_FROM_MODEL = "The model returned the following errors: "

UNSUPPORTED = _FROM_MODEL + "thinking.type: `{}` thinking is not supported by this model"
BUDGET_TOO_SMALL = _FROM_MODEL + "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
BUDGET_OVER_MAX = _FROM_MODEL + (
    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
    "documentation at https://docs.claude.com/en/docs/build-with-claude/"
    "extended-thinking#max-tokens-and-context-window-size"
)
BAD_EFFORT = (
    "1 validation error detected: Value '{}' at 'outputConfig.effort' failed to satisfy constraint: "
    "Member must satisfy enum value set: [low, medium, high, max]"
)
TEMPERATURE = _FROM_MODEL + (
    "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
    "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
)
TOP_P = _FROM_MODEL + "`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled."
FORCED_TOOL = _FROM_MODEL + "Thinking may not be enabled when tool_choice forces tool use."
BAD_SIGNATURE = _FROM_MODEL + "messages.{}.content.{}: Invalid `signature` in `thinking` block"
MISSING_THINKING = _FROM_MODEL + (
    "messages.{}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
    "found `{}`. When `thinking` is enabled, a final `assistant` message must start "
    "with a thinking block (preceeding the lastmost set of `tool_use` and "
    "`tool_result` blocks)."
)


def config(body: dict[str, Any]) -> dict[str, Any] | None:
    """The request's thinking settings when thinking is on, else None."""
    thinking = (body.get("additionalModelRequestFields") or {}).get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") not in (None, "disabled"):
        return thinking
    return None


def validate(body: dict[str, Any], model: Model) -> None:
    """Raise the ValidationException Claude would answer for the thinking part of `body`, if any."""
    thinking = config(body)
    effort = (body.get("outputConfig") or {}).get("effort")
    if effort is not None and effort not in EFFORTS:
        raise validation(BAD_EFFORT.format(effort))
    if thinking is None:
        return
    if thinking["type"] not in model.thinking:
        raise validation(UNSUPPORTED.format(thinking["type"]))
    inference = body.get("inferenceConfig") or {}
    if thinking["type"] == "enabled":
        _check_budget(thinking.get("budget_tokens"), inference.get("maxTokens"))
    if inference.get("temperature") not in (None, 1):
        raise validation(TEMPERATURE)
    if inference.get("topP") is not None and inference["topP"] < MIN_TOP_P:
        raise validation(TOP_P)
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {}
    if "any" in choice or "tool" in choice:
        raise validation(FORCED_TOOL)
    _check_replay(body.get("messages") or [])


def _check_budget(budget: Any, max_tokens: Any) -> None:
    if not isinstance(budget, int) or budget < MIN_BUDGET:
        raise validation(BUDGET_TOO_SMALL)
    if isinstance(max_tokens, int) and budget >= max_tokens:
        raise validation(BUDGET_OVER_MAX)


def _check_replay(messages: list[dict[str, Any]]) -> None:
    for index, message in enumerate(messages):
        for position, block in enumerate(message.get("content") or []):
            text = ((block or {}).get("reasoningContent") or {}).get("reasoningText")
            if isinstance(text, dict) and text.get("signature") != signature_of(text.get("text") or ""):
                raise validation(BAD_SIGNATURE.format(index, position))
    if len(messages) < 2:
        return
    index = len(messages) - 2
    turn = messages[index]
    content = turn.get("content") or []
    if (
        turn.get("role") == "assistant"
        and any("toolUse" in block for block in content)
        and "reasoningContent" not in content[0]
    ):
        raise validation(MISSING_THINKING.format(index, _claude_type(content[0])))


def _claude_type(block: dict[str, Any]) -> str:
    return {"toolUse": "tool_use", "text": "text"}.get(next(iter(block), ""), next(iter(block), ""))
