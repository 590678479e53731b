"""Quota and rate-limit counters in the database: every change is one conditional statement on one row.

A window row is `(identity, period, start)`. Admission adds the request's estimate only if the
row stays within its limits (`UPDATE ... WHERE used + n <= limit RETURNING ...`), so concurrent
requests can never all pass a check-then-act; settlement adds `actual - estimate` once. Day and
month rows are created lazily, seeded from the usage ledger, so a limit set mid-month counts what
was already used. Concurrency uses leases that expire, so a crashed worker cannot hold a slot.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum

from usage.limits import EPOCH
from usage.models import ConcurrencyLease, UsageCounter, UsageRecord

_known: dict[tuple[int, str, datetime], int] = {}   # window -> row pk, per process
_lock = threading.Lock()
MINUTE_ROWS_KEPT = timedelta(hours=1)


def counters_forget() -> None:
    with _lock:
        _known.clear()


def _ledger_totals(identity_id: int, start: datetime, end: datetime) -> tuple[int, int]:
    totals = UsageRecord.objects.filter(identity_id=identity_id, created_at__gte=start, created_at__lt=end) \
        .aggregate(tokens=Sum("total_tokens"), cost=Sum("cost_usd"))
    return int(totals["tokens"] or 0), int((totals["cost"] or 0) * 1_000_000)


def _row(identity_id: int, period: str, start: datetime, end: datetime | None) -> int:
    """The window row's pk, creating it (seeded from the ledger for calendar windows) on first use."""
    key = (identity_id, period, start)
    pk = _known.get(key)
    if pk is not None:
        return pk
    tokens, cost = _ledger_totals(identity_id, start, end) if period in ("day", "month") and end else (0, 0)
    UsageCounter.objects.bulk_create([UsageCounter(identity_id=identity_id, period=period, start=start,
                                                   tokens=tokens, cost_micros=cost)], ignore_conflicts=True)
    pk = UsageCounter.objects.filter(identity_id=identity_id, period=period, start=start) \
        .values_list("pk", flat=True).get()
    if period == "minute":
        UsageCounter.objects.filter(identity_id=identity_id, period="minute",
                                    start__lt=start - MINUTE_ROWS_KEPT).delete()
    with _lock:
        if len(_known) > 100_000:
            _known.clear()
        _known[key] = pk
    return pk


def _table() -> str:
    return connection.ops.quote_name(UsageCounter._meta.db_table)


def counter_take(*, identity_id: int, period: str, start: datetime, end: datetime | None = None,
                 requests: int = 0, tokens: int = 0, cost_micros: int = 0, max_requests: int = 0,
                 max_tokens: int = 0, max_cost_micros: int = 0) -> tuple[bool, int, int, int]:
    """Add to the window if every limit (0 = none) still holds: (admitted, requests, tokens, cost_micros)."""
    pk = _row(identity_id, period, start, end)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table()} SET requests = requests + %s, tokens = tokens + %s, cost_micros = cost_micros + %s "
            "WHERE id = %s AND (%s = 0 OR requests + %s <= %s) AND (%s = 0 OR tokens + %s <= %s) "
            "AND (%s = 0 OR cost_micros + %s <= %s) RETURNING requests, tokens, cost_micros",
            [requests, tokens, cost_micros, pk, max_requests, requests, max_requests, max_tokens, tokens, max_tokens,
             max_cost_micros, cost_micros, max_cost_micros])
        row = cursor.fetchone()
    if row is not None:
        return True, row[0], row[1], row[2]
    current = UsageCounter.objects.filter(pk=pk).values_list("requests", "tokens", "cost_micros").first()
    if current is None:  # the row was deleted under us (an admin reset): start the window again
        with _lock:
            _known.pop((identity_id, period, start), None)
        return counter_take(identity_id=identity_id, period=period, start=start, end=end, requests=requests,
                            tokens=tokens, cost_micros=cost_micros, max_requests=max_requests,
                            max_tokens=max_tokens, max_cost_micros=max_cost_micros)
    return False, current[0], current[1], current[2]


def counter_adjust(*, identity_id: int, period: str, start: datetime, requests: int = 0, tokens: int = 0,
                   cost_micros: int = 0) -> None:
    """Settle: replace the estimate by the actual figures (may go over the limit; the next admission blocks)."""
    if not (requests or tokens or cost_micros):
        return
    pk = _row(identity_id, period, start, None)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table()} SET requests = requests + %s, tokens = tokens + %s, "
                       "cost_micros = cost_micros + %s WHERE id = %s", [requests, tokens, cost_micros, pk])


def _lock_row(pk: int) -> bool:
    return bool(list(UsageCounter.objects.select_for_update().filter(pk=pk).values_list("pk", flat=True)))


class DatabaseCounters:
    """The per-minute and concurrency counters on the database (the default, and the fallback from Redis)."""

    name = "database"

    def minute_take(self, *, identity_id: int, start: datetime, tokens: int, max_requests: int,
                    max_tokens: int) -> tuple[bool, int, int]:
        ok, used_requests, used_tokens, _ = counter_take(identity_id=identity_id, period="minute", start=start,
                                                         requests=1, tokens=tokens, max_requests=max_requests,
                                                         max_tokens=max_tokens)
        return ok, used_requests, used_tokens

    def minute_adjust(self, *, identity_id: int, start: datetime, requests: int, tokens: int) -> None:
        counter_adjust(identity_id=identity_id, period="minute", start=start, requests=requests, tokens=tokens)

    def lease_take(self, *, identity_id: int, request_id: str, limit: int, now: datetime,
                   ttl: int) -> tuple[bool, int]:
        pk = _row(identity_id, "lease", EPOCH, None)
        with transaction.atomic():
            # Locking the identity's lease row serialises admissions of that identity only.
            if not _lock_row(pk):
                with _lock:
                    _known.pop((identity_id, "lease", EPOCH), None)
                _lock_row(_row(identity_id, "lease", EPOCH, None))
            leases = ConcurrencyLease.objects.filter(identity_id=identity_id)
            leases.filter(expires_at__lte=now).delete()
            count = leases.count()
            if count >= limit:
                return False, count
            ConcurrencyLease.objects.create(identity_id=identity_id, request_id=request_id,
                                            expires_at=now + timedelta(seconds=ttl))
            return True, count + 1

    def lease_release(self, *, identity_id: int, request_id: str) -> None:
        ConcurrencyLease.objects.filter(request_id=request_id).delete()
