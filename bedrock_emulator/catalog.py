"""Which model ids the emulator accepts, and how Bedrock treats each one (profile required, kind, family).

A plain data table: add a row to `MODELS` to teach the emulator a new model. Every accepted spelling
(base id, inference-profile id, ARN) is resolved through one precomputed dictionary.
"""

from __future__ import annotations

from dataclasses import dataclass

from bedrock_emulator.errors import validation

CHAT = "chat"
EMBEDDING = "embedding"
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "global.")

INVALID_MODEL = "The provided model identifier is invalid."
ON_DEMAND_UNSUPPORTED = (
    "Invocation of model ID {} with on-demand throughput isn’t supported. Retry your "
    "request with the ID or ARN of an inference profile that contains this model."
)
NOT_A_CHAT_MODEL = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)


@dataclass(frozen=True)
class Model:
    base_id: str
    kind: str = CHAT
    family: str = ""  # selects the InvokeModel body format (see invoke.py)
    needs_profile: bool = False  # base id fails with the on-demand error
    sampling_xor: bool = False  # temperature and topP cannot both be set (Claude 4.5+)
    profiles: tuple[str, ...] = PROFILE_PREFIXES
    thinking: tuple[str, ...] = ()  # accepted additionalModelRequestFields.thinking types
    native_json: bool = False  # accepts outputConfig.textFormat (structured output)


BUDGET = ("enabled",)
ADAPTIVE = ("enabled", "adaptive")


def _claude(
    base_id: str,
    *,
    needs_profile: bool = True,
    sampling_xor: bool = False,
    thinking: tuple[str, ...] = (),
    native_json: bool = False,
) -> Model:
    return Model(base_id, CHAT, "anthropic", needs_profile, sampling_xor, thinking=thinking, native_json=native_json)


def _embedding(base_id: str, family: str) -> Model:
    return Model(base_id, EMBEDDING, family, profiles=())


MODELS: tuple[Model, ...] = (
    _claude("anthropic.claude-opus-4-1-20250805-v1:0", thinking=BUDGET),
    _claude("anthropic.claude-opus-4-20250514-v1:0", thinking=BUDGET),
    _claude("anthropic.claude-sonnet-4-20250514-v1:0", thinking=BUDGET),
    _claude("anthropic.claude-3-5-sonnet-20241022-v2:0"),
    _claude("anthropic.claude-3-5-sonnet-20240620-v1:0", needs_profile=False),
    _claude("anthropic.claude-3-5-haiku-20241022-v1:0"),
    _claude("anthropic.claude-3-haiku-20240307-v1:0", needs_profile=False),
    _claude("anthropic.claude-3-7-sonnet-20250219-v1:0", thinking=BUDGET),
    _claude("anthropic.claude-sonnet-4-5-20250929-v1:0", sampling_xor=True, thinking=BUDGET, native_json=True),
    _claude("anthropic.claude-haiku-4-5-20251001-v1:0", sampling_xor=True, thinking=BUDGET, native_json=True),
    _claude("anthropic.claude-opus-4-5-20251101-v1:0", sampling_xor=True, thinking=BUDGET, native_json=True),
    _claude("anthropic.claude-sonnet-4-6", sampling_xor=True, thinking=ADAPTIVE, native_json=True),
    _claude("anthropic.claude-opus-4-6-v1", sampling_xor=True, thinking=ADAPTIVE, native_json=True),
    Model("meta.llama3-3-70b-instruct-v1:0", family="meta", needs_profile=True),
    Model("meta.llama3-1-405b-instruct-v1:0", family="meta"),
    Model("meta.llama3-1-70b-instruct-v1:0", family="meta"),
    Model("mistral.mistral-large-2407-v1:0", family="mistral"),
    Model("mistral.mistral-large-2402-v1:0", family="mistral"),
    Model("amazon.nova-micro-v1:0", family="nova"),
    Model("amazon.nova-lite-v1:0", family="nova"),
    Model("amazon.nova-pro-v1:0", family="nova"),
    _embedding("amazon.titan-embed-text-v1", "titan-embed-v1"),
    _embedding("amazon.titan-embed-text-v2:0", "titan-embed-v2"),
    _embedding("cohere.embed-english-v3", "cohere-embed-v3"),
    _embedding("cohere.embed-multilingual-v3", "cohere-embed-v3"),
)


def _spellings(models: tuple[Model, ...]) -> dict[str, tuple[Model, bool]]:
    """Every accepted id -> (model, reached through an inference profile)."""
    table: dict[str, tuple[Model, bool]] = {}
    for model in models:
        table[model.base_id] = (model, False)
        for prefix in model.profiles:
            table[prefix + model.base_id] = (model, True)
    return table


_BY_ID = _spellings(MODELS)


def _from_arn(arn: str) -> tuple[Model, bool] | None:
    # arn:<partition>:bedrock:<region>:<account>:<resource-type>/<id>
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "bedrock" or "/" not in parts[5]:
        return None
    resource_type, _, model_id = parts[5].partition("/")
    found = _BY_ID.get(model_id)
    if found is None:
        return None
    if resource_type == "inference-profile" and found[1]:
        return found
    if resource_type == "foundation-model" and not found[1]:
        return found
    return None


def resolve(model_id: str) -> tuple[Model, bool]:
    """(model, via_profile) for an id Bedrock would accept; ValidationException otherwise."""
    found = _BY_ID.get(model_id)
    if found is None and model_id.startswith("arn:"):
        found = _from_arn(model_id)
    if found is None:
        raise validation(INVALID_MODEL)
    model, via_profile = found
    if model.needs_profile and not via_profile:
        raise validation(ON_DEMAND_UNSUPPORTED.format(model.base_id))
    return model, via_profile


def resolve_chat(model_id: str) -> Model:
    model, _ = resolve(model_id)
    if model.kind != CHAT:
        raise validation(NOT_A_CHAT_MODEL)
    return model


def resolve_for_counting(model_id: str) -> Model:
    """CountTokens takes a model's base id even where running it needs an inference profile."""
    found = _BY_ID.get(model_id)
    if found is None:
        raise validation(INVALID_MODEL)
    return found[0]
