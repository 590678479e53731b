"""Runs the scenarios against one stack, waits for each to settle, and reads what the database kept."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.faults.ledger import Ledger, read
from bench.faults.scenarios import HEALTH_MAY_FAIL, HEALTH_PROBE_CUT, SCENARIOS, Case, plan, warm_up
from bench.faults.services import FaultStack
from bench.faults.traffic import Outcome, probe_lockout

LOCKOUT_LIMIT = 60.0
# A crashed worker's reservations may be reaped 2 x QUOTA_LEASE_SECONDS (30) after its last heartbeat, by a worker
# that reaps once a minute: its records and counters agree within about two minutes.
SETTLE_SECONDS = 130.0


@dataclass
class Result:
    name: str
    sent: int = 0
    labels: Counter = field(default_factory=Counter)  # what the clients saw: "200", "503 db", "200 cut", ...
    ledger: Ledger = field(default_factory=Ledger)
    lockout: float = 0.0
    health_failed: Counter = field(default_factory=Counter)  # /healthz answers other than 200 (0: none came)
    health_probes: int = 0
    unseen_refusals: int = 0  # 503s for a database that was down, with no `response` event in the log
    deaths: list[str] = field(default_factory=list)  # workers that died unasked, and of what signal
    notes: list[str] = field(default_factory=list)

    @property
    def health_failures(self) -> int:
        return sum(self.health_failed.values())

    @property
    def failures(self) -> list[str]:
        found = []
        if self.ledger.missing:
            found.append(f"{self.ledger.missing} answered without a record")
        if self.ledger.abandoned_not_499:
            found.append(f"{self.ledger.abandoned_not_499} abandoned whole answers not recorded 499")
        if self.ledger.doubled:
            found.append(f"{self.ledger.doubled} doubled records")
        if self.ledger.drift_tokens:
            found.append(f"day counters minus records: {self.ledger.drift}")
        if self.lockout > LOCKOUT_LIMIT:
            found.append(f"locked out for more than {LOCKOUT_LIMIT:.0f} s")
        if self.unseen_refusals:
            found.append(f"{self.unseen_refusals} database 503s without a response event")
        if self.deaths:
            found.append(f"a gateway worker died unasked ({', '.join(self.deaths)})")
        if self.labels["500"]:
            found.append(f"{self.labels['500']} answers were 500")
        if self.health_failures:
            answers = " ".join(f"{status or 'no answer'}:{count}" for status, count in self.health_failed.items())
            found.append(
                f"/healthz failed {self.health_failures} of {self.health_probes} times ({answers}), database up"
            )
        return found


@dataclass
class Settings:
    quick: bool = False
    settle_seconds: float = SETTLE_SECONDS  # how long a scenario's records and counters may take to agree
    lockout_cap: float = LOCKOUT_LIMIT + 1


def _read_from(path, offset: int) -> str:
    with open(path, "rb") as log:
        log.seek(offset)
        return log.read().decode(errors="replace")


def _unseen_refusals(stack: FaultStack, outcomes: list[Outcome]) -> int:
    """Refusals that reached no record must still be seen: each has its `response` event in the gateway's log."""
    refused = {outcome.request_id for outcome in outcomes if outcome.error == "database"}
    if not refused:
        return 0
    seen = set()
    for line in stack.gateway.log.read_text(errors="replace").splitlines():
        if line.startswith('{"event":"response"'):
            try:
                seen.add(json.loads(line).get("request_id"))
            except ValueError:
                continue
    return len(refused - seen)


DEATH = re.compile(r"Worker \(pid:(\d+)\) (?:was sent (SIG\w+)|exited with code (\d+))")


def _deaths(log: str, killed: set[int]) -> list[str]:
    """The workers gunicorn reported dead in `log`, other than those the scenario killed."""
    return [
        f"{match[1]}: {match[2] or 'exit ' + match[3]}" for match in DEATH.finditer(log) if int(match[1]) not in killed
    ]


async def _scenario(stack: FaultStack, name: str, settings: Settings) -> Result:
    case = Case(name, stack, settings.quick)
    log_start = stack.gateway.log.stat().st_size
    stop_health = asyncio.Event()
    health = asyncio.create_task(case.watch_health(stop_health))
    try:
        await SCENARIOS[name](case)
    finally:
        stop_health.set()
        await health
    since = case.fault_at or time.monotonic()
    lockout = 0.0
    for identity, token in case.limited().items():
        lockout = max(
            lockout,
            await probe_lockout(case.base, identity, token, 3, since, settings.lockout_cap, case.outcomes),
        )
    ids = {name: stack.identities[name]["id"] for name in stack.identities if name.startswith(case.name + "/")}
    settling = time.monotonic()
    while True:  # a replay or a reaper may still be at work: wait until the ledger agrees, or the deadline
        ledger = await asyncio.to_thread(read, stack.postgres.url, case.outcomes, ids, case.abandoned)
        waited = time.monotonic() - settling
        if not ledger.missing and not ledger.drift_tokens:
            if waited >= 1:
                case.notes.append(f"records and counters agreed {waited:.0f} s after the traffic")
            break
        if waited > settings.settle_seconds:
            case.notes.append(f"still apart {waited:.0f} s after the traffic")
            break
        await asyncio.sleep(1.0)
    health_failed = Counter(
        status
        for status in case.healthz
        if status != 200 and name not in HEALTH_MAY_FAIL and not (status == 0 and name in HEALTH_PROBE_CUT)
    )
    return Result(
        name,
        sent=len(case.outcomes),
        labels=Counter(outcome.label for outcome in case.outcomes),
        ledger=ledger,
        lockout=lockout,
        health_failed=health_failed,
        health_probes=len(case.healthz),
        unseen_refusals=_unseen_refusals(stack, case.outcomes),
        deaths=_deaths(_read_from(stack.gateway.log, log_start), case.killed),
        notes=case.notes,
    )


def run(names: list[str], settings: Settings, on_result=None) -> list[Result]:
    """Start the stack once, run each scenario in turn, stop everything."""
    stack = FaultStack(plan=plan(names)).start()
    results = []
    try:
        asyncio.run(warm_up(stack))
        for name in names:
            if not stack.postgres.running():  # a scenario that failed half-way must not spoil the next
                stack.postgres.start()
            result = asyncio.run(_scenario(stack, name, settings))
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        stack.close()
    return results
