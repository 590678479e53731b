"""Structured JSON events (`request`, `response`, `auth_failure`, `budget_alert`, `websocket_refused`) written to
the `sbc.events` logger.

Handlers attached to that logger decide where they go: stdout (Lambda ships it to CloudWatch)
and, when CLOUDWATCH_LOG_GROUP is set, a background CloudWatch Logs shipper. No token, no
Authorization header and no prompt text is ever part of an event.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson

events_log = logging.getLogger("sbc.events")


def iso_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_emit(event: str, **fields) -> None:
    if not events_log.isEnabledFor(logging.INFO):
        return
    payload = {"event": event, **fields}
    payload.setdefault("timestamp", iso_now())
    events_log.info(orjson.dumps(payload).decode())
