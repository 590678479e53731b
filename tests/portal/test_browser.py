"""The whole self-service loop in Debian's Chromium against the live gateway: sign in, create a key, copy it,
use it with the openai SDK, see the request in My usage, revoke it, see it refused. Screenshots of each page
go to artifacts/screenshots/."""

from __future__ import annotations

import itertools
import os
import time

import openai
import pytest

from tests.portal.browser import CHROMIUM, committed, launched, shot, sign_in

_names = itertools.count()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]


@pytest.fixture
def chromium(gateway, developer):
    with launched() as browser:
        yield browser


@pytest.fixture
def developer(django_db_blocker):
    """A developer account committed for the live server: (username, password)."""
    from django.contrib.auth import get_user_model

    username, password = f"dev{os.getpid()}x{next(_names)}", "Portal-Test-Passw0rd"
    committed(
        django_db_blocker,
        lambda: get_user_model().objects.create_user(username, email=f"{username}@example.com", password=password),
    )
    return username, password


@pytest.fixture
def page(chromium, gateway):
    context = chromium.new_context(base_url=gateway.url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sdk(gateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0, timeout=30)


def test_a_developer_does_the_whole_loop_in_the_browser(page, gateway, developer):
    from playwright.sync_api import expect  # waits without evaluating strings, which the portal's CSP forbids

    sign_in(page, *developer)
    assert page.get_by_role("heading", name="My keys").is_visible()
    assert page.get_by_role("link", name="Admin").count() == 0, "not staff"
    shot(page, "02-keys-empty")

    page.get_by_label("Name").fill("browser laptop")
    page.get_by_label("Expires after").select_option("7d")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("It will not be shown again").wait_for()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("sbc_") and page.url.endswith("/keys/new") and key not in page.url

    page.get_by_role("button", name="Copy key").click()
    expect(page.locator("#copy-status")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert key in page.locator("#snippet-env").inner_text()
    page.get_by_label("Model").select_option("claude-3.5-haiku")
    page.locator("summary", has_text="Aider").click()
    assert "aider --model openai/claude-3.5-haiku" in page.locator("#snippet-aider").inner_text()
    page.get_by_role("button", name="Test connection").click()
    page.locator("#test-result .notice-success").wait_for()
    assert "claude-3.5-haiku answered" in page.locator("#test-result").inner_text()
    shot(page, "03-key-created")
    keys_before = page.locator("table.keys tbody tr").count()
    page.reload()  # a reload neither shows the key again nor mints another
    page.get_by_text("This key is no longer shown").wait_for()
    assert page.get_by_label("API key").count() == 0 and page.locator("table.keys tbody tr").count() == keys_before
    shot(page, "03-key-shown-once")

    reply = sdk(gateway, key).chat.completions.create(
        model="claude-4-sonnet", messages=[{"role": "user", "content": "hello from the portal test"}]
    )
    assert reply.choices[0].message.content

    page.get_by_role("link", name="My usage").click()
    page.wait_for_url("**/usage/")
    recent = page.locator("table.recent")
    assert recent.locator("tr", has_text="claude-4-sonnet").count() >= 1, "the SDK's request"
    assert recent.locator("tr", has_text="claude-3.5-haiku").count() >= 1, "the connection test"
    assert page.get_by_text("Requests this month").is_visible()
    shot(page, "04-usage")

    page.get_by_role("link", name="My keys").click()
    token_id = page.locator("table.keys tbody tr", has_text="browser laptop").locator("code").inner_text()
    assert key not in page.content(), "the key is never shown again"
    shot(page, "05-keys-list")
    page.get_by_role("button", name=f"Revoke key {token_id}").click()
    page.get_by_role("heading", name=f"Revoke key {token_id}?").wait_for()
    shot(page, "06-revoke-confirm")
    page.get_by_role("button", name="Revoke key").click()
    page.wait_for_url("**/keys/")
    assert page.get_by_text(f"Key {token_id} is revoked").is_visible()
    row = page.locator("table.keys tbody tr", has_text="browser laptop")
    assert row.locator(".status").inner_text() == "revoked"
    shot(page, "07-revoked")

    deadline = time.monotonic() + 5  # revocation reaches every worker within about a second
    while True:
        try:
            sdk(gateway, key).chat.completions.create(
                model="claude-4-sonnet", messages=[{"role": "user", "content": "still there?"}]
            )
        except openai.PermissionDeniedError as exc:
            assert exc.status_code == 403
            break
        assert time.monotonic() < deadline, "the revoked key kept working"
        time.sleep(0.25)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def test_pages_work_at_phone_width_and_with_the_keyboard(chromium, gateway, developer):
    context = chromium.new_context(base_url=gateway.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        sign_in(page, *developer)
        page.get_by_label("Name").fill("phone")
        page.get_by_role("button", name="Create key").click()
        page.get_by_text("It will not be shown again").wait_for()
        page.goto("/keys/")  # the list of keys is a table, which must scroll inside its box, not the page
        page.locator("table.keys").wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the keys page scrolls sideways at phone width ({width}px)"
        shot(page, "08-keys-mobile")
        page.goto("/usage/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "09-usage-mobile")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "Skip to content"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        css = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in css, "the portal stylesheet is served from static files"
    finally:
        context.close()
