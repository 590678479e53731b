"""Remembers the most recent model requests so tests can see exactly what reached "Bedrock"."""

from __future__ import annotations

from collections import deque
from typing import Any

LOG_SIZE = 500


class RequestLog:
    def __init__(self, size: int = LOG_SIZE) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)

    def start(self, *, request_id: str, operation: str, model_id: str, region: str | None, body: Any) -> dict[str, Any]:
        """A new entry, updated in place by the handler as the answer progresses."""
        entry = {
            "request_id": request_id,
            "operation": operation,
            "model_id": model_id,
            "region": region,
            "body": body,
            "status": None,
            "stream_completed": False,
            "client_disconnected": False,
        }
        self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()
