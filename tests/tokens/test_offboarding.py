"""Offboarding in the admin: deactivating or deleting a user revokes its identity's keys, and says so first."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from core.errors import InvalidToken
from tokens.authentication import token_authenticate
from tokens.models import ApiToken, Identity
from tokens.services import token_issue


@pytest.fixture
def leaver(db):
    user = get_user_model().objects.create_user("leaver", email="leaver@example.com")
    identity = Identity.objects.create(name="leaver@example.com", user=user)
    keys = [token_issue(identity=identity, ttl="1d").token for _ in range(2)]
    return user, keys


def refused(key: str) -> bool:
    try:
        token_authenticate(key)
    except InvalidToken:
        return True
    return False


def test_the_change_page_warns_which_keys_stop(admin, leaver):
    user, _ = leaver
    page = admin.get(f"/admin/auth/user/{user.pk}/change/").content.decode()
    assert "2 active keys of identity leaver@example.com will stop working" in page
    assert "re-activating the user later does not bring them back" in page


def test_deactivating_in_the_admin_revokes_the_keys_and_says_so(admin, leaver):
    user, keys = leaver
    form = {
        "username": user.username,
        "email": user.email,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }  # is_active left out: unticked
    answer = admin.post(f"/admin/auth/user/{user.pk}/change/", form, follow=True)
    assert "User deactivated: 2 active keys of identity leaver@example.com were revoked" in answer.content.decode()
    assert all(refused(key) for key in keys)
    assert set(ApiToken.objects.values_list("revoked_by", flat=True)) == {"offboarding: user leaver deactivated"}

    user.refresh_from_db()
    user.is_active = True
    user.save()
    assert all(refused(key) for key in keys), "re-activating the user does not bring the keys back"


def test_deleting_a_user_revokes_the_keys_and_keeps_the_identity(admin, leaver):
    user, keys = leaver
    confirmation = admin.get(f"/admin/auth/user/{user.pk}/delete/").content.decode()
    assert "2 active keys of identity leaver@example.com will stop working" in confirmation
    admin.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert all(refused(key) for key in keys)
    assert Identity.objects.get(name="leaver@example.com").user is None


def test_saving_an_active_user_or_a_sign_in_leaves_the_keys_alone(leaver):
    user, keys = leaver
    user.first_name = "Lee"
    user.save()
    user.save(update_fields=["last_login"])
    assert not any(refused(key) for key in keys)
