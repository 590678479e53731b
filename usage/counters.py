"""Quota and rate-limit counters in the database: a request's windows change together, in one statement.

A window row is `(identity, period, start)`: `minute`, `day` and `month` rows count requests, tokens and
spend; the identity's `lease` row counts its requests in flight. Admission adds the request's estimate
to every window in one `UPDATE ... WHERE <each row stays within its limits> RETURNING` inside one
transaction: a row over its limit is not returned and the whole admission rolls back, so concurrent
requests can never all pass a check-then-act, and a refused month leaves the day untouched. Settlement
adds `actual - estimate` to each window, again in one statement.

Day and month rows are created lazily, seeded from the usage ledger, so a limit set mid-month counts
what was already used. A concurrency slot is also a `ConcurrencyLease` row that expires, so a crashed
worker cannot hold a slot for ever: when the lease count refuses, it is recounted from the live leases
(expired ones deleted) before the answer is final.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Sum

from usage.limits import EPOCH
from usage.models import ConcurrencyLease, UsageCounter, UsageRecord
from usage.records import usage_record_insert, usage_record_sql

_known: dict[tuple[int, str, datetime], int] = {}   # window -> row pk, per process
_lock = threading.Lock()
MINUTE_ROWS_KEPT = timedelta(hours=1)
LEASE = "lease"


_sqlite_writer = threading.Lock()


@contextmanager
def write_transaction():
    """`transaction.atomic()`; on SQLite, this process's threads also take the database's single write lock
    in turn. SQLite makes a writer that finds the lock taken sleep (1, 2, 5, 10... ms) and retry; a Python
    lock wakes the next thread as soon as the lock is free."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    with _sqlite_writer, transaction.atomic():
        yield


def counters_forget() -> None:
    with _lock:
        _known.clear()


@dataclass(frozen=True)
class Take:
    """What one window gets, and its limits (0 = none)."""

    period: str
    start: datetime
    end: datetime | None = None
    requests: int = 0
    tokens: int = 0
    cost_micros: int = 0
    max_requests: int = 0
    max_tokens: int = 0
    max_cost_micros: int = 0


@dataclass(frozen=True)
class Lease:
    """A concurrency slot for one request, held until settlement or `expires_at`."""

    request_id: str
    limit: int
    now: datetime
    expires_at: datetime

    def take(self) -> Take:
        return Take(LEASE, EPOCH, requests=1, max_requests=self.limit)


class Refused(Exception):
    """A window would pass its limit: which one, and what it holds now (requests, tokens, cost_micros)."""

    def __init__(self, period: str, used: tuple[int, int, int]) -> None:
        super().__init__(period)
        self.period, self.used = period, used


class _Rollback(Exception):
    pass


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


def _forget(identity_id: int, take: Take) -> None:
    with _lock:
        _known.pop((identity_id, take.period, take.start), None)


def _table(model=UsageCounter) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _case(key: str, values: list[tuple[int, int]], params: list) -> str:
    """`CASE <key> WHEN pk THEN n ... ELSE 0 END`, or `0` when every n is 0."""
    if not any(n for _, n in values):
        return "0"
    whens = []
    for pk, n in values:
        if n:
            whens.append("WHEN %s THEN %s")
            params += [pk, n]
    return f"CASE {key} {' '.join(whens)} ELSE 0 END"


def _within(take: Take, params: list) -> str:
    """The condition that keeps one row within its limits after the take."""
    checks = []
    for column, amount, limit in (("requests", take.requests, take.max_requests),
                                  ("tokens", take.tokens, take.max_tokens),
                                  ("cost_micros", take.cost_micros, take.max_cost_micros)):
        if limit:
            checks.append(f"{column} + %s <= %s")
            params += [amount, limit]
    return " AND ".join(checks) or "1 = 1"


def _fits(take: Take, used: tuple[int, int, int]) -> bool:
    """Whether the window, holding `used` (requests, tokens, cost_micros), has room for the take."""
    return all(not limit or held + amount <= limit for held, amount, limit in (
        (used[0], take.requests, take.max_requests), (used[1], take.tokens, take.max_tokens),
        (used[2], take.cost_micros, take.max_cost_micros)))


def _sets(key: str, pks: list[int], takes: list[Take], params: list, *, floor: bool = False) -> str:
    """The SET clause adding each take to its row (`requests` never below 0 with `floor`)."""
    parts = []
    for column in ("requests", "tokens", "cost_micros"):
        value = f"{column} + " + _case(key, [(pk, getattr(take, column)) for pk, take in zip(pks, takes)], params)
        if floor and column == "requests":
            value = f"{'GREATEST' if connection.vendor == 'postgresql' else 'MAX'}({value}, 0)"
        parts.append(f"{column} = {value}")
    return ", ".join(parts)


def _within_cases(key: str, pks: list[int], takes: list[Take], params: list) -> str:
    """`CASE <key> WHEN pk THEN <the row stays within its limits> ... ELSE false END`."""
    whens = []
    for pk, take in zip(pks, takes):
        condition_params: list = []
        whens.append(f"WHEN %s THEN ({_within(take, condition_params)})")
        params += [pk, *condition_params]
    return f"CASE {key} {' '.join(whens)} ELSE 1 = 0 END"


def _rows(pks: list[int]) -> dict[int, tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, requests, tokens, cost_micros FROM {_table()} "
                       f"WHERE id IN ({', '.join(['%s'] * len(pks))})", pks)
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


def _take_sqlite(identity_id: int, pks: list[int], takes: list[Take],
                 lease: Lease | None) -> tuple[bool, dict[int, tuple[int, int, int]]]:
    """One conditional UPDATE in a write transaction, rolled back unless every row had room."""
    table = _table()
    key = f"{table}.id"
    params: list = []
    sets = _sets(key, pks, takes, params)
    params += pks
    where = f"{key} IN ({', '.join(['%s'] * len(pks))}) AND ({_within_cases(key, pks, takes, params)})"
    try:
        with write_transaction():
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {sets} WHERE {where} RETURNING id, requests, tokens, cost_micros",
                               params)
                returned = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
            if len(returned) < len(pks):
                raise _Rollback
            if lease is not None:
                _lease_insert(identity_id, lease)
    except _Rollback:
        return False, _rows(pks)
    return True, returned


def _take_postgres(identity_id: int, pks: list[int], takes: list[Take],
                   lease: Lease | None) -> tuple[bool, dict[int, tuple[int, int, int]]]:
    """One statement (its own transaction): lock the rows in id order (rows move as they are updated, and
    two transactions locking them in different orders would deadlock), judge them all, then update them and
    insert the lease only if every row had room; otherwise return the rows as they are."""
    table = _table()
    ids = ", ".join(["%s"] * len(pks))
    verdict_params: list = []
    verdict = _within_cases("id", pks, takes, verdict_params)
    set_params: list = []
    sets = _sets(f"{table}.id", pks, takes, set_params)
    sql = (f"WITH locked AS (SELECT id, requests, tokens, cost_micros FROM {table} WHERE id IN ({ids}) "
           f"ORDER BY id FOR UPDATE), "
           f"verdict AS (SELECT count(*) = %s AND coalesce(bool_and({verdict}), false) AS ok FROM locked), "
           f"updated AS (UPDATE {table} SET {sets} FROM verdict WHERE {table}.id IN ({ids}) AND verdict.ok "
           f"RETURNING {table}.id, {table}.requests, {table}.tokens, {table}.cost_micros)")
    params = [*pks, len(pks), *verdict_params, *set_params, *pks]
    if lease is not None:
        sql += (f", leased AS (INSERT INTO {_table(ConcurrencyLease)} (identity_id, request_id, expires_at) "
                "SELECT %s, %s, %s FROM verdict WHERE verdict.ok RETURNING 1)")
        params += [identity_id, lease.request_id, lease.expires_at]
    sql += (" SELECT id, requests, tokens, cost_micros, true FROM updated UNION ALL "
            "SELECT id, requests, tokens, cost_micros, false FROM locked WHERE NOT (SELECT ok FROM verdict)")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return bool(rows) and bool(rows[0][4]), {row[0]: (row[1], row[2], row[3]) for row in rows}


def counters_take(*, identity_id: int, takes: list[Take], lease: Lease | None = None,
                  _retried: bool = False) -> dict[str, tuple[int, int, int]]:
    """Add every take (and the lease) together, or nothing: each window's new (requests, tokens, cost_micros).

    Raises Refused for the first window, in `takes` order and then the lease, that would pass its limit.
    """
    all_takes = takes + ([lease.take()] if lease is not None else [])
    pks = [_row(identity_id, take.period, take.start, take.end) for take in all_takes]
    take_rows = _take_postgres if connection.vendor == "postgresql" else _take_sqlite
    ok, rows = take_rows(identity_id, pks, all_takes, lease)
    if ok:
        return {take.period: rows[pk] for pk, take in zip(pks, all_takes)}
    pk, first = next(((pk, take) for pk, take in zip(pks, all_takes) if pk not in rows or not _fits(take, rows[pk])),
                     (pks[0], all_takes[0]))
    if not _retried and pk not in rows:   # the row was deleted under us (an admin reset): start it again
        _forget(identity_id, first)
        return counters_take(identity_id=identity_id, takes=takes, lease=lease, _retried=True)
    if not _retried and first.period == LEASE and lease_recount(identity_id, lease.now):
        return counters_take(identity_id=identity_id, takes=takes, lease=lease, _retried=True)
    raise Refused(first.period, rows.get(pk, (0, 0, 0)))


def counters_adjust(*, identity_id: int, adjusts: list[Take], lease_request_id: str | None = None,
                    now: datetime | None = None, record: dict | None = None) -> None:
    """Settle: add each adjustment (may go over the limit; the next admission blocks), free the lease and write
    the usage `record`, all in one transaction (one statement on PostgreSQL).

    The lease row's count drops only for a lease still live: an expired one was already left out by a recount.
    """
    adjusts = [take for take in adjusts if take.requests or take.tokens or take.cost_micros]
    if lease_request_id is not None:
        adjusts.append(Take(LEASE, EPOCH))   # its decrement is decided by the lease's delete
    pks = [_row(identity_id, take.period, take.start, None) for take in adjusts]
    if connection.vendor == "postgresql":
        _adjust_postgres(pks, adjusts, lease_request_id, now, record)
        return
    with write_transaction():
        if record is not None:
            usage_record_insert(record)
        if lease_request_id is not None and _lease_delete(lease_request_id, now):
            adjusts[-1] = Take(LEASE, EPOCH, requests=-1)
        adjusts = [(pk, take) for pk, take in zip(pks, adjusts) if take.requests or take.tokens or take.cost_micros]
        if adjusts:
            params: list = []
            table = _table()
            sets = _sets(f"{table}.id", [pk for pk, _ in adjusts], [take for _, take in adjusts], params, floor=True)
            params += [pk for pk, _ in adjusts]
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {sets} WHERE id IN ({', '.join(['%s'] * len(adjusts))})", params)


def _adjust_postgres(pks: list[int], adjusts: list[Take], lease_request_id: str | None, now: datetime | None,
                     record: dict | None) -> None:
    ctes, params = [], []
    if record is not None:
        insert, insert_params = usage_record_sql(record)
        ctes.append(f"recorded AS ({insert} RETURNING 1)")
        params += insert_params
    if lease_request_id is not None:
        ctes.append(f"gone AS (DELETE FROM {_table(ConcurrencyLease)} WHERE request_id = %s RETURNING expires_at)")
        params.append(lease_request_id)
    if not pks:
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT 1" if ctes else "SELECT 1", params)
        return
    table = _table()
    key = f"{table}.id"
    ctes.append(f"locked AS (SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))}) "
                "ORDER BY id FOR UPDATE)")
    params += pks
    requests = "requests + " + _case(key, [(pk, take.requests) for pk, take in zip(pks, adjusts)], params)
    if lease_request_id is not None:   # less the lease deleted above, if it was still live
        requests += f" - CASE {key} WHEN %s THEN (SELECT count(*) FROM gone WHERE expires_at > %s) ELSE 0 END"
        params += [pks[-1], now or EPOCH]
    tokens = "tokens + " + _case(key, [(pk, take.tokens) for pk, take in zip(pks, adjusts)], params)
    cost = "cost_micros + " + _case(key, [(pk, take.cost_micros) for pk, take in zip(pks, adjusts)], params)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} UPDATE {table} SET requests = GREATEST({requests}, 0), "
                       f"tokens = {tokens}, cost_micros = {cost} FROM locked WHERE {key} = locked.id", params)


# --- Concurrency leases ----------------------------------------------------------------------------

def _lease_insert(identity_id: int, lease: Lease) -> None:
    expires = ConcurrencyLease._meta.get_field("expires_at").get_db_prep_value(lease.expires_at, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(ConcurrencyLease)} (identity_id, request_id, expires_at) "
                       "VALUES (%s, %s, %s)", [identity_id, lease.request_id, expires])


def _lease_delete(request_id: str, now: datetime | None) -> bool:
    """Delete the request's lease: whether it was still live."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(ConcurrencyLease)} WHERE request_id = %s RETURNING expires_at",
                       [request_id])
        row = cursor.fetchone()
    if row is None:
        return False
    expires_at = row[0]
    if isinstance(expires_at, str):   # SQLite returns the stored text
        expires_at = datetime.fromisoformat(expires_at)
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=EPOCH.tzinfo)
    return now is None or expires_at > now


def lease_recount(identity_id: int, now: datetime) -> bool:
    """Drop the identity's expired leases and reset its lease count to the live ones: whether it went down."""
    ConcurrencyLease.objects.filter(identity_id=identity_id, expires_at__lte=now).delete()
    pk = _row(identity_id, LEASE, EPOCH, None)
    live = ConcurrencyLease.objects.filter(identity_id=identity_id)
    with transaction.atomic():
        before = UsageCounter.objects.select_for_update().filter(pk=pk).values_list("requests", flat=True).first()
        count = live.count()
        UsageCounter.objects.filter(pk=pk).update(requests=count)
    return before is not None and count < before
