"""The fault run's clients: closed-loop asyncio clients (httpx) sending plain and streamed chat completions.

The gateway names every request (`x-request-id` on its answer; a client cannot choose it), so each outcome keeps
the id it was answered with; a request that never got headers has none and counts as "no answer". The emulator
is steered through directives in the prompt: `[[sbc:pace=NxMS]]` paces a stream, `[[sbc:hang=MS]]` delays a whole
answer, `[[sbc:stream-error=...]]` breaks a stream after its second delta.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import httpx

MODEL = "claude-4-sonnet"
DATABASE_DOWN = "database is unavailable"
TOO_MANY = "Too many concurrent requests"


@dataclass
class Outcome:
    identity: str
    kind: str  # plain, stream, abandon (stream closed after its first chunks), timeout (whole answer given up)
    status: int | None = None  # None: no headers came back
    request_id: str = ""
    done: bool = False  # a stream's `data: [DONE]` arrived
    error: str = ""  # the client's exception, or "database" for the gateway's 503 database-unavailable
    body: str = ""

    @property
    def label(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})" if self.error else "no answer"
        if self.status == 503 and self.error == "database":
            return "503 db"
        if self.kind == "stream" and self.status == 200 and not self.done:
            return "200 cut"
        return str(self.status)


@dataclass
class Mix:
    """What one client sends: the kinds in turn, and the directive each kind's prompt carries."""

    kinds: tuple[str, ...] = ("plain", "stream")
    plain: str = "[[sbc:hang=50]]"
    stream: str = "[[sbc:pace=8x40]]"
    timeout: float = 30.0


def _body(kind: str, directive: str, serial: int) -> dict:
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": f"Fault run request {serial}. {directive}"}],
        "max_tokens": 64,
        "stream": kind in ("stream", "abandon"),
    }


async def send(
    client: httpx.AsyncClient,
    base: str,
    token: str,
    identity: str,
    kind: str,
    directive: str,
    timeout: float,
    serial: int = 0,
) -> Outcome:
    outcome = Outcome(identity, kind)
    headers = {"Authorization": f"Bearer {token}"}
    request = client.build_request(
        "POST",
        base + "/v1/chat/completions",
        json=_body(kind, directive, serial),
        headers=headers,
        timeout=httpx.Timeout(timeout),
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        outcome.error = type(exc).__name__
        return outcome
    outcome.status = response.status_code
    outcome.request_id = response.headers.get("x-request-id", "")
    try:
        if kind == "abandon" and response.status_code == 200:
            async for _chunk in response.aiter_bytes():
                break  # the client goes away after its first chunk
            return outcome
        if kind == "stream" and response.status_code == 200:
            async for line in response.aiter_lines():
                if line.strip() == "data: [DONE]":
                    outcome.done = True
            return outcome
        outcome.body = (await response.aread()).decode(errors="replace")[:500]
        if response.status_code == 503 and DATABASE_DOWN in outcome.body:
            outcome.error = "database"
    except httpx.HTTPError as exc:
        outcome.error = type(exc).__name__
    finally:
        await response.aclose()
    return outcome


@dataclass
class Traffic:
    """`clients` closed-loop clients, spread over `identities` (name -> token), until `stop` is set."""

    base: str
    identities: dict[str, str]
    clients: int = 12
    mix: Mix = field(default_factory=Mix)
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    _serial: itertools.count = field(default_factory=itertools.count)

    async def _client(self, identity: str, token: str, offset: int) -> None:
        kinds = itertools.cycle(
            self.mix.kinds[offset % len(self.mix.kinds) :] + self.mix.kinds[: offset % len(self.mix.kinds)]
        )
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) as client:
            while not self.stop.is_set():
                kind = next(kinds)
                directive = self.mix.stream if kind in ("stream", "abandon") else self.mix.plain
                outcome = await send(
                    client, self.base, token, identity, kind, directive, self.mix.timeout, next(self._serial)
                )
                self.outcomes.append(outcome)
                if outcome.status == 429:
                    await asyncio.sleep(0.5)  # as an SDK waits before it tries again
                elif outcome.status is None or outcome.status >= 500:
                    await asyncio.sleep(0.05)  # a little, not a busy loop on a dead port

    async def run(self, seconds: float | None = None) -> None:
        names = list(self.identities)
        tasks = [
            asyncio.create_task(self._client(names[i % len(names)], self.identities[names[i % len(names)]], i))
            for i in range(self.clients)
        ]
        if seconds is not None:
            await asyncio.sleep(seconds)
            self.stop.set()
        await asyncio.gather(*tasks)


async def probe_lockout(
    base: str, identity: str, token: str, burst: int, since: float, cap: float, outcomes: list[Outcome]
) -> float:
    """Seconds from `since` until `burst` requests at once are all admitted (none refused as too many
    concurrent requests): how long a fault kept the identity from its full concurrency. Capped at `cap`.
    The probes' outcomes join `outcomes`: they are requests like any other, and need their records."""
    first = True
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=burst)) as client:
        while True:
            results = await asyncio.gather(
                *(send(client, base, token, identity, "plain", "[[sbc:hang=300]]", 10.0) for _ in range(burst))
            )
            outcomes.extend(results)
            if not any(result.status == 429 and TOO_MANY in result.body for result in results):
                return 0.0 if first else time.monotonic() - since
            first = False
            if time.monotonic() - since >= cap:
                return cap
            await asyncio.sleep(0.5)
