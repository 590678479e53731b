"""The SQL behind `usage.windows.database`: on PostgreSQL one statement per admission and one per settlement, on
SQLite and Aurora DSQL one short write transaction for each.

PostgreSQL statements lock a request's counter rows in id order first: a row's physical place moves with
every update, and two transactions locking the same rows in different orders would deadlock. Aurora DSQL takes
no locks (no `FOR UPDATE`): it refuses the later of two transactions that changed the same row when it commits.
Every function here is one whole transaction, run again on such a conflict (`core.db_retry`).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from django.db import connection, transaction

from core.db_retry import retry_on_conflict
from usage.models import ConcurrencyLease, PendingReservation, UsageCounter
from usage.records import usage_record_insert, usage_record_sql
from usage.windows.takes import Lease, Take

_sqlite_writer = threading.RLock()  # re-entrant: a write transaction may open inside another


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


@contextmanager
def _one_statement():
    """Outside a transaction a statement is its own; inside a caller's, it gets a savepoint, so that a failing
    statement leaves the caller's transaction usable (PostgreSQL aborts a transaction on any error)."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
    else:
        yield


@retry_on_conflict
def record_write(record: dict) -> None:
    """The usage record alone, in its own transaction (run again on a write conflict)."""
    with write_transaction():
        usage_record_insert(record)


class _Rollback(Exception):
    pass


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
    for _, column, amount, limit in take.limited():
        checks.append(f"{column} + %s <= %s")
        params += [amount, limit]
    return " AND ".join(checks) or "1 = 1"


def _sets(key: str, pks: list[int], takes: list[Take], params: list, *, floor: bool = False) -> str:
    """The SET clause adding each take to its row (`requests` never below 0 with `floor`)."""
    parts = []
    for column in ("requests", "tokens", "cost_micros"):
        value = f"{column} + " + _case(key, [(pk, getattr(take, column)) for pk, take in zip(pks, takes)], params)
        if floor and column == "requests":
            value = f"{'MAX' if connection.vendor == 'sqlite' else 'GREATEST'}({value}, 0)"
        parts.append(f"{column} = {value}")
    return ", ".join(parts)


def _within_cases(key: str, pks: list[int], takes: list[Take], params: list) -> str:
    """`CASE <key> WHEN pk THEN <the row stays within its limits> ... ELSE 1 = 0 END`."""
    whens = []
    for pk, take in zip(pks, takes):
        condition_params: list = []
        whens.append(f"WHEN %s THEN ({_within(take, condition_params)})")
        params += [pk, *condition_params]
    return f"CASE {key} {' '.join(whens)} ELSE 1 = 0 END"


def _rows(pks: list[int]) -> dict[int, tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, requests, tokens, cost_micros FROM {_table()} WHERE id IN ({', '.join(['%s'] * len(pks))})",
            pks,
        )
        return {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}


@retry_on_conflict
def take_sqlite(
    identity_id: int, pks: list[int], takes: list[Take], lease: Lease | None, pending: dict | None = None
) -> tuple[bool, dict[int, tuple[int, int, int]]]:
    """One conditional UPDATE in a write transaction, rolled back unless every row had room (SQLite, and
    Aurora DSQL, where a concurrent change to the same rows makes the commit fail and the transaction rerun)."""
    table = _table()
    key = f"{table}.id"
    params: list = []
    sets = _sets(key, pks, takes, params)
    params += pks
    where = f"{key} IN ({', '.join(['%s'] * len(pks))}) AND ({_within_cases(key, pks, takes, params)})"
    try:
        with write_transaction():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {sets} WHERE {where} RETURNING id, requests, tokens, cost_micros", params
                )
                returned = {row[0]: (row[1], row[2], row[3]) for row in cursor.fetchall()}
            if len(returned) < len(pks):
                raise _Rollback
            if lease is not None:
                _lease_insert(identity_id, lease)
            if pending is not None:
                pending_insert(pending)
    except _Rollback:
        return False, _rows(pks)
    return True, returned


@retry_on_conflict
def take_postgres(
    identity_id: int, pks: list[int], takes: list[Take], lease: Lease | None, pending: dict | None = None
) -> tuple[bool, dict[int, tuple[int, int, int]]]:
    """One statement (its own transaction): lock the rows in id order (rows move as they are updated, and
    two transactions locking them in different orders would deadlock), judge them all, then update them and
    insert the lease only if every row had room; otherwise return the rows as they are."""
    table = _table()
    ids = ", ".join(["%s"] * len(pks))
    verdict_params: list = []
    verdict = _within_cases("id", pks, takes, verdict_params)
    set_params: list = []
    sets = _sets(f"{table}.id", pks, takes, set_params)
    sql = (
        f"WITH locked AS (SELECT id, requests, tokens, cost_micros FROM {table} WHERE id IN ({ids}) "
        f"ORDER BY id FOR UPDATE), "
        f"verdict AS (SELECT count(*) = %s AND coalesce(bool_and({verdict}), false) AS ok FROM locked), "
        f"updated AS (UPDATE {table} SET {sets} FROM verdict WHERE {table}.id IN ({ids}) AND verdict.ok "
        f"RETURNING {table}.id, {table}.requests, {table}.tokens, {table}.cost_micros)"
    )
    params = [*pks, len(pks), *verdict_params, *set_params, *pks]
    if lease is not None:
        sql += (
            f", leased AS (INSERT INTO {_table(ConcurrencyLease)} (identity_id, request_id, expires_at) "
            "SELECT %s, %s, %s FROM verdict WHERE verdict.ok RETURNING 1)"
        )
        params += [identity_id, lease.request_id, lease.expires_at]
    if pending is not None:
        columns, values = _pending_sql(pending)
        sql += (
            f", pending AS (INSERT INTO {_table(PendingReservation)} ({columns}) "
            f"SELECT {', '.join(['%s'] * len(values))} FROM verdict WHERE verdict.ok RETURNING 1)"
        )
        params += values
    sql += (
        " SELECT id, requests, tokens, cost_micros, true FROM updated UNION ALL "
        "SELECT id, requests, tokens, cost_micros, false FROM locked WHERE NOT (SELECT ok FROM verdict)"
    )
    with _one_statement(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return bool(rows) and bool(rows[0][4]), {row[0]: (row[1], row[2], row[3]) for row in rows}


@retry_on_conflict
def adjust_sqlite(
    pks: list[int],
    adjusts: list[Take],
    lease_request_id: str | None,
    now: datetime,
    record: dict | None,
    pending_request_id: str | None = None,
) -> None:
    """Settlement in one write transaction: the record, the pending reservation's and the lease's delete, one
    UPDATE of the windows."""
    adjusts = list(adjusts)  # a rerun after a conflict starts from the caller's list, not this attempt's
    with write_transaction():
        if record is not None:
            usage_record_insert(record)
        if pending_request_id is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {_table(PendingReservation)} WHERE request_id = %s", [pending_request_id])
        if lease_request_id is not None and _lease_delete(lease_request_id, now):
            adjusts[-1] = replace(adjusts[-1], requests=-1)
        changed = [(pk, take) for pk, take in zip(pks, adjusts) if take.requests or take.tokens or take.cost_micros]
        if changed:
            params: list = []
            table = _table()
            sets = _sets(f"{table}.id", [pk for pk, _ in changed], [take for _, take in changed], params, floor=True)
            params += [pk for pk, _ in changed]
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {sets} WHERE id IN ({', '.join(['%s'] * len(changed))})", params)


@retry_on_conflict
def adjust_postgres(
    pks: list[int],
    adjusts: list[Take],
    lease_request_id: str | None,
    now: datetime,
    record: dict | None,
    pending_request_id: str | None = None,
) -> None:
    """Settlement in one statement: delete the lease and the pending reservation, insert the record, lock and
    adjust the windows."""
    ctes, params = [], []
    if record is not None:
        insert, insert_params = usage_record_sql(record)
        ctes.append(f"recorded AS ({insert} RETURNING 1)")
        params += insert_params
    if pending_request_id is not None:
        ctes.append(f"unpended AS (DELETE FROM {_table(PendingReservation)} WHERE request_id = %s RETURNING 1)")
        params.append(pending_request_id)
    if lease_request_id is not None:
        ctes.append(f"gone AS (DELETE FROM {_table(ConcurrencyLease)} WHERE request_id = %s RETURNING expires_at)")
        params.append(lease_request_id)
    if not pks:
        with _one_statement(), connection.cursor() as cursor:
            cursor.execute(f"WITH {', '.join(ctes)} SELECT 1" if ctes else "SELECT 1", params)
        return
    table = _table()
    key = f"{table}.id"
    ctes.append(
        f"locked AS (SELECT id FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))}) ORDER BY id FOR UPDATE)"
    )
    params += pks
    requests = "requests + " + _case(key, [(pk, take.requests) for pk, take in zip(pks, adjusts)], params)
    if lease_request_id is not None:  # less the lease deleted above, if it was still live
        requests += f" - CASE {key} WHEN %s THEN (SELECT count(*) FROM gone WHERE expires_at > %s) ELSE 0 END"
        params += [pks[-1], now]
    tokens = "tokens + " + _case(key, [(pk, take.tokens) for pk, take in zip(pks, adjusts)], params)
    cost = "cost_micros + " + _case(key, [(pk, take.cost_micros) for pk, take in zip(pks, adjusts)], params)
    with _one_statement(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH {', '.join(ctes)} UPDATE {table} SET requests = GREATEST({requests}, 0), "
            f"tokens = {tokens}, cost_micros = {cost} FROM locked WHERE {key} = locked.id",
            params,
        )


def _expires_at(value: datetime):
    """A datetime as the lease table stores it (text on SQLite), for comparisons in raw SQL."""
    return ConcurrencyLease._meta.get_field("expires_at").get_db_prep_value(value, connection)


def _lease_insert(identity_id: int, lease: Lease) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(ConcurrencyLease)} (identity_id, request_id, expires_at) VALUES (%s, %s, %s)",
            [identity_id, lease.request_id, _expires_at(lease.expires_at)],
        )


def _lease_delete(request_id: str, now: datetime) -> bool:
    """Delete the request's lease: whether it was still live."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(ConcurrencyLease)} WHERE request_id = %s RETURNING expires_at > %s",
            [request_id, _expires_at(now)],
        )
        row = cursor.fetchone()
    return row is not None and bool(row[0])


# --- Pending reservations and the heartbeat ---------------------------------------------------------------------

_PENDING_FIELDS = [f for f in PendingReservation._meta.concrete_fields if not f.primary_key]


def _pending_sql(values: dict) -> tuple[str, list]:
    """The pending reservation's column list and its values as the database stores them."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _PENDING_FIELDS if f.column is not None)
    return columns, [f.get_db_prep_save(values[f.attname], connection) for f in _PENDING_FIELDS]


def pending_insert(values: dict) -> None:
    """Insert one pending reservation (values by field attname); inside the caller's transaction if any."""
    columns, params = _pending_sql(values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(PendingReservation)} ({columns}) VALUES ({', '.join(['%s'] * len(params))})", params
        )


@retry_on_conflict
def expiries_extend(lease_ids: list[str], pending_ids: list[str], expires_at: datetime) -> None:
    """Push the expiry of these leases and pending reservations to `expires_at`: one statement on PostgreSQL, one
    write transaction elsewhere."""
    at = _expires_at(expires_at)
    parts = []
    for model, ids in ((ConcurrencyLease, lease_ids), (PendingReservation, pending_ids)):
        if ids:
            parts.append(
                (
                    f"UPDATE {_table(model)} SET expires_at = %s WHERE request_id IN ({', '.join(['%s'] * len(ids))})",
                    [at, *ids],
                )
            )
    if not parts:
        return
    if connection.vendor == "postgresql" and len(parts) == 2:
        (first, first_params), (second, second_params) = parts
        with _one_statement(), connection.cursor() as cursor:
            cursor.execute(f"WITH extended AS ({first} RETURNING 1) {second}", first_params + second_params)
        return
    with write_transaction(), connection.cursor() as cursor:
        for sql, params in parts:
            cursor.execute(sql, params)
