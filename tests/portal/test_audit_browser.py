"""The audit trail in Debian's Chromium against the live gateway: an admin revokes a token in the admin, opens the
audit trail, filters it, and finds the revoke with who did it and what changed; the portal and the admin carry the
one product name."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.portal.browser import CHROMIUM, committed, launched, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PASSWORD = "Audit-Trail-Passw0rd"
_runs = itertools.count()


@pytest.fixture
def scene(gateway, django_db_blocker):
    """A superuser and a live token of another identity, committed for the live server."""

    def write():
        from django.contrib.auth import get_user_model

        from tokens.models import Identity
        from tokens.services import token_issue

        run = f"{os.getpid()}x{next(_runs)}"
        get_user_model().objects.create_superuser(f"auditor{run}", email=f"auditor{run}@example.com", password=PASSWORD)
        identity = Identity.objects.create(name=f"audited{run}@example.com")
        token = token_issue(identity=identity, ttl="7d", name="to be revoked", created_by="test").record
        return f"auditor{run}", token.pk, token.token_id

    return committed(django_db_blocker, write)


@pytest.fixture
def page(scene, gateway):
    with launched() as browser:
        context = browser.new_context(base_url=gateway.url, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()


def test_an_admin_revokes_a_token_and_finds_it_in_the_audit_trail(page, scene):
    from playwright.sync_api import expect

    admin, token_pk, token_id = scene
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").inner_text() == "Simple Bedrock Connector"

    page.goto(f"/admin/tokens/apitoken/{token_pk}/revoke/")
    page.get_by_role("button", name=f"Revoke token {token_id}").click()
    expect(page.get_by_text(f"Token {token_id} is revoked")).to_be_visible()

    page.goto("/admin/")
    page.locator("#content-main a[href$='/audit/auditentry/']", has_text="Audit trail").first.click()
    page.wait_for_url("**/admin/audit/auditentry/")
    page.locator("#changelist-filter").get_by_role("link", name="revoke", exact=True).click()
    page.wait_for_url("**action__exact=revoke**")
    page.locator("#searchbar").fill(token_id)
    page.locator("#changelist-search [type=submit]").click()
    page.wait_for_url(f"**q={token_id}**")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first.inner_text()
    shot(page, "audit-trail-filtered")
    assert f"admin:{admin}" in row and "revoke" in row and token_id in row
    assert f"revoked_by: — → admin:{admin}" in row and "revoked_at: — → " in row

    export = page.get_by_role("link", name="Export CSV")
    assert "action__exact=revoke" in export.get_attribute("href") and token_id in export.get_attribute("href")
    assert page.get_by_role("link", name="Add audit entry").count() == 0, "nobody adds to the trail by hand"


def test_the_portal_calls_itself_by_the_products_name(page):
    page.goto("/accounts/login/")
    assert page.title().endswith("· Simple Bedrock Connector")
    assert page.locator(".site-header .brand").inner_text() == "Simple Bedrock Connector"
