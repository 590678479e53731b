"""How many database statements and Redis calls one /v1 request costs with every quota on: its admission is one
and its settlement one (docs/performance.md states the counts; a change that adds a round trip to every request
fails here). And a request Redis refuses takes nothing there."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.catalog import catalog_seed
from tokens.models import Identity, Quota
from tokens.quotas import limits_for
from tokens.services import token_issue
from usage.admission import quota_admit, quota_settle
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
EVERY_QUOTA = {
    "tokens_per_day": 10**9,
    "tokens_per_month": 10**9,
    "usd_per_month": 1000,
    "requests_per_minute": 1000,
    "tokens_per_minute": 10**9,
    "concurrent_streams": 100,
}


@pytest.fixture
def bedrock_at_emulator(emulator, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    catalog_seed()


@pytest.fixture
def caller():
    identity = Identity.objects.create(name="round-trips@unit")
    Quota.objects.filter(identity=identity).update(**EVERY_QUOTA)
    return identity, token_issue(identity=identity, ttl="1d", name="").token


@pytest.fixture
def redis_counted(settings, monkeypatch):
    """REDIS_URL set to the test Redis, and every command the process sends to it counted by name."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set")
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        for key in client.scan_iter("sbc:*"):  # identity ids start again with each test database
            client.delete(key)
    except redis.RedisError:
        pytest.skip(f"Redis at {url} is not reachable")
    settings.REDIS_URL = url
    sent: Counter = Counter()
    real = redis.Redis.execute_command

    def counted(self, *args, **options):
        sent[str(args[0]).upper()] += 1
        return real(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return client, sent


def ask(token: str, content: str = "hi"):
    return Client().post(
        "/v1/chat/completions",
        data={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": content}]},
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )


def statements(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries]


def warmed(token: str) -> None:
    """The first request fills the process's caches (token, limits, catalog) and creates the counter rows."""
    assert ask(token).status_code == 200


def test_a_request_is_one_statement_to_admit_and_one_to_settle(bedrock_at_emulator, caller):
    identity, token = caller
    warmed(token)
    with CaptureQueriesContext(connection) as queries:
        assert ask(token).status_code == 200
    sent = statements(queries)
    if connection.vendor == "postgresql":
        assert len(sent) == 2, sent  # each a single statement in autocommit: one round trip each
    else:  # SQLite: two short write transactions (each statement a call into the library, no round trip)
        assert sum(sql.startswith("BEGIN") for sql in sent) == 2, sent
    assert UsageRecord.objects.filter(identity=identity).count() == 2


def test_with_redis_a_request_is_one_script_to_admit_and_one_to_settle(bedrock_at_emulator, caller, redis_counted):
    _identity, token = caller
    _client, sent = redis_counted
    warmed(token)
    sent.clear()
    with CaptureQueriesContext(connection) as queries:
        assert ask(token).status_code == 200
    assert sum(sent.values()) == 2 and set(sent) <= {"EVALSHA"}, sent
    if connection.vendor == "postgresql":
        assert len(statements(queries)) == 2  # the day and month windows stay in the database


def test_a_request_redis_refuses_takes_neither_its_minute_nor_a_slot(bedrock_at_emulator, caller, redis_counted):
    identity, token = caller
    client, _sent = redis_counted
    Quota.objects.filter(identity=identity).update(concurrent_streams=1, requests_per_minute=5)
    limits = limits_for(identity.pk)
    holding = quota_admit(identity_id=identity.pk, request_id="req_holding", limits=limits, tokens=10, cost_micros=0)
    refused = ask(token)
    assert refused.status_code == 429 and "concurrent" in refused.json()["error"]["message"]
    assert refused["x-ratelimit-remaining-requests"] == "4"  # only the holding request counts in this minute
    (minute_key,) = client.keys(f"sbc:rate:{identity.pk}:*")
    assert int(client.hget(minute_key, "r")) == 1
    quota_settle(holding, tokens=10, cost_micros=0)
    assert client.zcard(f"sbc:leases:{identity.pk}") == 0
    assert ask(token).status_code == 200
