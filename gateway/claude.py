"""Anthropic Messages on Bedrock: which models may serve them, and token counting with a fallback estimate."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from django.conf import settings

from core.errors import ApiError, InvalidRequest, ModelNotFound
from gateway import bedrock
from gateway.compat import Adaptations
from gateway.registry import ModelSpec
from gateway.selectors import resolve_model
from gateway.translate.anthropic_request import estimate_input_tokens

log = logging.getLogger("sbc.messages")


@dataclass(frozen=True)
class TokenCount:
    region: str
    model_id: str
    input_tokens: int
    estimated: bool


def claude_model(name: str, notes: Adaptations | None = None) -> ModelSpec:
    """The chat model `name` resolves to, if it is a Claude model: only Claude takes Anthropic's body on Bedrock.

    Claude Code asks for its own default (e.g. `claude-opus-5-5`) when the user names no model. An Anthropic
    name this gateway's table does not know is served by DEFAULT_MODEL, when that is a Claude model, under
    the name asked for (Claude Code ignores thinking from an answer named after another model), and noted.
    """
    try:
        spec: ModelSpec | None = resolve_model(name)
    except ModelNotFound:
        if not (isinstance(name, str) and name.startswith("claude-")):
            raise
        spec = None  # an Anthropic name no alias knows and no Bedrock id: served by DEFAULT_MODEL below
    if spec is None or (spec.passthrough and spec.provider != "anthropic" and name.startswith("claude-")):
        default = resolve_model(settings.DEFAULT_MODEL)
        if default.provider == "anthropic":
            if notes is not None:
                notes.note("model")
            return replace(default, name=name, listed=False, alias_of=default.name)
    if spec is None:
        raise ModelNotFound(
            f"The model `{name}` does not exist here: use a model alias or a Bedrock model id", param="model"
        )
    if spec.provider != "anthropic":
        raise InvalidRequest(
            f"The model `{name}` is not a Claude model: /v1/messages serves Claude models only "
            "(use /v1/chat/completions for the others).",
            param="model",
        )
    return spec


def messages_count_tokens(*, spec: ModelSpec, body: dict) -> TokenCount:
    """Bedrock's CountTokens; where it is unavailable (model, region or permission), a chars/4 estimate."""
    try:
        result = bedrock.count_tokens(spec, body)
    except ApiError as error:
        log.info("CountTokens unavailable for %s (%s); answering an estimate", spec.name, error.code)
        return TokenCount(
            region="", model_id=spec.base_model_id, input_tokens=estimate_input_tokens(body), estimated=True
        )
    return TokenCount(
        region=result.region,
        model_id=result.model_id,
        input_tokens=int(result.response["inputTokens"]),
        estimated=False,
    )
