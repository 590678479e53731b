"""Which region to try next: bounded attempts, backoff with full jitter, and regions that keep failing skipped."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable


class RegionHealth:
    """Skips a region for `cooldown_seconds` after `failures_to_trip` failures in a row."""

    def __init__(
        self, failures_to_trip: int = 3, cooldown_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures_to_trip = failures_to_trip
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self._failures: dict[str, int] = {}
        self._skip_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_skipped(self, region: str) -> bool:
        return self._skip_until.get(region, 0.0) > self.clock()

    def order(self, regions: list[str]) -> list[str]:
        """Healthy regions first, in configured order; skipped ones last rather than never."""
        healthy = [r for r in regions if not self.is_skipped(r)]
        return healthy + [r for r in regions if r not in healthy]

    def failed(self, region: str) -> None:
        with self._lock:
            self._failures[region] = self._failures.get(region, 0) + 1
            if self._failures[region] >= self.failures_to_trip:
                self._skip_until[region] = self.clock() + self.cooldown_seconds
                self._failures[region] = 0

    def succeeded(self, region: str) -> None:
        if region in self._failures or region in self._skip_until:
            with self._lock:
                self._failures.pop(region, None)
                self._skip_until.pop(region, None)


def attempt_plan(regions: list[str], health: RegionHealth, max_attempts: int) -> list[str]:
    """The regions to try in order: each healthy region once, then round again, up to `max_attempts`."""
    ordered = health.order(regions)
    return [ordered[i % len(ordered)] for i in range(max(1, max_attempts))]


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before attempt number `attempt` (1 = the first retry): full jitter, capped."""
    return rand() * min(cap, base * (2 ** (attempt - 1)))
