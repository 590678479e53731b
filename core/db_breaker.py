"""The database outage breaker: open from the first database error on the request path to the first success.

While it is open, nothing is served from what a process remembers of the database (authenticated tokens,
limits): each request asks the database again, so a request reaches Bedrock only if the database answered for
it, and is refused 503 otherwise. It closes on the first database answer; what waits for the database to come
back (settlements spooled on disk) is run then by the callbacks registered with `on_recovery`, off the request
path. The outage is logged once when it opens and once when it closes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.db import InterfaceError, OperationalError

from core.cache import on_forget_all

log = logging.getLogger("sbc.db")
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def is_outage(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached or the connection was lost (not a refused write)."""
    return isinstance(error, OUTAGE_ERRORS)


class DatabaseBreaker:
    """Open after a database error until the next database success."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._opened_at: float | None = None
        self._lock = threading.Lock()
        self._recovery: list[Callable[[], None]] = []
        on_forget_all(self.reset)

    def is_open(self) -> bool:
        return self._opened_at is not None

    def failed(self, exc: BaseException) -> None:
        """Open the breaker (on an outage error only); log the outage once."""
        if not is_outage(exc):
            return
        with self._lock:
            first = self._opened_at is None
            if first:
                self._opened_at = self._clock()
        if first:
            log.warning("The database is unavailable (%s): caches bypassed until it answers", type(exc).__name__)

    def succeeded(self) -> None:
        """Close the breaker after a database answer; run the recovery callbacks once per outage."""
        if self._opened_at is None:
            return
        with self._lock:
            opened_at, self._opened_at = self._opened_at, None
        if opened_at is None:
            return
        log.warning("The database answers again after %.1fs", self._clock() - opened_at)
        for callback in list(self._recovery):
            try:
                callback()
            except Exception:
                log.exception("A database recovery step failed")

    def on_recovery(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` (quick: it starts its own work off the request path) whenever the breaker closes."""
        if callback not in self._recovery:
            self._recovery.append(callback)
        return callback

    def reset(self) -> None:
        with self._lock:
            self._opened_at = None


breaker = DatabaseBreaker()
