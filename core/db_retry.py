"""Re-running a whole transaction that lost a write conflict at commit.

Aurora DSQL checks concurrent writers at commit (optimistic concurrency) and refuses the later one with SQLSTATE
40001 (its message carries OC000 for a row changed by another transaction, OC001 for a schema changed under it);
PostgreSQL says the same with 40001 under serializable or repeatable-read isolation, and 40P01 for a deadlock.
Nothing of the refused transaction was applied, so running it again from the start is safe: `retry_on_conflict`
does that a few times, after a short random pause that doubles each time, then lets the error through.

It retries only a transaction it owns: inside a caller's `atomic()` block a conflict aborts the caller's whole
transaction, which only the caller can run again, so the error goes straight up. The function it wraps must have
no effect outside the database before its commit (use `transaction.on_commit` for those).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, connections

log = logging.getLogger("sbc.db")

CONFLICT_STATES = frozenset({"40001", "40P01"})
CONFLICT_CODES = ("OC000", "OC001")
ATTEMPTS = 5
FIRST_PAUSE = 0.01  # seconds, before the second attempt; doubled for each one after it
MAX_PAUSE = 0.5

P = ParamSpec("P")
R = TypeVar("R")


def is_conflict(error: BaseException) -> bool:
    """Whether `error` (as Django raises it, or the driver's own) says the transaction lost a write conflict."""
    for candidate in (error, error.__cause__):
        if candidate is None:
            continue
        if getattr(candidate, "sqlstate", None) in CONFLICT_STATES or getattr(candidate, "pgcode", None) in (
            CONFLICT_STATES
        ):
            return True
        if any(code in str(candidate) for code in CONFLICT_CODES):
            return True
    return False


def pause_before(attempt: int) -> float:
    """The jittered pause before attempt number `attempt` (2 for the first retry): up to 10, 20, 40... ms."""
    return random.uniform(0, min(MAX_PAUSE, FIRST_PAUSE * 2 ** (attempt - 2)))  # noqa: S311 - jitter, not secrets


def retry_on_conflict(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run `function` (a whole transaction on the default database, or one statement outside any)
    again on a write conflict, at most ATTEMPTS times in all."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        connection = connections["default"]
        attempt = 1
        while True:
            try:
                return function(*args, **kwargs)
            except DatabaseError as error:
                if attempt >= ATTEMPTS or connection.in_atomic_block or not is_conflict(error):
                    raise
            attempt += 1
            log.info("write conflict in %s: attempt %d of %d", function.__qualname__, attempt, ATTEMPTS)
            time.sleep(pause_before(attempt))

    return wrapper
