"""Anthropic Messages requests made fit for Bedrock's InvokeModel: validated, then stripped of what Bedrock rejects.

Claude on Bedrock takes Anthropic's own body (minus `model` and `stream`, plus `anthropic_version`), so
tool use, thinking signatures and `cache_control` pass through untouched. What Bedrock does not run or
rejects with "extraneous key" / "invalid beta flag" (server tools, unknown betas, newer top-level fields
that clients such as Claude Code send) is removed and reported, so the request succeeds instead of failing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from core.errors import InvalidRequest

ANTHROPIC_VERSION = "bedrock-2023-05-31"
# Top-level body fields Bedrock's Claude models accept; anything else (metadata, context_management,
# container, mcp_servers, service_tier, ...) is dropped rather than sent to be rejected.
BEDROCK_FIELDS = frozenset({"max_tokens", "messages", "system", "temperature", "top_p", "top_k", "stop_sequences",
                            "tools", "tool_choice", "thinking"})
# Betas Bedrock accepts in `anthropic_beta`; Claude Code also sends Anthropic-only ones (claude-code-*,
# oauth-*, fine-grained-tool-streaming-*, prompt-caching-scope-*) that Bedrock answers with "invalid beta flag".
BEDROCK_BETAS = frozenset({
    "computer-use-2024-10-22", "computer-use-2025-01-24", "computer-use-2025-11-24",
    "token-efficient-tools-2025-02-19", "interleaved-thinking-2025-05-14", "output-128k-2025-02-19",
    "dev-full-thinking-2025-05-14", "context-1m-2025-08-07", "effort-2025-11-24",
    "tool-search-tool-2025-10-19", "tool-examples-2025-10-29",
})
# Tool `type` prefixes Bedrock runs (client-side tools). Server tools (web_search_*, web_fetch_*,
# code_execution_*, mcp_toolset) run on Anthropic's servers only, so they are dropped.
BEDROCK_TOOL_TYPES = ("custom", "bash_", "text_editor_", "computer_", "memory_")
MAX_TOKENS_FOR_COUNTING = 1   # CountTokens wants a complete InvokeModel body; max_tokens does not change the count


@dataclass
class MessagesRequest:
    model: str | None
    stream: bool
    max_tokens: int | None
    body: dict[str, Any]                       # the InvokeModel body
    dropped: list[str] = field(default_factory=list)
    user_id: str | None = None
    message_count: int = 0


def _require(condition: bool, message: str, param: str) -> None:
    if not condition:
        raise InvalidRequest(message, param=param)


def _validate(data: Any, *, counting: bool) -> None:
    _require(isinstance(data, dict), "The request body must be a JSON object.", "body")
    _require(isinstance(data.get("model"), str) and data["model"].strip() != "",
             "`model` is required and must be a string.", "model")
    messages = data.get("messages")
    _require(isinstance(messages, list) and len(messages) > 0, "`messages` must be a non-empty list.", "messages")
    for index, message in enumerate(messages):
        _require(isinstance(message, dict) and message.get("role") in ("user", "assistant"),
                 f"messages.{index}.role must be `user` or `assistant`.", f"messages.{index}.role")
        _require(isinstance(message.get("content"), (str, list)),
                 f"messages.{index}.content must be a string or a list of content blocks.",
                 f"messages.{index}.content")
    if not counting:
        max_tokens = data.get("max_tokens")
        _require(isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 1,
                 "`max_tokens` is required and must be a positive integer.", "max_tokens")
    _require(isinstance(data.get("stream", False), bool), "`stream` must be a boolean.", "stream")
    _require(isinstance(data.get("tools", []), list), "`tools` must be a list.", "tools")
    for index, tool in enumerate(data.get("tools") or []):
        _require(isinstance(tool, dict), f"tools.{index} must be an object.", f"tools.{index}")
        _require(isinstance(tool.get("name", ""), str), f"tools.{index}.name must be a string.", f"tools.{index}.name")
    choice = data.get("tool_choice")
    _require(choice is None or isinstance(choice, dict), "`tool_choice` must be an object.", "tool_choice")
    _require(isinstance((choice or {}).get("name", ""), str), "`tool_choice.name` must be a string.",
             "tool_choice.name")


def betas_for_bedrock(header: str) -> tuple[list[str], list[str]]:
    """(betas Bedrock accepts, betas dropped) from an `anthropic-beta` header value, order kept."""
    requested = [beta.strip() for beta in header.split(",") if beta.strip()]
    kept = list(dict.fromkeys(beta for beta in requested if beta in BEDROCK_BETAS))
    return kept, [beta for beta in requested if beta not in BEDROCK_BETAS]


def _runs_on_bedrock(tool: Any) -> bool:
    kind = tool.get("type") if isinstance(tool, dict) else None
    return kind is None or str(kind).startswith(BEDROCK_TOOL_TYPES)


def _tools_for_bedrock(body: dict[str, Any]) -> list[str]:
    """Drops server tools in place; returns `tool:<name>` for each one dropped."""
    tools = body.get("tools")
    if tools is None:
        return []
    kept = [tool for tool in tools if _runs_on_bedrock(tool)]
    dropped = [f"tool:{tool.get('name') or tool.get('type')}" for tool in tools
               if not _runs_on_bedrock(tool) and isinstance(tool, dict)]
    if kept:
        body["tools"] = kept
        choice = body.get("tool_choice")
        names = {tool.get("name") for tool in kept}
        if isinstance(choice, dict) and choice.get("type") == "tool" and choice.get("name") not in names:
            body["tool_choice"] = {"type": "auto"}
    else:
        body.pop("tools", None)
        body.pop("tool_choice", None)
    return dropped


def to_messages_request(data: Any, *, beta_header: str = "", counting: bool = False) -> MessagesRequest:
    """The validated request and its Bedrock body; InvalidRequest (400) for what no model could answer."""
    _validate(data, counting=counting)
    body = {name: value for name, value in data.items() if name in BEDROCK_FIELDS}
    dropped = sorted(name for name in data if name not in BEDROCK_FIELDS and name not in ("model", "stream"))
    dropped += _tools_for_bedrock(body)
    betas, unknown_betas = betas_for_bedrock(beta_header)
    dropped += [f"beta:{beta}" for beta in unknown_betas]
    body["anthropic_version"] = ANTHROPIC_VERSION
    if betas:
        body["anthropic_beta"] = betas
    if counting:
        body.setdefault("max_tokens", MAX_TOKENS_FOR_COUNTING)
    metadata = data.get("metadata")
    user_id = metadata.get("user_id") if isinstance(metadata, dict) else None
    return MessagesRequest(model=data["model"], stream=bool(data.get("stream", False)),
                           max_tokens=data.get("max_tokens"), body=body, dropped=dropped,
                           user_id=str(user_id)[:256] if user_id else None, message_count=len(data["messages"]))


def estimate_input_tokens(body: dict[str, Any]) -> int:
    """About four characters per token over the prompt's JSON: the fallback when CountTokens is unavailable."""
    prompt = {name: body[name] for name in ("system", "messages", "tools") if name in body}
    return max(1, len(orjson.dumps(prompt)) // 4)
