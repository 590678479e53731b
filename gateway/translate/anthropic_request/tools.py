"""`tools` made fit for Bedrock: server tools and deferred tools left out, keys Bedrock rejects removed.

Server tools (web_search_*, web_fetch_*, code_execution_*, mcp_toolset) run on Anthropic's servers only.
A tool marked `defer_loading` is one the model does not see until Anthropic's tool search loads it, which
Bedrock does not do for Claude Code's placeholder, so leaving it out shows the model the same tools.
Newer per-tool keys (`eager_input_streaming`, `strict`, ...) are "extraneous" to Bedrock and only change
how the call streams or is checked, not what the model may call.
"""

from __future__ import annotations

from typing import Any

from gateway.compat import Adaptations

# Tool `type` prefixes Bedrock runs (client-side tools).
BEDROCK_TOOL_TYPES = ("custom", "bash_", "text_editor_", "computer_", "memory_")
CUSTOM_TOOL_KEYS = frozenset({"type", "name", "description", "input_schema", "cache_control"})


def _runs_on_bedrock(tool: dict[str, Any]) -> bool:
    kind = tool.get("type")
    return (kind is None or str(kind).startswith(BEDROCK_TOOL_TYPES)) and not tool.get("defer_loading")


def _fit(tool: dict[str, Any], notes: Adaptations) -> dict[str, Any]:
    if tool.get("type") not in (None, "custom"):
        return tool
    for key in sorted(set(tool) - CUSTOM_TOOL_KEYS):
        notes.note(f"tools.{key}")
    return {key: value for key, value in tool.items() if key in CUSTOM_TOOL_KEYS}


def fit_tools(body: dict[str, Any], notes: Adaptations) -> None:
    """Leaves in `body`, in place, only the tools Bedrock runs, as Bedrock accepts them; notes the rest."""
    tools = body.get("tools")
    if tools is None:
        return
    kept = []
    for tool in tools:
        if _runs_on_bedrock(tool):
            kept.append(_fit(tool, notes))
        elif tool.get("defer_loading"):
            notes.note("tools.defer_loading")
        else:
            notes.note(f"tool:{tool.get('name') or tool.get('type')}")
    if kept:
        body["tools"] = kept
        choice = body.get("tool_choice")
        names = {tool.get("name") for tool in kept}
        if isinstance(choice, dict) and choice.get("type") == "tool" and choice.get("name") not in names:
            body["tool_choice"] = {"type": "auto"}
    else:
        body.pop("tools", None)
        body.pop("tool_choice", None)
