"""Attack class: signatures under an empty secret. Every HMAC the product relies on is Django's (sessions, CSRF,
password-reset links, the signed messages cookie) under DJANGO_SECRET_KEY and its fallbacks, plus an HS256 ID token
under OIDC_RP_CLIENT_SECRET when single sign-on uses it. The gateway refuses to start with any of them blank, so
nobody can sign with a key everyone knows. (API tokens carry a CRC checksum, not a signature: their secret is the
190 random bits, and only their SHA-256 digest is stored.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.live import ROOT

BASE = {"SBC_READ_DOT_ENV": "0", "DJANGO_DEBUG": "false", "PATH": "/usr/bin:/bin"}
SSO = {
    "OIDC_RP_CLIENT_ID": "gateway",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.com/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://sso.example.com/userinfo",
    "OIDC_RP_SIGN_ALGO": "HS256",
}


def settings_of(**env: str) -> subprocess.CompletedProcess:
    """Load the production settings in a fresh interpreter with exactly `env`; print the keys in use."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sbcproject.settings'\n"
        "from django.conf import settings\n"
        "print(repr(settings.SECRET_KEY)); print(repr(settings.SECRET_KEY_FALLBACKS))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**BASE, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("key", ["", " ", "\t\n  "])
def test_a_blank_secret_key_stops_start_up(key):
    started = settings_of(DJANGO_SECRET_KEY=key)
    assert started.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in started.stderr


def test_blank_fallback_keys_are_never_used_to_verify():
    started = settings_of(DJANGO_SECRET_KEY="k" * 50, DJANGO_SECRET_KEY_FALLBACKS="old-key-" + "o" * 42 + ", ,  ")
    assert started.returncode == 0, started.stderr
    assert started.stdout.splitlines()[1] == repr(["old-key-" + "o" * 42])


@pytest.mark.parametrize("secret", ["", None])
def test_single_sign_on_without_its_client_secret_stops_start_up(secret):
    env = {**SSO, "DJANGO_SECRET_KEY": "k" * 50}
    if secret is not None:
        env["OIDC_RP_CLIENT_SECRET"] = secret
    started = settings_of(**env)
    assert started.returncode != 0 and "OIDC_RP_CLIENT_SECRET" in started.stderr


def test_single_sign_on_with_its_client_secret_starts():
    started = settings_of(**SSO, DJANGO_SECRET_KEY="k" * 50, OIDC_RP_CLIENT_SECRET="s" * 40)
    assert started.returncode == 0, started.stderr
