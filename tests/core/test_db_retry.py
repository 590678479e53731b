"""A transaction that loses a write conflict at commit runs again, a few times, and nothing else is retried."""

from __future__ import annotations

import psycopg
import pytest
from django.db import IntegrityError, OperationalError, transaction

from core import db_retry
from core.db_retry import is_conflict, retry_on_conflict


def conflict(message="change conflicts with another transaction, please retry: (OC000)") -> OperationalError:
    error = OperationalError(message)
    error.__cause__ = psycopg.errors.SerializationFailure(message)
    return error


@pytest.fixture(autouse=True)
def no_pause(monkeypatch):
    monkeypatch.setattr(db_retry.time, "sleep", lambda seconds: None)


def failing(errors):
    calls = []

    @retry_on_conflict
    def work():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "done"

    return work, calls


def test_it_tells_a_conflict_from_other_database_errors():
    assert is_conflict(conflict())
    assert is_conflict(OperationalError("schema has been updated by another transaction, please retry: (OC001)"))
    assert is_conflict(psycopg.errors.DeadlockDetected("deadlock detected"))
    assert not is_conflict(OperationalError("server closed the connection unexpectedly"))
    assert not is_conflict(IntegrityError("duplicate key value violates unique constraint"))


@pytest.mark.django_db(transaction=True)
def test_a_conflicted_transaction_runs_again_until_it_commits():
    work, calls = failing([conflict(), conflict()])
    assert work() == "done"
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_a_few_attempts_and_says_why():
    work, calls = failing([conflict() for _ in range(10)])
    with pytest.raises(OperationalError, match="OC000"):
        work()
    assert len(calls) == db_retry.ATTEMPTS


@pytest.mark.django_db(transaction=True)
def test_other_errors_are_not_retried():
    work, calls = failing([IntegrityError("duplicate key")])
    with pytest.raises(IntegrityError):
        work()
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_caller_owns_the_retry():
    work, calls = failing([conflict()])
    with pytest.raises(OperationalError), transaction.atomic():
        work()
    assert len(calls) == 1


def test_the_pauses_are_short_random_and_grow():
    for attempt in range(2, 8):
        ceiling = min(db_retry.MAX_PAUSE, db_retry.FIRST_PAUSE * 2 ** (attempt - 2))
        assert all(0 <= db_retry.pause_before(attempt) <= ceiling for _ in range(50))
