"""Admission and settlement: reserve a request's estimate atomically, then settle the actual usage once.

Admission order: per-minute rate (requests and tokens), calendar day/month quota (tokens and spend),
concurrency lease. Every window kept in the database is taken in one statement (`usage.windows.database`), so
an admission costs one short transaction; a refusal undoes whatever was reserved before it.
Settlement adds `actual - estimate` to each reserved window and frees the lease, again in one statement.

An admitted request that holds anything is also a `PendingReservation` row, written by the admission's statement
(or, when only Redis holds its limits, by one INSERT of its own) and deleted by its settlement's; the process's
heartbeat (`usage.heartbeat`) pushes its expiry, and its lease's, forward while the request runs, and the reaper
(`usage.reaper`) settles the rows a crashed process left behind. A settlement is three parts: what it writes to
the database (`Settlement`, which `usage.spool` can keep on disk while the database is away), and what it
releases in Redis and in this process (`settlement_release`).

Per-minute and concurrency counters live in Redis when REDIS_URL is set. When Redis fails, those
counters fall back to the database for REDIS_RETRY_SECONDS (logged once per outage): limits stay
shared across every worker and instance, never "the full limit per process". Day/month quotas
always live in the database, the source of truth for spend.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError

from core.db_retry import retry_on_conflict
from core.errors import ApiError, QuotaExceeded, RateLimited
from core.redis import breaker
from tokens.quotas import Limits
from usage import heartbeat
from usage.alerts import OVER, Crossing, alert_raise, crossings
from usage.windows import calendar
from usage.windows.calendar import WINDOWS, minute_start, seconds_to_reset
from usage.windows.database import counters_adjust, counters_take
from usage.windows.redis import CountersUnavailable, redis_counters_if_up
from usage.windows.sql import pending_insert, write_transaction
from usage.windows.takes import LEASE, Lease, Refused, Take

log = logging.getLogger("sbc.usage")
FALLBACK = "rate-limit counters use the database"


@dataclass
class Reservation:
    identity_id: int
    request_id: str
    tokens: int = 0
    cost_micros: int = 0
    windows: list[tuple[str, datetime]] = field(default_factory=list)  # taken in the database
    redis_minute: datetime | None = None  # the minute taken in Redis
    lease: str | None = None  # "database" or "redis"
    headers: dict[str, str] = field(default_factory=dict)
    held: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # day and month after admission
    limits: Limits | None = None  # kept when budget alerts are on
    pending: bool = False  # a PendingReservation row stands for it until its settlement
    minute_tokens: int | None = None  # what the minute holds of `tokens`: at most the per-minute limit

    @property
    def minute_reserved(self) -> int:
        return self.tokens if self.minute_tokens is None else self.minute_tokens


def _redis_failed(exc: Exception) -> None:
    breaker.failed(exc, FALLBACK)


def rate_headers(limits: Limits, used_requests: int, used_tokens: int, now: datetime) -> dict[str, str]:
    reset = f"{seconds_to_reset('minute', now)}s"
    headers = {}
    if limits.requests_per_minute:
        headers.update(
            {
                "x-ratelimit-limit-requests": str(limits.requests_per_minute),
                "x-ratelimit-remaining-requests": str(max(0, limits.requests_per_minute - used_requests)),
                "x-ratelimit-reset-requests": reset,
            }
        )
    if limits.tokens_per_minute:
        headers.update(
            {
                "x-ratelimit-limit-tokens": str(limits.tokens_per_minute),
                "x-ratelimit-remaining-tokens": str(max(0, limits.tokens_per_minute - used_tokens)),
                "x-ratelimit-reset-tokens": reset,
            }
        )
    return headers


CALENDAR = (("day", "tokens_per_day", ""), ("month", "tokens_per_month", "usd_micros_per_month"))
TOKEN_LIMITS = {period: tokens_field for period, tokens_field, _ in CALENDAR}
QUOTA_NAMES = {"day": "UTC day", "month": "UTC month"}


def _minute_refused(
    res: Reservation, limits: Limits, used_requests: int, used_tokens: int, now: datetime
) -> RateLimited:
    res.headers = rate_headers(limits, used_requests, used_tokens, now)
    over_requests = limits.requests_per_minute and used_requests + 1 > limits.requests_per_minute
    what = f"{limits.requests_per_minute} requests" if over_requests else f"{limits.tokens_per_minute} tokens"
    return RateLimited(
        f"Rate limit reached: {what} per minute for this identity. Retry after the minute ends.",
        retry_after=seconds_to_reset("minute", now),
    )


def _concurrency_refused(limits: Limits) -> RateLimited:
    return RateLimited(
        f"Too many concurrent requests: at most {limits.concurrent} at once for this identity.", retry_after=1
    )


def _refused(refused: Refused, res: Reservation, limits: Limits, now: datetime) -> ApiError:
    used_requests, used_tokens, used_cost = refused.used
    if refused.period == "minute":
        return _minute_refused(res, limits, used_requests, used_tokens, now)
    if "minute" in refused.held:  # the rate headers go with every refusal, as they do with every answer
        res.headers = rate_headers(limits, *refused.held["minute"][:2], now)
    if refused.period == LEASE:
        return _concurrency_refused(limits)
    max_tokens = getattr(limits, TOKEN_LIMITS[refused.period])
    max_cost = limits.usd_micros_per_month if refused.period == "month" else 0
    if max_cost and used_cost + res.cost_micros > max_cost:
        what = f"spend quota of ${max_cost / 1_000_000:.2f}"
        quota, used, limit = "usd_per_month", used_cost, max_cost
    else:
        what = f"token quota of {max_tokens} tokens"
        quota, used, limit = TOKEN_LIMITS[refused.period], used_tokens, max_tokens
    if limits.alert_percent:
        start = WINDOWS[refused.period][0](now)
        alert_raise(Crossing(res.identity_id, quota, start, OVER, used, limit))
    return QuotaExceeded(
        f"You exceeded your {what} per {QUOTA_NAMES[refused.period]} (this request reserves "
        f"about {res.tokens} tokens). It resets at the start of the next "
        f"{QUOTA_NAMES[refused.period]}.",
        retry_after=seconds_to_reset(refused.period, now),
    )


def _calendar_takes(res: Reservation, limits: Limits, now: datetime) -> list[Take]:
    takes = []
    for period, tokens_field, cost_field in CALENDAR:
        max_tokens = getattr(limits, tokens_field)
        max_cost = getattr(limits, cost_field) if cost_field else 0
        if max_tokens or max_cost:
            start, end = WINDOWS[period][0](now), WINDOWS[period][1](now)
            takes.append(
                Take(
                    period,
                    start,
                    end,
                    tokens=res.tokens,
                    cost_micros=res.cost_micros,
                    max_tokens=max_tokens,
                    max_cost_micros=max_cost,
                )
            )
    return takes


def _redis_admit(res: Reservation, limits: Limits, now: datetime, redis) -> bool:
    """Take the minute and the concurrency slot that Redis keeps, in one script: False when Redis failed (the
    database takes both instead). A refusal takes neither."""
    start = minute_start(now) if limits.per_minute else None
    try:
        admitted = redis.admit(
            identity_id=res.identity_id,
            minute=start,
            tokens=res.minute_reserved,
            max_requests=limits.requests_per_minute,
            max_tokens=limits.tokens_per_minute,
            lease_request_id=res.request_id if limits.concurrent else None,
            lease_limit=limits.concurrent,
            now=now,
            ttl=settings.QUOTA_LEASE_SECONDS,
        )
    except CountersUnavailable as exc:
        _redis_failed(exc)
        return False
    if start is not None:
        res.headers = rate_headers(limits, admitted.requests, admitted.tokens, now)
    if not admitted.ok:
        if admitted.refused == "minute":
            raise _minute_refused(res, limits, admitted.requests, admitted.tokens, now)
        raise _concurrency_refused(limits)
    res.redis_minute = start
    if limits.concurrent:
        res.lease = "redis"
    return True


def windows_text(windows: list[tuple[str, datetime]]) -> str:
    """A reservation's database windows as the pending row keeps them: `period=start;...`."""
    return ";".join(f"{period}={start.isoformat()}" for period, start in windows)


def windows_parse(text: str) -> list[tuple[str, datetime]]:
    return [
        (period, datetime.fromisoformat(start))
        for period, _, start in (item.partition("=") for item in text.split(";") if item)
    ]


def _pending_values(res: Reservation, seed: dict, now: datetime, takes: list[Take], lease_kind: str) -> dict:
    return {
        **seed,
        "request_id": res.request_id,
        "identity_id": res.identity_id,
        "expires_at": now + timedelta(seconds=settings.QUOTA_LEASE_SECONDS),
        "tokens": res.tokens,
        "cost_micros": res.cost_micros,
        "windows": windows_text([(take.period, take.start) for take in takes]),
        "lease": lease_kind,
        "created_at": now,
    }


@retry_on_conflict
def _pending_write(values: dict) -> None:
    with write_transaction():
        pending_insert(values)


def _database_take(
    res: Reservation, limits: Limits, now: datetime, takes: list[Take], lease: Lease | None, seed: dict | None
) -> None:
    pending = None
    if seed is not None:
        pending = _pending_values(res, seed, now, takes, "database" if lease is not None else (res.lease or ""))
    try:
        used = counters_take(identity_id=res.identity_id, takes=takes, lease=lease, pending=pending)
    except Refused as refused:
        raise _refused(refused, res, limits, now) from None
    res.pending = pending is not None
    if "minute" in used:
        res.headers = rate_headers(limits, used["minute"][0], used["minute"][1], now)
    res.windows = [(take.period, take.start) for take in takes]
    if limits.alert_percent:
        res.held, res.limits = {period: used[period] for period in ("day", "month") if period in used}, limits
    if lease is not None:
        res.lease = "database"


def quota_admit(
    *,
    identity_id: int,
    request_id: str,
    limits: Limits,
    tokens: int,
    cost_micros: int,
    seed: dict | None = None,
    minute_tokens: int | None = None,
) -> Reservation:
    """Reserve `tokens` (and `cost_micros`) against every limit, or raise RateLimited / QuotaExceeded.

    `seed`: what the reaper needs to write the request's record if its process dies before settling it (the
    PendingReservation fields that describe the request); without it, no pending row is written.
    `minute_tokens`: what the per-minute window reserves instead of `tokens`, when less (`meter_start` keeps the
    day and month windows at the model's whole output, and the minute at the usual output reserve).
    """
    now = calendar.clock()
    res = Reservation(identity_id, request_id, tokens=tokens, cost_micros=cost_micros, minute_tokens=minute_tokens)
    redis = redis_counters_if_up() if (limits.per_minute or limits.concurrent) else None
    try:
        in_redis = redis is not None and _redis_admit(res, limits, now, redis)
        takes = []
        if limits.per_minute and not in_redis:
            takes.append(
                Take(
                    "minute",
                    minute_start(now),
                    requests=1,
                    tokens=res.minute_reserved,
                    max_requests=limits.requests_per_minute,
                    max_tokens=limits.tokens_per_minute,
                )
            )
        takes += _calendar_takes(res, limits, now)
        lease = (
            Lease(request_id, limits.concurrent, now, now + timedelta(seconds=settings.QUOTA_LEASE_SECONDS))
            if limits.concurrent and not in_redis
            else None
        )
        if takes or lease is not None:
            _database_take(res, limits, now, takes, lease, seed)
        elif seed is not None and (res.redis_minute is not None or res.lease == "redis"):
            _pending_write(_pending_values(res, seed, now, [], res.lease or ""))
            res.pending = True
    except ApiError as error:
        error.headers.update(res.headers)
        _finish(res, tokens=0, cost_micros=0, refund_request=True)
        raise
    except DatabaseError:  # nothing was taken in the database: give back what Redis holds
        res.windows = []
        settlement_release(res, tokens=0, cost_micros=0, refund_request=True)
        raise
    heartbeat.track(res.request_id, res.identity_id, res.lease, res.pending)
    return res


def quota_settle(res: Reservation, *, tokens: int, cost_micros: int, record: dict | None = None) -> None:
    """Replace the reservation by the actual usage (called exactly once per admitted request).

    `record` (the request's usage record) is written in the same transaction as the database's part, so a
    request's settlement costs one commit; if that transaction fails, nothing of it was applied.
    """
    _finish(res, tokens=tokens, cost_micros=cost_micros, refund_request=False, record=record)


def _alert_if_near(res: Reservation, starts: dict[str, datetime], delta_tokens: int, delta_cost: int) -> None:
    """Raise the alerts whose share the settled request reached: what its windows held after its admission
    (other requests' unsettled estimates included), corrected by its settlement."""
    assert res.limits is not None
    for period, (requests, tokens, cost) in res.held.items():
        held = (requests, tokens + delta_tokens, cost + delta_cost)
        for crossing in crossings(res.identity_id, period, starts[period], held, res.limits):
            alert_raise(crossing)


@dataclass
class Settlement:
    """What a settlement writes to the database, as plain values (kept in the spool while the database is away)."""

    identity_id: int
    adjusts: list[Take]
    lease_request_id: str | None = None
    pending_request_id: str | None = None

    def as_json(self) -> dict:
        return {
            "identity_id": self.identity_id,
            "adjusts": [
                [take.period, take.start.isoformat(), take.requests, take.tokens, take.cost_micros]
                for take in self.adjusts
            ],
            "lease_request_id": self.lease_request_id,
            "pending_request_id": self.pending_request_id,
        }

    @classmethod
    def from_json(cls, data: dict) -> Settlement:
        return cls(
            identity_id=data["identity_id"],
            adjusts=[
                Take(period, datetime.fromisoformat(start), requests=requests, tokens=tokens, cost_micros=cost)
                for period, start, requests, tokens, cost in data["adjusts"]
            ],
            lease_request_id=data.get("lease_request_id"),
            pending_request_id=data.get("pending_request_id"),
        )


def settlement_of(res: Reservation, *, tokens: int, cost_micros: int, refund_request: bool = False) -> Settlement:
    """The database part of settling `res` with the actual usage."""
    delta_tokens, delta_cost = tokens - res.tokens, cost_micros - res.cost_micros
    return Settlement(
        identity_id=res.identity_id,
        adjusts=[
            Take(
                period,
                start,
                requests=-1 if refund_request and period == "minute" else 0,
                tokens=tokens - res.minute_reserved if period == "minute" else delta_tokens,
                cost_micros=delta_cost if period != "minute" else 0,
            )
            for period, start in res.windows
        ],
        lease_request_id=res.request_id if res.lease == "database" else None,
        pending_request_id=res.request_id if res.pending else None,
    )


def settlement_write(settlement: Settlement, record: dict | None = None) -> None:
    """Apply the settlement and insert the usage `record` in one transaction (one statement on PostgreSQL): a
    record that exists already (its request settled before) makes the whole of it fail with IntegrityError."""
    counters_adjust(
        identity_id=settlement.identity_id,
        adjusts=settlement.adjusts,
        now=calendar.clock(),
        record=record,
        lease_request_id=settlement.lease_request_id,
        pending_request_id=settlement.pending_request_id,
    )


def settlement_release(res: Reservation, *, tokens: int, cost_micros: int, refund_request: bool = False) -> None:
    """The rest of a settlement, once its database part is written (or spooled): Redis's minute and lease, the
    heartbeat, budget alerts. Runs once: it empties the reservation."""
    delta_tokens, delta_cost = tokens - res.tokens, cost_micros - res.cost_micros
    if res.redis_minute is not None or res.lease == "redis":
        redis = redis_counters_if_up(even_if_tripped=True)
        try:
            # No Redis configured any more: as when it fails, the minute ends and the lease expires on their own.
            if redis is not None:
                redis.settle(
                    identity_id=res.identity_id,
                    minute=res.redis_minute,
                    requests=-1 if refund_request else 0,
                    tokens=tokens - res.minute_reserved,
                    lease_request_id=res.request_id if res.lease == "redis" else None,
                )
        except CountersUnavailable as exc:  # the minute ends and the lease expires on their own
            _redis_failed(exc)
    heartbeat.untrack(res.request_id)
    starts = dict(res.windows)
    res.windows, res.redis_minute, res.lease, res.pending = [], None, None, False  # nothing may be applied twice
    if res.limits is not None and not refund_request:
        _alert_if_near(res, starts, delta_tokens, delta_cost)


def _finish(
    res: Reservation, *, tokens: int, cost_micros: int, refund_request: bool, record: dict | None = None
) -> None:
    if res.windows or res.lease == "database" or res.pending or record is not None:
        settlement_write(
            settlement_of(res, tokens=tokens, cost_micros=cost_micros, refund_request=refund_request), record
        )
    settlement_release(res, tokens=tokens, cost_micros=cost_micros, refund_request=refund_request)
