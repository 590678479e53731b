"""Quota windows: what a request takes from its identity's minute, day and month, and its slot in flight.

* `calendar`: the UTC windows and the one clock;
* `takes`: what a request takes from a window (`Take`), its slot in flight (`Lease`), a refusal;
* `database`: the windows as rows, taken and adjusted all at once (`counters_take`, `counters_adjust`),
  with the SQL of each in `sql`;
* `redis`: per-minute and concurrency counters in Redis, one Lua script per change, when REDIS_URL is set.

`usage.admission` decides which of them a request uses.
"""
