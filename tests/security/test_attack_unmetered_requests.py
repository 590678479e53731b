"""Attack class: requests that escape metering. A caller who is refused before Bedrock (a 400 at validation, a 404 at
model resolution, a 403 from the allow-list, a 415 body) must still leave exactly one usage record and one
`response` event with the error code, so refusals can be counted, charted and alerted on like any other request.
A request without a valid token has no identity to meter: it leaves no record and one `auth_failure` event.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from tests.security.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e
GATEWAY_LOG = ARTIFACTS / "gateway.log"
HI = [{"role": "user", "content": "Hi"}]


def events(**match) -> list[dict]:
    """The JSON events in the live gateway's log whose fields equal `match`, oldest first (waits a little)."""
    found: list[dict] = []
    for _ in range(50):
        found = []
        for line in GATEWAY_LOG.read_text(errors="replace").splitlines():
            if not line.startswith('{"event"'):
                continue
            try:
                event = json.loads(line)
            except ValueError:  # a line still being written, or two workers' lines run together
                continue
            if all(event.get(k) == v for k, v in match.items()):
                found.append(event)
        if found:
            return found
        time.sleep(0.1)
    return found


@pytest.fixture
def identity_token(issue, set_quota):
    """A fresh identity (its name) and a token of it; the identity may use two models only."""
    name = f"refused-{uuid.uuid4().hex[:10]}@test"
    set_quota(name, allowed_models="claude-4-sonnet\nclaude-3.5-haiku\ntitan-embed-text-v2")
    return name, issue(name)


@pytest.fixture
def set_quota(django_db_blocker):
    from tokens.models import Quota
    from tokens.services import identity_get_or_create

    def _set(identity_name: str, **fields):
        with django_db_blocker.unblock():
            Quota.objects.update_or_create(identity=identity_get_or_create(name=identity_name), defaults=fields)

    return _set


CHAT, RESPONSES, MESSAGES, EMBEDDINGS = "/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/embeddings"
REFUSALS = [
    # (path, body or raw bytes, content type, status, error code, endpoint)
    (CHAT, {"model": "claude-4-sonnet", "messages": []}, None, 400, "invalid_request", "chat.completions"),
    (CHAT, {"model": "claude-4-sonnet", "messages": HI, "n": 3}, None, 400, "invalid_request", "chat.completions"),
    (CHAT, b'{"messages": [', None, 400, "invalid_request", "chat.completions"),
    (
        CHAT,
        {"model": "claude-4-sonnet", "messages": HI},
        "text/plain",
        415,
        "unsupported_media_type",
        "chat.completions",
    ),
    (CHAT, {"model": "no-such-model", "messages": HI}, None, 404, "model_not_found", "chat.completions"),
    (CHAT, {"model": "llama-3.3-70b", "messages": HI}, None, 403, "permission_denied", "chat.completions"),
    (RESPONSES, {"model": "claude-4-sonnet", "input": 42}, None, 400, "invalid_request", "responses"),
    (RESPONSES, {"model": "no-such-model", "input": "Hi"}, None, 404, "model_not_found", "responses"),
    (
        MESSAGES,
        {"model": "claude-4-sonnet", "messages": [{"role": "tool", "content": "x"}]},
        None,
        400,
        None,
        "messages",
    ),
    (MESSAGES, {"model": "claude-4-sonnet", "max_tokens": 8, "messages": HI}, None, 200, None, "messages"),
    (EMBEDDINGS, {"model": "titan-embed-text-v2", "input": []}, None, 400, "invalid_request", "embeddings"),
    (EMBEDDINGS, {"model": "claude-4-sonnet", "input": "Hi"}, None, 400, "invalid_request", "embeddings"),
]


@pytest.mark.parametrize("path, body, content_type, status, code, endpoint", REFUSALS)
def test_every_authenticated_request_has_one_record_and_one_response_event(
    gateway, identity_token, records, path, body, content_type, status, code, endpoint
):
    name, token = identity_token
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = httpx.post(
        gateway.url + path,
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type or "application/json"},
        timeout=30,
    )
    assert response.status_code == status, response.text
    request_id = response.headers["x-request-id"]
    [record] = records(name)
    assert (record["request_id"], record["status"], record["endpoint"]) == (request_id, status, endpoint)
    if code:
        assert record["error_code"] == code
    if status != 200:
        assert record["total_tokens"] == 0 and record["cost_usd"] == 0
    [event] = events(event="response", request_id=request_id)
    assert (event["identity"], event["status"], event["error_code"] or "") == (name, status, record["error_code"])


def test_a_request_without_a_valid_token_leaves_no_record_and_one_auth_failure_event(gateway, issue, records):
    from tokens import keyformat

    unknown = keyformat.generate()[0]
    cases = [({}, "missing", 401), ({"Authorization": f"Bearer {unknown}"}, "invalid", 403)]
    for headers, reason, status in cases:
        agent = f"probe/{uuid.uuid4().hex}"
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "claude-4-sonnet", "messages": HI},
            headers={**headers, "User-Agent": agent},
            timeout=30,
        )
        assert response.status_code == status
        [event] = events(event="auth_failure", request_id=response.headers["x-request-id"])
        assert event["reason"] == reason and event["status"] == status and event["path"] == "/v1/chat/completions"
        assert event["address"] == "127.0.0.1"
        if reason == "invalid":
            assert event["token_id"] == unknown.split("_")[1]
            assert unknown.split("_")[2] not in json.dumps(event) and keyformat.digest(unknown) not in json.dumps(event)
    assert records("") == []
