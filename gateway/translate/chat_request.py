"""Validates an OpenAI chat-completions request body and builds the Converse request it stands for.

Every top-level field has exactly one rule in `FIELD_RULES` (see `fields`): it checks the value and
returns the `ChatRequest` fields it sets. What each field gets (honoured, adapted, dropped, refused) is the
policy table `gateway.compat.chat`; what was adapted or dropped for a request travels with it in
`adaptations`. Unknown fields are dropped and named there.

Choices documented here because clients notice them:

* `temperature` is accepted on OpenAI's 0..2 scale and clamped to Bedrock's maximum of 1.0 (noted): a value
  above 1 asks for "more random than usual", and the closest Bedrock offers is its maximum.
* `reasoning_effort` on a model that cannot reason is dropped (noted): tools such as Copilot send it for
  every model.
* Tools, reasoning, structured output, prompt-cache points and the context-window guard each have
  their own module (`tools`, `reasoning`, `structured`, `caching`, `context_window`), applied in that
  order by `to_converse_request`, since reasoning decides which structured-output path is allowed.
* `user` and `metadata` are kept on the ChatRequest for our own logs and are not forwarded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from core.errors import InvalidRequest
from gateway.compat import Adaptations
from gateway.registry import ModelSpec
from gateway.translate.caching import apply_cache_points
from gateway.translate.context_window import check_context_window
from gateway.translate.custom_tools import function_choice, function_tools
from gateway.translate.fields import Context, Rule, apply_rules, dropped, rejected
from gateway.translate.messages import Conversation, convert_messages
from gateway.translate.reasoning import ReasoningAsk, apply_reasoning, validate_effort
from gateway.translate.structured import OutputFormat, apply_output_format, validate_response_format
from gateway.translate.tools import check_tool_choice, is_forced, tool_fields, validate_tool_choice, validate_tools

DEFAULT_MAX_MESSAGES = 5000
MAX_STOP_SEQUENCES = 4
MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512
BEDROCK_MAX_TEMPERATURE = 1.0


@dataclass(frozen=True)
class ChatRequest:
    messages: list[dict]
    model: str | None = None
    stream: bool = False
    include_usage: bool = False
    max_tokens: int | None = None
    max_tokens_param: str = "max_tokens"  # which field the client used, for error messages
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    tools: list[dict] = field(default_factory=list)
    tool_choice: str | dict | None = None
    custom_tools: frozenset[str] = frozenset()  # client names of custom (freeform) tools, sent as functions
    parallel_tool_calls: bool | None = None
    user: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    reasoning_effort: str | None = None
    response_format: OutputFormat | None = None
    effort_param: str = "reasoning_effort"  # the field names in errors (the Responses API names them differently)
    format_param: str = "response_format"
    # What was adapted or dropped (names only); to_converse_request adds what the model decides.
    adaptations: Adaptations = field(default_factory=Adaptations, compare=False, repr=False)
    # The converted conversation, cached by validate_chat_request so images are decoded once.
    conversation: Conversation | None = field(default=None, init=False, repr=False, compare=False)

    def with_conversation(self, conversation: Conversation) -> ChatRequest:
        """This request, carrying its already converted conversation (so images are decoded once)."""
        object.__setattr__(self, "conversation", conversation)
        return self


@dataclass(frozen=True)
class ConverseCall:
    kwargs: dict  # for converse()/converse_stream(), without modelId
    tool_names: dict[str, str]  # bedrock tool name -> client tool name
    message_count: int  # Converse messages after merging
    json_tool: str | None = None  # the synthetic structured-output tool, when used
    thinking: bool = False
    adaptations: Adaptations = field(default_factory=Adaptations)
    custom_tools: frozenset[str] = frozenset()  # client names of custom (freeform) tools


# ---- value checks -------------------------------------------------------------------------------


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidRequest(f"`{name}` must be a boolean", param=name)
    return value


def _number(name: str, value: object, low: float, high: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InvalidRequest(f"`{name}` must be a number between {low:g} and {high:g}", param=name)
    return float(value)


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"`{name}` must be a positive integer", param=name)
    return value


# ---- field rules --------------------------------------------------------------------------------


def _model(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, str):
        raise InvalidRequest("`model` must be a string", param=name)
    return {"model": value}


def _messages(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, list) or not value:
        raise InvalidRequest("`messages` must be a non-empty list of message objects", param=name)
    if len(value) > ctx.max_messages:
        raise InvalidRequest(f"Too many messages: {len(value)}; at most {ctx.max_messages} are allowed", param=name)
    return {"messages": value, "conversation": convert_messages(value)}


def _flag(target: str) -> Rule:
    return lambda name, value, ctx: {target: _bool(name, value)}


def _max_tokens(name: str, value: object, ctx: Context) -> dict:
    tokens = _positive_int(name, value)
    if name == "max_tokens" and ctx.body.get("max_completion_tokens") is not None:
        return {}  # max_completion_tokens is the current name and wins
    return {"max_tokens": tokens, "max_tokens_param": name}


def _temperature(name: str, value: object, ctx: Context) -> dict:
    temperature = _number(name, value, 0, 2)
    if temperature > BEDROCK_MAX_TEMPERATURE:
        ctx.adaptations.note(name)
    return {"temperature": min(temperature, BEDROCK_MAX_TEMPERATURE)}


def _top_p(name: str, value: object, ctx: Context) -> dict:
    return {"top_p": _number(name, value, 0, 1)}


def _stop(name: str, value: object, ctx: Context) -> dict:
    stops = [value] if isinstance(value, str) else value
    if (
        not isinstance(stops, list)
        or len(stops) > MAX_STOP_SEQUENCES
        or not all(isinstance(s, str) and s for s in stops)
    ):
        raise InvalidRequest(
            f"`stop` must be a non-empty string or a list of up to {MAX_STOP_SEQUENCES} non-empty strings", param=name
        )
    return {"stop": list(stops)}


def _n(name: str, value: object, ctx: Context) -> dict:
    if _positive_int(name, value) != 1:
        raise InvalidRequest("`n` greater than 1 is not supported: Bedrock returns one choice per request", param=name)
    return {}


STREAM_OPTIONS = {"include_usage": "include_usage", "include_obfuscation": None}


def _stream_options(name: str, value: object, ctx: Context) -> dict:
    if ctx.body.get("stream") is not True:
        raise InvalidRequest("`stream_options` is only allowed when `stream` is true", param=name)
    if not isinstance(value, dict):
        raise InvalidRequest("`stream_options` must be an object", param=name)
    fields = {}
    for key, option in value.items():
        if key not in STREAM_OPTIONS:
            raise InvalidRequest(f"Unrecognized stream option: {key}", param=f"{name}.{key}")
        flag = _bool(f"{name}.{key}", option) if option is not None else None
        if STREAM_OPTIONS[key] and flag is not None:
            fields[STREAM_OPTIONS[key]] = flag
    return fields


def _logprobs(name: str, value: object, ctx: Context) -> dict:
    if _bool(name, value):
        raise InvalidRequest("`logprobs` is not supported: Bedrock does not return token log probabilities", param=name)
    return {}


def _modalities(name: str, value: object, ctx: Context) -> dict:
    if value != ["text"]:
        raise InvalidRequest(
            '`modalities` is not supported except ["text"]: this gateway returns text only', param=name
        )
    return {}


def _response_format(name: str, value: object, ctx: Context) -> dict:
    return {"response_format": validate_response_format(name, value)}


def _user(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, str):
        raise InvalidRequest("`user` must be a string", param=name)
    return {"user": value}


def _metadata(name: str, value: object, ctx: Context) -> dict:
    if not isinstance(value, dict) or len(value) > MAX_METADATA_PAIRS:
        raise InvalidRequest(f"`metadata` must be an object with at most {MAX_METADATA_PAIRS} pairs", param=name)
    for key, item in value.items():
        if (
            not isinstance(key, str)
            or len(key) > MAX_METADATA_KEY
            or not isinstance(item, str)
            or len(item) > MAX_METADATA_VALUE
        ):
            raise InvalidRequest(
                f"`metadata` keys must be at most {MAX_METADATA_KEY} characters and values "
                f"strings of at most {MAX_METADATA_VALUE}",
                param=f"{name}.{key}",
            )
    return {"metadata": dict(value)}


def _tools(name: str, value: object, ctx: Context) -> dict:
    tools, custom = function_tools(name, value)
    if custom:
        ctx.adaptations.note("tool:custom")
    return {"tools": validate_tools(name, tools), "custom_tools": custom}


def _tool_choice(name: str, value: object, ctx: Context) -> dict:
    return {"tool_choice": validate_tool_choice(name, function_choice(value))}


def _reasoning_effort(name: str, value: object, ctx: Context) -> dict:
    return {"reasoning_effort": validate_effort(name, value)}


_UNSUPPORTED_OUTPUT = "this gateway returns text only"
FIELD_RULES: dict[str, Rule] = {
    "model": _model,
    "messages": _messages,
    "stream": _flag("stream"),
    "stream_options": _stream_options,
    "max_completion_tokens": _max_tokens,
    "max_tokens": _max_tokens,
    "temperature": _temperature,
    "top_p": _top_p,
    "stop": _stop,
    "n": _n,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "parallel_tool_calls": _flag("parallel_tool_calls"),
    "user": _user,
    "metadata": _metadata,
    "response_format": _response_format,
    "reasoning_effort": _reasoning_effort,
    "logprobs": _logprobs,
    "modalities": _modalities,
    "top_logprobs": rejected("Bedrock does not return token log probabilities"),
    "audio": rejected(_UNSUPPORTED_OUTPUT),
    "prediction": rejected("Bedrock has no predicted outputs"),
    "web_search_options": dropped,
    "functions": rejected("the deprecated `functions` field is not accepted; use `tools`"),
    "function_call": rejected("the deprecated `function_call` field is not accepted; use `tool_choice`"),
    # Dropped (and named in the request's adaptations): Converse has no equivalent, and leaving them out
    # never changes what a client can rely on in the answer (sampling hints, storage and routing
    # preferences, cache keys).
    "seed": dropped,
    "frequency_penalty": dropped,
    "presence_penalty": dropped,
    "logit_bias": dropped,
    "store": dropped,
    "service_tier": dropped,
    "prompt_cache_key": dropped,
    "safety_identifier": dropped,
    "verbosity": dropped,
}


def validate_chat_request(body: object, *, max_messages: int = DEFAULT_MAX_MESSAGES) -> ChatRequest:
    """The validated request; raises InvalidRequest naming the first offending parameter."""
    fields = apply_rules(body, FIELD_RULES, max_messages=max_messages)
    if "messages" not in fields:
        raise InvalidRequest("`messages` is required", param="messages")
    check_tool_choice(fields.get("tool_choice"), fields.get("tools") or [])
    conversation = fields.pop("conversation")
    return ChatRequest(**fields).with_conversation(conversation)


# ---- Converse request -----------------------------------------------------------------------------


def _sampling_both(chat: ChatRequest) -> dict:
    return {key: value for key, value in (("temperature", chat.temperature), ("topP", chat.top_p)) if value is not None}


def _sampling_one(chat: ChatRequest) -> dict:
    # These models reject temperature and top_p together; temperature is the one clients tune.
    sampling = _sampling_both(chat)
    if "temperature" in sampling and sampling.pop("topP", None) is not None:
        chat.adaptations.note("top_p")
    return sampling


SAMPLING_RULES: dict[str, Callable[[ChatRequest], dict]] = {
    "both": _sampling_both,
    "one": _sampling_one,
    "none": lambda chat: {},
}


def _inference_config(chat: ChatRequest, spec: ModelSpec) -> dict:
    config: dict = {}
    if chat.max_tokens is not None:
        if 0 < spec.max_output_tokens < chat.max_tokens:
            raise InvalidRequest(
                f"max_tokens is too large: {chat.max_tokens}. This model supports at most "
                f"{spec.max_output_tokens} completion tokens",
                param=chat.max_tokens_param,
            )
        config["maxTokens"] = chat.max_tokens
    config.update(SAMPLING_RULES.get(spec.sampling, _sampling_both)(chat))
    if chat.stop:
        config["stopSequences"] = list(chat.stop)
    return config


def _own_lists(conversation: Conversation) -> dict:
    """The conversation's turns and system blocks in lists this request may change (cache points)."""
    kwargs: dict = {"messages": [{**turn, "content": list(turn["content"])} for turn in conversation.messages]}
    if conversation.system:
        kwargs["system"] = list(conversation.system)
    return kwargs


def to_converse_request(chat: ChatRequest, spec: ModelSpec) -> ConverseCall:
    """The Converse call for `chat` on the model `spec`, shared by the streaming and non-streaming paths."""
    conversation = chat.conversation or convert_messages(chat.messages)
    if conversation.image_params and not spec.supports_images:
        raise InvalidRequest(f"The model `{spec.name}` does not accept images", param=conversation.image_params[0])
    if chat.reasoning_effort not in (None, "none") and not spec.can_reason:
        chat.adaptations.note(chat.effort_param)  # Copilot and others send it for every model
        chat = replace(chat, reasoning_effort=None)
    tool_names = dict(conversation.tool_names)
    kwargs = _own_lists(conversation)
    inference = _inference_config(chat, spec)
    if inference:
        kwargs["inferenceConfig"] = inference
    kwargs.update(
        tool_fields(
            tools=chat.tools,
            choice=chat.tool_choice,
            parallel=chat.parallel_tool_calls,
            spec=spec,
            conversation=conversation,
            tool_names=tool_names,
        )
    )
    ask = ReasoningAsk(
        effort=chat.reasoning_effort,
        max_tokens=chat.max_tokens,
        temperature=chat.temperature,
        forced_tool=is_forced(chat.tool_choice),
        max_tokens_param=chat.max_tokens_param,
        effort_param=chat.effort_param,
    )
    thinking = apply_reasoning(kwargs, ask, spec)
    json_tool = apply_output_format(
        kwargs,
        chat.response_format,
        spec,
        thinking=thinking,
        forced_tool=is_forced(chat.tool_choice),
        param=chat.format_param,
    )
    apply_cache_points(kwargs, spec)
    check_context_window(kwargs, spec)
    return ConverseCall(
        kwargs=kwargs,
        tool_names=tool_names,
        message_count=len(conversation.messages),
        json_tool=json_tool,
        thinking=thinking,
        adaptations=chat.adaptations,
        custom_tools=chat.custom_tools,
    )
