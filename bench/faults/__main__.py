"""`python -m bench.faults` (`make faults`): the gateway under faults, every answer matched to its usage record.

Environment: FAULTS_QUICK=1 shortens each outage (about 40%); FAULTS_ONLY=name,name runs those scenarios;
FAULTS_SETTLE_SECONDS (default 130: a crashed worker's reservations are reaped up to twice QUOTA_LEASE_SECONDS
after its last heartbeat, by workers that reap once a minute) is how long records and counters may take to agree;
FAULTS_PG_PORT / FAULTS_REDIS_PORT the throwaway servers' ports (default: free ones); BENCH_KEEP_LOGS=1 keeps the
servers' logs. Exits non-zero when any answer lacks its record, a record is doubled, a day counter differs
from its records, an identity is locked out for more than 60 s, a client sees a 500, or /healthz fails while
the database is up.
"""

from __future__ import annotations

import os
import sys

from bench.faults.report import details, summary, table
from bench.faults.run import SETTLE_SECONDS, Settings, run
from bench.faults.scenarios import SCENARIOS
from bench.faults.services import missing_binaries


def main() -> int:
    why = missing_binaries()
    if why:
        print(f"faults: cannot run here: {why}", file=sys.stderr)
        return 2
    only = [name.strip() for name in os.environ.get("FAULTS_ONLY", "").split(",") if name.strip()]
    unknown = set(only) - set(SCENARIOS)
    if unknown:
        print(f"faults: unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    settings = Settings(
        quick=os.environ.get("FAULTS_QUICK") == "1",
        settle_seconds=float(os.environ.get("FAULTS_SETTLE_SECONDS", str(SETTLE_SECONDS))),
    )
    results = run(
        only or list(SCENARIOS), settings, on_result=lambda r: print(f"  {r.name}: {r.sent} sent", flush=True)
    )
    print(table(results))
    for line in details(results):
        print(line)
    print(summary(results))
    return 1 if any(result.failures for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
