"""Reads for the gateway app: model specs from the alias table."""
from __future__ import annotations

from gateway.models import ModelAlias
from gateway.registry import MAX_ALIAS_DEPTH, ModelSpec


def _target(alias: ModelAlias, by_pk: dict[int, ModelAlias]) -> ModelAlias | None:
    target = alias
    for _ in range(MAX_ALIAS_DEPTH):
        if not target.alias_of_id:
            return target
        target = by_pk.get(target.alias_of_id)
        if target is None:
            return None
    return None


def model_specs_load() -> list[ModelSpec]:
    rows = list(ModelAlias.objects.filter(is_enabled=True))
    by_pk = {row.pk: row for row in rows}
    specs = []
    for row in rows:
        target = _target(row, by_pk)
        if target is None or not target.bedrock_model_id:
            continue
        specs.append(ModelSpec(
            name=row.name, base_model_id=target.bedrock_model_id, profile=target.profile, kind=target.kind,
            owned_by=target.owned_by, supports_tools=target.supports_tools,
            supports_streaming_tools=target.supports_streaming_tools, supports_images=target.supports_images,
            sampling=target.sampling, reasoning=target.reasoning, prompt_caching=target.prompt_caching,
            structured_output=target.structured_output,
            context_window=target.context_window, max_output_tokens=target.max_output_tokens,
            listed=row.is_listed, created=int(row.created_at.timestamp()) if row.created_at else 0,
            alias_of=target.name if target is not row else None,
        ))
    return specs
