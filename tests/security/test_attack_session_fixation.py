"""Attack class: session fixation and sessions outliving a sign-out. Signing in (with a password; single sign-on
goes through the same `django.contrib.auth.login`, which rotates the session too) gives a new session key, and
signing out ends the session on the server, so a copied cookie stops working. Against the live gateway.

The gateway caches no user information: with single sign-on (mozilla-django-oidc) the user is looked up from the
ID token at each sign-in and then lives in the server-side session; nothing is cached by a token or its prefix."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture
def developer(django_db_setup, django_db_blocker):
    from django.contrib.auth import get_user_model

    name = f"dev-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        get_user_model().objects.create_user(name, email=f"{name}@example.com", password="pw-Secret-123456")
    return name


def sign_in(http: httpx.Client, username: str) -> httpx.Response:
    page = http.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return http.post(
        "/accounts/login/", data={"username": username, "password": "pw-Secret-123456", "csrfmiddlewaretoken": csrf}
    )


def test_signing_in_rotates_the_session_and_signing_out_ends_it(gateway, developer, settings):
    cookie = settings.SESSION_COOKIE_NAME
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        http.cookies.set(cookie, "attacker-chosen-session-key-0123456789", domain="127.0.0.1")
        answer = sign_in(http, developer)
        assert answer.status_code == 302
        signed_in = answer.cookies.get(cookie)
        assert signed_in and signed_in != "attacker-chosen-session-key-0123456789"
        assert http.get("/keys/").status_code == 200

        # a second sign-in, from a browser that already has a session, also gets a new key
        page = http.get("/accounts/login/")
        assert page.status_code == 302, "a signed-in user is sent on"
        http.cookies.clear()
        http.cookies.set(cookie, signed_in, domain="127.0.0.1")
        csrf = http.get("/keys/").text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', csrf).group(1)
        assert http.post("/accounts/logout/", data={"csrfmiddlewaretoken": token}).status_code in (200, 302)

    stolen = httpx.get(f"{gateway.url}/keys/", cookies={cookie: signed_in}, timeout=30)
    assert stolen.status_code == 302 and "/accounts/login/" in stolen.headers["location"]


def test_a_fixed_session_from_before_sign_in_is_worthless_afterwards(gateway, developer, settings):
    cookie = settings.SESSION_COOKIE_NAME
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        http.get("/accounts/login/")
        before = http.cookies.get(cookie)
        answer = sign_in(http, developer)
        assert answer.status_code == 302
        after = answer.cookies.get(cookie)
    assert after and after != before
    if before:
        fixed = httpx.get(f"{gateway.url}/keys/", cookies={cookie: before}, timeout=30)
        assert fixed.status_code == 302
