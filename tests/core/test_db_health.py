"""A /v1 request on a connection in steady use skips Django's `SELECT 1` health check; an idle connection is checked,
and one that died within the second is answered 503 once, then replaced (PostgreSQL: SQLite has no health checks)."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection, connections

from core.db_health import HEALTH_CHECK_AFTER_IDLE
from sbcproject.api_bridge import api, environ_for
from tests.catalog import catalog_seed
from tokens.models import Identity, Quota
from tokens.services import token_issue
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db(transaction=True)
BODY = json.dumps({"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture
def token(emulator, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("health checks are on for PostgreSQL only (set DATABASE_URL=postgres://...)")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.health_check_enabled = True
    catalog_seed()
    identity = Identity.objects.create(name="health@unit")
    Quota.objects.filter(identity=identity).update(tokens_per_day=10**9)  # so admission asks the database
    return token_issue(identity=identity, ttl="1d", name="").token


@pytest.fixture
def checks(monkeypatch) -> list[float]:
    """When each health check of this thread's connection ran."""
    seen: list[float] = []
    real = connection.is_usable

    def counted():
        seen.append(time.monotonic())
        return real()

    monkeypatch.setattr(connection, "is_usable", counted)
    return seen


def ask(token: str) -> int:
    scope = {
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    started: dict = {}
    response = api(environ_for(scope, BODY), lambda status, headers, exc_info=None: started.update(status=status))
    response.close()
    return int(started["status"][:3])


def test_requests_in_steady_use_are_not_health_checked(token, checks):
    assert ask(token) == 200
    checks.clear()
    assert [ask(token) for _ in range(5)] == [200] * 5
    assert checks == []
    assert UsageRecord.objects.count() == 6


def test_a_connection_idle_for_longer_is_checked_again(token, checks):
    assert ask(token) == 200
    connection.sbc_request_started -= HEALTH_CHECK_AFTER_IDLE + 0.1  # as if its last request started that long ago
    checks.clear()
    assert ask(token) == 200
    assert len(checks) == 1


def test_a_connection_that_died_in_steady_use_costs_one_503_then_is_replaced(token, checks):
    assert ask(token) == 200
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    finally:
        other.close()
    assert ask(token) == 503  # its admission's statement found the connection gone
    assert ask(token) == 200
    assert UsageRecord.objects.filter(status=200).count() == 2
