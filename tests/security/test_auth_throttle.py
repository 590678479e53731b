"""Repeated failed authentications from one address, or with one key id, are refused with 429 and Retry-After;
a valid token is never refused for other people's failures (tests/security/test_attack_shared_lockout.py)."""

from __future__ import annotations

import os

import httpx
import pytest
from django.test import RequestFactory

from core.errors import InvalidToken
from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS, assert_openai_error
from tokens import keyformat, throttle
from tokens.authentication import ApiKeyOrBearerAuthentication, BearerTokenAuthentication, token_cache_forget
from tokens.throttle import TooManyFailedAuthentications

HELLO = {"model": "claude-4-sonnet", "max_tokens": 16, "messages": [{"role": "user", "content": "Hello"}]}


def unknown_token() -> str:
    """Right shape and checksum, never issued: refusing it costs a database look-up."""
    return keyformat.generate()[0]


def broken_checksum(token: str) -> str:
    return token[:-1] + ("B" if token.endswith("A") else "A")


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # the start of a 60 s window

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(settings, monkeypatch):
    """A limit of 3 failures per 60 s window, counted in this process, with a clock the test moves."""
    settings.AUTH_FAILURE_LIMIT, settings.AUTH_FAILURE_WINDOW_SECONDS, settings.REDIS_URL = 3, 60, ""
    clock = Clock()
    monkeypatch.setattr(throttle, "clock", clock)
    throttle.auth_throttle_forget()
    token_cache_forget()
    yield clock
    throttle.auth_throttle_forget()


def attempt(token: str, address: str = "192.0.2.10", *, header: str = "Authorization", **meta):
    factory = RequestFactory()
    if header == "Authorization":
        request = factory.post(
            "/v1/chat/completions", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address, **meta
        )
        return BearerTokenAuthentication().authenticate(request)
    request = factory.post("/v1/messages", HTTP_X_API_KEY=token, REMOTE_ADDR=address, **meta)
    return ApiKeyOrBearerAuthentication().authenticate(request)


def fail(times: int, address: str = "192.0.2.10", **kwargs) -> None:
    for _ in range(times):
        with pytest.raises(InvalidToken):
            attempt(unknown_token(), address, **kwargs)


@pytest.mark.django_db
def test_after_the_limit_an_address_gets_429(limited):
    fail(3)
    with pytest.raises(TooManyFailedAuthentications) as refused:
        attempt(unknown_token())
    assert refused.value.status == 429 and refused.value.type == "rate_limit_error"
    assert refused.value.headers["Retry-After"] == "60"


@pytest.mark.django_db
def test_the_x_api_key_channel_counts_and_is_refused_too(limited):
    fail(2, header="x-api-key")
    fail(1)
    with pytest.raises(TooManyFailedAuthentications):
        attempt(unknown_token(), header="x-api-key")


@pytest.mark.django_db
def test_malformed_tokens_cost_no_query_and_count_for_nothing(limited):
    for _ in range(20):
        with pytest.raises(InvalidToken):
            attempt("sbc_not_a_real_token")
        with pytest.raises(InvalidToken):
            attempt(broken_checksum(unknown_token()))
    fail(3)  # the limit is still whole


@pytest.mark.django_db
def test_other_addresses_are_unaffected_and_forwarded_for_is_not_believed(limited):
    fail(3, "192.0.2.10")
    fail(1, "198.51.100.7")
    with pytest.raises(TooManyFailedAuthentications):
        attempt(unknown_token(), "192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.99")


@pytest.mark.django_db
def test_the_address_may_try_again_when_the_window_ends(limited):
    fail(3)
    limited.now += 45
    with pytest.raises(TooManyFailedAuthentications) as refused:
        attempt(unknown_token())
    assert refused.value.headers["Retry-After"] == "15"
    limited.now += 15
    fail(1)


@pytest.mark.django_db
def test_a_limit_of_zero_switches_throttling_off(limited, settings):
    settings.AUTH_FAILURE_LIMIT = 0
    fail(10)


@pytest.mark.django_db
def test_with_redis_unreachable_failures_are_still_counted_in_process(limited, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    fail(3)
    with pytest.raises(TooManyFailedAuthentications):
        attempt(unknown_token())


# ---- through the live gateway ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_gateway(django_db_setup, emulator, static_root):
    """A gateway allowing 4 failed look-ups per hour per address, with one worker so one count applies.

    An hour-long window makes it vanishingly unlikely that the test straddles two windows.
    """
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        AUTH_FAILURE_LIMIT="4",
        AUTH_FAILURE_WINDOW_SECONDS="3600",
    )
    server = start_gunicorn(env, workers=1, threads=8, log_path=ARTIFACTS / "gateway-throttle.log")
    yield server
    server.stop()


@pytest.mark.e2e
def test_a_client_guessing_tokens_is_held_off_with_retry_after(strict_gateway, token, issue):
    url = f"{strict_gateway.url}/v1/chat/completions"
    log = ARTIFACTS / "gateway-throttle.log"
    logged_before = log.stat().st_size
    assert httpx.post(url, json=HELLO, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200
    for _ in range(10):  # malformed keys are refused for free and never count
        assert_openai_error(httpx.post(url, json=HELLO, headers={"Authorization": "Bearer sk-placeholder"}), 403)
    for _ in range(4):
        assert_openai_error(httpx.post(url, json=HELLO, headers={"Authorization": f"Bearer {unknown_token()}"}), 403)
    guessed = httpx.post(url, json=HELLO, headers={"Authorization": f"Bearer {unknown_token()}"})
    error = assert_openai_error(guessed, 429)
    assert error["code"] == "too_many_failed_authentications"
    assert 1 <= int(guessed.headers["Retry-After"]) <= 3600
    # While held off, unknown keys are refused with 429 on every endpoint; valid keys keep working, one the
    # worker has never seen included.
    models = f"{strict_gateway.url}/v1/models"
    assert_openai_error(httpx.get(models, headers={"Authorization": f"Bearer {unknown_token()}"}), 429)
    messages = httpx.post(f"{strict_gateway.url}/v1/messages", json=HELLO, headers={"x-api-key": unknown_token()})
    assert messages.status_code == 429 and messages.json()["error"]["type"] == "rate_limit_error"
    other = issue("bob@test")
    assert httpx.post(url, json=HELLO, headers={"Authorization": f"Bearer {other}"}, timeout=30).status_code == 200
    assert httpx.get(models, headers={"Authorization": f"Bearer {other}"}).status_code == 200
    assert httpx.post(url, json=HELLO, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200
    assert "address 127.0.0.1 reached 4 failed authentications" in log.read_bytes()[logged_before:].decode(
        errors="replace"
    )


@pytest.mark.django_db
def test_a_flood_of_other_addresses_does_not_free_an_address_held_off(limited, monkeypatch):
    monkeypatch.setattr(throttle, "MAX_TRACKED_ADDRESSES", 5)
    fail(3)
    for n in range(10):
        fail(1, address=f"198.51.100.{n}")
    with pytest.raises(TooManyFailedAuthentications):
        attempt(unknown_token())


@pytest.mark.django_db
def test_with_redis_the_address_and_the_key_id_are_counted_apart(limited, settings):
    """Through Redis (shared by every worker): one key id's wrong secrets from many addresses are held off by the
    key id's bucket, while another key from those addresses is still a plain refusal."""
    import redis

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    limited.now += 60 * 1000 * (1 + (os.getpid() % 1000))  # a window of this run's own
    token_id = keyformat.parse(unknown_token()).token_id
    try:
        for n in range(3):
            assert attempt_key(token_id, f"198.51.100.{n}") is InvalidToken
        assert attempt_key(token_id, "198.51.100.9") is TooManyFailedAuthentications
        fail(1, "198.51.100.9")
    finally:
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter("sbc:authfail:*"):
            if key.decode().endswith(f":{int(limited.now // 60)}"):
                client.delete(key)


def attempt_key(token_id: str, address: str) -> type[Exception]:
    """Present `token_id` with a random secret (valid checksum) from `address`: the error it meets."""
    body = f"{keyformat.PREFIX}{token_id}_{keyformat.generate()[0][-38:-6]}"
    try:
        attempt(body + keyformat._checksum(body), address)
    except (InvalidToken, TooManyFailedAuthentications) as exc:
        return type(exc)
    raise AssertionError("a made-up key was accepted")
