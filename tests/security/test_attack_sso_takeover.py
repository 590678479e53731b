"""Attack class: taking over an admin account through single sign-on (finding 13 of the security review).

Single sign-on matches a returning user by e-mail. Whoever gets an identity provider to assert an admin's address
(an unverified address, a self-service directory) must not sign in as that staff or superuser account unless an
admin allowed it (OIDC_ALLOW_STAFF_LOGIN); an address the provider says it has not verified never signs anyone in.

The gateway starts with SSO configured, as settings read it, and the sign-in callback's backend (whichever
AUTHENTICATION_BACKENDS names) gets the claims a provider would return: the token exchange is stubbed, nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.live import ROOT, server_env

OIDC = {
    "OIDC_RP_CLIENT_ID": "portal",
    "OIDC_RP_CLIENT_SECRET": "s3cret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example.com/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example.com/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example.com/jwks",
}

SIGN_INS = r"""
import json
from unittest import mock

import django

django.setup()
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.test import RequestFactory
from django.utils.module_loading import import_string

call_command("migrate", verbosity=0)
User = get_user_model()
User.objects.create_superuser("root", "root@example.com", "pw-Root-Secret-1")
User.objects.create_user("ops", email="ops@example.com", is_staff=True)
User.objects.create_user("jane", email="jane@example.com")
backend = import_string(settings.AUTHENTICATION_BACKENDS[-1])


def sign_in(claims):
    request = RequestFactory().get("/oidc/callback/", {"code": "code", "state": "state"}, HTTP_HOST="localhost")
    request.session = SessionStore()
    with mock.patch.object(backend, "get_token", return_value={"id_token": "id", "access_token": "access"}), \
            mock.patch.object(backend, "verify_token", return_value={"sub": "x"}), \
            mock.patch.object(backend, "get_userinfo", return_value=claims):
        user = authenticate(request=request, nonce=None)
    return user.username if user else None


cases = {
    "superuser": {"email": "ROOT@example.com", "email_verified": True},
    "staff": {"email": "ops@example.com"},
    "developer": {"email": "jane@example.com", "email_verified": True},
    "unverified": {"email": "jane@example.com", "email_verified": False},
    "unverified_as_text": {"email": "jane@example.com", "email_verified": "false"},
}
result = {name: sign_in(claims) for name, claims in cases.items()}
result["accounts"] = sorted(User.objects.values_list("username", flat=True))
result["staff_still"] = sorted(User.objects.filter(is_staff=True).values_list("username", flat=True))
print(json.dumps(result))
"""


def sign_ins(tmp_path, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SIGN_INS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'sso.sqlite3'}", DJANGO_DEBUG="true", **OIDC, **env),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def default_sign_ins(tmp_path_factory) -> dict:
    return sign_ins(tmp_path_factory.mktemp("sso"))


def test_sso_never_signs_in_as_a_staff_or_superuser_account(default_sign_ins):
    assert default_sign_ins["superuser"] is None
    assert default_sign_ins["staff"] is None
    assert default_sign_ins["staff_still"] == ["ops", "root"], "no account was changed"
    assert sorted(default_sign_ins["accounts"]) == ["jane", "ops", "root"], "no look-alike account was made either"


def test_sso_signs_in_a_developer_whose_address_is_verified(default_sign_ins):
    assert default_sign_ins["developer"] == "jane"


def test_an_address_the_provider_has_not_verified_signs_nobody_in(default_sign_ins):
    assert default_sign_ins["unverified"] is None
    assert default_sign_ins["unverified_as_text"] is None


def test_an_admin_may_allow_staff_to_sign_in_with_sso(tmp_path):
    allowed = sign_ins(tmp_path, OIDC_ALLOW_STAFF_LOGIN="true")
    assert allowed["superuser"] == "root" and allowed["staff"] == "ops"
    assert allowed["unverified"] is None
