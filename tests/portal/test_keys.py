"""My keys as developers use it: create a key shown once, revoke with confirmation, only their own keys."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import InvalidToken
from core.one_time import COOKIE
from tests.people import signed_in
from tokens.authentication import token_authenticate
from tokens.keyformat import TOKEN_REGEX
from tokens.models import ApiToken, Identity
from tokens.services import token_issue

pytestmark = pytest.mark.django_db


def create(web, **fields):
    """Create a key as the browser does: the POST, then the page it redirects to."""
    return web.post("/keys/create", {"name": "laptop", "ttl": "7d", **fields}, follow=True)


def key_in(response) -> str:
    return re.search(TOKEN_REGEX, response.content.decode()).group(0)


def test_the_landing_page_sends_visitors_to_sign_in_and_developers_to_their_keys(alice):
    anonymous = signed_in("carol").__class__()
    assert anonymous.get("/").url == "/accounts/login/"
    assert anonymous.get("/keys/").url == "/accounts/login/?next=/keys/"
    assert anonymous.get("/usage/").url == "/accounts/login/?next=/usage/"
    assert alice.get("/").url == "/keys/"


def test_signing_in_with_a_password_lands_on_my_keys():
    web = signed_in("dave").__class__()
    page = web.get("/accounts/login/")
    assert b'<label for="id_username">' in page.content and b"Sign in with SSO" not in page.content
    response = web.post("/accounts/login/", {"username": "dave", "password": "pw-dave-Secret1"})
    assert response.status_code == 302 and response.url == "/keys/"
    assert web.get("/keys/").status_code == 200
    assert web.post("/accounts/logout/").url == "/accounts/login/"
    assert web.get("/keys/").status_code == 302


def test_the_password_can_be_changed_in_the_portal(alice):
    response = alice.post(
        "/accounts/password/",
        {"old_password": "pw-alice-Secret1", "new_password1": "n3w-Passw0rd!x", "new_password2": "n3w-Passw0rd!x"},
    )
    assert response.url == "/accounts/password/done/"
    alice.user.refresh_from_db()
    assert alice.user.check_password("n3w-Passw0rd!x")
    assert b"Your password is changed" in alice.get("/accounts/password/done/").content


def test_a_first_visit_creates_an_identity_named_after_the_user(alice, identity_of):
    assert alice.get("/keys/").status_code == 200
    assert identity_of(alice).name == "alice@example.com"
    no_email = signed_in("erin")
    no_email.get("/keys/")
    assert identity_of(no_email).name == "erin"


def test_an_identity_the_admin_linked_is_used_whatever_its_name():
    web = signed_in("demo")
    Identity.objects.create(name="demo@local", user=web.user)
    assert b"demo@local" in web.get("/keys/").content
    assert Identity.objects.filter(user=web.user).count() == 1


def test_an_existing_identity_of_the_same_name_is_not_taken_over():
    owner = Identity.objects.create(name="mallory@example.com")
    token_issue(identity=owner, ttl="1d", name="pipeline")
    web = signed_in("mallory", email="mallory@example.com")
    page = web.get("/keys/")
    assert page.status_code == 403 and b"ask an admin to link it" in page.content.lower()
    assert b"pipeline" not in page.content
    assert create(web).status_code == 403 and owner.tokens.count() == 1


def test_a_new_key_is_shown_once_with_copy_button_and_never_stored(alice, identity_of):
    response = create(alice)
    assert response.status_code == 200
    key = key_in(response)
    page = response.content.decode()
    assert "It will not be shown again" in page and 'data-copy="new-key"' in page
    assert re.search(r'<input id="new-key"[^>]*readonly[^>]*value="' + key, page)
    assert "no-store" in response["Cache-Control"]
    assert token_authenticate(key).identity_name == identity_of(alice).name
    record = ApiToken.objects.get(identity=identity_of(alice))
    assert record.name == "laptop" and record.created_by == "portal:alice"
    assert timedelta(days=6, hours=23) < record.expires_at - timezone.now() <= timedelta(days=7)
    # Nowhere else: not in the session, cookies, messages, or any later page.
    assert key not in str(dict(alice.session)) and key not in str(response.cookies)
    assert not list(response.context["messages"])
    for url in ("/keys/", "/usage/", "/keys/?model=claude-4-sonnet"):
        later = alice.get(url).content.decode()
        assert key not in later and key[:20] not in later
    assert record.token_id in alice.get("/keys/").content.decode()


def test_the_key_list_shows_status_and_dates(alice, identity_of):
    alice.get("/keys/")
    identity = identity_of(alice)
    live = token_issue(identity=identity, ttl="30d", name="editor").record
    old = token_issue(identity=identity, ttl="1d", name="old").record
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    gone = token_issue(identity=identity, ttl="1d", name="gone").record
    ApiToken.objects.filter(pk=gone.pk).update(revoked_at=timezone.now())
    page = alice.get("/keys/").content.decode()
    for record, status in ((live, "active"), (old, "expired"), (gone, "revoked")):
        row = re.search(rf"<tr>\s*<td data-label=\"Name\">{record.name}</td>.*?</tr>", page, re.S).group(0)
        assert record.token_id in row and f">{status}<" in row
    assert page.count("Revoke…") == 1, "only live keys offer revoke"


@pytest.mark.parametrize("ttl", ["365d", "2d", "", "-1d", "30"])
def test_only_the_offered_lifetimes_are_accepted(alice, ttl, settings):
    settings.TOKEN_MAX_TTL = "30d"
    response = create(alice, ttl=ttl)
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content or b"This field is required" in response.content
    assert not ApiToken.objects.exists()


def test_lifetimes_above_the_maximum_are_not_offered(alice, settings):
    settings.PORTAL_TTL_CHOICES = ["1d", "7d", "30d", "90d", "1w"]
    settings.TOKEN_MAX_TTL = "30d"
    page = alice.get("/keys/").content.decode()
    offered = re.findall(r'<option value="(\d+[dw])"', page)
    assert offered == ["1d", "7d", "30d"]
    assert create(alice, ttl="30d").status_code == 200


def test_a_developer_cannot_hold_more_live_keys_than_allowed(alice, settings):
    settings.PORTAL_MAX_ACTIVE_KEYS = 2
    assert create(alice).status_code == 200 and create(alice).status_code == 200
    third = create(alice)
    assert third.status_code == 400 and b"already have 2 active keys" in third.content
    assert ApiToken.objects.count() == 2


def test_a_deactivated_identity_cannot_create_keys(alice, identity_of):
    alice.get("/keys/")
    Identity.objects.filter(user=alice.user).update(is_active=False)
    response = create(alice)
    assert response.status_code == 400 and b"deactivated" in response.content
    assert not ApiToken.objects.exists()


def test_revoking_asks_for_confirmation_then_refuses_the_key(alice):
    key = key_in(create(alice))
    token_id = ApiToken.objects.get().token_id
    confirm = alice.post("/keys/revoke", {"token_id": token_id})
    assert confirm.status_code == 200 and b"Revoke key" in confirm.content and "no-store" in confirm["Cache-Control"]
    assert ApiToken.objects.get().status == "active", "nothing happens before confirmation"
    done = alice.post("/keys/revoke", {"token_id": token_id, "confirm": "on"}, follow=True)
    assert done.redirect_chain[-1][0] == "/keys/"
    assert f"Key {token_id} is revoked".encode() in done.content
    record = ApiToken.objects.get()
    assert record.status == "revoked" and record.revoked_by == "portal:alice"
    with pytest.raises(InvalidToken):
        token_authenticate(key)


def test_another_users_key_is_invisible_and_cannot_be_revoked(alice, bob):
    key_in(create(alice, name="alice-secret-laptop"))
    alice_key = ApiToken.objects.get()
    page = bob.get("/keys/").content.decode()
    assert alice_key.token_id not in page and "alice-secret-laptop" not in page
    for data in ({"token_id": alice_key.token_id}, {"token_id": alice_key.token_id, "confirm": "on"}):
        assert bob.post("/keys/revoke", data).status_code == 404
    assert bob.post("/keys/revoke", {"token_id": "../../etc"}).status_code == 404
    alice_key.refresh_from_db()
    assert alice_key.status == "active"


def test_every_change_needs_post_and_a_csrf_token():
    web = signed_in("frank", csrf=True)
    page = web.get("/keys/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    for url in ("/keys/create", "/keys/revoke", "/keys/test"):
        assert web.post(url, {"name": "x", "ttl": "7d"}).status_code == 403, url
        assert web.get(url).status_code == 405, url
    assert not ApiToken.objects.exists()
    created = web.post("/keys/create", {"name": "x", "ttl": "7d", "csrfmiddlewaretoken": csrf})
    assert created.status_code == 302 and ApiToken.objects.count() == 1
    token_id = ApiToken.objects.get().token_id
    assert web.post("/keys/revoke", {"token_id": token_id, "confirm": "on"}).status_code == 403
    assert (
        web.post("/keys/revoke", {"token_id": token_id, "confirm": "on", "csrfmiddlewaretoken": csrf}).status_code
        == 302
    )
    assert web.post("/accounts/logout/").status_code == 403


def test_portal_pages_are_never_cached_and_carry_a_strict_content_policy(alice):
    for url in ("/keys/", "/usage/"):
        response = alice.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        assert "<script>" not in response.content.decode() and " style=" not in response.content.decode()


def test_a_new_key_is_shown_once_after_a_redirect_and_rests_nowhere_readable(alice):
    from django.contrib.sessions.models import Session

    posted = alice.post("/keys/create", {"name": "laptop", "ttl": "7d"})
    assert posted.status_code == 302 and posted.url == "/keys/new", "the POST answers with a redirect, not the key"
    key = None
    stored = " ".join(str(s.get_decoded()) for s in Session.objects.all()) + str(posted.cookies)
    shown = alice.get("/keys/new")
    key = key_in(shown)
    assert key not in stored, "neither the session nor the cookie holds the key itself"
    assert shown["Cache-Control"].startswith("max-age=0") and "no-store" in shown["Cache-Control"]
    again = alice.get("/keys/new")
    assert re.search(TOKEN_REGEX, again.content.decode()) is None and b"This key is no longer shown" in again.content
    assert ApiToken.objects.count() == 1, "a reload mints nothing"


def test_another_browser_cannot_see_the_key_held_for_the_first(alice, bob):
    alice.post("/keys/create", {"name": "laptop", "ttl": "7d"})
    bob.cookies[COOKIE] = alice.cookies[COOKIE].value  # alice's one-time view cookie, with bob's own session
    page = bob.get("/keys/new")
    assert page.status_code == 200 and b"My keys" in page.content
    assert re.search(TOKEN_REGEX, page.content.decode()) is None
    assert re.search(TOKEN_REGEX, alice.get("/keys/new").content.decode()), "alice still sees hers, once"


def test_an_unknown_page_is_the_portals_own_not_found_page(alice):
    page = alice.get("/no-such-page/")
    assert page.status_code == 404 and b"Page not found" in page.content and b"portal.css" in page.content
    assert b'rel="icon"' in page.content and b"My keys" in page.content


def test_my_keys_shows_what_each_key_spent_this_month(alice, identity_of):
    from decimal import Decimal

    from usage.models import UsageRecord

    alice.get("/keys/")  # the first visit makes alice's identity
    identity = identity_of(alice)
    used = token_issue(identity=identity, ttl="7d", name="used").record
    idle = token_issue(identity=identity, ttl="7d", name="idle").record
    for n, cost in enumerate(("0.0100", "0.0250")):
        UsageRecord.objects.create(
            request_id=f"req_spend_{n}",
            identity=identity,
            identity_name=identity.name,
            token_id=used.token_id,
            endpoint="chat.completions",
            model_requested="m",
            cost_usd=Decimal(cost),
            status=200,
        )
    page = alice.get("/keys/").content.decode()
    used_row = page.split(f"<code>{used.token_id}</code>")[1].split("</tr>")[0]
    idle_row = page.split(f"<code>{idle.token_id}</code>")[1].split("</tr>")[0]
    assert "$0.0350 · 2 requests" in used_row and "—" in idle_row and "This month" in page


def test_a_fault_on_a_page_is_the_portals_own_error_page_without_details(db, settings):
    from django.test import Client
    from django.urls import path

    from sbcproject import urls

    def broken(request):
        raise RuntimeError("secret detail of the fault")

    site = {"urlpatterns": [path("broken/", broken), *urls.urlpatterns], "handler500": urls.handler500}
    settings.ROOT_URLCONF = type("urls", (), site)
    page = Client(raise_request_exception=False).get("/broken/")
    assert page.status_code == 500 and b"Something went wrong" in page.content and b"portal.css" in page.content
    assert b"secret detail" not in page.content and b"Traceback" not in page.content
