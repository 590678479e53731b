"""Per-process caches: one type with a time-to-live and a size bound, and one `forget_all()` for all of them.

Each worker process keeps what it read recently (model aliases, prices, limits, authenticated tokens) for
a few seconds, so a request does not pay a database round trip for each. Every cache, and every other
piece of per-process state registered with `on_forget_all`, is cleared by `forget_all()`: tests start
from a clean slate with one call, and a TTL read from settings at each store follows `override_settings`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
_forgetters: list[Callable[[], None]] = []
_MISSING = object()


def on_forget_all(forget: Callable[[], None]) -> Callable[[], None]:
    """Register per-process state that is not a ProcessCache (counts, breakers) to be cleared by forget_all."""
    _forgetters.append(forget)
    return forget


def forget_all() -> None:
    """Clear every per-process cache and registered state of this process."""
    for forget in list(_forgetters):
        forget()


class ProcessCache(Generic[V]):
    """A thread-safe map whose entries live `ttl()` seconds (for ever when ttl is None), at most `max_entries`."""

    def __init__(
        self,
        name: str,
        *,
        ttl: Callable[[], float] | None = None,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()
        on_forget_all(self.forget)

    def get(self, key: Hashable = None, default: V | None = None) -> V | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return default
        return entry[1]

    def put(self, value: V, key: Hashable = None) -> V:
        deadline = self._clock() + self._ttl() if self._ttl is not None else float("inf")
        with self._lock:
            if len(self._entries) >= self._max_entries and key not in self._entries:
                self._entries.clear()  # a flood of keys cannot grow memory; entries are cheap to reload
            self._entries[key] = (deadline, value)
        return value

    def get_or_load(self, load: Callable[[], V], key: Hashable = None) -> V:
        """The cached value of `key`, or `load()`'s, stored."""
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        return self.put(load(), key) if value is _MISSING else value  # type: ignore[return-value]

    def forget(self, key: Hashable = _MISSING) -> None:
        """Forget `key`, or everything when no key is given."""
        with self._lock:
            if key is _MISSING:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
