"""Parsing token lifetimes such as `30d`, `12h`, `90d`, `2w` or `45m` (pure, no Django)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TTL_RE = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$", re.IGNORECASE)


class BadTTL(ValueError):
    pass


def parse_ttl(text: str) -> timedelta:
    match = _TTL_RE.match(text or "")
    if not match:
        raise BadTTL(f"Invalid TTL {text!r}: use a number and a unit, e.g. 45m, 12h, 30d or 2w")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount == 0:
        raise BadTTL(f"Invalid TTL {text!r}: must be longer than zero")
    return timedelta(**{_UNITS[unit]: amount})


def format_ttl(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"
