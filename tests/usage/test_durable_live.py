"""No answer without its record (issue 23), against the running gateway: a database that goes away mid-stream, a
connection killed under the gateway, a worker killed mid-stream, a whole answer its client abandoned.

The gateway here runs one worker with QUOTA_LEASE_SECONDS=3 and its own SPOOL_DIR; on PostgreSQL its database
connections pass through a TCP proxy this test cuts. SQLite has no connection to cut: those tests skip there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

import httpx
import pytest
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from tests.conftest import ARTIFACTS
from tests.live import ROOT, server_env
from tests.usage.durable_live import (
    LEASE_SECONDS,
    TcpProxy,
    database_url_through,
    eventually,
    start_durable_gateway,
    worker_pids,
)

pytestmark = pytest.mark.e2e
postgresql_only = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="SQLite has no connection to cut: the database going away is tested on PostgreSQL",
)


def chat(stream: bool, text: str) -> dict:
    return {"model": "claude-4-sonnet", "stream": stream, "messages": [{"role": "user", "content": text}]}


@pytest.fixture(scope="module")
def proxy(django_db_setup):
    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    server = TcpProxy(
        (connection.settings_dict.get("HOST") or "127.0.0.1", int(connection.settings_dict.get("PORT") or 5432))
    )
    yield server
    server.close()


@pytest.fixture(scope="module")
def spool(tmp_path_factory):
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
def durable(django_db_setup, emulator, static_root, proxy, spool):
    extra = {"DATABASE_URL": database_url_through(proxy)} if proxy is not None else {}
    server = start_durable_gateway(emulator, static_root, spool, ARTIFACTS / "gateway-durable.log", **extra)
    yield server
    server.stop()


@pytest.fixture
def usage_of(django_db_blocker):
    """usage_of(name) -> (that identity's records, oldest first; its day counter's tokens)."""
    from usage.models import UsageCounter, UsageRecord

    def _usage(name: str):
        with django_db_blocker.unblock():
            records = list(UsageRecord.objects.filter(identity_name=name).order_by("created_at", "id").values())
            day = UsageCounter.objects.filter(identity__name=name, period="day").aggregate(n=Sum("tokens"))["n"]
        return records, day or 0

    return _usage


def metered(set_quota, issue, unique_name, prefix: str, **quota) -> tuple[str, dict]:
    name = unique_name(prefix)
    set_quota(name, tokens_per_day=10_000_000, **quota)
    return name, {"Authorization": f"Bearer {issue(name)}"}


@postgresql_only
def test_a_stream_whose_database_went_away_ends_with_done_and_its_record_arrives_once(
    durable, proxy, spool, set_quota, issue, unique_name, usage_of
):
    name, auth = metered(set_quota, issue, unique_name, "spooled", concurrent_streams=5)
    assert httpx.post(f"{durable.url}/v1/chat/completions", json=chat(False, "warm"), headers=auth).status_code == 200
    lines = []
    try:
        with httpx.stream(
            "POST",
            f"{durable.url}/v1/chat/completions",
            json=chat(True, "Go [[sbc:pace=20x100]]"),
            headers=auth,
            timeout=30,
        ) as stream:
            assert stream.status_code == 200
            for line in stream.iter_lines():
                if line and not lines:
                    proxy.cut()  # the database goes away while the answer streams
                lines.append(line)
        assert "data: [DONE]" in lines  # the client saw its whole answer
        request_id = stream.headers["x-request-id"]
        assert list(spool.iterdir()), "the settlement was spooled to disk"
        refused = httpx.post(f"{durable.url}/v1/chat/completions", json=chat(False, "now?"), headers=auth, timeout=30)
        assert refused.status_code == 503  # the remembered token is not enough while the database is down
    finally:
        proxy.restore()
    records = eventually(lambda: [r for r in usage_of(name)[0] if r["request_id"] == request_id])
    assert len(records) == 1 and records[0]["status"] == 200 and records[0]["completion_tokens"] > 0
    assert eventually(lambda: not list(spool.iterdir()), within=10)
    records, day = usage_of(name)
    assert len(records) == 2 and day == sum(r["total_tokens"] for r in records)  # counters equal records


@postgresql_only
def test_connections_killed_under_the_gateway_cost_no_record_and_no_failed_health_check(
    durable, proxy, set_quota, issue, unique_name, usage_of
):
    name, auth = metered(set_quota, issue, unique_name, "terminated")
    answers, health = [], []
    for round_ in range(6):
        answers.append(
            httpx.post(f"{durable.url}/v1/chat/completions", json=chat(False, f"hi {round_}"), headers=auth).status_code
        )
        proxy.drop()  # every connection the gateway holds is terminated; the database stays up
        health.append(httpx.get(f"{durable.url}/healthz").status_code)
        proxy.drop()
    assert answers == [200] * 6 and health == [200] * 6
    records, day = usage_of(name)
    assert len(records) == 6 and day == sum(r["total_tokens"] for r in records)


def test_a_whole_answer_its_client_abandoned_is_recorded_499(durable, set_quota, issue, unique_name, usage_of):
    name, auth = metered(set_quota, issue, unique_name, "abandoned")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{durable.url}/v1/chat/completions", json=chat(False, "Slow [[sbc:hang=2500]]"), headers=auth, timeout=1
        )
    records = eventually(lambda: [r for r in usage_of(name)[0] if r["status"] == 499])
    assert len(records) == 1 and records[0]["disconnected"]
    assert len(usage_of(name)[0]) == 1


def test_a_killed_worker_frees_its_streams_slot_within_the_lease_and_the_reaper_records_it_once(
    durable, emulator, set_quota, issue, unique_name, usage_of, django_db_blocker
):
    name, auth = metered(set_quota, issue, unique_name, "killed", concurrent_streams=1)
    gate = f"killed-{os.getpid()}"
    try:
        with httpx.stream(
            "POST",
            f"{durable.url}/v1/chat/completions",
            json=chat(True, f"Hold [[sbc:gate={gate}]]"),
            headers=auth,
            timeout=30,
        ) as stream:
            request_id = stream.headers["x-request-id"]
            lines = stream.iter_lines()
            next(lines)
            (worker,) = worker_pids(durable.process.pid)
            os.kill(worker, signal.SIGKILL)
            with pytest.raises(httpx.HTTPError):
                for _ in lines:
                    pass
    finally:
        emulator.release(gate)

    def admitted() -> bool:
        answer = httpx.post(f"{durable.url}/v1/chat/completions", json=chat(False, "again"), headers=auth, timeout=30)
        return answer.status_code == 200

    assert eventually(admitted, within=10 * LEASE_SECONDS, every=0.5)  # not 15 minutes

    from usage.models import PendingReservation

    with django_db_blocker.unblock():
        expires_at = PendingReservation.objects.get(request_id=request_id).expires_at
    # Reapable once its heartbeat has been silent for a whole lease past its expiry.
    eventually(lambda: timezone.now() > expires_at + timedelta(seconds=LEASE_SECONDS + 0.5), within=60)
    env = server_env(QUOTA_LEASE_SECONDS=str(LEASE_SECONDS))
    reapers = [  # two schedulers at once
        subprocess.Popen([sys.executable, "manage.py", "reap_reservations"], cwd=ROOT, env=env, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    for reaper in reapers:
        assert reaper.wait(timeout=60) == 0

    killed = [r for r in usage_of(name)[0] if r["request_id"] == request_id]
    assert len(killed) == 1 and (killed[0]["status"], killed[0]["error_code"]) == (500, "interrupted")
    records, day = usage_of(name)
    assert day == sum(r["total_tokens"] for r in records)  # counters equal records again
