"""Attack class: a forged `Host` or forwarding header. The gateway answers only for DJANGO_ALLOWED_HOSTS, on /v1 (the
API's JSON 400) as on the admin and the portal, and believes `X-Forwarded-*` / `Forwarded` only from the proxies
in TRUSTED_PROXIES: from anyone else they are dropped before Django reads them."""

from __future__ import annotations

import httpx
import pytest

from tests.live import server_env, start_gunicorn
from tests.security.conftest import ARTIFACTS, assert_openai_error

pytestmark = pytest.mark.e2e
HELLO = {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hi"}]}
FOREIGN_HOSTS = ["evil.example.com", "127.0.0.1.evil.example.com", "localhost.:80@evil"]


@pytest.mark.parametrize("host", FOREIGN_HOSTS)
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


@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/", "/keys/"])
@pytest.mark.parametrize("host", FOREIGN_HOSTS)
def test_the_admin_and_the_portal_refuse_it_too(gateway, path, host):
    response = httpx.get(gateway.url + path, headers={"Host": host}, timeout=30)
    assert response.status_code == 400
    assert "evil" not in response.headers.get("location", "")


def test_the_gateways_own_host_is_served(gateway, token):
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json=HELLO,
        headers={"Authorization": f"Bearer {token}", "Host": "localhost"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


# ---- forwarding headers ---------------------------------------------------------------------------------

SPOOFED = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "evil.example.com",
    "X-Forwarded-Port": "443",
    "X-Forwarded-For": "203.0.113.7",
    "Forwarded": "for=203.0.113.7;host=evil.example.com;proto=https",
}


def redirecting_gateway(static_root, **env):
    """A gateway that redirects plain http to https (SECURE_SSL_REDIRECT), so believing X-Forwarded-Proto shows."""
    return start_gunicorn(
        server_env(STATIC_ROOT=str(static_root), SECURE_SSL_REDIRECT="true", **env),
        workers=1,
        threads=4,
        log_path=ARTIFACTS / "gateway-proxies.log",
    )


@pytest.fixture(scope="module")
def gateway_behind_no_proxy(django_db_setup, static_root):
    """Its only trusted proxy is an address no test connects from: the test client is any client."""
    server = redirecting_gateway(static_root, TRUSTED_PROXIES="192.0.2.1/32")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway_behind_local_proxy(django_db_setup, static_root):
    """The default TRUSTED_PROXIES: loopback and private networks, where a load balancer or local proxy sits."""
    server = redirecting_gateway(static_root)
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/admin/login/", "/v1/models"])
def test_a_client_claiming_https_is_not_believed(gateway_behind_no_proxy, path):
    plain = httpx.get(gateway_behind_no_proxy.url + path, timeout=30)
    spoofed = httpx.get(gateway_behind_no_proxy.url + path, headers=SPOOFED, timeout=30)
    for response in (plain, spoofed):
        assert response.status_code == 301
        assert response.headers["location"].startswith("https://127.0.0.1"), "the forwarded host is ignored too"


@pytest.mark.parametrize("path", ["/admin/login/", "/v1/models"])
def test_a_trusted_proxy_is_believed_about_https_but_never_about_the_host(gateway_behind_local_proxy, path):
    assert httpx.get(gateway_behind_local_proxy.url + path, timeout=30).status_code == 301
    forwarded = httpx.get(gateway_behind_local_proxy.url + path, headers={"X-Forwarded-Proto": "https"}, timeout=30)
    assert forwarded.status_code in (200, 401), "https as the proxy says: no redirect"
    with_host = httpx.get(gateway_behind_local_proxy.url + "/admin/login/", headers=SPOOFED, timeout=30)
    assert "evil" not in with_host.text and "evil" not in with_host.headers.get("location", "")


def test_an_address_no_proxy_vouches_for_is_not_the_client_address(gateway_behind_no_proxy):
    """Failed-authentication counts and auth_failure events name the TCP peer, whatever X-Forwarded-For says."""
    from tokens import keyformat

    response = httpx.get(
        gateway_behind_no_proxy.url + "/v1/models",
        headers={**SPOOFED, "Authorization": f"Bearer {keyformat.generate()[0]}"},
        timeout=30,
    )
    assert response.status_code in (301, 403)
    log = (ARTIFACTS / "gateway-proxies.log").read_text(errors="replace")
    assert '"address":"203.0.113.7"' not in log
