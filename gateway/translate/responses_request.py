"""Validates an OpenAI Responses API request (`POST /v1/responses`) and turns it into a chat `ChatRequest`.

The Converse request is then built by `chat_request.to_converse_request`, so tools, reasoning, structured
output, cache points and the context-window guard behave exactly as for chat completions. As there, every
top-level field has one rule in `FIELD_RULES`, shared with chat where the field means the same thing, and
unknown fields are dropped and named (see `gateway.compat.responses`).

Choices documented here because clients notice them:

* State (see `gateway.responses_store`): `store` (default true) keeps the response; `previous_response_id`
  continues a stored response's chain and `conversation` (`conv_...` or `{"id": ...}`) a stored
  conversation, their items put before `input` by the `Stored` the view passes in; `instructions` are never
  carried over. `background: true` is refused: nothing runs after the request ends.
* Tools: `function` tools, and `namespace` tools (Codex groups some functions this way) whose functions
  reach Bedrock as `<namespace>__<name>` and come back as calls carrying `namespace`. Tools OpenAI runs on
  its own servers (web_search, which Codex sends by default, file_search, code_interpreter, ...) are
  dropped and named `tool:<type>`: the model answers with the client's own tools, as without the hosted
  one. Tools the client runs but that are not functions (local_shell, computer use, custom) are refused,
  as is a `tool_choice` forcing a hosted tool: the client relies on those calls happening.
* `reasoning.effort` is chat's `reasoning_effort`; `reasoning.summary` is accepted (the reasoning text is
  always returned as the summary). `text.format` is chat's `response_format`; `text.verbosity` is ignored.
* `context_management` (compaction) is checked here and carried out by the view, which compacts the input
  first when it is over the threshold (`gateway.views.responses_compact`).
* `include: ["reasoning.encrypted_content"]` makes reasoning items carry Claude's signed thinking, which
  the client sends back so thinking continues through a tool loop (see `responses_input`).
* Dropped and named, as they cannot change what the client relies on: `truncation`, `service_tier`,
  `prompt_cache_key`, `prompt_cache_retention`, `safety_identifier`, `max_tool_calls` (it limits hosted
  tools only), `client_metadata` (Codex); `stream_options` and `background: false` have nothing to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from core.errors import InvalidRequest
from gateway.translate.chat_request import DEFAULT_MAX_MESSAGES as DEFAULT_MAX_ITEMS
from gateway.translate.chat_request import FIELD_RULES as CHAT_RULES
from gateway.translate.chat_request import ChatRequest
from gateway.translate.compaction import compact_threshold
from gateway.translate.fields import Context, Rule, apply_rules, dropped, rejected
from gateway.translate.reasoning import validate_effort
from gateway.translate.responses_input import NOTHING_STORED, Stored, convert_input, flat_tool_name
from gateway.translate.structured import validate_response_format
from gateway.translate.tools import TOOL_FUNCTION_FIELDS, check_tool_choice, validate_tools

ENCRYPTED_REASONING = "reasoning.encrypted_content"
NAMESPACE_RE = re.compile(r"[a-zA-Z0-9_-]{1,40}")
REASONING_SUMMARIES = ("auto", "concise", "detailed")
VERBOSITIES = ("low", "medium", "high")
NO_BACKGROUND = "this gateway answers within the request; nothing runs in the background"
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Tools OpenAI runs on its own servers: leaving them out only takes away that extra capability.
HOSTED_TOOLS = ("web_search", "web_search_preview", "file_search", "code_interpreter", "image_generation", "mcp")
DATED_SUFFIX_RE = re.compile(r"_\d{4}_\d{2}_\d{2}$")  # web_search_preview_2025_03_11


@dataclass(frozen=True)
class ResponsesRequest:
    chat: ChatRequest  # what the Converse request is built from
    namespaces: dict[str, tuple[str, str]] = field(default_factory=dict)  # flat name -> (namespace, name)
    encrypted_reasoning: bool = False  # include reasoning.encrypted_content
    echo: dict = field(default_factory=dict)  # request fields the response object repeats
    store: bool = True  # keep the response (when retention allows)
    input_items: tuple = ()  # this request's own items, references resolved


def _object(name: str, value: object, allowed: tuple[str, ...]) -> dict:
    if not isinstance(value, dict):
        raise InvalidRequest(f"`{name}` must be an object", param=name)
    for key in value:
        if key not in allowed:
            raise InvalidRequest(
                f"Unrecognized field `{name}.{key}`; expected one of: {', '.join(allowed)}", param=f"{name}.{key}"
            )
    return value


def _input(name: str, value: object, ctx: Context) -> dict:
    if isinstance(value, list) and len(value) > ctx.max_messages:
        raise InvalidRequest(f"Too many input items: {len(value)}; at most {ctx.max_messages} are allowed", param=name)
    return {"input": value}


def _instructions(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, str):
        raise InvalidRequest("`instructions` must be a string", param=name)
    return {"instructions": value}


# ---- tools --------------------------------------------------------------------------------------------


def _function_tool(tool: dict, param: str, namespace: str | None = None, prefix: str = "") -> dict:
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(f"`{param}.name` must be a non-empty string", param=f"{param}.name")
    function: dict = {"name": flat_tool_name(name, namespace)}
    for key, kind, described in TOOL_FUNCTION_FIELDS:
        if tool.get(key) is not None:
            if not isinstance(tool[key], kind):
                raise InvalidRequest(f"`{param}.{key}` must be {described}", param=f"{param}.{key}")
            function[key] = tool[key]
    if prefix and function.get("description"):
        function["description"] = prefix + function["description"]
    return {"type": "function", "function": function}


def _namespace_tool(tool: dict, param: str, namespaces: dict[str, tuple[str, str]]) -> list[dict]:
    namespace = tool.get("name")
    if not isinstance(namespace, str) or not NAMESPACE_RE.fullmatch(namespace):
        raise InvalidRequest(f"`{param}.name` must match [a-zA-Z0-9_-]{{1,40}}", param=f"{param}.name")
    inner = tool.get("tools")
    if not isinstance(inner, list):
        raise InvalidRequest(f"`{param}.tools` must be a list of function tools", param=f"{param}.tools")
    description = tool.get("description")
    prefix = f"[{namespace}: {description}] " if isinstance(description, str) and description else ""
    tools = []
    for j, function in enumerate(inner):
        inner_param = f"{param}.tools[{j}]"
        if not isinstance(function, dict) or function.get("type") != "function":
            raise InvalidRequest(
                f"`{inner_param}` must be a function tool; only function tools are supported inside a namespace",
                param=f"{inner_param}.type",
            )
        tools.append(_function_tool(function, inner_param, namespace, prefix))
        namespaces[tools[-1]["function"]["name"]] = (namespace, function["name"])
    return tools


def hosted_tool(kind: object) -> str | None:
    """The hosted tool type `kind` names (dated variants included), or None for any other type."""
    base = DATED_SUFFIX_RE.sub("", kind) if isinstance(kind, str) else None
    return base if base in HOSTED_TOOLS else None


def _tools(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, list):
        raise InvalidRequest("`tools` must be a list", param=name)
    tools: list[dict] = []
    namespaces: dict[str, tuple[str, str]] = {}
    for i, tool in enumerate(value):
        param = f"{name}[{i}]"
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "function":
            tools.append(_function_tool(tool, param))
        elif kind == "namespace":
            tools.extend(_namespace_tool(tool, param, namespaces))
        elif hosted_tool(kind):
            ctx.adaptations.note(f"tool:{kind}")
        else:
            raise InvalidRequest(
                f"Tools of type `{kind}` are not supported: through Bedrock the model calls only "
                "function tools; declare it as a `function` tool",
                param=f"{param}.type",
            )
    return {"tools": validate_tools(name, tools), "namespaces": namespaces}


def _tool_choice(name: str, value: object, ctx: Context) -> dict:
    if value in ("none", "auto", "required"):
        return {"tool_choice": value}
    if isinstance(value, dict) and value.get("type") == "function":
        function = value.get("name")
        if not isinstance(function, str) or not function:
            raise InvalidRequest("`tool_choice.name` must be a non-empty string", param=f"{name}.name")
        namespace = value.get("namespace") if isinstance(value.get("namespace"), str) else None
        return {"tool_choice": {"type": "function", "function": {"name": flat_tool_name(function, namespace)}}}
    kind = value.get("type") if isinstance(value, dict) else None
    if hosted_tool(kind):
        raise InvalidRequest(
            f"`tool_choice` forces the hosted tool `{kind}`, which this gateway cannot run "
            '(Bedrock has no hosted tools); use "auto" or a function tool',
            param=f"{name}.type",
        )
    if kind is not None:
        raise InvalidRequest(
            f'`tool_choice` of type `{kind}` is not supported; use "auto", "none", '
            '"required" or {"type": "function", "name": ...}',
            param=f"{name}.type",
        )
    raise InvalidRequest(
        '`tool_choice` must be "none", "auto", "required" or {"type": "function", "name": ...}', param=name
    )


# ---- reasoning, text, include ---------------------------------------------------------------------------


def _reasoning(name: str, value: object, ctx: Context) -> dict:
    reasoning = _object(name, value, ("effort", "summary", "generate_summary"))
    for key in ("summary", "generate_summary"):
        if reasoning.get(key) is not None and reasoning[key] not in REASONING_SUMMARIES:
            raise InvalidRequest(
                f"`{name}.{key}` must be one of: {', '.join(REASONING_SUMMARIES)}", param=f"{name}.{key}"
            )
    effort = reasoning.get("effort")
    return {"reasoning_effort": validate_effort(f"{name}.effort", effort)} if effort is not None else {}


def _text(name: str, value: object, ctx: Context) -> dict:
    text = _object(name, value, ("format", "verbosity"))
    if text.get("verbosity") is not None and text["verbosity"] not in VERBOSITIES:
        raise InvalidRequest(f"`{name}.verbosity` must be one of: {', '.join(VERBOSITIES)}", param=f"{name}.verbosity")
    if text.get("format") is None:
        return {}
    return {"response_format": validate_response_format(f"{name}.format", text["format"])}


def _include(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRequest("`include` must be a list of strings", param=name)
    return {"encrypted_reasoning": ENCRYPTED_REASONING in value}


def _context_management(name: str, value: object, ctx: Context) -> dict:
    """Checked here; the view compacts over the threshold (`views.responses_compact.prepare`). Adapted: the
    compaction is a summary written by the same model, not OpenAI's."""
    compact_threshold(value)
    ctx.adaptations.note(name)
    return {}


def _background(name: str, value: object, ctx: Context) -> dict:
    if value is not False:
        raise InvalidRequest(f"`{name}` is not supported: {NO_BACKGROUND}", param=name)
    return {}


# ---- state: store, previous_response_id, conversation -------------------------------------------------


def _store(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, bool):
        raise InvalidRequest("`store` must be a boolean", param=name)
    return {"store": value}


def stored_id(name: str, value: object, prefix: str) -> str:
    """A stored object's id as the client sent it; a malformed one is a 400 naming `name`."""
    if not isinstance(value, str) or not value.startswith(prefix) or not ID_RE.fullmatch(value):
        raise InvalidRequest(f"`{name}` must be an id starting with `{prefix}`", param=name)
    return value


def _previous_response_id(name: str, value: object, ctx: Context) -> dict:
    if ctx.body.get("conversation") is not None:
        raise InvalidRequest("`previous_response_id` and `conversation` cannot both be given", param=name)
    return {"previous_response_id": stored_id(name, value, "resp_")}


def _conversation(name: str, value: object, ctx: Context) -> dict:
    if isinstance(value, dict):
        return {"conversation_id": stored_id(f"{name}.id", _object(name, value, ("id",)).get("id"), "conv_")}
    return {"conversation_id": stored_id(name, value, "conv_")}


def _top_logprobs(name: str, value: object, ctx: Context) -> dict:
    if value != 0:
        raise InvalidRequest(f"`{name}` is not supported: Bedrock does not return token log probabilities", param=name)
    return {}


def _stream_options(name: str, value: object, ctx: Context) -> dict:
    if ctx.body.get("stream") is not True:
        raise InvalidRequest("`stream_options` is only allowed when `stream` is true", param=name)
    _object(name, value, ("include_obfuscation",))
    return {}


FIELD_RULES: dict[str, Rule] = {
    "model": CHAT_RULES["model"],
    "input": _input,
    "instructions": _instructions,
    "stream": CHAT_RULES["stream"],
    "stream_options": _stream_options,
    "max_output_tokens": CHAT_RULES["max_tokens"],
    "temperature": CHAT_RULES["temperature"],
    "top_p": CHAT_RULES["top_p"],
    "tools": _tools,
    "tool_choice": _tool_choice,
    "parallel_tool_calls": CHAT_RULES["parallel_tool_calls"],
    "reasoning": _reasoning,
    "text": _text,
    "include": _include,
    "user": CHAT_RULES["user"],
    "metadata": CHAT_RULES["metadata"],
    "previous_response_id": _previous_response_id,
    "conversation": _conversation,
    "prompt": rejected("stored prompt templates are not available on this gateway; send the prompt in `input`"),
    "context_management": _context_management,
    "background": _background,
    "top_logprobs": _top_logprobs,
    "store": _store,
    "truncation": dropped,
    "service_tier": dropped,
    "prompt_cache_key": dropped,
    "prompt_cache_retention": dropped,
    "safety_identifier": dropped,
    "max_tool_calls": dropped,
    "client_metadata": dropped,
}
# Fields the `response` object repeats back as the client sent them.
ECHOED = (
    "instructions",
    "max_output_tokens",
    "metadata",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "tool_choice",
    "tools",
    "reasoning",
    "text",
    "store",
    "truncation",
    "user",
    "prompt_cache_key",
    "safety_identifier",
    "service_tier",
    "previous_response_id",
)


def _echo(body: dict) -> dict:
    echo = {key: body.get(key) for key in ECHOED}
    echo["tools"] = echo["tools"] or []
    echo["tool_choice"] = echo["tool_choice"] or "auto"
    echo["parallel_tool_calls"] = echo["parallel_tool_calls"] is not False
    echo["metadata"] = echo["metadata"] or {}
    echo["text"] = echo["text"] or {"format": {"type": "text"}}
    echo["store"] = echo["store"] is not False
    echo["truncation"] = echo["truncation"] or "disabled"
    conversation = body.get("conversation")
    if conversation is not None:
        echo["conversation"] = conversation if isinstance(conversation, dict) else {"id": conversation}
    return echo


def state_fields(body: object) -> dict:
    """`previous_response_id` / `conversation_id` of a request, validated: what the view loads before the rest."""
    if not isinstance(body, dict):
        return {}
    fields: dict = {}
    for name, rule in (("previous_response_id", _previous_response_id), ("conversation", _conversation)):
        if body.get(name) is not None:
            fields.update(rule(name, body[name], Context(body=body, max_messages=0)))
    return fields


def validate_responses_request(
    body: object, *, max_items: int = DEFAULT_MAX_ITEMS, stored: Stored = NOTHING_STORED
) -> ResponsesRequest:
    """The validated request; raises InvalidRequest naming the first offending parameter.

    `stored`: the items the request continues and how its item references are found (the view loads them).
    """
    fields = apply_rules(body, FIELD_RULES, max_messages=max_items)
    if "input" not in fields:
        raise InvalidRequest("`input` is required", param="input")
    check_tool_choice(fields.get("tool_choice"), fields.get("tools") or [], name_param="tool_choice.name")
    for name, key in (("previous_response_id", "previous_response_id"), ("conversation", "conversation_id")):
        if fields.pop(key, None) is not None and stored.resolve is None:
            raise InvalidRequest(
                f"`{name}` is not supported: this gateway keeps no responses here; send the whole "
                "conversation in `input`",
                param=name,
            )
    store = fields.pop("store", True)
    messages, conversation, items = convert_input(
        fields.pop("input"), fields.pop("instructions", None), stored, fields["adaptations"]
    )
    namespaces = fields.pop("namespaces", {})
    encrypted = fields.pop("encrypted_reasoning", False)
    chat = ChatRequest(messages=messages, effort_param="reasoning.effort", format_param="text.format", **fields)
    return ResponsesRequest(
        chat=chat.with_conversation(conversation),
        namespaces=namespaces,
        encrypted_reasoning=encrypted,
        echo=_echo(cast(dict, body)),  # `apply_rules` refused anything but an object
        store=store,
        input_items=tuple(items),
    )
