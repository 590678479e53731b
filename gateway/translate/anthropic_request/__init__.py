"""Anthropic Messages requests made fit for Bedrock's InvokeModel: validated, then adapted to what Bedrock takes.

Claude on Bedrock takes Anthropic's own body (minus `model` and `stream`, plus `anthropic_version`), so
tool use, thinking signatures and `cache_control` pass through untouched. What Bedrock does not take is
adapted or left out and named (`Adaptations`), so the request succeeds instead of failing: mid-conversation
system entries (`turns`), adaptive thinking and effort (`thinking`), cache TTLs (`cache`), server tools and
newer tool keys (`tools`), betas and top-level fields Bedrock answers with "invalid beta flag" or
"extraneous key". The policy table in `gateway.compat.messages` says the same for users.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from core.errors import InvalidRequest
from gateway.compat import Adaptations
from gateway.registry import ModelSpec
from gateway.translate.anthropic_request.cache import fit_ttls
from gateway.translate.anthropic_request.thinking import thinking_fields
from gateway.translate.anthropic_request.tools import fit_tools
from gateway.translate.anthropic_request.turns import place_system_entries

ANTHROPIC_VERSION = "bedrock-2023-05-31"
# Top-level body fields sent as they are; `thinking` and `output_config` go through `thinking_fields`.
BEDROCK_FIELDS = (
    "max_tokens",
    "messages",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "tools",
    "tool_choice",
)
ADAPTED_FIELDS = ("thinking", "output_config")
# Fields Anthropic's API has and Bedrock rejects, left out and named as they are; any other field is named
# `unknown:<field>`. `metadata.user_id` is kept in the usage record, so `metadata` is named only for other keys.
KNOWN_DROPPED = ("context_management", "service_tier", "inference_geo", "speed", "container", "mcp_servers")
# Fields that point at state or tools only Anthropic's servers hold: dropping them would answer a conversation the
# model never sees whole, so they are refused instead (`thread` is served: gateway.message_threads).
STATEFUL = {
    "container": "a code-execution container on Anthropic's servers",
    "mcp_servers": "MCP servers Anthropic's servers call",
}
# Betas Bedrock accepts in `anthropic_beta`; the rest (claude-code-*, oauth-*, context-management-*,
# prompt-caching-scope-*, thinking-token-count-*, mid-conversation-*, advanced-tool-use-*, ...) Bedrock answers
# with "invalid beta flag".
BEDROCK_BETAS = frozenset(
    {
        "computer-use-2024-10-22",
        "computer-use-2025-01-24",
        "computer-use-2025-11-24",
        "token-efficient-tools-2025-02-19",
        "interleaved-thinking-2025-05-14",
        "output-128k-2025-02-19",
        "dev-full-thinking-2025-05-14",
        "context-1m-2025-08-07",
        "effort-2025-11-24",
        "tool-search-tool-2025-10-19",
        "tool-examples-2025-10-29",
    }
)
ROLES = ("user", "assistant", "system")
MAX_TOKENS_FOR_COUNTING = 1  # CountTokens wants a complete InvokeModel body; max_tokens does not change the count


@dataclass
class MessagesRequest:
    model: str
    spec: ModelSpec
    stream: bool
    max_tokens: int | None
    body: dict[str, Any]  # the InvokeModel body
    adaptations: Adaptations = field(default_factory=Adaptations)
    user_id: str | None = None
    message_count: int = 0

    @property
    def dropped(self) -> tuple[str, ...]:
        return self.adaptations.names


def _require(condition: bool, message: str, param: str) -> None:
    if not condition:
        raise InvalidRequest(message, param=param)


def _validate_messages(messages: Any) -> None:
    _require(isinstance(messages, list) and len(messages) > 0, "`messages` must be a non-empty list.", "messages")
    for index, message in enumerate(messages):
        _require(
            isinstance(message, dict) and message.get("role") in ROLES,
            f"messages.{index}.role must be `user`, `assistant` or `system`.",
            f"messages.{index}.role",
        )
        _require(
            isinstance(message.get("content"), (str, list)),
            f"messages.{index}.content must be a string or a list of content blocks.",
            f"messages.{index}.content",
        )


def _validate(data: Any, *, counting: bool) -> None:
    _require(isinstance(data, dict), "The request body must be a JSON object.", "body")
    _require(
        isinstance(data.get("model"), str) and data["model"].strip() != "",
        "`model` is required and must be a string.",
        "model",
    )
    _validate_messages(data.get("messages"))
    if not counting:
        max_tokens = data.get("max_tokens")
        _require(
            isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 1,
            "`max_tokens` is required and must be a positive integer.",
            "max_tokens",
        )
    _require(isinstance(data.get("stream", False), bool), "`stream` must be a boolean.", "stream")
    _require(isinstance(data.get("tools", []), list), "`tools` must be a list.", "tools")
    for index, tool in enumerate(data.get("tools") or []):
        _require(isinstance(tool, dict), f"tools.{index} must be an object.", f"tools.{index}")
        _require(isinstance(tool.get("name", ""), str), f"tools.{index}.name must be a string.", f"tools.{index}.name")
    choice = data.get("tool_choice")
    _require(choice is None or isinstance(choice, dict), "`tool_choice` must be an object.", "tool_choice")
    _require(
        isinstance((choice or {}).get("name", ""), str), "`tool_choice.name` must be a string.", "tool_choice.name"
    )


def betas_for_bedrock(header: str) -> tuple[list[str], list[str]]:
    """(betas Bedrock accepts, betas dropped) from an `anthropic-beta` header value, order kept."""
    requested = list(dict.fromkeys(beta.strip() for beta in header.split(",") if beta.strip()))
    return [beta for beta in requested if beta in BEDROCK_BETAS], [b for b in requested if b not in BEDROCK_BETAS]


def _note_dropped_fields(data: dict[str, Any], notes: Adaptations) -> None:
    for name in STATEFUL:
        _require(
            not data.get(name),  # an empty list or string names nothing, and is dropped like the other fields
            f"`{name}` names {STATEFUL[name]}, which Bedrock does not have; send the request without it.",
            name,
        )
    for name in data:
        if name == "metadata":
            if not isinstance(data[name], dict) or set(data[name]) - {"user_id"}:
                notes.note(name)
        elif name in KNOWN_DROPPED:
            notes.note(name)
        elif name not in BEDROCK_FIELDS + ADAPTED_FIELDS + ("model", "stream"):
            notes.note(f"unknown:{name}")


def _user_id(data: dict[str, Any]) -> str | None:
    metadata = data.get("metadata")
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    return str(user_id)[:256] if user_id else None


def to_messages_request(
    data: Any, *, resolve: Callable[[str, Adaptations], ModelSpec], beta_header: str = "", counting: bool = False
) -> MessagesRequest:
    """The validated request and its Bedrock body for the model `resolve` names (noting a substitute);
    InvalidRequest (400) for what no model could answer."""
    _validate(data, counting=counting)
    notes = Adaptations()
    spec = resolve(data["model"], notes)
    data = orjson.loads(orjson.dumps(data))  # adapted in place below; the caller's request stays as sent
    _note_dropped_fields(data, notes)
    body = {name: data[name] for name in BEDROCK_FIELDS if name in data}
    body["messages"] = place_system_entries(data["messages"], notes)
    _require(bool(body["messages"]), "`messages` must hold at least one user or assistant turn.", "messages")
    body.update(thinking_fields(data, spec, notes))
    fit_tools(body, notes)
    fit_ttls(body, spec, notes)
    betas, unknown_betas = betas_for_bedrock(beta_header)
    if "output_config" not in body:  # effort is a beta only where the effort itself is sent
        unknown_betas += [beta for beta in betas if beta.startswith("effort-")]
        betas = [beta for beta in betas if not beta.startswith("effort-")]
    notes.extend(f"beta:{beta}" for beta in unknown_betas)
    body["anthropic_version"] = ANTHROPIC_VERSION
    if betas:
        body["anthropic_beta"] = betas
    if counting:
        body.setdefault("max_tokens", MAX_TOKENS_FOR_COUNTING)
    return MessagesRequest(
        model=data["model"],
        spec=spec,
        stream=bool(data.get("stream", False)),
        max_tokens=data.get("max_tokens"),
        body=body,
        adaptations=notes,
        user_id=_user_id(data),
        message_count=len(data["messages"]),
    )


def estimate_input_tokens(body: dict[str, Any]) -> int:
    """About four characters per token over the prompt's JSON: the fallback when CountTokens is unavailable."""
    prompt = {name: body[name] for name in ("system", "messages", "tools") if name in body}
    return max(1, len(orjson.dumps(prompt)) // 4)
