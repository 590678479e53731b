"""Helpers for the security tests: raw HTTP against the live gateway and the OpenAI error shape."""

from __future__ import annotations

import httpx
import pytest

from tests.live import ROOT, server_env, start_gunicorn

ARTIFACTS = ROOT / "artifacts"
ERROR_KEYS = {"message", "type", "param", "code"}


def assert_openai_error(response: httpx.Response, *statuses: int) -> dict:
    """The response is an OpenAI error with one of `statuses`: JSON, never HTML, never a traceback."""
    text = response.text
    assert response.status_code in statuses, f"{response.status_code}: {text[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), text[:500]
    assert "Traceback" not in text and "<html" not in text.lower()
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def post(gateway, token):
    """post(body, headers=..., path=...) -> the gateway's response to a raw POST with a valid token."""

    def _post(
        content,
        *,
        headers: dict | None = None,
        path: str = "/v1/chat/completions",
        auth: bool = True,
        base: str | None = None,
    ) -> httpx.Response:
        sent = {"Content-Type": "application/json"}
        if auth:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        if isinstance(content, (dict, list)):
            import orjson

            content = orjson.dumps(content)
        return httpx.post((base or gateway.url) + path, content=content, headers=sent, timeout=60)

    return _post


@pytest.fixture(scope="session")
def limited_gateway(django_db_setup, emulator, static_root):
    """A gateway with small request limits: 4 kB bodies, 20 messages, and short Bedrock timeouts."""
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        MAX_REQUEST_BYTES="4096",
        MAX_MESSAGES="20",
        BEDROCK_READ_TIMEOUT="1",
        BEDROCK_CONNECT_TIMEOUT="1",
        BEDROCK_MAX_ATTEMPTS="1",
        BEDROCK_FAILOVER_DEADLINE="3",
    )
    server = start_gunicorn(env, workers=1, threads=16, log_path=ARTIFACTS / "gateway-security.log")
    yield server
    server.stop()
