"""Quota and rate-limit counters in the database: a request's windows change together, in one statement.

A window row is `(identity, period, start)`: `minute`, `day` and `month` rows count requests, tokens and
spend; the identity's `lease` row counts its requests in flight. Admission adds the request's estimate
to every window at once, with the rows locked, only if each row stays within its limits: concurrent
requests can never all pass a check-then-act, and a refused month leaves the day untouched. Settlement
adds `actual - estimate` to each window, frees the lease and writes the usage record together. Each is
one statement on PostgreSQL and one short write transaction on SQLite (`usage.windows.sql`).

Day and month rows are created lazily, seeded from the usage ledger, so a limit set mid-month counts
what was already used. A concurrency slot is also a `ConcurrencyLease` row that expires, so a crashed
worker cannot hold a slot for ever: when the lease count refuses, it is recounted from the live leases
(expired ones deleted) before the answer is final.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum

from core.cache import ProcessCache
from core.db_retry import retry_on_conflict
from usage.models import ConcurrencyLease, UsageCounter, UsageRecord
from usage.windows import sql as statements
from usage.windows.calendar import EPOCH
from usage.windows.takes import LEASE, Lease, Refused, Take

_known: ProcessCache[int] = ProcessCache("counter rows")  # (identity, period, start) -> row pk
MINUTE_ROWS_KEPT = timedelta(hours=1)


def counters_forget() -> None:
    _known.forget()


def ledger_totals(identity_id: int, start: datetime, end: datetime) -> tuple[int, int]:
    """(tokens, cost_micros) the identity's usage records hold from `start` to `end`."""
    totals = UsageRecord.objects.filter(identity_id=identity_id, created_at__gte=start, created_at__lt=end).aggregate(
        tokens=Sum("total_tokens"), cost=Sum("cost_usd")
    )
    return int(totals["tokens"] or 0), int((totals["cost"] or 0) * 1_000_000)


def _row(identity_id: int, period: str, start: datetime, end: datetime | None) -> int:
    """The window row's pk, creating it (seeded from the ledger for calendar windows) on first use."""
    key = (identity_id, period, start)
    pk = _known.get(key)
    if pk is not None:
        return pk
    return _known.put(_row_create(identity_id, period, start, end), key)


@retry_on_conflict
def _row_create(identity_id: int, period: str, start: datetime, end: datetime | None) -> int:
    """Create the window row unless it exists (each step its own short transaction, safe to run again): its pk."""
    tokens, cost = ledger_totals(identity_id, start, end) if period in ("day", "month") and end else (0, 0)
    UsageCounter.objects.bulk_create(
        [UsageCounter(identity_id=identity_id, period=period, start=start, tokens=tokens, cost_micros=cost)],
        ignore_conflicts=True,
    )
    pk = (
        UsageCounter.objects.filter(identity_id=identity_id, period=period, start=start)
        .values_list("pk", flat=True)
        .get()
    )
    if period == "minute":
        UsageCounter.objects.filter(
            identity_id=identity_id, period="minute", start__lt=start - MINUTE_ROWS_KEPT
        ).delete()
    return pk


def _forget(identity_id: int, take: Take) -> None:
    _known.forget((identity_id, take.period, take.start))


def _fits(take: Take, used: tuple[int, int, int]) -> bool:
    """Whether the window, holding `used` (requests, tokens, cost_micros), has room for the take."""
    return all(used[index] + amount <= limit for index, _, amount, limit in take.limited())


def counters_take(
    *,
    identity_id: int,
    takes: list[Take],
    lease: Lease | None = None,
    pending: dict | None = None,
    _retried: bool = False,
) -> dict[str, tuple[int, int, int]]:
    """Add every take (and the lease, and the `pending` reservation's row) together, or nothing: each window's
    new (requests, tokens, cost_micros).

    Raises Refused for the first window, in `takes` order and then the lease, that would pass its limit.
    """
    all_takes = takes + ([lease.take()] if lease is not None else [])
    pks = [_row(identity_id, take.period, take.start, take.end) for take in all_takes]
    # PostgreSQL locks the rows in one statement; SQLite and Aurora DSQL (no row locks) use a short transaction.
    take_rows = statements.take_postgres if connection.vendor == "postgresql" else statements.take_sqlite
    ok, rows = take_rows(identity_id, pks, all_takes, lease, pending)
    if ok:
        return {take.period: rows[pk] for pk, take in zip(pks, all_takes)}
    pk, first = next(
        ((pk, take) for pk, take in zip(pks, all_takes) if pk not in rows or not _fits(take, rows[pk])),
        (pks[0], all_takes[0]),
    )
    if not _retried and pk not in rows:  # the row was deleted under us (an admin reset): start it again
        _forget(identity_id, first)
        return counters_take(identity_id=identity_id, takes=takes, lease=lease, pending=pending, _retried=True)
    if not _retried and first.period == LEASE and lease is not None and lease_recount(identity_id, lease.now):
        return counters_take(identity_id=identity_id, takes=takes, lease=lease, pending=pending, _retried=True)
    raise Refused(first.period, {take.period: rows[pk] for pk, take in zip(pks, all_takes) if pk in rows})


def counters_adjust(
    *,
    identity_id: int,
    adjusts: list[Take],
    lease_request_id: str | None = None,
    now: datetime | None = None,
    record: dict | None = None,
    pending_request_id: str | None = None,
) -> None:
    """Settle: add each adjustment (may go over the limit; the next admission blocks), free the lease, delete the
    pending reservation and write the usage `record`, all in one transaction (one statement on PostgreSQL).

    The lease row's count drops only for a lease still live: an expired one was already left out by a recount.
    """
    adjusts = [take for take in adjusts if take.requests or take.tokens or take.cost_micros]
    if lease_request_id is not None:
        adjusts.append(Take(LEASE, EPOCH))  # its decrement is decided by the lease's delete
    pks = [_row(identity_id, take.period, take.start, None) for take in adjusts]
    adjust = statements.adjust_postgres if connection.vendor == "postgresql" else statements.adjust_sqlite
    adjust(pks, adjusts, lease_request_id, now or EPOCH, record, pending_request_id)


# --- Concurrency leases ----------------------------------------------------------------------------


@retry_on_conflict
def lease_recount(identity_id: int, now: datetime) -> bool:
    """Drop the identity's expired leases and reset its lease count to the live ones: whether it went down."""
    ConcurrencyLease.objects.filter(identity_id=identity_id, expires_at__lte=now).delete()
    return _lease_count_reset(identity_id, _row(identity_id, LEASE, EPOCH, None))


def _lease_count_reset(identity_id: int, pk: int) -> bool:
    """Set the lease row to the live leases' count, in one transaction: whether the count went down. The row is
    locked first on PostgreSQL; Aurora DSQL has no row locks and refuses the commit if another writer changed it."""
    counters = UsageCounter.objects.filter(pk=pk)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            counters = counters.select_for_update()
        before = counters.values_list("requests", flat=True).first()
        count = ConcurrencyLease.objects.filter(identity_id=identity_id).count()
        UsageCounter.objects.filter(pk=pk).update(requests=count)
    return before is not None and count < before
