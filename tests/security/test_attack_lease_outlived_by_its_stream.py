"""Finding 12: a concurrency lease expired QUOTA_LEASE_SECONDS after admission, so a stream that ran longer stopped
counting toward its identity's concurrency limit and a second one was let in beside it. The serving process now
extends its streams' leases while they run (a heartbeat every third of the lease), so a stream holds its slot for as
long as it runs, and the slot is free again once it ends.

The gateway here has QUOTA_LEASE_SECONDS=3; the stream runs about three times that. Leases live in the database,
or in Redis when TEST_REDIS_URL names one.
"""

from __future__ import annotations

import os
import time

import httpx
import pytest
import redis

from tests.security.conftest import ARTIFACTS, assert_openai_error
from tests.usage.durable_live import LEASE_SECONDS, start_durable_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=["database", "redis"])
def short_leases(request, django_db_setup, emulator, static_root, tmp_path_factory):
    """(the gateway, the Redis URL its leases live in or "")."""
    url = ""
    if request.param == "redis":
        url = os.environ.get("TEST_REDIS_URL", "")
        if not url:
            pytest.skip("TEST_REDIS_URL is not set")
    server = start_durable_gateway(
        emulator,
        static_root,
        tmp_path_factory.mktemp("spool"),
        ARTIFACTS / f"gateway-short-leases-{request.param}.log",
        **({"REDIS_URL": url} if url else {}),
    )
    yield server, url
    server.stop()


def chat(text: str, stream: bool = False) -> dict:
    return {"model": "claude-4-sonnet", "stream": stream, "messages": [{"role": "user", "content": text}]}


def test_a_stream_longer_than_its_lease_keeps_its_concurrency_slot(short_leases, set_quota, issue, unique_name):
    server, redis_url = short_leases
    name = unique_name("long-stream")
    identity = set_quota(name, concurrent_streams=1)
    if redis_url:  # identity ids start again with each test database: a previous run's leases would count
        redis.Redis.from_url(redis_url).delete(f"sbc:leases:{identity.pk}")
    auth = {"Authorization": f"Bearer {issue(name)}"}
    url = f"{server.url}/v1/chat/completions"
    with httpx.stream("POST", url, json=chat("Go [[sbc:pace=45x200]]", stream=True), headers=auth, timeout=60) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        next(lines)
        time.sleep(2 * LEASE_SECONDS)  # the lease it was admitted with has long expired; the stream still runs
        beside = httpx.post(url, json=chat("me too"), headers=auth, timeout=30)
        error = assert_openai_error(beside, 429)
        assert "concurrent" in error["message"]
        assert "data: [DONE]" in list(lines)
    # The ended stream gives its slot back: at once as a rule, and at the latest when its lease runs out (seen once
    # under a loaded CI run with Redis, a 429 right after [DONE]; not reproduced since).
    deadline = time.monotonic() + LEASE_SECONDS + 2
    after = httpx.post(url, json=chat("my turn"), headers=auth, timeout=30)
    while after.status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = httpx.post(url, json=chat("my turn"), headers=auth, timeout=30)
    assert after.status_code == 200, after.text
