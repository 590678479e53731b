"""The faults, each a bounded stretch of traffic (12 clients) with one fault injected while it runs.

Every scenario has identities of its own (two limited to 3 concurrent requests, two not), so its records,
counters and lockout are its own. `quick` shortens each outage (for the test); the faults are the same.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import psycopg

from bench.faults.services import DATABASE, FaultStack
from bench.faults.traffic import Mix, Outcome, Traffic

LIMITED = 3  # concurrent_streams of the limited identities
LONG_STREAM = "[[sbc:pace=40x100]]"  # about 4 s: streams in flight when a worker dies


@dataclass
class Case:
    """One scenario while it runs: its identities, what its clients saw, and what it measured besides."""

    name: str
    stack: FaultStack
    quick: bool
    outcomes: list[Outcome] = field(default_factory=list)
    abandoned: dict[str, int] = field(default_factory=dict)  # identity -> whole answers given up on
    fault_at: float | None = None  # when the fault began (monotonic), for the lockout
    healthz: list[int] = field(default_factory=list)  # /healthz answers while the database was up (0: none)
    notes: list[str] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)  # workers the scenario killed on purpose

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.stack.gateway.port}"

    def tokens(self, *suffixes: str) -> dict[str, str]:
        names = [name for name in self.stack.identities if name.startswith(self.name + "/")]
        if suffixes:
            names = [name for name in names if name.split("/", 1)[1] in suffixes]
        return {name: self.stack.identities[name]["token"] for name in names}

    def limited(self) -> dict[str, str]:
        return {
            name: token
            for name, token in self.tokens().items()
            if self.stack.identities[name].get("concurrent") == LIMITED
        }

    def seconds(self, full: float) -> float:
        return max(2.0, full * 0.4) if self.quick else full

    async def traffic(self, before: float, during: Callable[[], Awaitable[None]], after: float, **mix) -> None:
        """Traffic for `before` seconds, then while `during` runs, then `after` seconds more."""
        run = Traffic(self.base, self.tokens("limited-1", "limited-2", "open-1", "open-2"), mix=Mix(**mix))
        task = asyncio.create_task(run.run())
        try:
            await asyncio.sleep(before)
            await during()
            await asyncio.sleep(after)
        finally:
            run.stop.set()
            await task
            self.outcomes += run.outcomes

    async def watch_health(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as client:
            while not stop.is_set():
                try:
                    response = await client.get(self.base + "/healthz", timeout=5)
                    self.healthz.append(response.status_code)
                except httpx.HTTPError:
                    self.healthz.append(0)
                await asyncio.sleep(0.2)


WARM_UP = "warm-up/open-1"


async def warm_up(stack: FaultStack, seconds: float = 3.0) -> None:
    """Traffic nobody counts, so that each worker has loaded what its first requests load before any fault."""
    await Traffic(f"http://127.0.0.1:{stack.gateway.port}", {WARM_UP: stack.identities[WARM_UP]["token"]}).run(seconds)


def plan(names: list[str]) -> dict[str, dict]:
    """The identities every scenario gets: name -> {"concurrent": limit or 0}."""
    identities = {WARM_UP: {"concurrent": 0}}
    for scenario in names:
        for suffix, concurrent in (("limited-1", LIMITED), ("limited-2", LIMITED), ("open-1", 0), ("open-2", 0)):
            identities[f"{scenario}/{suffix}"] = {"concurrent": concurrent}
        if scenario == "client-timeout":
            identities[f"{scenario}/abandon"] = {"concurrent": 0}
    return identities


# ---- the scenarios ------------------------------------------------------------------------------------------


async def baseline(case: Case) -> None:
    async def nothing() -> None:
        case.fault_at = time.monotonic()

    await case.traffic(case.seconds(6), nothing, 0)


async def database_stopped(case: Case) -> None:
    """`pg_ctl stop -m fast`, then started again after ~10 s (4 s quick)."""

    async def outage() -> None:
        case.fault_at = time.monotonic()
        await asyncio.to_thread(case.stack.postgres.stop)
        await asyncio.sleep(case.seconds(10))
        await asyncio.to_thread(case.stack.postgres.start)

    await case.traffic(2, outage, 3)


async def connections_terminated(case: Case) -> None:
    """pg_terminate_backend of every gateway backend every 0.2 s for 10 s (4 s quick); the database stays up."""

    async def terminate() -> None:
        case.fault_at = time.monotonic()
        killed = 0
        async with await psycopg.AsyncConnection.connect(case.stack.postgres.admin_url, autocommit=True) as conn:
            deadline = time.monotonic() + case.seconds(10)
            while time.monotonic() < deadline:
                cursor = await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                    (DATABASE,),
                )
                killed += len(await cursor.fetchall())
                await asyncio.sleep(0.2)
        case.notes.append(f"{killed} backends terminated")

    await case.traffic(2, terminate, 2)


async def redis_stopped(case: Case) -> None:
    async def outage() -> None:
        case.fault_at = time.monotonic()
        case.stack.redis_server.stop()
        await asyncio.sleep(case.seconds(6))
        await asyncio.to_thread(case.stack.redis_server.start)

    await case.traffic(2, outage, 3)


async def redis_hung(case: Case) -> None:
    """SIGSTOP: Redis accepts connections and answers nothing, until SIGCONT."""

    async def hang() -> None:
        case.fault_at = time.monotonic()
        case.stack.redis_server.pause()
        try:
            await asyncio.sleep(case.seconds(6))
        finally:
            case.stack.redis_server.resume()

    await case.traffic(2, hang, 3)


async def bedrock_errors(case: Case) -> None:
    """Bedrock throttles, then answers 503 (emulator faults); three more clients send streams that break mid-way."""
    control = f"http://127.0.0.1:{case.stack.emulator.port}/_emulator"
    broken = Traffic(
        case.base,
        case.tokens("open-1"),
        clients=3,
        mix=Mix(kinds=("stream",), stream="[[sbc:pace=8x40]] [[sbc:stream-error=modelStreamErrorException]]"),
    )

    async def faults() -> None:
        case.fault_at = time.monotonic()
        task = asyncio.create_task(broken.run())
        async with httpx.AsyncClient() as client:
            for error in ("ThrottlingException", "ServiceUnavailableException"):
                await client.post(control + "/faults", json={"error": error, "count": 60})
                await asyncio.sleep(case.seconds(4))
            await client.delete(control + "/faults")
        broken.stop.set()
        await task
        case.outcomes.extend(broken.outcomes)

    await case.traffic(1, faults, 1)


async def client_disconnects(case: Case) -> None:
    """A third of the streams are dropped by their client after the first chunk."""

    async def nothing() -> None:
        case.fault_at = time.monotonic()

    await case.traffic(case.seconds(8), nothing, 0, kinds=("abandon", "stream", "plain"), stream="[[sbc:pace=20x50]]")


async def client_timeout(case: Case) -> None:
    """Whole answers that take 3 s, given up by their client after 1 s (they must be recorded 499), beside the
    usual traffic."""
    name = f"{case.name}/abandon"
    impatient = Traffic(
        case.base,
        {name: case.stack.identities[name]["token"]},
        clients=4,
        mix=Mix(kinds=("timeout",), plain="[[sbc:hang=3000]]", timeout=1.0),
    )

    async def give_up() -> None:
        case.fault_at = time.monotonic()
        await impatient.run(case.seconds(8))
        case.outcomes.extend(impatient.outcomes)
        case.abandoned[name] = sum(1 for outcome in impatient.outcomes if outcome.status is None)

    await case.traffic(0.5, give_up, 0)


async def worker_killed(case: Case) -> None:
    """`kill -9` of one gunicorn worker while ~4 s streams are in flight; gunicorn starts another."""

    async def kill() -> None:
        victim = case.stack.busiest_worker()
        case.fault_at = time.monotonic()
        case.killed.add(victim)
        os.kill(victim, signal.SIGKILL)
        replaced = await asyncio.to_thread(case.stack.wait_workers, 2, victim)
        case.notes.append(f"worker replaced in {replaced:.2f} s")

    await case.traffic(2.5, kill, case.seconds(5), kinds=("stream", "stream", "plain"), stream=LONG_STREAM)


SCENARIOS: dict[str, Callable[[Case], Awaitable[None]]] = {
    "baseline": baseline,
    "database-stopped": database_stopped,
    "connections-terminated": connections_terminated,
    "redis-stopped": redis_stopped,
    "redis-hung": redis_hung,
    "bedrock-errors": bedrock_errors,
    "client-disconnects": client_disconnects,
    "client-timeout": client_timeout,
    "worker-killed": worker_killed,
}
# While these run the database is down on purpose: /healthz may fail then.
HEALTH_MAY_FAIL = {"database-stopped"}
# A probe on the killed worker's connection gets no answer: that says nothing of the database.
HEALTH_PROBE_CUT = {"worker-killed"}
