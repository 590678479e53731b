"""End to end: a WebSocket upgrade on /v1 gets an immediate 426, the answer that makes Codex use HTTP at once."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e

UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "OpenAI-Beta": "responses_websockets=2026-02-06",
}


def test_a_websocket_upgrade_is_refused_with_426(gateway, token):
    reply = httpx.get(
        f"{gateway.url}/v1/responses", headers={**UPGRADE, "Authorization": f"Bearer {token}"}, timeout=10
    )
    assert reply.status_code == 426
    error = reply.json()["error"]
    assert error["code"] == "websocket_not_supported" and "POST /v1/responses" in error["message"]


def test_a_plain_get_is_still_method_not_allowed(gateway, token):
    reply = httpx.get(f"{gateway.url}/v1/responses", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert reply.status_code == 405
