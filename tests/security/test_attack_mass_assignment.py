"""Attack class: mass assignment. Forms ignore every field their caller may not set: the portal's key form takes a
name and one of the offered lifetimes, nothing else (not the owner, identity, limits, scopes, expiry or staff
flags); the admin's token form takes a name only; the password form changes the password only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from tokens.models import ApiToken, Identity, Quota
from tokens.services import identity_get_or_create, token_issue

EXTRA = {
    "identity": "",
    "identity_id": "",
    "identity_name": "bob@example.com",
    "owner": "",
    "user": "",
    "user_id": "",
    "token_id": "AAAAAAAAAAAA",
    "digest": "0" * 64,
    "expires_at": "2099-01-01T00:00:00Z",
    "revoked_at": "",
    "created_by": "root",
    "requests_per_minute": "1000000",
    "tokens_per_day": "0",
    "usd_per_month": "999999",
    "allowed_models": "*",
    "models": "*",
    "scopes": "admin",
    "allowed_routes": "/*",
    "role": "admin",
    "is_staff": "on",
    "is_superuser": "on",
    "is_active": "on",
}


@pytest.mark.django_db
def test_the_portal_key_form_takes_a_name_and_an_offered_lifetime_only(alice, bob):
    bob.get("/keys/")  # bob's identity exists from his first visit
    bob_identity = Identity.objects.get(user=bob.user)
    EXTRA.update(identity=str(bob_identity.pk), identity_id=str(bob_identity.pk), user=str(bob.user.pk))
    EXTRA.update(owner=str(bob.user.pk), user_id=str(bob.user.pk))
    before = timezone.now()
    response = alice.post("/keys/create", {"name": "mine", "ttl": "7d", **EXTRA})
    assert response.status_code == 302
    [key] = ApiToken.objects.filter(name="mine")
    assert key.identity.user == alice.user and key.token_id != "AAAAAAAAAAAA" and key.digest != "0" * 64
    assert before + timedelta(days=7) - timedelta(minutes=1) < key.expires_at < timezone.now() + timedelta(days=7)
    assert key.revoked_at is None and key.created_by != "root"
    for quota in Quota.objects.filter(identity=key.identity):  # the defaults, if any: never the caller's values
        assert quota.requests_per_minute != 1_000_000 and quota.usd_per_month != 999_999
        assert quota.allowed_models != "*" and quota.tokens_per_day != 0
    assert not ApiToken.objects.filter(identity=bob_identity).exists()
    alice.user.refresh_from_db()
    assert not alice.user.is_staff and not alice.user.is_superuser


@pytest.mark.django_db
@pytest.mark.parametrize("ttl", ["365d", "100000d", "0d", "-1d", "1d; DROP TABLE x"])
def test_a_lifetime_that_is_not_offered_is_refused(alice, ttl):
    assert alice.post("/keys/create", {"name": "x", "ttl": ttl}).status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_admin_token_form_changes_the_name_and_nothing_else(admin):
    jane, eve = identity_get_or_create(name="jane@test"), identity_get_or_create(name="eve@test")
    record = token_issue(identity=jane, ttl="1d", name="old").record
    before = ApiToken.objects.values().get(pk=record.pk)
    url = reverse("admin:tokens_apitoken_change", args=[record.pk])
    admin.post(url, {**EXTRA, "name": "new", "identity": str(eve.pk), "revoked_at": "2020-01-01T00:00:00Z"})
    after = ApiToken.objects.values().get(pk=record.pk)
    assert after.pop("name") == "new"
    before.pop("name")
    assert after == before


@pytest.mark.django_db
def test_the_password_form_changes_the_password_only(alice):
    response = alice.post(
        "/accounts/password/",
        {
            "old_password": "pw-alice-Secret1",
            "new_password1": "another-Secret-2",
            "new_password2": "another-Secret-2",
            **EXTRA,
            "username": "root",
            "email": "root@example.com",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(pk=alice.user.pk)
    assert user.check_password("another-Secret-2")
    assert (user.username, user.email, user.is_staff, user.is_superuser) == ("alice", "alice@example.com", False, False)


@pytest.mark.django_db
def test_a_developer_cannot_reach_the_admin_forms_at_all(alice):
    identity = identity_get_or_create(name="jane@test")
    for url in (
        reverse("admin:tokens_identity_change", args=[identity.pk]),
        reverse("admin:tokens_quota_add") if "tokens_quota_add" in _admin_names() else "/admin/tokens/",
        reverse("admin:auth_user_change", args=[alice.user.pk]),
    ):
        response = alice.post(url, {**EXTRA, "requests_per_minute": "5"})
        assert response.status_code == 302 and "/admin/login/" in response["location"], url
    alice.user.refresh_from_db()
    assert not alice.user.is_staff


def _admin_names() -> set[str]:
    from django.contrib import admin as django_admin

    return {f"{m._meta.app_label}_{m._meta.model_name}_add" for m in django_admin.site._registry}
