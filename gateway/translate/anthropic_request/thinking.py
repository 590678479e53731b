"""`thinking` and `output_config.effort` made fit for the model: adaptive, a token budget, or none.

Claude Code sends `thinking: {"type": "adaptive"}` with `output_config: {"effort": ...}` to every model.
Bedrock takes both only on models with adaptive thinking (Claude 4.6 and later; `output_config` elsewhere is
"extraneous key"). A model with budget thinking gets `{"type": "enabled", "budget_tokens": B}`, B from the
effort as for `reasoning_effort` on chat completions (`THINKING_BUDGETS`) and below `max_tokens`; a model
without thinking gets neither. `display` (whether thinking text is shown) exists only with adaptive thinking.
"""

from __future__ import annotations

from typing import Any

from core.errors import InvalidRequest
from gateway.compat import Adaptations
from gateway.registry import ModelSpec
from gateway.translate.reasoning import ADAPTIVE_EFFORTS, MIN_BUDGET, THINKING_BUDGETS

DEFAULT_EFFORT = "high"  # Anthropic's default when no effort is given
EFFORT_NOTE = "output_config.effort"


def _effort(output_config: Any) -> str | None:
    if output_config is None:
        return None
    if not isinstance(output_config, dict):
        raise InvalidRequest("`output_config` must be an object.", param="output_config")
    if "format" in output_config:
        # Dropping it would answer free text to a client that parses JSON.
        raise InvalidRequest(
            "`output_config.format` (structured output) is not available on /v1/messages here; "
            "use /v1/chat/completions with `response_format`.",
            param="output_config.format",
        )
    effort = output_config.get("effort")
    if effort is not None and effort not in ADAPTIVE_EFFORTS:
        raise InvalidRequest(
            f"`output_config.effort` must be one of: {', '.join(ADAPTIVE_EFFORTS)}.", param="output_config.effort"
        )
    return effort


def _budget(effort: str | None, max_tokens: int) -> dict[str, Any] | None:
    """Budget thinking for an effort, kept below max_tokens; None when max_tokens leaves no room."""
    budget = min(THINKING_BUDGETS[effort or DEFAULT_EFFORT], max_tokens - 1)
    return {"type": "enabled", "budget_tokens": budget} if budget >= MIN_BUDGET else None


def thinking_fields(data: dict[str, Any], spec: ModelSpec, notes: Adaptations) -> dict[str, Any]:
    """The `thinking` / `output_config` body fields the model accepts, each change noted."""
    effort = _effort(data.get("output_config"))
    thinking = data.get("thinking")
    if thinking is not None and not (isinstance(thinking, dict) and isinstance(thinking.get("type"), str)):
        raise InvalidRequest("`thinking` must be an object with a `type`.", param="thinking")
    given: dict[str, Any] = thinking or {}
    kind = given.get("type")
    fields: dict[str, Any] = {}
    if spec.reasoning == "adaptive":
        if kind in ("adaptive", "enabled"):
            fields["thinking"] = thinking
        if effort is not None:
            fields["output_config"] = {"effort": ADAPTIVE_EFFORTS[effort]}
            if ADAPTIVE_EFFORTS[effort] != effort:
                notes.note(EFFORT_NOTE)
        return fields
    if effort is not None:
        notes.note(EFFORT_NOTE)  # into the budget below, or nowhere on a model without thinking
    if kind in ("adaptive", "enabled") and spec.reasoning == "budget":
        if kind == "enabled":
            fields["thinking"] = {"type": "enabled", "budget_tokens": given.get("budget_tokens")}
            if set(given) - set(fields["thinking"]):
                notes.note("thinking.display")
        else:
            notes.note("thinking.type:adaptive")
            budget = _budget(effort, int(data.get("max_tokens") or 0))
            if budget:
                fields["thinking"] = budget
    elif kind in ("adaptive", "enabled"):
        notes.note("thinking")
    return fields
