"""Function tools and `tool_choice`: validating OpenAI's definitions and building Converse's `toolConfig`.

`tool_choice: "none"` sends no tools. Bedrock has no "none", and it refuses a conversation holding
toolUse/toolResult blocks without a `toolConfig`, so when the history has tool blocks a minimal config
naming only the tools used in that history (schema `{"type": "object"}`) is sent instead.
"""

from __future__ import annotations

from core.errors import InvalidRequest
from gateway.registry import ModelSpec
from gateway.translate.messages import Conversation
from gateway.translate.tool_names import bedrock_tool_name

TOOL_CHOICES: dict[str, dict[str, dict]] = {"auto": {"auto": {}}, "required": {"any": {}}}
TOOL_FUNCTION_FIELDS = (
    ("description", str, "a string"),
    ("parameters", dict, "a JSON Schema object"),
    ("strict", bool, "a boolean"),
)
EMPTY_SCHEMA = {"type": "object", "properties": {}}


def validate_tool(tool: object, param: str) -> dict:
    if not isinstance(tool, dict) or tool.get("type") != "function":
        raise InvalidRequest("Only tools of type `function` are supported", param=f"{param}.type")
    function = tool.get("function")
    if not isinstance(function, dict):
        raise InvalidRequest(f"`{param}.function` must be an object", param=f"{param}.function")
    if not isinstance(function.get("name"), str) or not function["name"]:
        raise InvalidRequest(f"`{param}.function.name` must be a non-empty string", param=f"{param}.function.name")
    for key, kind, described in TOOL_FUNCTION_FIELDS:
        if function.get(key) is not None and not isinstance(function[key], kind):
            raise InvalidRequest(f"`{param}.function.{key}` must be {described}", param=f"{param}.function.{key}")
    return tool


def validate_tools(name: str, value: object) -> list[dict]:
    if not isinstance(value, list):
        raise InvalidRequest("`tools` must be a list", param=name)
    tools = [validate_tool(tool, f"{name}[{i}]") for i, tool in enumerate(value)]
    names = [tool["function"]["name"] for tool in tools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidRequest(f"Tool names must be unique; repeated: {', '.join(duplicates)}", param=name)
    return tools


def validate_tool_choice(name: str, value: object) -> str | dict:
    if value in ("none", "auto", "required"):
        return value
    if isinstance(value, dict) and value.get("type") == "function":
        function = value.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return value
        raise InvalidRequest("`tool_choice.function.name` must be a string", param=f"{name}.function.name")
    raise InvalidRequest(
        '`tool_choice` must be "none", "auto", "required" or {"type": "function", "function": {"name": ...}}',
        param=name,
    )


def check_tool_choice(
    choice: str | dict | None, tools: list[dict], *, name_param: str = "tool_choice.function.name"
) -> None:
    """A tool choice that can be honoured with `tools`; `name_param` is where the client named the tool."""
    if choice in (None, "none", "auto"):
        return
    if not tools:
        raise InvalidRequest("`tool_choice` requires `tools`", param="tool_choice")
    if isinstance(choice, dict) and choice["function"]["name"] not in {t["function"]["name"] for t in tools}:
        raise InvalidRequest(f"`tool_choice` names the unknown tool `{choice['function']['name']}`", param=name_param)


def is_forced(choice: str | dict | None) -> bool:
    """Whether the client requires a tool call (`required` or a named function)."""
    return choice == "required" or isinstance(choice, dict)


def tool_spec(tool: dict, tool_names: dict[str, str]) -> dict:
    function = tool["function"]
    name = bedrock_tool_name(function["name"])
    if name != function["name"]:
        tool_names[name] = function["name"]
    params = function.get("parameters")
    spec: dict = {"name": name, "inputSchema": {"json": params if params is not None else EMPTY_SCHEMA}}
    if function.get("description"):  # Bedrock rejects an empty or null description
        spec["description"] = function["description"]
    if function.get("strict") is not None:
        spec["strict"] = function["strict"]
    return {"toolSpec": spec}


def tool_choice_block(choice: str | dict | None) -> dict | None:
    if isinstance(choice, dict):
        return {"tool": {"name": bedrock_tool_name(choice["function"]["name"])}}
    return TOOL_CHOICES.get(choice) if choice is not None else None


def tool_fields(
    *,
    tools: list[dict],
    choice: str | dict | None,
    parallel: bool | None,
    spec: ModelSpec,
    conversation: Conversation,
    tool_names: dict[str, str],
) -> dict:
    """`toolConfig` (and Claude's parallel-call switch) for the client's tools, or for the history's."""
    if tools and choice != "none":
        if not spec.supports_tools:
            raise InvalidRequest(f"The model `{spec.name}` does not support tools", param="tools")
        config: dict = {"tools": [tool_spec(tool, tool_names) for tool in tools]}
        block = tool_choice_block(choice)
        if block is not None:
            config["toolChoice"] = block
        fields: dict = {"toolConfig": config}
        if parallel is False and spec.provider == "anthropic" and choice in (None, "auto"):
            fields["additionalModelRequestFields"] = {
                "tool_choice": {"type": "auto", "disable_parallel_tool_use": True}
            }
        return fields
    if conversation.has_tool_blocks and conversation.history_tools:
        return {
            "toolConfig": {
                "tools": [
                    {"toolSpec": {"name": name, "inputSchema": {"json": {"type": "object"}}}}
                    for name in conversation.history_tools
                ]
            }
        }
    return {}
