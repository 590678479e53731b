"""Fixtures for usage tests: fresh per-process caches, a replaceable clock, and quota helpers."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime

import pytest

_names = itertools.count()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    from usage.windows import calendar

    fake = Clock(datetime(2026, 3, 31, 23, 59, 30, tzinfo=UTC))
    monkeypatch.setattr(calendar, "clock", fake)
    return fake


@pytest.fixture
def unique_name():
    """A fresh identity name per call, so live servers never see a cached quota from another test."""
    return lambda prefix="user": f"{prefix}-{os.getpid()}-{next(_names)}@test"


@pytest.fixture
def set_quota(django_db_blocker):
    """set_quota("name", requests_per_minute=2, ...): commit a quota the live server will read."""
    from tokens.models import Quota
    from tokens.services import identity_get_or_create

    def _set(identity_name: str, **fields):
        with django_db_blocker.unblock():
            identity = identity_get_or_create(name=identity_name)
            Quota.objects.update_or_create(identity=identity, defaults=fields)
            return identity

    return _set
