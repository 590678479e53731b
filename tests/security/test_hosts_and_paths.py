"""The API answers only for the hosts it serves, and always in its own JSON, however a path is written."""

from __future__ import annotations

import httpx
import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e
HELLO = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.mark.parametrize("host", ["evil.example.com", "127.0.0.1.evil.example.com", "localhost.:80@evil"])
def test_a_host_the_gateway_does_not_serve_is_refused_before_anything_else(gateway, token, emulator_log, host):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=HELLO,
        headers={"Authorization": f"Bearer {token}", "Host": host},
        timeout=30,
    )
    error = assert_openai_error(response, 400)
    assert error["code"] == "invalid_host"
    assert emulator_log() == [], "nothing reached Bedrock"


def test_the_gateways_own_host_is_served(gateway, token):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=HELLO,
        headers={"Authorization": f"Bearer {token}", "Host": "localhost"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["//v1/models", "/V1/models", "//v1/chat/completions", "/v1//models", "/v1"])
def test_an_oddly_written_api_path_gets_the_apis_json_error_not_a_page(gateway, token, path):
    response = httpx.get(f"{gateway.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    error = assert_openai_error(response, 404, 405)
    assert error["message"]
