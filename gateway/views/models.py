"""GET /v1/models and /v1/models/{id}: the aliases clients may ask for, in OpenAI's list shape."""
from __future__ import annotations

from rest_framework.response import Response

from core.errors import ModelNotFound
from gateway.registry import ModelSpec, model_table
from gateway.views.base import ApiView


def model_object(spec: ModelSpec) -> dict:
    return {"id": spec.name, "object": "model", "created": spec.created, "owned_by": spec.owned_by}


class ModelList(ApiView):
    def get(self, request):
        specs = sorted((s for s in model_table().specs.values() if s.listed), key=lambda s: s.name)
        return Response({"object": "list", "data": [model_object(s) for s in specs]})


class ModelDetail(ApiView):
    def get(self, request, model_id: str):
        spec = model_table().specs.get(model_id)
        if spec is None or not spec.listed:
            raise ModelNotFound(f"The model `{model_id}` does not exist", param="model")
        return Response(model_object(spec))
