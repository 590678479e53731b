"""Structured output on Converse (`outputConfig.textFormat`): Bedrock's checks and a JSON answer that fits.

Only models that document native structured output accept `textFormat`; its schema travels as a JSON
string, and, as Claude requires, every object schema must close itself with `additionalProperties: false`.
The answer is an instance of the schema, built from it deterministically (`instance`), so a test can
parse it and validate it against the schema it sent. The same builder fills forced tool calls' arguments.
"""

from __future__ import annotations

import json
from typing import Any

from bedrock_emulator.catalog import Model
from bedrock_emulator.errors import validation

_FROM_MODEL = "The model returned the following errors: "
NOT_SUPPORTED = "This model doesn't support the outputConfig.textFormat field. Remove it and try again."
BAD_TYPE = (
    "1 validation error detected: Value '{}' at 'outputConfig.textFormat.type' failed to satisfy "
    "constraint: Member must satisfy enum value set: [json_schema]"
)
NO_SCHEMA = "outputConfig.textFormat.structure.jsonSchema.schema is required for the json_schema type."
BAD_SCHEMA = "The JSON schema in outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON: {}"
NOT_OBJECT = _FROM_MODEL + "output_format.schema: The root of the schema must be of type 'object'"
OPEN_OBJECT = _FROM_MODEL + (
    "output_format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
)
SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "not")
SCALARS = {"integer": 1, "number": 1.5, "boolean": True, "null": None}


def requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema a valid request asks its answer to follow, or None for free text."""
    text_format = (body.get("outputConfig") or {}).get("textFormat")
    if not text_format:
        return None
    return json.loads(text_format["structure"]["jsonSchema"]["schema"])


def validate(body: dict[str, Any], model: Model) -> None:
    text_format = (body.get("outputConfig") or {}).get("textFormat")
    if text_format is None:
        return
    if not model.native_json:
        raise validation(NOT_SUPPORTED)
    if text_format.get("type") != "json_schema":
        raise validation(BAD_TYPE.format(text_format.get("type")))
    raw = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
    if not isinstance(raw, str):
        raise validation(NO_SCHEMA)
    try:
        schema = json.loads(raw)
    except ValueError as error:
        raise validation(BAD_SCHEMA.format(error)) from None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise validation(NOT_OBJECT)
    if not _closed(schema):
        raise validation(OPEN_OBJECT)


def _closed(schema: Any) -> bool:
    """Whether every object schema inside `schema` sets additionalProperties to false."""
    if not isinstance(schema, dict):
        return True
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        return False
    children = [schema.get(key) for key in SUBSCHEMAS]
    children += [value for key in SUBSCHEMA_MAPS for value in (schema.get(key) or {}).values()]
    children += [value for key in SUBSCHEMA_LISTS for value in schema.get(key) or []]
    return all(_closed(child) for child in children)


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return kind


def _takes_text(schema: dict[str, Any]) -> bool:
    return _kind(schema) == "string" and "enum" not in schema and "const" not in schema


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    """The schema a local `$ref` ("#/$defs/Owner") points at in `root`."""
    target: Any = root
    for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else []:
        target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
    return target if isinstance(target, dict) else {}


def instance(schema: Any, given: dict[str, str] | None = None, depth: int = 0, root: Any = None) -> Any:
    """A value matching `schema`: required properties (all when none are listed), one item per array
    with minItems, enums' first value, local `$ref`s followed, and `given[name]` for a free-text string
    property the prompt spelled out."""
    given = given or {}
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth > 8:
        return "sample"
    if isinstance(schema.get("$ref"), str):
        return instance(_resolve(schema["$ref"], root), given, depth + 1, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return instance(schema[key][0], given, depth + 1, root)
    kind = _kind(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        names = schema.get("required") or list(properties)
        return {
            name: given[name]
            if name in given and _takes_text(properties.get(name) or {})
            else instance(properties.get(name) or {}, given, depth + 1, root)
            for name in names
        }
    if kind == "array":
        return [instance(schema.get("items") or {}, given, depth + 1, root) for _ in range(schema.get("minItems") or 0)]
    return SCALARS.get(kind, "sample")
