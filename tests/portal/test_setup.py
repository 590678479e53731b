"""Setup snippets, the model picker, "Test connection", and the SSO switch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape

import pytest

from core.cache import forget_all
from portal.snippets import KEY_PLACEHOLDER
from tests.live import ROOT
from tokens.keyformat import TOKEN_REGEX
from tokens.models import ApiToken, Quota

pytestmark = pytest.mark.django_db
SNIPPETS = ("env", "cursor", "continue-yaml", "continue-json", "cline", "aider", "python", "curl")


def snippet(page: str, slug: str) -> str:
    return unescape(re.search(rf'<pre id="snippet-{slug}"[^>]*><code>(.*?)</code></pre>', page, re.S).group(1))


@pytest.fixture
def bedrock_emulator(emulator, monkeypatch):
    """This process's Bedrock client pointed at the emulator, for test connections made in-process."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
    forget_all()  # clients made before the endpoint changed; primary keys repeat across rolled-back tests
    return emulator


def create(web) -> tuple[str, str]:
    page = web.post("/keys/create", {"name": "cli", "ttl": "7d"}, follow=True).content.decode()
    return re.search(TOKEN_REGEX, page).group(0), page


def test_snippets_show_the_base_url_and_a_placeholder_before_a_key_exists(alice, aliases, settings):
    settings.PUBLIC_BASE_URL = "https://ai.example.com"
    page = alice.get("/keys/").content.decode()
    assert 'id="base-url" type="text" readonly value="https://ai.example.com/v1"' in page
    for slug in SNIPPETS:
        text = snippet(page, slug)
        assert "https://ai.example.com/v1" in text and KEY_PLACEHOLDER in text, slug
        assert f'data-copy="snippet-{slug}"' in page
    env = snippet(page, "env")
    assert 'export OPENAI_API_KEY="sbc_YOUR_KEY"' in env and 'export OPENAI_BASE_URL="https://ai.example.com/v1"' in env
    assert 'export OPENAI_API_BASE="https://ai.example.com/v1"' in env
    assert json.loads(snippet(page, "continue-json"))["models"][0] == {
        "title": "claude-4-sonnet (Bedrock)",
        "provider": "openai",
        "model": "claude-4-sonnet",
        "apiBase": "https://ai.example.com/v1",
        "apiKey": KEY_PLACEHOLDER,
    }
    assert "provider: openai\n    model: claude-4-sonnet\n    apiBase: https://ai.example.com/v1" in snippet(
        page, "continue-yaml"
    )
    assert "aider --model openai/claude-4-sonnet" in snippet(page, "aider")
    assert 'OpenAI(base_url="https://ai.example.com/v1", api_key="sbc_YOUR_KEY")' in snippet(page, "python")
    assert "curl https://ai.example.com/v1/chat/completions" in snippet(page, "curl")
    assert "Model ID:  claude-4-sonnet" in snippet(page, "cline")
    assert "Override OpenAI Base URL:  https://ai.example.com/v1" in snippet(page, "cursor")


def test_right_after_creation_every_snippet_has_the_new_key(alice, aliases):
    key, page = create(alice)
    for slug in SNIPPETS:
        assert key in snippet(page, slug) and KEY_PLACEHOLDER not in snippet(page, slug), slug
    assert f'<input type="hidden" name="key" value="{key}">' in page, "the test form posts the key back"


def test_the_model_picker_offers_only_the_models_the_user_may_use(alice, identity_of, aliases):
    page = alice.get("/keys/").content.decode()
    assert '<option value="claude-4-sonnet" selected>' in page and '<option value="llama-3.3-70b"' in page
    assert 'value="titan-embed-text-v2"' not in page, "embedding models are not chat models"
    Quota.objects.update_or_create(
        identity=identity_of(alice), defaults={"allowed_models": "claude-3.5-haiku\nmistral-large"}
    )
    from tokens.quotas import limits_forget

    limits_forget()
    page = alice.get("/keys/").content.decode()
    assert re.findall(r'<option value="([^"]+)"', page.split('id="model-picker"')[1].split("</select>")[0]) == [
        "claude-3.5-haiku",
        "mistral-large",
    ]
    assert "aider --model openai/claude-3.5-haiku" in snippet(page, "aider")
    chosen = alice.get("/keys/?model=mistral-large").content.decode()
    assert "aider --model openai/mistral-large" in snippet(chosen, "aider")
    assert "claude-4-sonnet" not in snippet(alice.get("/keys/?model=claude-4-sonnet").content.decode(), "aider")


def test_test_connection_answers_through_the_gateway(alice, aliases, bedrock_emulator):
    key, _ = create(alice)
    response = alice.post("/keys/test", {"key": key, "model": "claude-4-sonnet"}, HTTP_ACCEPT="application/json")
    result = response.json()
    assert result["ok"] and result["status"] == 200 and result["answer"], result
    assert result["request_id"] and "no-store" in response["Cache-Control"]
    assert ApiToken.objects.get().last_used_at is not None, "it went through token authentication"
    page = alice.post("/keys/test", {"key": key, "model": "claude-4-sonnet"}).content.decode()
    assert "Connected." in page and "claude-4-sonnet answered" in page
    assert key in page, "without JavaScript the page keeps the key the user posted, so it can still be copied"


def test_test_connection_shows_the_exact_error(alice, identity_of, aliases, bedrock_emulator):
    key, _ = create(alice)
    Quota.objects.update_or_create(identity=identity_of(alice), defaults={"allowed_models": "claude-3.5-haiku"})
    from tokens.quotas import limits_forget

    limits_forget()
    denied = alice.post("/keys/test", {"key": key, "model": "claude-4-sonnet"}, HTTP_ACCEPT="application/json").json()
    assert not denied["ok"] and denied["status"] == 403 and "claude-4-sonnet" in denied["error"], denied
    alice.post("/keys/revoke", {"token_id": ApiToken.objects.get().token_id, "confirm": "on"})
    revoked = alice.post("/keys/test", {"key": key, "model": "claude-3.5-haiku"}).content.decode()
    assert "Failed with HTTP 403 (invalid_request_error):</strong> Invalid or expired token" in revoked


def test_test_connection_refuses_keys_that_are_not_the_users(alice, bob, aliases, bedrock_emulator):
    alice_key, _ = create(alice)
    result = bob.post(
        "/keys/test", {"key": alice_key, "model": "claude-4-sonnet"}, HTTP_ACCEPT="application/json"
    ).json()
    assert result == {
        "ok": False,
        "status": 400,
        "model": "claude-4-sonnet",
        "answer": "",
        "error": "That is not one of your keys.",
        "error_type": "",
        "request_id": "",
    }
    page = bob.post("/keys/test", {"key": alice_key, "model": "claude-4-sonnet"}).content.decode()
    assert alice_key not in page
    assert ApiToken.objects.get().last_used_at is None


LOGIN_PAGE = """
import django, os
django.setup()
from django.test import Client
from django.urls import reverse
response = Client().get("/accounts/login/", HTTP_HOST="localhost")
assert response.status_code == 200, response.status_code
page = response.content.decode()
try:
    url = reverse("oidc_authentication_init")
except Exception:
    url = ""
print(("Sign in with SSO" in page), url, ("portal.sso.GatewayOIDCBackend" in
      __import__("django.conf").conf.settings.AUTHENTICATION_BACKENDS))
"""
OIDC = {
    "OIDC_RP_CLIENT_ID": "portal",
    "OIDC_RP_CLIENT_SECRET": "s3cret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example.com/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example.com/token",
    "OIDC_OP_USER_ENDPOINT": "https://idp.example.com/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://idp.example.com/jwks",
}


def login_page_with(env: dict, static_root) -> subprocess.CompletedProcess:
    """The login page under production settings, whose static file storage needs the collected manifest."""
    from tests.live import server_env

    return subprocess.run(
        [sys.executable, "-c", LOGIN_PAGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(DATABASE_URL="sqlite:///:memory:", STATIC_ROOT=str(static_root), **env),
    )


def test_sso_button_and_urls_appear_only_when_configured(static_root):
    off = login_page_with({}, static_root)
    assert off.stdout.split() == ["False", "False"], off.stderr
    on = login_page_with(OIDC, static_root)
    assert on.stdout.split() == ["True", "/oidc/authenticate/", "True"], on.stderr
    incomplete = login_page_with({**OIDC, "OIDC_OP_JWKS_ENDPOINT": ""}, static_root)
    assert incomplete.returncode != 0 and "OIDC_OP_JWKS_ENDPOINT" in incomplete.stderr
