"""Per-minute and concurrency counters in Redis (when REDIS_URL is set): one Lua script per change.

Each script checks, increments and sets the key's expiry together, so a surge cannot overshoot and
no key is left without a TTL. Any Redis error raises `CountersUnavailable`; the caller then uses the
database counters (see `usage.admission`).
"""

from __future__ import annotations

from datetime import datetime

import redis

from core.cache import ProcessCache
from core.redis import redis_if_up

MINUTE_TAKE = """
local r = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
local t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local max_r, max_t = tonumber(ARGV[2]), tonumber(ARGV[3])
if (max_r > 0 and r + 1 > max_r) or (max_t > 0 and t + tonumber(ARGV[1]) > max_t) then
  return {0, r, t}
end
r = redis.call('HINCRBY', KEYS[1], 'r', 1)
t = redis.call('HINCRBY', KEYS[1], 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], 120)
return {1, r, t}
"""
MINUTE_ADJUST = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'r', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 't', ARGV[2])
end
return 1
"""
LEASE_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then return {0, n} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1, n + 1}
"""


class CountersUnavailable(Exception):
    pass


class RedisCounters:
    name = "redis"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._minute_take = self.client.register_script(MINUTE_TAKE)
        self._minute_adjust = self.client.register_script(MINUTE_ADJUST)
        self._lease_take = self.client.register_script(LEASE_TAKE)

    @staticmethod
    def _minute_key(identity_id: int, start: datetime) -> str:
        return f"sbc:rate:{identity_id}:{int(start.timestamp()) // 60}"

    def _run(self, script, keys, args):
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc

    def minute_take(
        self, *, identity_id: int, start: datetime, tokens: int, max_requests: int, max_tokens: int
    ) -> tuple[bool, int, int]:
        ok, used_requests, used_tokens = self._run(
            self._minute_take, [self._minute_key(identity_id, start)], [tokens, max_requests, max_tokens]
        )
        return bool(ok), int(used_requests), int(used_tokens)

    def minute_adjust(self, *, identity_id: int, start: datetime, requests: int, tokens: int) -> None:
        if requests or tokens:
            self._run(self._minute_adjust, [self._minute_key(identity_id, start)], [requests, tokens])

    def lease_take(self, *, identity_id: int, request_id: str, limit: int, now: datetime, ttl: int) -> tuple[bool, int]:
        now_s = now.timestamp()
        ok, count = self._run(
            self._lease_take, [f"sbc:leases:{identity_id}"], [now_s, now_s + ttl, limit, request_id, ttl]
        )
        return bool(ok), int(count)

    def leases_extend(self, by_identity: dict[int, list[str]], *, until: datetime, ttl: int) -> None:
        """One pipeline: each lease's expiry moved to `until` if it is still there (`XX`: one the take script already
        dropped as expired stays dropped), and each identity's key kept `ttl` seconds more."""
        try:
            pipe = self.client.pipeline(transaction=False)
            for identity_id, request_ids in by_identity.items():
                key = f"sbc:leases:{identity_id}"
                pipe.zadd(key, dict.fromkeys(request_ids, until.timestamp()), xx=True)
                pipe.expire(key, ttl)
            pipe.execute()
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc

    def lease_release(self, *, identity_id: int, request_id: str) -> None:
        try:
            self.client.zrem(f"sbc:leases:{identity_id}", request_id)
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc


_counters: ProcessCache[RedisCounters] = ProcessCache("redis counters")


def redis_counters_if_up(*, even_if_tripped: bool = False) -> RedisCounters | None:
    """The counters on the process's Redis client, or None when Redis is not configured or its breaker is open."""
    client = redis_if_up(even_if_tripped=even_if_tripped)
    if client is None:
        return None
    return _counters.get_or_load(lambda: RedisCounters(client), key=id(client))
