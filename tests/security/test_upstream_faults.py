"""Bedrock that never answers: the client gets OpenAI's 504 within the configured read timeout, and the
request keeps its usage record. (Throttling, 5xx and failures mid-stream: tests/gateway/test_failover.py
and test_e2e_chat.py.)"""

from __future__ import annotations

import os

import httpx
import pytest

from tests.security.conftest import assert_openai_error

pytestmark = pytest.mark.e2e
HANGING = "Hi [[sbc:hang=5000]]"  # the emulator waits 5 s; the gateway's read timeout here is 1 s


@pytest.mark.parametrize("stream", [False, True])
def test_a_hanging_bedrock_is_a_504_and_is_recorded(limited_gateway, issue, records, stream):
    identity = f"hang-{os.getpid()}-{int(stream)}@test"
    token = issue(identity)
    body = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": HANGING}], "stream": stream}
    answer = httpx.post(
        f"{limited_gateway.url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    error = assert_openai_error(answer, 504)
    assert error["code"] == "upstream_timeout"
    assert [(record["status"], record["error_code"]) for record in records(identity)] == [(504, "upstream_timeout")]
