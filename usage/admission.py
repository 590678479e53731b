"""Admission and settlement: reserve a request's estimate atomically, then settle the actual usage once.

Admission order: per-minute rate (requests and tokens), calendar day/month quota (tokens and spend,
on the database, in one transaction), concurrency lease. A refusal undoes whatever was reserved
before it. Settlement adds `actual - estimate` to each reserved window and frees the lease.

Per-minute and concurrency counters live in Redis when REDIS_URL is set. When Redis fails, those
counters fall back to the database for REDIS_RETRY_SECONDS (logged once per outage): limits stay
shared across every worker and instance, never "the full limit per process". Day/month quotas
always live in the database, the source of truth for spend.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction

from gateway.errors import ApiError, QuotaExceeded, RateLimited
from usage import limits as limits_mod
from usage.counters import DatabaseCounters, counter_adjust, counter_take
from usage.limits import WINDOWS, Limits, minute_start, seconds_to_reset

log = logging.getLogger("sbc.usage")
REDIS_RETRY_SECONDS = 30
DATABASE = DatabaseCounters()
_redis_down_until = 0.0
_down_lock = threading.Lock()


@dataclass
class Reservation:
    identity_id: int
    request_id: str
    tokens: int = 0
    cost_micros: int = 0
    minute: tuple[object, datetime] | None = None
    calendar: list[tuple[str, datetime]] = field(default_factory=list)
    lease: object | None = None
    headers: dict[str, str] = field(default_factory=dict)


def shared_counters():
    """Redis when configured and healthy, else the database."""
    if settings.REDIS_URL and time.monotonic() >= _redis_down_until:
        from usage.redis_counters import redis_counters

        return redis_counters(settings.REDIS_URL)
    return DATABASE


def _redis_failed(exc: Exception) -> None:
    global _redis_down_until
    with _down_lock:
        first = time.monotonic() >= _redis_down_until
        _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    if first:
        log.warning("Redis is unavailable (%s): rate-limit counters use the database for %ss", exc,
                    REDIS_RETRY_SECONDS)


def _shared(op: str, **kwargs):
    from usage.redis_counters import CountersUnavailable

    backend = shared_counters()
    if backend is not DATABASE:
        try:
            return backend, getattr(backend, op)(**kwargs)
        except CountersUnavailable as exc:
            _redis_failed(exc)
    return DATABASE, getattr(DATABASE, op)(**kwargs)


def rate_headers(limits: Limits, used_requests: int, used_tokens: int, now: datetime) -> dict[str, str]:
    reset = f"{seconds_to_reset('minute', now)}s"
    headers = {}
    if limits.requests_per_minute:
        headers.update({"x-ratelimit-limit-requests": str(limits.requests_per_minute),
                        "x-ratelimit-remaining-requests": str(max(0, limits.requests_per_minute - used_requests)),
                        "x-ratelimit-reset-requests": reset})
    if limits.tokens_per_minute:
        headers.update({"x-ratelimit-limit-tokens": str(limits.tokens_per_minute),
                        "x-ratelimit-remaining-tokens": str(max(0, limits.tokens_per_minute - used_tokens)),
                        "x-ratelimit-reset-tokens": reset})
    return headers


CALENDAR = (("day", "tokens_per_day", 0), ("month", "tokens_per_month", "usd_micros_per_month"))
QUOTA_NAMES = {"day": "UTC day", "month": "UTC month"}


def _take_minute(res: Reservation, limits: Limits, now: datetime) -> None:
    start = minute_start(now)
    backend, (ok, used_requests, used_tokens) = _shared(
        "minute_take", identity_id=res.identity_id, start=start, tokens=res.tokens,
        max_requests=limits.requests_per_minute, max_tokens=limits.tokens_per_minute)
    if ok:
        res.minute = (backend, start)
        res.headers = rate_headers(limits, used_requests, used_tokens, now)
        return
    res.headers = rate_headers(limits, used_requests, used_tokens, now)
    over_requests = limits.requests_per_minute and used_requests + 1 > limits.requests_per_minute
    what = (f"{limits.requests_per_minute} requests" if over_requests
            else f"{limits.tokens_per_minute} tokens")
    raise RateLimited(f"Rate limit reached: {what} per minute for this identity. Retry after the minute ends.",
                      retry_after=seconds_to_reset("minute", now))


def _take_calendar(res: Reservation, limits: Limits, now: datetime) -> None:
    taken = []
    with transaction.atomic():  # a refusal of the month rolls back the day
        for period, tokens_field, cost_field in CALENDAR:
            max_tokens = getattr(limits, tokens_field)
            max_cost = getattr(limits, cost_field) if cost_field else 0
            if not (max_tokens or max_cost):
                continue
            start, end = WINDOWS[period][0](now), WINDOWS[period][1](now)
            ok, _, used_tokens, used_cost = counter_take(
                identity_id=res.identity_id, period=period, start=start, end=end, tokens=res.tokens,
                cost_micros=res.cost_micros, max_tokens=max_tokens, max_cost_micros=max_cost)
            if not ok:
                if max_cost and used_cost + res.cost_micros > max_cost:
                    what = f"spend quota of ${max_cost / 1_000_000:.2f}"
                else:
                    what = f"token quota of {max_tokens} tokens"
                raise QuotaExceeded(f"You exceeded your {what} per {QUOTA_NAMES[period]} (this request reserves "
                                    f"about {res.tokens} tokens). It resets at the start of the next "
                                    f"{QUOTA_NAMES[period]}.", retry_after=seconds_to_reset(period, now))
            taken.append((period, start))
    res.calendar = taken


def _take_lease(res: Reservation, limits: Limits, now: datetime) -> None:
    backend, (ok, _count) = _shared("lease_take", identity_id=res.identity_id, request_id=res.request_id,
                                    limit=limits.concurrent, now=now, ttl=settings.QUOTA_LEASE_SECONDS)
    if not ok:
        raise RateLimited(f"Too many concurrent requests: at most {limits.concurrent} at once for this identity.",
                          retry_after=1)
    res.lease = backend


def quota_admit(*, identity_id: int, request_id: str, limits: Limits, tokens: int, cost_micros: int) -> Reservation:
    """Reserve `tokens` (and `cost_micros`) against every limit, or raise RateLimited / QuotaExceeded."""
    now = limits_mod.clock()
    res = Reservation(identity_id=identity_id, request_id=request_id, tokens=tokens, cost_micros=cost_micros)
    try:
        if limits.per_minute:
            _take_minute(res, limits, now)
        if limits.tokens_per_day or limits.tokens_per_month or limits.usd_micros_per_month:
            _take_calendar(res, limits, now)
        if limits.concurrent:
            _take_lease(res, limits, now)
    except ApiError as error:
        error.headers.update(res.headers)
        _finish(res, tokens=0, cost_micros=0, refund_request=True)
        raise
    return res


def quota_settle(res: Reservation, *, tokens: int, cost_micros: int) -> None:
    """Replace the reservation by the actual usage (called exactly once per admitted request)."""
    _finish(res, tokens=tokens, cost_micros=cost_micros, refund_request=False)


def _finish(res: Reservation, *, tokens: int, cost_micros: int, refund_request: bool) -> None:
    from usage.redis_counters import CountersUnavailable

    delta_tokens, delta_cost = tokens - res.tokens, cost_micros - res.cost_micros
    if res.minute is not None:
        backend, start = res.minute
        try:
            backend.minute_adjust(identity_id=res.identity_id, start=start, requests=-1 if refund_request else 0,
                                  tokens=delta_tokens)
        except CountersUnavailable as exc:
            _redis_failed(exc)
    if res.calendar:
        with transaction.atomic():
            for period, start in res.calendar:
                counter_adjust(identity_id=res.identity_id, period=period, start=start, tokens=delta_tokens,
                               cost_micros=delta_cost)
    if res.lease is not None:
        try:
            res.lease.lease_release(identity_id=res.identity_id, request_id=res.request_id)
        except CountersUnavailable as exc:  # the lease expires on its own
            _redis_failed(exc)
    res.minute, res.calendar, res.lease = None, [], None
