"""CloudWatch events in moto, a dead CloudWatch, Redis counters (live and dead), and concurrent admission."""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import boto3
import httpx
import openai
import pytest
from django.db import connection

from tests.live import ROOT, server_env, start_gunicorn

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "artifacts"


def ask(url: str, token: str, text: str = "Hello there", **kwargs):
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=30)
    return client.chat.completions.create(
        model=kwargs.pop("model", "gpt-4o"), messages=[{"role": "user", "content": text}], **kwargs
    )


@pytest.fixture
def gateway_with(emulator, static_root, django_db_setup):
    """gateway_with(**settings) -> a separate gunicorn with extra settings, stopped after the test."""
    servers = []

    def _start(**overrides):
        env = server_env(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root), **overrides)
        server = start_gunicorn(env, workers=1, threads=64, log_path=ARTIFACTS / "gateway-usage.log")
        servers.append(server)
        return server

    yield _start
    for server in servers:
        server.stop()


def cloudwatch_events(moto_server, group: str) -> list[dict]:
    logs = boto3.client("logs", region_name="us-east-1", endpoint_url=moto_server.url)
    try:
        return [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
    except logs.exceptions.ResourceNotFoundException:
        return []


def test_request_and_response_events_reach_cloudwatch(gateway_with, moto_server, issue, unique_name):
    moto_server.reset()
    group = f"/sbc/test-{os.getpid()}"
    server = gateway_with(CLOUDWATCH_LOG_GROUP=group, CLOUDWATCH_SEND_INTERVAL="0.5", **moto_server.env())
    name = unique_name("cw")
    token = issue(name)
    reply = ask(server.url, token, max_tokens=64, seed=7)
    deadline, events = time.monotonic() + 20, []
    while time.monotonic() < deadline:
        events = [e for e in cloudwatch_events(moto_server, group) if e.get("identity") == name]
        if {e["event"] for e in events} >= {"request", "response"}:
            break
        time.sleep(0.3)
    request = next(e for e in events if e["event"] == "request")
    response = next(e for e in events if e["event"] == "response")
    assert request["model_requested"] == "gpt-4o"
    assert request["model_resolved"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    assert request["message_count"] == 1 and request["timestamp"].endswith("Z")
    assert response["model"] == "gpt-4o" and response["finish_reason"] == "stop"
    assert response["usage"]["prompt_tokens"] == reply.usage.prompt_tokens
    assert response["usage"]["completion_tokens"] == reply.usage.completion_tokens
    assert response["usage"]["total_tokens"] == reply.usage.total_tokens
    assert response["status"] == 200 and response["latency_ms"] >= 0 and response["cost_usd"] > 0
    assert response["request_id"] == request["request_id"]
    assert response["adapted"] == ["seed"]  # what the gateway left out, by name only
    raw = json.dumps(events)
    assert token not in raw and "Bearer" not in raw and "Hello there" not in raw


def test_refused_tokens_are_auth_failure_events_without_the_token(gateway_with, moto_server, issue, unique_name):
    moto_server.reset()
    group = f"/sbc/test-auth-{os.getpid()}"
    server = gateway_with(CLOUDWATCH_LOG_GROUP=group, CLOUDWATCH_SEND_INTERVAL="0.5", **moto_server.env())
    revoked = issue(unique_name("cwauth"))
    bogus = revoked[:-6] + "AAAAAA"  # well formed, unknown
    with pytest.raises(openai.PermissionDeniedError):
        ask(server.url, bogus)
    assert httpx.get(f"{server.url}/v1/models", headers={"User-Agent": "curl/8.5.0"}).status_code == 401
    deadline, failures = time.monotonic() + 20, []
    while time.monotonic() < deadline and len(failures) < 2:
        failures = [e for e in cloudwatch_events(moto_server, group) if e["event"] == "auth_failure"]
        time.sleep(0.3)
    unknown, missing = sorted(failures, key=lambda e: e["status"], reverse=True)
    assert unknown["message"] == "Invalid or expired token"  # what the product description's query looks for
    assert (unknown["status"], unknown["error_code"], unknown["path"]) == (
        403,
        "invalid_api_key",
        "/v1/chat/completions",
    )
    assert unknown["address"] == "127.0.0.1" and unknown["timestamp"].endswith("Z") and unknown["reason"] == "invalid"
    assert (missing["status"], missing["client"], missing["path"]) == (401, "curl", "/v1/models")
    raw = json.dumps(failures)
    assert bogus not in raw and revoked not in raw and bogus[:16] not in raw


def test_a_dead_cloudwatch_changes_nothing_for_clients(gateway_with, issue, unique_name, records):
    server = gateway_with(
        CLOUDWATCH_LOG_GROUP="/sbc/unreachable",
        CLOUDWATCH_SEND_INTERVAL="0.2",
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:9",
    )
    name = unique_name("cwdown")
    token = issue(name)
    started = time.monotonic()
    for _ in range(5):
        assert ask(server.url, token, max_tokens=32).choices[0].finish_reason == "stop"
    assert time.monotonic() - started < 5
    assert len(records(name)) == 5


def redis_url_or_skip() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        # Identity ids start again with each test database: a previous run's counters (kept two minutes) would count.
        for key in client.scan_iter("sbc:*"):
            client.delete(key)
    except redis.RedisError:
        pytest.skip(f"Redis at {url} is not reachable")
    return url


def test_rate_limits_hold_with_redis(gateway_with, issue, unique_name, set_quota):
    url = redis_url_or_skip()
    server = gateway_with(REDIS_URL=url)
    name = unique_name("redis")
    set_quota(name, requests_per_minute=2)
    token = issue(name)
    ask(server.url, token), ask(server.url, token)
    with pytest.raises(openai.RateLimitError) as refused:
        ask(server.url, token)
    assert refused.value.response.headers["x-ratelimit-remaining-requests"] == "0"


def test_with_redis_down_limits_fall_back_to_the_database(gateway_with, issue, unique_name, set_quota, records):
    server = gateway_with(REDIS_URL="redis://127.0.0.1:9/0")
    name = unique_name("redisdown")
    set_quota(name, requests_per_minute=2, concurrent_streams=5)
    token = issue(name)
    ask(server.url, token), ask(server.url, token)
    with pytest.raises(openai.RateLimitError):
        ask(server.url, token)
    assert [r["status"] for r in records(name)] == [200, 200, 429]
    assert "Redis is unavailable" in (ARTIFACTS / "gateway-usage.log").read_text()


def reserved_for(body: bytes, django_db_blocker) -> int:
    """What admission reserves for this chat body: the prompt sent to Bedrock and its maxTokens."""
    from django.conf import settings

    from gateway.selectors import resolve_model
    from gateway.translate.chat_request import to_converse_request, validate_chat_request
    from gateway.views.base import output_reserved
    from usage.metering import prompt_estimate_of

    chat = validate_chat_request(json.loads(body), max_messages=settings.MAX_MESSAGES)
    with django_db_blocker.unblock():
        spec = resolve_model(chat.model)
    call = to_converse_request(chat, spec)
    return prompt_estimate_of(call.kwargs) + output_reserved(call.kwargs.get("inferenceConfig"), spec)


def test_fifty_concurrent_requests_with_room_for_ten_admit_ten(
    gateway_with, emulator, issue, unique_name, set_quota, records, django_db_blocker
):
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency proof runs on PostgreSQL (set DATABASE_URL=postgres://...)")
    from usage.models import UsageCounter

    server = gateway_with(GUNICORN_THREADS="64")
    name = unique_name("conc")
    gate = f"fifty-{name}"
    body = json.dumps(
        {
            "model": "claude-4-sonnet",
            "max_tokens": 100,
            "stream": True,
            "messages": [{"role": "user", "content": f"Go [[sbc:gate={gate}]]"}],
        }
    ).encode()
    estimate = reserved_for(body, django_db_blocker)
    identity = set_quota(name, tokens_per_day=estimate * 10 + estimate // 2)
    token = issue(name)

    def fire(_):
        with httpx.Client(timeout=60) as http:
            with http.stream(
                "POST",
                f"{server.url}/v1/chat/completions",
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            ) as r:
                if r.status_code != 200:
                    r.read()
                    return r.status_code, r.json()["error"]["code"]
                return 200, "".join(r.iter_text())

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(fire, n) for n in range(50)]
        time.sleep(3)  # every request is admitted or refused while the admitted ones wait
        httpx.post(f"{emulator.url}/_emulator/gates/{gate}/release")
        results = [f.result() for f in futures]
    admitted = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] == 429]
    assert len(admitted) == 10 and len(refused) == 40
    assert all(code == "insufficient_quota" for _, code in refused)
    rows = records(name)
    assert len(rows) == 50 and sum(r["status"] == 200 for r in rows) == 10
    with django_db_blocker.unblock():
        day = UsageCounter.objects.get(identity=identity, period="day")
    assert day.tokens == sum(r["total_tokens"] for r in rows) > 0


def test_two_hundred_requests_forty_at_a_time_under_every_limit_all_pass_and_every_window_adds_up(
    gateway, issue, unique_name, set_quota, records, django_db_blocker
):
    """Admission and settlement lock all of an identity's windows together: under concurrency that must never
    deadlock nor lose a count. (On PostgreSQL, rows locked without one order deadlocked here: 503s.)"""
    from usage.models import UsageCounter

    name = unique_name("every")
    identity = set_quota(
        name,
        tokens_per_day=10**9,
        tokens_per_month=10**9,
        usd_per_month=Decimal("1000"),
        requests_per_minute=1000,
        tokens_per_minute=10**8,
        concurrent_streams=100,
    )
    token = issue(name)

    def fire(n: int) -> int:
        body = {
            "model": "claude-4-sonnet",
            "max_tokens": 50,
            "stream": n % 2 == 1,
            "messages": [{"role": "user", "content": f"Hello {n}"}],
        }
        with httpx.Client(timeout=60) as http:
            response = http.post(
                f"{gateway.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(fire, range(200)))
    assert statuses == [200] * 200
    rows = records(name)
    assert len(rows) == 200 and all(row["status"] == 200 for row in rows)
    total = sum(row["total_tokens"] for row in rows)
    with django_db_blocker.unblock():
        counters = list(UsageCounter.objects.filter(identity=identity).values("period", "requests", "tokens"))
    by_period = {
        period: [c for c in counters if c["period"] == period] for period in ("minute", "day", "month", "lease")
    }
    assert sum(c["requests"] for c in by_period["minute"]) == 200
    assert sum(c["tokens"] for c in by_period["minute"]) == total
    assert by_period["day"][0]["tokens"] == by_period["month"][0]["tokens"] == total > 0
    assert by_period["lease"][0]["requests"] == 0
