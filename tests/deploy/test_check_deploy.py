"""`manage.py check --deploy` with production settings raises no security warning."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

from tests.live import ROOT, server_env


def test_the_deploy_checklist_has_no_security_warnings():
    env = server_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="gateway.example.com",
        SECURE_SSL_REDIRECT="true",
        SESSION_COOKIE_SECURE="true",
        CSRF_COOKIE_SECURE="true",
        SECURE_HSTS_SECONDS="31536000",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.findall(r"\((security|admin|auth|staticfiles|sessions|csrf)\.[EW]\d+\)", output), output
