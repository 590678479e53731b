"""Structured JSON events (`request`, `response`, `auth_failure`, `budget_alert`, `websocket_refused`) written to
the `sbc.events` logger.

Handlers attached to that logger decide where they go: stdout (Lambda ships it to CloudWatch)
and, when CLOUDWATCH_LOG_GROUP is set, a background CloudWatch Logs shipper. No token, no
Authorization header and no prompt text is ever part of an event.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import orjson

events_log = logging.getLogger("sbc.events")


_second_text: tuple[int, str] = (-1, "")  # the last second formatted, and its text (swapped whole: thread-safe)


def iso_now() -> str:
    """`datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")`, formatted once per second instead of once per call.

    datetime.now() reads the same system clock and floors it to the second in this format, as
    `time.time_ns() // 10**9` does, so the text is the same.
    """
    global _second_text
    second = time.time_ns() // 1_000_000_000
    cached = _second_text
    if cached[0] == second:
        return cached[1]
    text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _second_text = (second, text)
    return text


def event_emit(event: str, **fields) -> None:
    if not events_log.isEnabledFor(logging.INFO):
        return
    payload = {"event": event, **fields}
    if "timestamp" not in payload:
        payload["timestamp"] = iso_now()
    events_log.info(orjson.dumps(payload).decode())
