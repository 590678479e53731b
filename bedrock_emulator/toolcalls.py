"""Deterministic tool calls: which tools the synthetic model calls and with what arguments."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import orjson

from bedrock_emulator import structured

_TRAILING = ".,;:!?)]}"


def tool_specs(body: dict[str, Any]) -> list[dict[str, Any]]:
    tools = (body.get("toolConfig") or {}).get("tools") or []
    return [tool["toolSpec"] for tool in tools if isinstance(tool, dict) and isinstance(tool.get("toolSpec"), dict)]


def _mentions(specs: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Tools named in `text`, in order of first appearance."""
    found = []
    for spec in specs:
        match = re.search(r"(?<![\w-])" + re.escape(spec["name"]) + r"(?![\w-])", text)
        if match:
            found.append((match.start(), spec))
    return [spec for _, spec in sorted(found, key=lambda pair: pair[0])]


def choose_tools(body: dict[str, Any], text: str) -> tuple[list[dict[str, Any]], bool]:
    """(tools to call, whether the model may also talk). `any`/`tool` force a call; `auto` calls named tools."""
    specs = tool_specs(body)
    choice = (body.get("toolConfig") or {}).get("toolChoice") or {"auto": {}}
    if "tool" in choice:
        wanted = choice["tool"].get("name")
        return [spec for spec in specs if spec["name"] == wanted][:1], False
    mentioned = _mentions(specs, text)
    if "any" in choice:
        return (mentioned or specs[:1]), False
    return mentioned, True


def given(name: str, text: str) -> str | None:
    """The value written as `name=value` (or `name="two words"`) in the prompt, if any."""
    match = re.search(r"(?<![\w-])" + re.escape(name) + r"""=(?:"([^"]*)"|'([^']*)'|(\S+))""", text)
    if not match:
        return None
    quoted, single, bare = match.groups()
    if quoted is not None or single is not None:
        return quoted if quoted is not None else single
    return bare.rstrip(_TRAILING) or None


def _schema_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return kind


def _value(schema: dict[str, Any], given: str | None) -> Any:
    kind = _schema_type(schema)
    enum = schema.get("enum")
    if enum:
        return given if given in enum else enum[0]
    converters = {"integer": int, "number": float, "boolean": lambda raw: {"true": True, "false": False}[raw]}
    if given is not None and kind in converters:
        try:
            return converters[kind](given.lower() if kind == "boolean" else given)
        except (KeyError, ValueError):
            pass
    if kind in ("object", "array"):
        return structured.instance(schema)
    defaults = {"integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}
    if kind in defaults:
        return defaults[kind]
    return given if given is not None else "sample"


def arguments(spec: dict[str, Any], text: str) -> dict[str, Any]:
    """Arguments for one call, generated from the tool's JSON schema (required properties, else all)."""
    schema = (spec.get("inputSchema") or {}).get("json") or {}
    properties = schema.get("properties") or {}
    names = schema.get("required") or list(properties)
    return {name: _value(properties.get(name) or {}, given(name, text)) for name in names}


def tool_use_id(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "tooluse_" + base64.urlsafe_b64encode(digest).decode()[:22]


def tool_use_blocks(body: dict[str, Any], specs: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    # The id depends on the conversation so far, so each turn's calls get fresh ids.
    turn = f"{len(body.get('messages') or [])}:{text}"
    return [
        {
            "toolUse": {
                "toolUseId": tool_use_id(f"{turn}:{index}:{spec['name']}"),
                "name": spec["name"],
                "input": arguments(spec, text),
            }
        }
        for index, spec in enumerate(specs)
    ]


def intro(specs: list[dict[str, Any]]) -> str:
    names = [spec["name"] for spec in specs]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Let me call {listed}."


def tool_results(message: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not message:
        return []
    return [
        block["toolResult"]
        for block in message.get("content") or []
        if isinstance(block, dict) and isinstance(block.get("toolResult"), dict)
    ]


def result_preview(result: dict[str, Any], limit: int = 80) -> str:
    for item in result.get("content") or []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            return item["text"][:limit]
        if isinstance(item, dict) and "json" in item:
            return orjson.dumps(item["json"]).decode()[:limit]
    return ""
