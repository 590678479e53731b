"""Soak: minutes of steady concurrent traffic with an upstream fault in the middle (`make soak`).

16 clients alternate plain and streamed chat completions against a two-worker gunicorn gateway on
loopback for SOAK_SECONDS (150 by default). Bedrock (the emulator) throttles every call for 20 s in
the middle. Afterwards:

* no request ever got a 5xx, and the fault really reached clients (as 429 with Retry-After);
* once the fault is over (after a short grace), every request succeeds again;
* the workers' memory stops growing: peak RSS in the last quarter stays within a tolerance of the
  peak in the second quarter (the first quarter is warm-up: imports, pools, caches);
* every request sent has exactly one usage record, matched by its x-request-id.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS
from tests.servers import start_emulator

pytestmark = [pytest.mark.soak, pytest.mark.e2e]

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "150"))
CLIENTS = 16
FAULT_START, FAULT_SECONDS = 0.4 * SOAK_SECONDS, 20.0
RECOVERY_GRACE = 3.0  # requests already retrying when the fault ends may still see it
RSS_TOLERANCE = 1.15  # growth allowed between the second and the last quarter ...
RSS_SLACK_KB = 16 * 1024  # ... plus this much, for allocator noise
BODY = {"model": "claude-4-sonnet", "max_tokens": 32, "messages": [{"role": "user", "content": "Hello, soak"}]}


@dataclass
class Outcome:
    started: float
    finished: float
    status: int
    request_id: str | None
    streamed: bool
    retry_after: str | None = None
    error: str | None = None


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def client_loop(url: str, token: str, t0: float, stop: float, outcomes: list[Outcome], lock: threading.Lock):
    headers = {"Authorization": f"Bearer {token}"}
    streamed = False
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        while time.monotonic() < stop:
            streamed = not streamed
            started = time.monotonic() - t0
            try:
                with http.stream("POST", "/v1/chat/completions", json={**BODY, "stream": streamed}) as response:
                    text = response.read().decode(errors="replace")
                    outcome = Outcome(
                        started,
                        time.monotonic() - t0,
                        response.status_code,
                        response.headers.get("x-request-id"),
                        streamed,
                        response.headers.get("retry-after"),
                    )
                    if response.status_code == 200 and streamed and "data: [DONE]" not in text:
                        outcome.error = "stream ended without [DONE]"
            except httpx.HTTPError as exc:
                outcome = Outcome(
                    started, time.monotonic() - t0, 0, None, streamed, error=f"{type(exc).__name__}: {exc}"
                )
            with lock:
                outcomes.append(outcome)


@pytest.fixture(scope="module")
def soak_gateway(django_db_setup, static_root):
    emulator = start_emulator(latency_ms=20)
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root), BEDROCK_BACKOFF_BASE="0.05"
    )
    server = start_gunicorn(env, workers=2, threads=32, log_path=ARTIFACTS / "gateway-soak.log")
    yield server, emulator
    server.stop()
    emulator.stop()


def test_steady_load_with_an_upstream_fault_leaks_nothing_and_recovers(soak_gateway, issue, django_db_blocker):
    from usage.models import UsageRecord

    server, emulator = soak_gateway
    run = f"soak-{time.time_ns()}"
    tokens = [issue(f"{run}-{n}@test") for n in range(CLIENTS)]
    deadline = time.monotonic() + 20
    while len(workers := worker_pids(server.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # gunicorn is ready once one worker answers; the other may still be booting
    assert len(workers) == 2

    outcomes: list[Outcome] = []
    lock = threading.Lock()
    t0 = time.monotonic()
    stop = t0 + SOAK_SECONDS
    clients = [
        threading.Thread(target=client_loop, args=(server.url, token, t0, stop, outcomes, lock), daemon=True)
        for token in tokens
    ]
    for thread in clients:
        thread.start()
    samples: list[tuple[float, int]] = []
    fault_on = fault_off = None
    while time.monotonic() < stop:
        now = time.monotonic() - t0
        if fault_on is None and now >= FAULT_START:
            emulator.add_fault(error="ThrottlingException")
            fault_on = time.monotonic() - t0
        if fault_on is not None and fault_off is None and now >= FAULT_START + FAULT_SECONDS:
            emulator.clear_faults()
            fault_off = time.monotonic() - t0
        samples.append((now, rss_kb(workers)))
        time.sleep(1.0)
    for thread in clients:
        thread.join(timeout=90)
    assert fault_on is not None and fault_off is not None

    failures = [o for o in outcomes if o.status == 0 or o.error]
    assert not failures, f"{len(failures)} requests failed outright, e.g. {failures[:3]}"
    server_errors = [o for o in outcomes if o.status >= 500]
    assert not server_errors, f"{len(server_errors)} answers were 5xx, e.g. {server_errors[:3]}"
    during = [o for o in outcomes if fault_on <= o.started < fault_off]
    throttled = [o for o in during if o.status == 429]
    assert throttled and all(o.retry_after for o in throttled), "the fault reached clients as 429 + Retry-After"
    assert all(o.status in (200, 429) for o in outcomes), {o.status for o in outcomes}
    before = [o for o in outcomes if o.finished < fault_on]
    after = [o for o in outcomes if o.started >= fault_off + RECOVERY_GRACE]
    assert before and after
    assert [o.status for o in before if o.status != 200] == []
    assert [o for o in after if o.status != 200] == [], "errors continued after the fault ended"

    second_quarter = [kb for t, kb in samples if 0.25 * SOAK_SECONDS <= t < 0.5 * SOAK_SECONDS]
    last_quarter = [kb for t, kb in samples if t >= 0.75 * SOAK_SECONDS]
    assert max(last_quarter) <= max(second_quarter) * RSS_TOLERANCE + RSS_SLACK_KB, (
        f"worker RSS kept growing: {max(second_quarter)} kB -> {max(last_quarter)} kB"
    )

    sent = {o.request_id for o in outcomes}
    assert None not in sent and len(sent) == len(outcomes), "every answer carries its own x-request-id"
    deadline, recorded = time.monotonic() + 30, []
    while time.monotonic() < deadline:  # streams settle just after their last byte
        with django_db_blocker.unblock():
            recorded = list(
                UsageRecord.objects.filter(identity_name__startswith=run).values_list("request_id", flat=True)
            )
        if len(recorded) >= len(outcomes):
            break
        time.sleep(0.5)
    assert len(recorded) == len(outcomes) and set(recorded) == sent, (
        f"{len(outcomes)} requests, {len(recorded)} usage records, {len(sent ^ set(recorded))} unmatched"
    )
    print(
        f"\nsoak: {len(outcomes)} requests in {SOAK_SECONDS:.0f}s, {len(throttled)} throttled during the fault, "
        f"worker RSS {max(second_quarter) // 1024} MB -> {max(last_quarter) // 1024} MB"
    )
