"""What a request takes from its windows (`Take`), its slot in flight (`Lease`), and a refusal (`Refused`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from usage.windows.calendar import EPOCH

LEASE = "lease"


@dataclass(frozen=True)
class Take:
    """What one window gets, and its limits (0 = none)."""

    period: str
    start: datetime
    end: datetime | None = None
    requests: int = 0
    tokens: int = 0
    cost_micros: int = 0
    max_requests: int = 0
    max_tokens: int = 0
    max_cost_micros: int = 0

    def limited(self) -> list[tuple[int, str, int, int]]:
        """(column index, column, amount, limit) for each column this take has a limit on."""
        return [
            (index, column, amount, limit)
            for index, (column, amount, limit) in enumerate(
                (
                    ("requests", self.requests, self.max_requests),
                    ("tokens", self.tokens, self.max_tokens),
                    ("cost_micros", self.cost_micros, self.max_cost_micros),
                )
            )
            if limit
        ]


@dataclass(frozen=True)
class Lease:
    """A concurrency slot for one request, held until settlement or `expires_at`."""

    request_id: str
    limit: int
    now: datetime
    expires_at: datetime

    def take(self) -> Take:
        return Take(LEASE, EPOCH, requests=1, max_requests=self.limit)


class Refused(Exception):
    """A window would pass its limit: which one, and what each window holds now (requests, tokens, cost_micros)."""

    def __init__(self, period: str, held: dict[str, tuple[int, int, int]]) -> None:
        super().__init__(period)
        self.period, self.held = period, held

    @property
    def used(self) -> tuple[int, int, int]:
        return self.held.get(self.period, (0, 0, 0))
