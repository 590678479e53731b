"""Writing the usage ledger: one INSERT per request at settlement, never allowed to break the response.

The INSERT is built once from the model's fields and each value is adapted by its own field (as the
ORM would), without building a model instance and a compiler per request.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.utils import timezone

from usage.models import UsageRecord

log = logging.getLogger("sbc.usage")
ADAPTED_MAX = UsageRecord._meta.get_field("adapted").max_length
_FIELDS = [f for f in UsageRecord._meta.concrete_fields if not f.primary_key]
_sql: dict[str, str] = {}


def _insert_sql() -> str:
    sql = _sql.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in _FIELDS if f.column is not None)  # concrete: all have one
        sql = _sql[connection.vendor] = (
            f"INSERT INTO {quote(UsageRecord._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(_FIELDS))})"
        )
    return sql


def usage_record_values(
    *,
    request_id: str,
    identity_id: int | None,
    identity_name: str,
    token_id: str,
    endpoint: str,
    model_requested: str,
    model_resolved: str,
    region: str,
    usage: dict,
    cost_usd: Decimal,
    latency_ms: int,
    streamed: bool,
    status: int,
    finish_reason: str | None,
    error_code: str | None,
    client: str,
    disconnected: bool,
    adapted=(),
) -> dict:
    """The record's column values by field attname, cut to their columns' sizes."""
    details = usage.get("prompt_tokens_details") or {}
    prompt, completion = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    return {
        "request_id": request_id,
        "identity_id": identity_id,
        "identity_name": identity_name,
        "token_id": token_id,
        "endpoint": endpoint,
        "model_requested": model_requested[:300],
        "model_resolved": (model_resolved or "")[:300],
        "region": region or "",
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": int(usage.get("total_tokens") or prompt + completion),
        "cached_tokens": int(details.get("cached_tokens") or 0),
        "cache_write_tokens": int(details.get("cache_write_tokens") or 0),
        "usage_estimated": bool(usage.get("estimated")),
        "cost_usd": cost_usd,
        "latency_ms": latency_ms,
        "streamed": streamed,
        "status": status,
        "finish_reason": (finish_reason or "")[:30],
        "error_code": (error_code or "")[:60],
        "client": client[:60],
        "disconnected": disconnected,
        "adapted": ", ".join(adapted)[:ADAPTED_MAX],
        "created_at": timezone.now(),
    }


def usage_record_sql(values: dict) -> tuple[str, list]:
    """The INSERT of one record (values from `usage_record_values`) and its parameters."""
    return _insert_sql(), [field.get_db_prep_save(values[field.attname], connection) for field in _FIELDS]


def usage_record_insert(values: dict) -> None:
    """Insert one record; database errors propagate."""
    with connection.cursor() as cursor:
        cursor.execute(*usage_record_sql(values))


def usage_record_create(values: dict) -> bool:
    """Insert the request's record; False (and an error in the log) when the database refused it."""
    try:
        with transaction.atomic():  # a savepoint inside a caller's transaction, which a refusal leaves usable
            usage_record_insert(values)
        return True
    except Exception:
        log.exception("Could not write the usage record of %s", values.get("request_id"))
        return False


CLIENT_CLOSED_REQUEST = 499


def usage_record_abandoned(request_id: str) -> int:
    """Mark a whole answer whose client went away before it was sent: status 499, disconnected (one UPDATE). The
    tokens stay: Bedrock answered and bills them. Runs outside a request, so the thread's connection is checked (and
    replaced once if it was lost) first. How many records it changed."""
    for attempt in (1, 2):
        close_old_connections()  # outside a request: check the thread's connection before its first use
        try:
            return UsageRecord.objects.filter(request_id=request_id, streamed=False).update(
                status=CLIENT_CLOSED_REQUEST, disconnected=True
            )
        except (OperationalError, InterfaceError) as exc:
            connection.close()
            if attempt == 2:
                log.warning("Could not record %s as abandoned by its client (%s)", request_id, type(exc).__name__)
    return 0
