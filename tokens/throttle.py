"""Failed-authentication throttling: after AUTH_FAILURE_LIMIT failed token look-ups from one client address
within AUTH_FAILURE_WINDOW_SECONDS, that address is answered 429 with Retry-After, before any database query,
until the window ends.

Only failures that cost a database look-up count: a token of the right shape and checksum that is unknown,
expired or revoked. Malformed tokens and bad checksums are refused without a query and count for nothing,
so a misconfigured client sending a placeholder key never locks out its neighbours.

Counts live in Redis when REDIS_URL is set (one INCR per failure, shared by every worker and instance).
Without Redis, or while its breaker is open after a Redis error (`core.redis`), each process counts on its own: the
effective limit is then AUTH_FAILURE_LIMIT per worker. The address is REMOTE_ADDR; the gateway has no
trusted-proxy setting, so X-Forwarded-For is never believed (behind a load balancer every client shares
the balancer's address: raise the limit there, or set it to 0 to switch throttling off).
"""

from __future__ import annotations

import logging
import math
import threading
import time

from django.conf import settings

from core.cache import on_forget_all
from core.errors import RateLimited
from core.redis import Error as RedisError
from core.redis import breaker, redis_if_up

log = logging.getLogger("sbc.auth")
FALLBACK = "failed authentications are counted per process"
MAX_TRACKED_ADDRESSES = 100_000

clock = time.time  # replaceable in tests, like DRF's throttles

_counts: dict[tuple[str, int], int] = {}  # (address, window number) -> failures, this process only
_counted_window = {"number": 0}
_lock = threading.Lock()


class TooManyFailedAuthentications(RateLimited):
    code = "too_many_failed_authentications"


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _window(now: float) -> tuple[int, int]:
    """(window number, whole seconds until it ends, at least 1)."""
    size = settings.AUTH_FAILURE_WINDOW_SECONDS
    number = int(now // size)
    return number, max(1, math.ceil((number + 1) * size - now))


def _key(address: str, number: int) -> str:
    return f"sbc:authfail:{address}:{number}"


def _failures(address: str, number: int) -> int:
    client = redis_if_up()
    if client is not None:
        try:
            return int(client.get(_key(address, number)) or 0)
        except RedisError as exc:
            breaker.failed(exc, FALLBACK)
    return _counts.get((address, number), 0)


def auth_throttle_check(address: str) -> None:
    """Raise TooManyFailedAuthentications (429, Retry-After) if `address` used up its failures this window."""
    limit = settings.AUTH_FAILURE_LIMIT
    if not limit:
        return
    number, retry_after = _window(clock())
    if _failures(address, number) >= limit:
        raise TooManyFailedAuthentications(
            "Too many failed authentications from your address; retry later with a valid token.",
            retry_after=retry_after,
        )


def auth_failure_record(address: str) -> None:
    """Count one failed token look-up from `address`."""
    limit = settings.AUTH_FAILURE_LIMIT
    if not limit:
        return
    number, _ = _window(clock())
    client = redis_if_up()
    if client is not None:
        try:
            pipe = client.pipeline()
            pipe.incr(_key(address, number))
            pipe.expire(_key(address, number), settings.AUTH_FAILURE_WINDOW_SECONDS + 1)
            count = pipe.execute()[0]
            if count == limit:
                log.warning(
                    "address %s reached %s failed authentications: refused until its window ends", address, limit
                )
            return
        except RedisError as exc:
            breaker.failed(exc, FALLBACK)
    with _lock:
        if number != _counted_window["number"]:
            _counts.clear()  # only the current window matters
            _counted_window["number"] = number
        elif len(_counts) > MAX_TRACKED_ADDRESSES:
            # A flood of addresses cannot grow memory, nor free an address that is already held off.
            for key in [key for key, failures in _counts.items() if failures < limit]:
                del _counts[key]
        count = _counts[(address, number)] = _counts.get((address, number), 0) + 1
    if count == limit:
        log.warning("address %s reached %s failed authentications: refused until its window ends", address, limit)


@on_forget_all
def auth_throttle_forget() -> None:
    """Forget every count this process holds (tests start from a clean slate)."""
    with _lock:
        _counts.clear()
