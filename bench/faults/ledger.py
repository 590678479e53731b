"""What the database kept of a scenario: every answered request matched to its usage record by request id, and
each identity's day counter against the sum of its records (after the run settles)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg

from bench.faults.traffic import Outcome


def needs_record(outcome: Outcome) -> bool:
    """Every authenticated answer has its record; a 503 because the database was down cannot (and may not have
    reached Bedrock), and a request that got no headers at all was never answered."""
    return outcome.status is not None and outcome.error != "database"


@dataclass
class Ledger:
    records: int = 0  # records of the scenario's identities
    by_status: Counter = field(default_factory=Counter)
    missing: int = 0
    doubled: int = 0
    drift: dict[str, int] = field(default_factory=dict)  # identity -> day counter tokens minus record tokens
    abandoned_not_499: int = 0

    @property
    def drift_tokens(self) -> int:
        return sum(abs(value) for value in self.drift.values())


def read(url: str, outcomes: list[Outcome], identities: dict[str, int], abandoned: dict[str, int]) -> Ledger:
    """`identities`: name -> id of the scenario's identities; `abandoned`: name -> how many whole answers the
    client gave up on, for identities that sent nothing else (their records must all say 499)."""
    ledger = Ledger()
    ids = list(identities.values())
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT request_id, identity_id, status, total_tokens FROM usage_usagerecord WHERE identity_id = ANY(%s)",
            (ids,),
        ).fetchall()
        counters = conn.execute(
            "SELECT DISTINCT ON (identity_id) identity_id, start, tokens FROM usage_usagecounter "
            "WHERE identity_id = ANY(%s) AND period = 'day' ORDER BY identity_id, start DESC",
            (ids,),
        ).fetchall()
        day_sums = {
            identity_id: conn.execute(
                "SELECT COALESCE(SUM(total_tokens), 0) FROM usage_usagerecord WHERE identity_id = %s "
                "AND created_at >= %s",
                (identity_id, start),
            ).fetchone()[0]
            for identity_id, start, _tokens in counters
        }
    per_id = Counter(request_id for request_id, *_ in rows)
    ledger.records = len(rows)
    ledger.by_status = Counter(status for _, _, status, _ in rows)
    ledger.doubled = sum(count - 1 for count in per_id.values() if count > 1)
    ledger.missing = sum(1 for o in outcomes if needs_record(o) and (not o.request_id or o.request_id not in per_id))
    names = {identity_id: name for name, identity_id in identities.items()}
    for identity_id, _start, tokens in counters:
        ledger.drift[names[identity_id]] = int(tokens) - int(day_sums[identity_id])
    statuses: dict[int, list[int]] = defaultdict(list)
    for _, identity_id, status, _ in rows:
        statuses[identity_id].append(status)
    for name, count in abandoned.items():
        kept = statuses.get(identities[name], [])
        # A whole answer the client gave up on is recorded 499: one recorded otherwise, or not at all, is missing.
        short = max(0, count - sum(1 for status in kept if status == 499))
        ledger.abandoned_not_499 += short
        ledger.missing += short
    return ledger
