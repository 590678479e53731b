"""Fixtures for usage tests: a replaceable clock (quota helpers are shared: tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest


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
