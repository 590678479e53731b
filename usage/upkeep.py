"""The serving process's one background thread: heartbeat, spool replay and the reaper, off the request path.

Started by the first request a serving process answers (`upkeep_start`); every QUOTA_LEASE_SECONDS / 3 it extends
the leases and pending reservations of the requests in flight (`usage.heartbeat.beat`), replays the settlements
spooled on disk if any wait (`usage.spool`: at start-up too, and at once when the database breaker closes), and
about once a minute settles reservations a crashed process left behind (`usage.reaper`).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from core.db_breaker import breaker as database_breaker
from usage import heartbeat
from usage.reaper import reservations_reap
from usage.spool import spool_pending, spool_replay

log = logging.getLogger("sbc.usage")
REAP_EVERY_SECONDS = 60.0

_state: dict[str, threading.Thread | None] = {"thread": None}
_lock = threading.Lock()
_wake = threading.Event()


def interval() -> float:
    return max(1.0, settings.QUOTA_LEASE_SECONDS / 3)


def upkeep_start() -> None:
    """Start this process's upkeep thread unless it runs (one dictionary read once it does)."""
    thread = _state["thread"]
    if thread is not None and thread.is_alive():
        return
    with _lock:
        thread = _state["thread"]
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_run, name="sbc-upkeep", daemon=True)
            _state["thread"] = thread
            thread.start()


@database_breaker.on_recovery
def upkeep_wake() -> None:
    """Replay the spool now, not at the next beat."""
    _wake.set()


def upkeep_once(*, reap: bool) -> None:
    """One round: the spool, the heartbeat, and the reaper when `reap`."""
    close_old_connections()
    try:
        if spool_pending():
            spool_replay()
        heartbeat.beat()
        if reap and not database_breaker.is_open():
            reservations_reap()
    except DatabaseError as exc:
        database_breaker.failed(exc)
        log.warning("Upkeep stopped for this round: the database failed (%s)", type(exc).__name__)


def _run() -> None:
    last_reap = time.monotonic()
    upkeep_once(reap=False)
    while True:
        _wake.wait(interval())
        _wake.clear()
        reap = time.monotonic() - last_reap >= REAP_EVERY_SECONDS
        if reap:
            last_reap = time.monotonic()
        try:
            upkeep_once(reap=reap)
        except Exception:
            log.exception("Upkeep round failed")
