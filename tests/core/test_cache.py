"""The one per-process cache type: entries expire, memory stays bounded, and forget_all clears every cache."""

from __future__ import annotations

from core.cache import ProcessCache, forget_all, on_forget_all
from core.redis import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_as_long_as_the_ttl_read_when_it_was_stored():
    clock, seconds = Clock(), {"ttl": 5.0}
    cache = ProcessCache("test", ttl=lambda: seconds["ttl"], clock=clock)
    cache.put("v1", "k")
    seconds["ttl"] = 60.0  # a changed setting applies to what is stored next
    clock.now += 4.9
    assert cache.get("k") == "v1"
    clock.now += 0.2
    assert cache.get("k") is None
    assert cache.get_or_load(lambda: "v2", "k") == "v2"
    clock.now += 30
    assert cache.get("k") == "v2"


def test_a_flood_of_keys_cannot_grow_it_past_its_bound():
    cache = ProcessCache("test", max_entries=3)
    for key in range(10):
        cache.put(key, key)
    assert len(cache) <= 3 and cache.get(9) == 9


def test_forget_all_clears_every_cache_and_registered_state():
    first, second, state = ProcessCache("a"), ProcessCache("b"), {"count": 1}
    on_forget_all(lambda: state.update(count=0))
    first.put(1), second.put(2, "key")
    forget_all()
    assert first.get() is None and second.get("key") is None and state["count"] == 0


def test_the_redis_breaker_stays_open_for_a_while_after_a_failure_and_logs_once(caplog):
    clock = Clock()
    breaker = Breaker(clock=clock)
    assert not breaker.is_open()
    breaker.failed(ConnectionError("down"), "counting elsewhere")
    breaker.failed(ConnectionError("down"), "counting elsewhere")
    assert breaker.is_open()
    assert [r.message for r in caplog.records].count(
        "Redis is unavailable (ConnectionError): counting elsewhere for 30s"
    ) == 1
    clock.now += 31
    assert not breaker.is_open()
