"""Reads for the gateway app: the model table from the aliases, cached per process, and model resolution."""

from __future__ import annotations

from django.conf import settings

from core.cache import ProcessCache
from gateway.models import ModelAlias
from gateway.registry import MAX_ALIAS_DEPTH, ModelSpec, ModelTable, resolve


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
        specs.append(
            ModelSpec(
                name=row.name,
                base_model_id=target.bedrock_model_id,
                profile=target.profile,
                kind=target.kind,
                owned_by=target.owned_by,
                supports_tools=target.supports_tools,
                supports_streaming_tools=target.supports_streaming_tools,
                supports_images=target.supports_images,
                sampling=target.sampling,
                reasoning=target.reasoning,
                prompt_caching=target.prompt_caching,
                structured_output=target.structured_output,
                context_window=target.context_window,
                max_output_tokens=target.max_output_tokens,
                listed=row.is_listed,
                created=int(row.created_at.timestamp()) if row.created_at else 0,
                alias_of=target.name if target is not row else None,
            )
        )
    return specs


_tables: ProcessCache[ModelTable] = ProcessCache("model table", ttl=lambda: settings.MODEL_CACHE_SECONDS)


def model_table_forget() -> None:
    _tables.forget()


def model_table() -> ModelTable:
    """The current alias table, at most MODEL_CACHE_SECONDS old."""
    return _tables.get_or_load(lambda: ModelTable.of(model_specs_load()))


def resolve_model(name: str | None, *, kind: str = "chat") -> ModelSpec:
    """The spec a request's model name stands for (DEFAULT_MODEL when it names none)."""
    return resolve(
        name if name is not None else settings.DEFAULT_MODEL,
        model_table(),
        kind=kind,
        regions=tuple(settings.BEDROCK_REGIONS),
        accounts=tuple(settings.BEDROCK_ACCOUNT_IDS),
    )
