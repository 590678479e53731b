"""With its database unreachable the gateway answers /v1 with a JSON 503 and Retry-After: no HTML, no traceback."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.live import ROOT, server_env
from tests.security.conftest import ARTIFACTS, assert_openai_error
from tests.servers import RunningServer, free_port
from tokens import keyformat

pytestmark = pytest.mark.e2e
UNREACHABLE = {
    "postgresql": "postgres://sbc:secret@127.0.0.1:1/sbc",  # nothing listens on port 1
    "sqlite": "sqlite:////nonexistent-directory/sbc.sqlite3",  # cannot be opened
}
HELLO = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hello"}]}


def start_without_database(database_url: str, static_root) -> RunningServer:
    """gunicorn on an unreachable database; ready once /healthz answers at all (it answers 503 by design)."""
    port = free_port()
    env = server_env(
        DATABASE_URL=database_url,
        STATIC_ROOT=str(static_root),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME="http://127.0.0.1:9",
    )
    log = open(ARTIFACTS / "gateway-database-down.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = RunningServer(url=f"http://127.0.0.1:{port}", port=port, process=process)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, "gunicorn exited: see artifacts/gateway-database-down.log"
        try:
            httpx.get(f"{server.url}/healthz", timeout=2)
            return server
        except httpx.TransportError:
            assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
            time.sleep(0.1)


@pytest.fixture(params=sorted(UNREACHABLE), scope="module")
def gateway_without_database(request, django_db_setup, static_root):
    server = start_without_database(UNREACHABLE[request.param], static_root)
    yield server
    server.stop()


def test_the_api_answers_503_json_with_retry_after(gateway_without_database):
    url = gateway_without_database.url
    token = keyformat.generate()[0]  # checksum-valid, so the gateway must look it up
    bearer = {"Authorization": f"Bearer {token}"}
    for method, path in (("POST", "/v1/chat/completions"), ("POST", "/v1/embeddings"), ("GET", "/v1/models")):
        response = httpx.request(
            method, url + path, json=HELLO if method == "POST" else None, headers=bearer, timeout=30
        )
        error = assert_openai_error(response, 503)
        assert error["code"] == "service_unavailable" and "database" in error["message"]
        assert response.headers["Retry-After"] == "5"
        assert token not in response.text
    anthropic = httpx.post(
        f"{url}/v1/messages", json={**HELLO, "max_tokens": 16}, headers={"x-api-key": token}, timeout=30
    )
    assert anthropic.status_code == 503 and anthropic.headers["content-type"].startswith("application/json")
    assert anthropic.json() == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "The gateway's database is unavailable; try again shortly."},
    }


def test_requests_that_need_no_database_still_get_their_usual_answers(gateway_without_database):
    url = gateway_without_database.url
    assert_openai_error(httpx.post(f"{url}/v1/chat/completions", json=HELLO), 401)
    assert_openai_error(
        httpx.post(f"{url}/v1/chat/completions", json=HELLO, headers={"Authorization": "Bearer sk-not-ours"}), 403
    )
    assert httpx.get(f"{url}/v1/openapi.json").status_code == 200


def test_the_health_check_reports_the_database_so_load_balancers_drain_the_instance(gateway_without_database):
    health = httpx.get(f"{gateway_without_database.url}/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unhealthy", "database": "unavailable"}
