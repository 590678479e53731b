"""GET /v1/models and /v1/models/{id}: the aliases clients may ask for, in OpenAI's shape or in Anthropic's.

Claude Code discovers models with Anthropic's headers (`anthropic-version`, or the key as `x-api-key`) and
reads Anthropic's list shape; it gets the Claude models (under Claude names) the caller's identity may use,
since only those answer on /v1/messages. Every other caller gets OpenAI's list of all listed aliases, as before.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rest_framework.response import Response

from core.errors import ModelNotFound
from gateway.http import anthropic_exception_handler
from gateway.registry import ModelSpec
from gateway.selectors import model_table
from gateway.views.base import ApiView
from tokens.authentication import ApiKeyOrBearerAuthentication
from tokens.quotas import limits_for


def model_object(spec: ModelSpec) -> dict:
    return {"id": spec.name, "object": "model", "created": spec.created, "owned_by": spec.owned_by}


def anthropic_model_object(spec: ModelSpec) -> dict:
    created = datetime.fromtimestamp(spec.created, tz=UTC).isoformat().replace("+00:00", "Z")
    return {"type": "model", "id": spec.name, "display_name": spec.name, "created_at": created}


def speaks_anthropic(request) -> bool:
    return "HTTP_ANTHROPIC_VERSION" in request.META or "HTTP_X_API_KEY" in request.META


def _listed() -> list[ModelSpec]:
    return sorted((s for s in model_table().specs.values() if s.listed), key=lambda s: s.name)


def _claude_models(request) -> list[ModelSpec]:
    """The listed Claude models the caller's identity may use, under Claude names: drop-in names such as
    `gpt-4o` answer too, but a Claude model picker has no use for them."""
    limits = limits_for(request.user.identity_id)
    return [
        s
        for s in _listed()
        if s.provider == "anthropic" and s.name.startswith("claude") and limits.allows(s.name, s.base_model_id)
    ]


class ModelApiView(ApiView):
    authentication_classes = [ApiKeyOrBearerAuthentication]

    def get_exception_handler(self):
        return anthropic_exception_handler if speaks_anthropic(self.request) else super().get_exception_handler()


class ModelList(ModelApiView):
    def get(self, request):
        if not speaks_anthropic(request):
            return Response({"object": "list", "data": [model_object(s) for s in _listed()]})
        data = [anthropic_model_object(s) for s in _claude_models(request)]
        return Response(
            {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        )


class ModelDetail(ModelApiView):
    def get(self, request, model_id: str):
        if speaks_anthropic(request):
            spec = next((s for s in _claude_models(request) if s.name == model_id), None)
            if spec is None:
                raise ModelNotFound(f"The model `{model_id}` does not exist", param="model")
            return Response(anthropic_model_object(spec))
        spec = model_table().specs.get(model_id)
        if spec is None or not spec.listed:
            raise ModelNotFound(f"The model `{model_id}` does not exist", param="model")
        return Response(model_object(spec))
