"""Attack class: one identity reaching another's keys, usage, stored responses or test-connection results, against
the live gateway: a signed-in developer's browser (a real session cookie and CSRF token) and API tokens.
In-process versions of the portal checks: tests/portal/test_keys.py, test_setup.py, test_usage_page.py."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


class Browser:
    """A developer signed in to the live portal: `.get` / `.post` with the session cookie and the CSRF token."""

    def __init__(self, gateway, session_cookie: tuple[str, str]) -> None:
        self.http = httpx.Client(base_url=gateway.url, cookies=dict([session_cookie]), timeout=30)
        self.http.get("/keys/")
        self.csrf = self.http.cookies.get("csrftoken", "")

    def get(self, path: str, **kw) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict, **kw) -> httpx.Response:
        return self.http.post(path, data={**data, "csrfmiddlewaretoken": self.csrf}, **kw)

    def new_key(self, name: str) -> str:
        created = self.post("/keys/create", {"name": name, "ttl": "1d"})
        assert created.status_code == 302, created.text[:300]
        page = self.get("/keys/new").text
        return re.search(r"sbc_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}", page).group(0)


@pytest.fixture
def browser(gateway, django_db_setup, django_db_blocker, settings):
    def _browser(prefix: str) -> Browser:
        from django.contrib.auth import get_user_model
        from django.test import Client

        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        with django_db_blocker.unblock():
            user = get_user_model().objects.create_user(name, email=f"{name}@example.com", password="pw-Secret-123456")
            web = Client()
            web.force_login(user)
        return Browser(gateway, (settings.SESSION_COOKIE_NAME, web.cookies[settings.SESSION_COOKIE_NAME].value))

    return _browser


def test_another_developers_keys_cannot_be_seen_revoked_or_tested(gateway, browser):
    alice, bob = browser("alice"), browser("bob")
    alice_key = alice.new_key("alice-secret-laptop")
    alice_id = alice_key.split("_")[1]
    assert "alice-secret-laptop" in alice.get("/keys/").text
    assert alice_id not in bob.get("/keys/").text and "alice-secret-laptop" not in bob.get("/keys/").text
    for data in ({"token_id": alice_id}, {"token_id": alice_id, "confirm": "on"}):
        assert bob.post("/keys/revoke", data).status_code == 404
    tested = bob.post(
        "/keys/test", {"key": alice_key, "model": "claude-4-sonnet"}, headers={"Accept": "application/json"}
    ).json()
    assert not tested["ok"] and tested["error"] == "That is not one of your keys." and not tested["request_id"]
    assert alice_key not in bob.post("/keys/test", {"key": alice_key, "model": "claude-4-sonnet"}).text
    # alice's key still works after bob's attempts
    sdk = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"Authorization": f"Bearer {alice_key}"},
    )
    assert sdk.status_code == 200


def test_another_developers_usage_is_not_shown(gateway, browser):
    alice, bob = browser("alice"), browser("bob")
    key = alice.new_key("alice-usage")
    for _ in range(2):
        httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hi"}]},
            headers={"Authorization": f"Bearer {key}"},
        )
    alice_page = alice.get("/usage/").text
    assert "No requests yet" not in alice_page and "claude-4-sonnet" in alice_page, "alice sees her own requests"
    for query in ("", "?identity=alice", f"?token_id={key.split('_')[1]}", "?user=1"):
        bob_page = bob.get("/usage/" + query).text
        assert "No requests yet" in bob_page and "claude-4-sonnet" not in bob_page, query


def test_another_identitys_stored_responses_are_not_found(gateway, issue):
    mine, theirs = issue(f"own-{uuid.uuid4().hex[:8]}@test"), issue(f"other-{uuid.uuid4().hex[:8]}@test")
    created = httpx.post(
        f"{gateway.url}/v1/responses",
        json={"model": "claude-4-sonnet", "input": "Hello"},
        headers={"Authorization": f"Bearer {mine}"},
        timeout=30,
    ).json()
    other = {"Authorization": f"Bearer {theirs}"}
    for method, path in (
        ("GET", f"/v1/responses/{created['id']}"),
        ("GET", f"/v1/responses/{created['id']}/input_items"),
        ("DELETE", f"/v1/responses/{created['id']}"),
    ):
        assert httpx.request(method, gateway.url + path, headers=other).status_code == 404, path
    continued = httpx.post(
        f"{gateway.url}/v1/responses",
        json={"model": "claude-4-sonnet", "input": "Go on", "previous_response_id": created["id"]},
        headers=other,
    )
    assert continued.status_code == 404
    own = httpx.get(f"{gateway.url}/v1/responses/{created['id']}", headers={"Authorization": f"Bearer {mine}"})
    assert own.status_code == 200
