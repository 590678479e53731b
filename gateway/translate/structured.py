"""Structured output: `response_format` json_object / json_schema as native Converse output or a forced tool.

Models whose alias says `structured_output = "native"` get `outputConfig.textFormat` (the schema as a
JSON string, every object closed with `additionalProperties: false` as Bedrock's structured output
requires). Other models get a synthetic tool, `JSON_TOOL`, whose input schema is the requested one and
which the model is forced to call; the response translators turn its input into `message.content` with
finish reason `stop`, so the client sees an ordinary JSON answer. `json_object` has no schema and always
takes the tool path with `{"type": "object"}`.

Claude refuses forced tool use while thinking, so the tool path cannot be combined with reasoning: such a
request is refused with a 400 that says what to change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from core.errors import InvalidRequest
from gateway.registry import ModelSpec

JSON_TOOL = "json_tool_call"
JSON_TOOL_DESCRIPTION = "Respond with a JSON object that matches this schema. Call this tool exactly once."
SCHEMA_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,64}")
DEFAULT_SCHEMA_NAME = "response"


@dataclass(frozen=True)
class OutputFormat:
    kind: str  # "json_object" or "json_schema"
    schema: dict
    name: str = DEFAULT_SCHEMA_NAME
    description: str | None = None


def validate_response_format(name: str, value: object) -> OutputFormat | None:
    """The requested format, None for plain text; `name` is the field the client used, for errors."""
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return OutputFormat("json_object", {"type": "object"})
    if kind != "json_schema" or not isinstance(value, dict):
        raise InvalidRequest(f"`{name}.type` must be one of: text, json_object, json_schema", param=f"{name}.type")
    # Chat nests the schema under `json_schema`; the Responses API's `text.format` holds it directly.
    spec = value.get("json_schema", value)
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        raise InvalidRequest(f"`{name}` of type json_schema needs a `schema` object", param=f"{name}.schema")
    schema_name = spec.get("name") or DEFAULT_SCHEMA_NAME
    if not isinstance(schema_name, str) or not SCHEMA_NAME_RE.fullmatch(schema_name):
        raise InvalidRequest(f"`{name}.name` must match [a-zA-Z0-9_-]{{1,64}}", param=f"{name}.name")
    description = spec.get("description") if isinstance(spec.get("description"), str) else None
    return OutputFormat("json_schema", spec["schema"], schema_name, description or None)


# Where a JSON Schema holds further schemas: name -> schema, a list of schemas, or one schema. Anything
# else (enum, const, default, examples, and the names inside `properties`) is data and is left alone.
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "not", "if", "then", "else", "contains")


def closed(schema: object) -> object:
    """`schema` with every object schema closed to properties it does not list."""
    if not isinstance(schema, dict):
        return schema
    result = dict(schema)
    for key in SUBSCHEMA_MAPS:
        if isinstance(result.get(key), dict):
            result[key] = {name: closed(value) for name, value in result[key].items()}
    for key in SUBSCHEMA_LISTS:
        if isinstance(result.get(key), list):
            result[key] = [closed(value) for value in result[key]]
    for key in SUBSCHEMAS:
        if isinstance(result.get(key), dict):
            result[key] = closed(result[key])
    if result.get("type") == "object" or "properties" in result:
        result.setdefault("additionalProperties", False)
    return result


def _native(output: OutputFormat) -> dict:
    definition = {"schema": json.dumps(closed(output.schema)), "name": output.name}
    if output.description:
        definition["description"] = output.description
    return {"outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}}


def _forced_tool(kwargs: dict, output: OutputFormat) -> dict:
    tool = {
        "toolSpec": {
            "name": JSON_TOOL,
            "description": output.description or JSON_TOOL_DESCRIPTION,
            "inputSchema": {"json": output.schema},
        }
    }
    config = kwargs.get("toolConfig") or {}
    fields: dict = {
        "toolConfig": {"tools": [*config.get("tools", []), tool], "toolChoice": {"tool": {"name": JSON_TOOL}}}
    }
    # Claude's own `tool_choice` (sent for parallel_tool_calls=false) would override the forced choice and
    # let the model answer in prose; forcing one tool already means one call.
    extra = {
        key: value for key, value in (kwargs.get("additionalModelRequestFields") or {}).items() if key != "tool_choice"
    }
    if "additionalModelRequestFields" in kwargs:
        fields["additionalModelRequestFields"] = extra
    return fields


def apply_output_format(
    kwargs: dict, output: OutputFormat | None, spec: ModelSpec, *, thinking: bool, forced_tool: bool, param: str
) -> str | None:
    """Add structured output to `kwargs` in place; the synthetic tool's name when that path is used."""
    if output is None:
        return None
    if output.kind == "json_schema" and spec.structured_output == "native":
        native = _native(output)["outputConfig"]
        kwargs["outputConfig"] = {**kwargs.get("outputConfig", {}), **native}
        return None
    if thinking:
        raise InvalidRequest(
            f"`{param}` of type {output.kind} cannot be combined with reasoning on the model "
            f"`{spec.name}`; turn reasoning off or use json_schema on a model with native "
            "structured output",
            param=param,
        )
    if forced_tool:
        raise InvalidRequest(
            f"`{param}` cannot be combined with a forced `tool_choice` on the model `{spec.name}`", param="tool_choice"
        )
    if not spec.supports_tools:
        raise InvalidRequest(f"The model `{spec.name}` does not support structured output", param=param)
    kwargs.update(_forced_tool(kwargs, output))
    if kwargs.get("additionalModelRequestFields") == {}:
        del kwargs["additionalModelRequestFields"]
    return JSON_TOOL
