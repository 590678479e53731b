"""The requests this process has in flight, and the heartbeat that keeps their leases and reservations alive.

A concurrency lease (in Redis or the database) and a pending reservation row expire QUOTA_LEASE_SECONDS after
they were last extended. While the process runs, `beat` (called every QUOTA_LEASE_SECONDS / 3 by the process's
upkeep thread, `usage.upkeep`) pushes every one of them forward at once: one Redis pipeline and one database
statement, whatever the number of requests. A stream therefore counts toward its identity's concurrency limit for
as long as it runs, and a process that dies (`kill -9`) stops extending them: its leases free their slots within
QUOTA_LEASE_SECONDS, and the reaper (`usage.reaper`) settles its reservations.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError

from core.cache import on_forget_all
from core.db_breaker import breaker as database_breaker
from core.redis import breaker as redis_breaker
from usage.windows import calendar
from usage.windows.redis import CountersUnavailable, redis_counters_if_up
from usage.windows.sql import expiries_extend

log = logging.getLogger("sbc.usage")


@dataclass(frozen=True)
class InFlight:
    identity_id: int
    lease: str | None  # "database", "redis" or None
    pending: bool  # a PendingReservation row stands for it


_open: dict[str, InFlight] = {}
_lock = threading.Lock()


@on_forget_all
def heartbeat_forget() -> None:
    with _lock:
        _open.clear()


def track(request_id: str, identity_id: int, lease: str | None, pending: bool) -> None:
    """Keep the request's lease and pending row alive until `untrack` (a no-op when it holds neither)."""
    if lease or pending:
        with _lock:
            _open[request_id] = InFlight(identity_id, lease, pending)


def untrack(request_id: str) -> None:
    if _open:
        with _lock:
            _open.pop(request_id, None)


def in_flight() -> dict[str, InFlight]:
    with _lock:
        return dict(_open)


def beat() -> int:
    """Extend every tracked lease and pending row to now + QUOTA_LEASE_SECONDS: how many requests it covered."""
    requests = in_flight()
    if not requests:
        return 0
    now = calendar.clock()
    expires_at = now + timedelta(seconds=settings.QUOTA_LEASE_SECONDS)
    by_identity: dict[int, list[str]] = defaultdict(list)
    for request_id, flight in requests.items():
        if flight.lease == "redis":
            by_identity[flight.identity_id].append(request_id)
    if by_identity:
        _redis_extend(by_identity, expires_at)
    lease_ids = [rid for rid, flight in requests.items() if flight.lease == "database"]
    pending_ids = [rid for rid, flight in requests.items() if flight.pending]
    if lease_ids or pending_ids:
        try:
            expiries_extend(lease_ids, pending_ids, expires_at)
        except DatabaseError as exc:
            database_breaker.failed(exc)
            log.warning("Could not extend %d leases and reservations (%s)", len(requests), type(exc).__name__)
        else:
            database_breaker.succeeded()
    return len(requests)


def _redis_extend(by_identity: dict[int, list[str]], until) -> None:
    counters = redis_counters_if_up(even_if_tripped=True)
    if counters is None:
        return
    try:
        counters.leases_extend(by_identity, until=until, ttl=settings.QUOTA_LEASE_SECONDS)
    except CountersUnavailable as exc:
        redis_breaker.failed(exc, "concurrency leases are not extended")
