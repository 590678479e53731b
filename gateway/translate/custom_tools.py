"""Custom (freeform) tools on chat completions: tools whose input is free text rather than JSON arguments.

GPT-family clients declare some tools this way (the Copilot CLI's `apply_patch`, with a Lark grammar):
`{"type": "custom", "custom": {"name", "description", "format"}}`. Bedrock runs only JSON-schema tools, so each
reaches the model as a function with one string parameter, `input`, whose description carries the tool's
format (a grammar as text); the model's call goes back to the client as OpenAI's custom call,
`{"type": "custom", "custom": {"name", "input"}}`, and such a call in the history is that function's call
again. The request notes `tool:custom`. The model is not held to the grammar: the client checks the input,
as it would a model's.
"""

from __future__ import annotations

import json

from core.errors import InvalidRequest

INPUT = "input"
MAX_FORMAT_CHARS = 20_000


def _format_note(spec: dict) -> str:
    fmt = spec.get("format")
    if not isinstance(fmt, dict) or fmt.get("type") != "grammar":
        return "Free text."
    nested = fmt.get("grammar")
    grammar = nested if isinstance(nested, dict) else fmt
    definition = grammar.get("definition")
    syntax = grammar.get("syntax") or "lark"
    if not isinstance(definition, str):
        return "Free text."
    return f"Free text that matches this {syntax} grammar:\n{definition[:MAX_FORMAT_CHARS]}"


def as_function_tool(tool: dict, param: str) -> dict:
    """The function tool a custom tool reaches Bedrock as."""
    spec = tool.get("custom")
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise InvalidRequest(f"`{param}.custom.name` must be a non-empty string", param=f"{param}.custom.name")
    description = spec.get("description") if isinstance(spec.get("description"), str) else ""
    schema = {
        "type": "object",
        "required": [INPUT],
        "properties": {INPUT: {"type": "string", "description": _format_note(spec)}},
    }
    return {"type": "function", "function": {"name": spec["name"], "description": description, "parameters": schema}}


def function_tools(name: str, value: object) -> tuple[object, frozenset[str]]:
    """`tools` with each custom tool made a function tool, and the names of those that were custom."""
    if not isinstance(value, list):
        return value, frozenset()
    tools, custom = [], set()
    for i, tool in enumerate(value):
        if isinstance(tool, dict) and tool.get("type") == "custom":
            tool = as_function_tool(tool, f"{name}[{i}]")
            custom.add(tool["function"]["name"])
        tools.append(tool)
    return tools, frozenset(custom)


def function_choice(value: object) -> object:
    """A `tool_choice` naming a custom tool, as the function choice it becomes."""
    if isinstance(value, dict) and value.get("type") == "custom":
        spec = value.get("custom")
        return {"type": "function", "function": {"name": spec.get("name") if isinstance(spec, dict) else None}}
    return value


def function_call(call: dict) -> dict:
    """A custom tool call from the history, as the function call Bedrock saw."""
    custom = call.get("custom")
    spec = custom if isinstance(custom, dict) else {}
    text = spec.get(INPUT)
    return {
        **{k: v for k, v in call.items() if k != "custom"},
        "type": "function",
        "function": {"name": spec.get("name"), "arguments": json.dumps({INPUT: text if isinstance(text, str) else ""})},
    }


def custom_call(call_id: str, name: str, tool_input: object) -> dict:
    """OpenAI's custom tool call for the model's call of the function standing in for a custom tool."""
    text = tool_input.get(INPUT) if isinstance(tool_input, dict) else None
    return {"id": call_id, "type": "custom", "custom": {"name": name, "input": text if isinstance(text, str) else ""}}
