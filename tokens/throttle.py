"""Failed-authentication throttling, in two buckets per AUTH_FAILURE_WINDOW_SECONDS window: the failures from
one client address, and the failures presenting one key id. A failure past AUTH_FAILURE_LIMIT in either bucket
is answered 429 with Retry-After (until the window ends) instead of 403.

Failures never lock out a valid token: a token is looked up first, and only a refused one meets the buckets.
So a developer whose neighbours behind the same proxy (or a script retrying an expired key) used up the
address's failures keeps working, and so does the owner of a key id someone guesses secrets for.

Only failures that cost a database look-up count: a token of the right shape and checksum that is unknown,
expired or revoked. Malformed tokens and bad checksums are refused without a query and count for nothing,
so a misconfigured client sending a placeholder key never locks out its neighbours.

The client address is `core.headers.client_address`: the TCP peer, or, through TRUSTED_PROXIES, the client
the proxies name in X-Forwarded-For. Counts live in Redis when REDIS_URL is set (one pipelined INCR per failure,
shared by every worker and instance). Without Redis, or while its breaker is open after a Redis error
(`core.redis`), each process counts on its own: the effective limit is then AUTH_FAILURE_LIMIT per worker.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from django.conf import settings

from core.cache import on_forget_all
from core.errors import RateLimited
from core.headers import client_address
from core.redis import Error as RedisError
from core.redis import breaker, redis_if_up

__all__ = ["TooManyFailedAuthentications", "auth_failure_record", "auth_throttle_forget", "client_address"]

log = logging.getLogger("sbc.auth")
FALLBACK = "failed authentications are counted per process"
MAX_TRACKED_ADDRESSES = 100_000  # buckets one process keeps (addresses and key ids)
ADDRESS, KEY = "address", "key id"

clock = time.time  # replaceable in tests, like DRF's throttles

_counts: dict[tuple[str, str, int], int] = {}  # (kind, address or key id, window number) -> failures, this process
_counted_window = {"number": 0}
_lock = threading.Lock()


class TooManyFailedAuthentications(RateLimited):
    code = "too_many_failed_authentications"


def _window(now: float) -> tuple[int, int]:
    """(window number, whole seconds until it ends, at least 1)."""
    size = settings.AUTH_FAILURE_WINDOW_SECONDS
    number = int(now // size)
    return number, max(1, math.ceil((number + 1) * size - now))


def _key(kind: str, value: str, number: int) -> str:
    return f"sbc:authfail:{'addr' if kind == ADDRESS else 'key'}:{value}:{number}"


def _count_in_redis(buckets: list[tuple[str, str]], number: int) -> list[int] | None:
    client = redis_if_up()
    if client is None:
        return None
    try:
        pipe = client.pipeline()
        for kind, value in buckets:
            pipe.incr(_key(kind, value, number))
            pipe.expire(_key(kind, value, number), settings.AUTH_FAILURE_WINDOW_SECONDS + 1)
        return pipe.execute()[::2]
    except RedisError as exc:
        breaker.failed(exc, FALLBACK)
        return None


def _count_here(buckets: list[tuple[str, str]], number: int, limit: int) -> list[int]:
    with _lock:
        if number != _counted_window["number"]:
            _counts.clear()  # only the current window matters
            _counted_window["number"] = number
        elif len(_counts) > MAX_TRACKED_ADDRESSES:
            # A flood of addresses or key ids cannot grow memory, nor free a bucket that is already held off.
            for key in [key for key, failures in _counts.items() if failures < limit]:
                del _counts[key]
        counts = []
        for kind, value in buckets:
            counts.append(_counts.get((kind, value, number), 0) + 1)
            _counts[(kind, value, number)] = counts[-1]
        return counts


def auth_failure_record(address: str, token_id: str) -> None:
    """Count one refused token look-up from `address` presenting `token_id`; raise TooManyFailedAuthentications
    (429, Retry-After) when it is past the limit of either bucket."""
    limit = settings.AUTH_FAILURE_LIMIT
    if not limit:
        return
    number, retry_after = _window(clock())
    buckets = [(ADDRESS, address), (KEY, token_id)]
    counts = _count_in_redis(buckets, number)
    if counts is None:
        counts = _count_here(buckets, number, limit)
    for (kind, value), count in zip(buckets, counts, strict=True):
        if count == limit:
            log.warning("%s %s reached %s failed authentications: refused until its window ends", kind, value, limit)
    if counts[0] > limit:
        raise TooManyFailedAuthentications(
            "Too many failed authentications from your address; retry later with a valid token.",
            retry_after=retry_after,
        )
    if counts[1] > limit:
        raise TooManyFailedAuthentications(
            "Too many failed authentications with this key; retry later with a valid token.",
            retry_after=retry_after,
        )


@on_forget_all
def auth_throttle_forget() -> None:
    """Forget every count this process holds (tests start from a clean slate)."""
    with _lock:
        _counts.clear()
