"""Attack class: a token, its digest or an Authorization value leaking through an answer or a log line, errors and
429s included, and a stolen digest used as a key. Every response body and header of refused requests (401, 403,
404, 400, 429 for a rate limit and for failed authentications) is searched, then the gateway's log; a digest
presented as a bearer or as x-api-key is refused like any unknown key.

The whole-system sweep (database, Secrets Manager, CloudWatch, every log file): test_token_sweep.py."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.security.conftest import ARTIFACTS, assert_openai_error
from tokens import keyformat

pytestmark = pytest.mark.e2e
HI = [{"role": "user", "content": "Hi"}]


def secrets_of(token: str) -> list[str]:
    return [token, token.split("_")[2], keyformat.digest(token)]


def assert_nothing_of(token: str, response: httpx.Response) -> None:
    seen = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in secrets_of(token):
        assert secret not in seen, f"{response.status_code} carries the token or its digest"


def test_a_digest_is_not_a_key(gateway, token):
    digest = keyformat.digest(token)
    for headers in ({"Authorization": f"Bearer {digest}"}, {"x-api-key": digest}):
        response = httpx.post(
            f"{gateway.url}/v1/messages",
            json={"model": "claude-4-sonnet", "max_tokens": 8, "messages": HI},
            headers=headers,
        )
        assert response.status_code == 403
    assert_openai_error(httpx.get(f"{gateway.url}/v1/models", headers={"Authorization": f"Bearer {digest}"}), 403)


def test_refusals_and_429s_carry_no_token_and_neither_does_the_log(gateway, issue, django_db_blocker):
    from tokens.models import Quota
    from tokens.services import identity_get_or_create

    name = f"leak-{uuid.uuid4().hex[:8]}@test"
    token = issue(name)
    with django_db_blocker.unblock():
        Quota.objects.update_or_create(identity=identity_get_or_create(name=name), defaults={"requests_per_minute": 1})
    auth = {"Authorization": f"Bearer {token}"}
    chat = f"{gateway.url}/v1/chat/completions"
    answers = [
        httpx.post(chat, json={"model": "claude-4-sonnet", "messages": HI, "max_tokens": 8}, headers=auth),
        httpx.post(chat, json={"model": "claude-4-sonnet", "messages": HI, "max_tokens": 8}, headers=auth),  # 429
        httpx.post(chat, json={"model": "no-such-model", "messages": HI}, headers=auth),
        httpx.post(chat, content=b"{", headers={**auth, "Content-Type": "application/json"}),
        httpx.post(chat, json={"messages": HI}, headers={"Authorization": f"Bearer {token}x"}),
        httpx.post(chat, json={"messages": HI}, headers={"Authorization": f"Basic {token}"}),
        httpx.post(chat, json={"messages": HI}, headers={"Authorization": f"Bearer {token[:-1]}A"}),
        httpx.get(f"{gateway.url}/v1/no-such-endpoint", headers=auth),
        httpx.post(f"{gateway.url}/v1/messages", json={"messages": HI}, headers={"x-api-key": token + "x"}),
    ]
    assert 429 in [a.status_code for a in answers] and 403 in [a.status_code for a in answers]
    for answer in answers:
        assert_nothing_of(token, answer)
    log = (ARTIFACTS / "gateway.log").read_text(errors="replace")
    assert name in log, "the log holds these requests"
    for secret in secrets_of(token) + [f"Bearer {token}"]:
        assert secret not in log


def test_the_failed_authentication_429_carries_no_token(strict_gateway, issue):
    token = issue(f"leak-{uuid.uuid4().hex[:8]}@test")
    unknown = [keyformat.generate()[0] for _ in range(5)]
    answers = [
        httpx.get(f"{strict_gateway.url}/v1/models", headers={"Authorization": f"Bearer {key}"}) for key in unknown
    ]
    assert answers[-1].status_code == 429
    for key, answer in zip(unknown, answers, strict=True):
        assert_nothing_of(key, answer)
    log = (ARTIFACTS / "gateway-strict-leak.log").read_text(errors="replace")
    for key in unknown + [token]:
        for secret in secrets_of(key):
            assert secret not in log


@pytest.fixture(scope="module")
def strict_gateway(django_db_setup, emulator, static_root):
    from tests.live import server_env, start_gunicorn

    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        AUTH_FAILURE_LIMIT="3",
        LOG_LEVEL="debug",
        GUNICORN_LOG_LEVEL="debug",
    )
    server = start_gunicorn(env, workers=1, threads=4, log_path=ARTIFACTS / "gateway-strict-leak.log")
    yield server
    server.stop()
