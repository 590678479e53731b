"""The UTC windows quotas count in (calendar minute, day and month), and the one clock that says "now".

`clock` is the one source of "now" for quotas and rate limits; tests replace it to cross a minute, day or
month boundary.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def clock() -> datetime:
    return datetime.now(UTC)


def minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: datetime) -> datetime:
    return day_start(now).replace(day=1)


def next_month(now: datetime) -> datetime:
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


WINDOWS = {
    "minute": (minute_start, lambda now: minute_start(now) + timedelta(minutes=1)),
    "day": (day_start, lambda now: day_start(now) + timedelta(days=1)),
    "month": (month_start, next_month),
}


def seconds_to_reset(period: str, now: datetime) -> int:
    """Whole seconds until the window containing `now` ends (at least 1)."""
    return max(1, int(-(-(WINDOWS[period][1](now) - now).total_seconds() // 1)))
