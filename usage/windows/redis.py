"""Per-minute and concurrency counters in Redis (when REDIS_URL is set): one Lua script per admission, one per
settlement.

Each script checks, increments and sets the keys' expiry together, so a surge cannot overshoot and no key is left
without a TTL; a request's minute and its concurrency slot are taken together or not at all. Any Redis error
raises `CountersUnavailable`; the caller then uses the database counters (see `usage.admission`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import redis

from core.cache import ProcessCache
from core.redis import redis_if_up

# A request's admission: its minute (KEYS[1], when ARGV[1] is 1) and its concurrency slot (KEYS[2], when ARGV[5] is 1)
# are both checked before either is taken, so a refusal leaves nothing behind. Returns {ok, refused, requests,
# tokens}: refused is 'minute' or 'lease'; requests and tokens are the minute's after the admission (or as found).
ADMIT = """
local r, t = 0, 0
local minute, lease = ARGV[1] == '1', ARGV[5] == '1'
if minute then
  r = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
  t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
  local max_r, max_t = tonumber(ARGV[3]), tonumber(ARGV[4])
  if (max_r > 0 and r + 1 > max_r) or (max_t > 0 and t + tonumber(ARGV[2]) > max_t) then
    return {0, 'minute', r, t}
  end
end
if lease then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[8]) then return {0, 'lease', r, t} end
  redis.call('ZADD', KEYS[2], ARGV[7], ARGV[9])
  redis.call('EXPIRE', KEYS[2], ARGV[10])
end
if minute then
  r = redis.call('HINCRBY', KEYS[1], 'r', 1)
  t = redis.call('HINCRBY', KEYS[1], 't', ARGV[2])
  redis.call('EXPIRE', KEYS[1], 120)
end
return {1, '', r, t}
"""
# A request's settlement: its minute corrected (when the key is still there) and its slot released.
SETTLE = """
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'r', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 't', ARGV[3])
end
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[2], ARGV[4]) end
return 1
"""


@dataclass(frozen=True)
class Admitted:
    ok: bool
    refused: str  # "minute" or "lease" when not ok
    requests: int  # the minute's requests and tokens, after the admission when it was made
    tokens: int


class CountersUnavailable(Exception):
    pass


class RedisCounters:
    name = "redis"

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._admit = self.client.register_script(ADMIT)
        self._settle = self.client.register_script(SETTLE)

    @staticmethod
    def _minute_key(identity_id: int, start: datetime) -> str:
        return f"sbc:rate:{identity_id}:{int(start.timestamp()) // 60}"

    def _run(self, script, keys, args):
        try:
            return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc

    @staticmethod
    def _lease_key(identity_id: int) -> str:
        return f"sbc:leases:{identity_id}"

    def admit(
        self,
        *,
        identity_id: int,
        minute: datetime | None,
        tokens: int,
        max_requests: int,
        max_tokens: int,
        lease_request_id: str | None,
        lease_limit: int,
        now: datetime,
        ttl: int,
    ) -> Admitted:
        """Take the minute starting at `minute` (unless None) and a concurrency slot for `lease_request_id` (unless
        None) in one script: both or neither."""
        now_s = now.timestamp()
        minute_key = self._minute_key(identity_id, minute) if minute is not None else ""
        ok, refused, requests, used_tokens = self._run(
            self._admit,
            [minute_key, self._lease_key(identity_id)],
            [
                int(minute is not None),
                tokens,
                max_requests,
                max_tokens,
                int(lease_request_id is not None),
                now_s,
                now_s + ttl,
                lease_limit,
                lease_request_id or "",
                ttl,
            ],
        )
        refused = refused.decode() if isinstance(refused, bytes) else refused
        return Admitted(bool(ok), refused, int(requests), int(used_tokens))

    def settle(
        self, *, identity_id: int, minute: datetime | None, requests: int, tokens: int, lease_request_id: str | None
    ) -> None:
        """Correct the minute starting at `minute` (unless None) and release `lease_request_id`'s slot (unless None),
        in one script."""
        adjust = minute is not None and bool(requests or tokens)
        if not adjust and lease_request_id is None:
            return
        minute_key = self._minute_key(identity_id, minute) if minute is not None else ""
        self._run(
            self._settle,
            [minute_key, self._lease_key(identity_id)],
            [int(adjust), requests, tokens, lease_request_id or ""],
        )

    def leases_extend(self, by_identity: dict[int, list[str]], *, until: datetime, ttl: int) -> None:
        """One pipeline: each lease's expiry moved to `until` if it is still there (`XX`: one the take script already
        dropped as expired stays dropped), and each identity's key kept `ttl` seconds more."""
        try:
            pipe = self.client.pipeline(transaction=False)
            for identity_id, request_ids in by_identity.items():
                key = self._lease_key(identity_id)
                pipe.zadd(key, dict.fromkeys(request_ids, until.timestamp()), xx=True)
                pipe.expire(key, ttl)
            pipe.execute()
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc

    def lease_release(self, *, identity_id: int, request_id: str) -> None:
        try:
            self.client.zrem(self._lease_key(identity_id), request_id)
        except redis.RedisError as exc:
            raise CountersUnavailable(str(exc)) from exc


_counters: ProcessCache[RedisCounters] = ProcessCache("redis counters")


def redis_counters_if_up(*, even_if_tripped: bool = False) -> RedisCounters | None:
    """The counters on the process's Redis client, or None when Redis is not configured or its breaker is open."""
    client = redis_if_up(even_if_tripped=even_if_tripped)
    if client is None:
        return None
    return _counters.get_or_load(lambda: RedisCounters(client), key=id(client))
