"""The reaper: settles the reservations a crashed process left behind, so that counters equal records again.

A `PendingReservation` row is written with its request's admission, deleted with its settlement, and its expiry is
pushed forward by its process's heartbeat while the request runs (`usage.heartbeat`). A row whose expiry passed
more than QUOTA_LEASE_SECONDS ago belongs to a process that is gone: the reaper settles it at its estimate (the
counters keep what was reserved) with a usage record that says so: status 500, error code `interrupted`,
usage estimated. The record's insert, the lease's release and the row's delete are one transaction, and the
unique request id lets only one of several concurrent reapers (or a late spool replay) write it.

It runs from `manage.py reap_reservations` (scheduled with the other jobs) and now and then in each serving
process (`usage.upkeep`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError

from core.db_retry import retry_on_conflict
from usage.admission import Settlement, settlement_write
from usage.events import event_emit, iso_now
from usage.models import PendingReservation
from usage.records import usage_record_values
from usage.windows import calendar
from usage.windows.redis import CountersUnavailable, redis_counters_if_up

log = logging.getLogger("sbc.usage")
INTERRUPTED = "interrupted"
INTERRUPTED_STATUS = 500
BATCH = 200


def _record(row: PendingReservation, now: datetime) -> dict:
    record = usage_record_values(
        request_id=row.request_id,
        identity_id=row.identity_id,
        identity_name=row.identity_name,
        token_id=row.token_id,
        endpoint=row.endpoint,
        model_requested=row.model_requested,
        model_resolved=row.model_resolved,
        region="",
        usage={"prompt_tokens": row.tokens, "completion_tokens": 0, "total_tokens": row.tokens, "estimated": True},
        cost_usd=Decimal(row.cost_micros) / 1_000_000,
        latency_ms=max(0, min(int((now - row.created_at).total_seconds() * 1000), 2**31 - 1)),
        streamed=row.streamed,
        status=INTERRUPTED_STATUS,
        finish_reason=None,
        error_code=INTERRUPTED,
        client=row.client,
        disconnected=False,
    )
    record["created_at"] = row.created_at  # in the windows its reservation was taken from
    return record


@retry_on_conflict
def _forget(request_id: str) -> None:
    PendingReservation.objects.filter(request_id=request_id).delete()


def reservation_reap(row: PendingReservation, now: datetime) -> bool:
    """Settle one orphaned reservation at its estimate: True if this call wrote its record."""
    record = _record(row, now)
    settlement = Settlement(
        identity_id=row.identity_id,
        adjusts=[],  # settled at the estimate the windows already hold
        lease_request_id=row.request_id if row.lease == "database" else None,
        pending_request_id=row.request_id,
    )
    try:
        settlement_write(settlement, record)
    except IntegrityError:  # recorded already (another reaper, a spool replay): only the row is left to go
        _forget(row.request_id)
        return False
    if row.lease == "redis":
        counters = redis_counters_if_up(even_if_tripped=True)
        try:
            if counters is not None:
                counters.lease_release(identity_id=row.identity_id, request_id=row.request_id)
        except CountersUnavailable:
            pass  # the lease expires on its own
    event_emit(
        "response",
        request_id=row.request_id,
        identity=row.identity_name,
        token_id=row.token_id,
        endpoint=row.endpoint,
        model=row.model_requested,
        stream=row.streamed,
        status=INTERRUPTED_STATUS,
        error_code=INTERRUPTED,
        usage={"prompt_tokens": row.tokens, "completion_tokens": 0, "total_tokens": row.tokens},
        usage_estimated=True,
        cost_usd=float(record["cost_usd"]),
        client=row.client,
        timestamp=iso_now(),
    )
    return True


def reservations_reap(now: datetime | None = None) -> int:
    """Settle every reservation whose heartbeat stopped more than QUOTA_LEASE_SECONDS ago: how many this call
    settled."""
    now = now or calendar.clock()
    cutoff = now - timedelta(seconds=settings.QUOTA_LEASE_SECONDS)
    reaped = 0
    while True:
        rows = list(PendingReservation.objects.filter(expires_at__lt=cutoff).order_by("expires_at")[:BATCH])
        for row in rows:
            reaped += reservation_reap(row, now)
        if len(rows) < BATCH:
            break
    if reaped:
        log.warning("Settled %d reservations left by a process that stopped, as interrupted", reaped)
    return reaped
