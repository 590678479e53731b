"""`reasoning_effort` -> Claude's extended thinking on Converse, with Claude's thinking rules enforced.

Budget-style models (`reasoning == "budget"`) get `thinking = {"type": "enabled", "budget_tokens": B}`
with B from `THINKING_BUDGETS`. Claude counts the budget inside `maxTokens` and needs
1024 <= B < maxTokens, so when the client gave no `max_tokens`, or one not above B, `maxTokens` is raised
to B + `ANSWER_HEADROOM` (capped at the model's maximum, with B lowered to fit under it): the answer
after the thinking must have room, and a budget the answer could not fit after would waste the thinking.
Adaptive models (`reasoning == "adaptive"`) get `thinking = {"type": "adaptive"}` and the effort as
`outputConfig.effort` (`ADAPTIVE_EFFORTS`). `none` (or no field) sends no thinking.

With thinking on, Claude refuses a temperature other than 1 and forced tool use (400s here, naming the
field), and ignores top_p, which is dropped. Claude also requires the last assistant turn that called a
tool to start with its signed thinking block; when the client did not send that block back, thinking is
left off for that one request rather than failing it (clients that never keep `thinking_blocks` still
work, they just do not think during the tool loop). Reasoning blocks in the history are removed whenever
thinking is off, since only thinking requests accept them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest
from gateway.registry import ModelSpec

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
THINKING_BUDGETS = {"minimal": 1024, "low": 1024, "medium": 4096, "high": 16384, "xhigh": 24576, "max": 32768}
ADAPTIVE_EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "high", "max": "max"}
MIN_BUDGET = 1024
ANSWER_HEADROOM = 4096
EMPTY_TURN_TEXT = "."  # Bedrock rejects an empty message and whitespace-only text


@dataclass(frozen=True)
class ReasoningAsk:
    effort: str | None
    max_tokens: int | None
    temperature: float | None
    forced_tool: bool
    max_tokens_param: str = "max_tokens"
    effort_param: str = "reasoning_effort"


def validate_effort(name: str, value: object) -> str:
    if value not in EFFORTS:
        raise InvalidRequest(f"`{name}` must be one of: {', '.join(EFFORTS)}", param=name)
    return value


def wants_thinking(ask: ReasoningAsk, spec: ModelSpec) -> bool:
    """Whether the request asks for thinking the model can do; 400 for settings thinking refuses."""
    if ask.effort in (None, "none"):
        return False
    if not spec.can_reason:  # the request translation drops the effort first (and notes it)
        return False
    if ask.temperature is not None and ask.temperature != 1:
        raise InvalidRequest(
            f"`temperature` must be 1 or unset when reasoning is on (`{ask.effort_param}`)", param="temperature"
        )
    if ask.forced_tool:
        raise InvalidRequest(
            f"`tool_choice` cannot force a tool call when reasoning is on (`{ask.effort_param}`); "
            'use "auto" or turn reasoning off',
            param="tool_choice",
        )
    return True


def replays_thinking(messages: list[dict]) -> bool:
    """Whether the last assistant turn that called a tool starts with its thinking (or there is none)."""
    for message in reversed(messages):
        content = message["content"]
        if message["role"] == "assistant" and any("toolUse" in block for block in content):
            return "reasoningContent" in content[0]
    return True


def without_reasoning(messages: list[dict]) -> list[dict]:
    turns = []
    for message in messages:
        content = [block for block in message["content"] if "reasoningContent" not in block]
        turns.append({**message, "content": content or [{"text": EMPTY_TURN_TEXT}]})
    return turns


def _budget_fields(effort: str, ask: ReasoningAsk, spec: ModelSpec, inference: dict) -> dict:
    budget = THINKING_BUDGETS[effort]
    max_tokens = ask.max_tokens
    if max_tokens is None or max_tokens <= budget:
        max_tokens = budget + ANSWER_HEADROOM
        if spec.max_output_tokens:
            max_tokens = min(max_tokens, spec.max_output_tokens)
    budget = min(budget, max_tokens - 1)
    if budget < MIN_BUDGET:
        raise InvalidRequest(
            f"`{ask.max_tokens_param}` must be above {MIN_BUDGET} when reasoning is on", param=ask.max_tokens_param
        )
    inference["maxTokens"] = max_tokens
    return {"additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": budget}}}


def _adaptive_fields(effort: str, ask: ReasoningAsk, spec: ModelSpec, inference: dict) -> dict:
    return {
        "additionalModelRequestFields": {"thinking": {"type": "adaptive"}},
        "outputConfig": {"effort": ADAPTIVE_EFFORTS[effort]},
    }


THINKING_STYLES = {"budget": _budget_fields, "adaptive": _adaptive_fields}


def apply_reasoning(kwargs: dict, ask: ReasoningAsk, spec: ModelSpec) -> bool:
    """Add thinking to the Converse `kwargs` in place when asked and possible; True when thinking is on."""
    effort = ask.effort  # never None once thinking is on: `wants_thinking` says no to None
    if effort is None or not (wants_thinking(ask, spec) and replays_thinking(kwargs["messages"])):
        kwargs["messages"] = without_reasoning(kwargs["messages"])
        return False
    inference = kwargs.setdefault("inferenceConfig", {})
    inference.pop("topP", None)
    for key, value in THINKING_STYLES[spec.reasoning](effort, ask, spec, inference).items():
        kwargs[key] = {**kwargs.get(key, {}), **value}
    if not inference:  # adaptive thinking with no client settings: send no empty inferenceConfig
        del kwargs["inferenceConfig"]
    return True
