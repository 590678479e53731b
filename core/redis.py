"""The process's Redis client (when REDIS_URL is set) behind one outage breaker shared by every user of it.

After a Redis error the breaker stays open for REDIS_RETRY_SECONDS: callers get None and use their
fallback (rate-limit counters in the database, failed-auth counts per process) instead of paying a
connection timeout on every request, and the outage is logged once, not per request.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

from core.cache import ProcessCache, on_forget_all

log = logging.getLogger("sbc.redis")
REDIS_RETRY_SECONDS = 30
Error = redis.RedisError
_clients: ProcessCache[redis.Redis] = ProcessCache("redis clients")


def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL per process, created on first use, never at import."""
    return _clients.get_or_load(
        lambda: redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.5, health_check_interval=30),
        key=url,
    )


class Breaker:
    """Open for REDIS_RETRY_SECONDS after a failure; closed (Redis is tried) otherwise."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._open_until = 0.0
        self._lock = threading.Lock()
        on_forget_all(self.reset)

    def is_open(self) -> bool:
        return self._clock() < self._open_until

    def failed(self, exc: BaseException, fallback: str) -> None:
        """Open the breaker; log the outage once, saying what falls back to what."""
        with self._lock:
            first = not self.is_open()
            self._open_until = self._clock() + REDIS_RETRY_SECONDS
        if first:
            log.warning("Redis is unavailable (%s): %s for %ss", type(exc).__name__, fallback, REDIS_RETRY_SECONDS)

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


breaker = Breaker()


def redis_if_up(*, even_if_tripped: bool = False) -> redis.Redis | None:
    """The client when REDIS_URL is set and Redis has not failed within REDIS_RETRY_SECONDS; else None.

    `even_if_tripped`: for undoing what was done in Redis (a lease to release), worth one more try.
    """
    if not settings.REDIS_URL or (breaker.is_open() and not even_if_tripped):
        return None
    return redis_client(settings.REDIS_URL)
