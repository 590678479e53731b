"""Attack class: one shared lock-out (security finding 2). Behind a load balancer, or under the Lambda Web Adapter
(127.0.0.1), every client reaches the gateway from the same proxy address. Random bearer tokens from one client
must not lock out anyone's valid key: failures are counted per client address (taken from X-Forwarded-For only
through TRUSTED_PROXIES) and per key id, and a valid token is checked before either bucket.

The gateway here trusts 127.0.0.1 as its proxy; the tests reach it from 127.0.0.1 (through the "proxy", with
X-Forwarded-For) and from 127.0.0.2 (a peer no proxy vouches for)."""

from __future__ import annotations

import secrets

import httpx
import pytest
from django.test import RequestFactory

from core.headers import client_address
from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS, assert_openai_error
from tokens import keyformat

pytestmark = pytest.mark.e2e

LIMIT = 60


@pytest.fixture(scope="module")
def gateway_behind_proxy(django_db_setup, emulator, static_root):
    """The default failure limit (60) in an hour-long window, counted in one worker, behind a proxy at 127.0.0.1."""
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url,
        STATIC_ROOT=str(static_root),
        AUTH_FAILURE_LIMIT=str(LIMIT),
        AUTH_FAILURE_WINDOW_SECONDS="3600",
        TRUSTED_PROXIES="127.0.0.1/32",
        REDIS_URL="",
    )
    server = start_gunicorn(env, workers=1, threads=8, log_path=ARTIFACTS / "gateway-shared-lockout.log")
    yield server
    server.stop()


@pytest.fixture
def proxy(gateway_behind_proxy):
    """Requests as the trusted proxy at 127.0.0.1 forwards them."""
    with httpx.Client(base_url=gateway_behind_proxy.url, timeout=30) as client:
        yield client


@pytest.fixture
def stranger(gateway_behind_proxy):
    """Requests from 127.0.0.2, a peer that is not in TRUSTED_PROXIES."""
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=gateway_behind_proxy.url, timeout=30, transport=transport) as client:
        yield client


def models(client: httpx.Client, token: str, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.get("/v1/models", headers=headers)


def random_bearer() -> str:
    """Right shape and checksum, never issued: refusing it costs a database look-up, so it counts."""
    return keyformat.generate()[0]


def wrong_secret(token: str) -> str:
    """The same key id with another secret, and a valid checksum."""
    token_id = keyformat.parse(token).token_id
    body = f"{keyformat.PREFIX}{token_id}_{''.join(secrets.choice(keyformat.ALPHABET) for _ in range(32))}"
    return body + keyformat._checksum(body)


def exhaust(client: httpx.Client, forwarded_for: str | None) -> None:
    """LIMIT refused look-ups from one client (403 each), then one more: 429 with Retry-After."""
    for _ in range(LIMIT):
        assert_openai_error(models(client, random_bearer(), forwarded_for), 403)
    refused = models(client, random_bearer(), forwarded_for)
    assert assert_openai_error(refused, 429)["code"] == "too_many_failed_authentications"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600


def test_random_bearers_through_one_proxy_never_lock_out_a_valid_key(proxy, issue):
    """One agent sends 60+ random bearers through the proxy; a valid key the gateway has never seen still works,
    from every address, the agent's own included. The agent's next random bearer is still held off."""
    exhaust(proxy, forwarded_for=None)
    assert models(proxy, issue("carol@test"), forwarded_for=None).status_code == 200
    exhaust(proxy, forwarded_for="203.0.113.10")
    assert models(proxy, issue("dave@test"), forwarded_for="203.0.113.10").status_code == 200
    assert models(proxy, issue("erin@test"), forwarded_for="198.51.100.20").status_code == 200
    assert_openai_error(models(proxy, random_bearer(), "203.0.113.10"), 429)


def test_a_second_client_behind_the_proxy_is_not_throttled_by_the_first(proxy):
    exhaust(proxy, forwarded_for="203.0.113.11")
    # Another client the proxy names is a bucket of its own: its unknown key is a plain 403.
    assert_openai_error(models(proxy, random_bearer(), "203.0.113.12"), 403)
    # The proxy appends the address it was reached from: what the client wrote to the left is not believed.
    assert_openai_error(models(proxy, random_bearer(), "203.0.113.12, 203.0.113.11"), 429)


def test_an_untrusted_peer_cannot_dodge_its_bucket_by_rotating_forwarded_for(stranger):
    for n in range(LIMIT):
        assert_openai_error(models(stranger, random_bearer(), f"198.51.100.{n}"), 403)
    refused = models(stranger, random_bearer(), "198.51.100.200")
    assert assert_openai_error(refused, 429)["code"] == "too_many_failed_authentications"


def test_one_key_id_with_wrong_secrets_is_throttled_per_key_id_and_its_owner_keeps_working(proxy, issue):
    """Someone who knows a key id (it is public: logs, the admin) tries secrets for it from many addresses."""
    token = issue("frank@test")
    for n in range(LIMIT):
        assert_openai_error(models(proxy, wrong_secret(token), f"192.0.2.{n + 1}"), 403)
    refused = models(proxy, wrong_secret(token), "192.0.2.250")
    error = assert_openai_error(refused, 429)
    assert error["code"] == "too_many_failed_authentications" and "key" in error["message"]
    # The key id's bucket holds off guesses, never the key itself, nor other keys from those addresses.
    assert models(proxy, token, "192.0.2.250").status_code == 200
    assert_openai_error(models(proxy, random_bearer(), "192.0.2.251"), 403)


@pytest.mark.parametrize(
    "peer, forwarded_for, client",
    [
        ("127.0.0.1", "", "127.0.0.1"),  # the proxy itself, naming nobody
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.9, 203.0.113.5", "203.0.113.5"),  # the left entry is the client's own claim
        ("127.0.0.1", "203.0.113.5, 127.0.0.1", "203.0.113.5"),  # a chain of trusted proxies
        ("127.0.0.1", "[2001:db8::7]:443", "2001:db8::7"),
        ("127.0.0.1", "203.0.113.5:4711", "203.0.113.5"),
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("127.0.0.1", "garbage, 203.0.113.5", "203.0.113.5"),
        ("198.51.100.4", "203.0.113.5", "198.51.100.4"),  # no proxy vouches for this peer
        ("::ffff:127.0.0.1", "203.0.113.5", "203.0.113.5"),
    ],
)
def test_the_client_address_believes_forwarded_for_only_through_trusted_proxies(settings, peer, forwarded_for, client):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    meta = {"REMOTE_ADDR": peer, **({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {})}
    assert client_address(RequestFactory().get("/", **meta)) == client
