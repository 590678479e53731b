"""Every portal and admin page in Debian's Chromium at desktop (1280 px) and phone (390 px) width: none scrolls
sideways, none logs a console error or a CSP violation, a new key is shown exactly once and a reload issues
nothing. Screenshots of every page go to artifacts/screenshots/pages/."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.portal.browser import CHROMIUM, SHOTS, committed, launched

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
PASSWORD = "Every-Page-Passw0rd"
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SCHEMES = {"desktop": "light", "phone": "dark"}  # each page is seen in both colour schemes, one per width
_runs = itertools.count()
# Scroll boxes around the portal's tables, and table cells, whose content is wider than what they show.
CLIPPED_TABLES = """() => [...document.querySelectorAll('.table-scroll, .table-scroll td, .table-scroll th')]
  .filter(box => box.offsetParent !== null && box.scrollWidth > box.clientWidth + 1)
  .map(box => `${box.tagName.toLowerCase()} ${box.scrollWidth}>${box.clientWidth}: ${box.innerText.slice(0, 40)}`)"""


@dataclass
class Site:
    developer: str
    admin: str
    admin_pages: list[tuple[str, str]] = field(default_factory=list)  # (name, path)


def _populate() -> Site:
    """A developer near their quota with a key and usage, a superuser, and a row of every admin model."""
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.urls import NoReverseMatch, reverse

    from gateway.models import ModelAlias
    from tokens.models import Identity, Quota
    from tokens.services import token_issue
    from usage.models import BudgetAlert, UsageRecord
    from usage.windows import calendar

    run = f"{os.getpid()}x{next(_runs)}"
    users = get_user_model().objects
    developer = users.create_user(f"pages{run}", email=f"pages{run}@example.com", password=PASSWORD)
    boss = users.create_superuser(f"boss{run}", email=f"boss{run}@example.com", password=PASSWORD)
    identity = Identity.objects.create(name=f"pages{run}@example.com", user=developer)
    Quota.objects.update_or_create(identity=identity, defaults={"tokens_per_month": 10_000, "alert_percent": 80})
    token = token_issue(identity=identity, ttl="30d", name="laptop with a rather long name", created_by="test").record
    for n in range(3):
        UsageRecord.objects.create(
            request_id=f"req-pages-{run}-{n}",
            identity=identity,
            identity_name=identity.name,
            token_id=token.token_id,
            endpoint="chat.completions",
            model_requested="claude-4-sonnet",
            model_resolved="us.anthropic.claude-sonnet-4-20250514-v1:0",
            prompt_tokens=2500,
            completion_tokens=500,
            total_tokens=3000,
            cost_usd=Decimal("0.0123"),
            latency_ms=1234,
            status=200,
            client="claude-code/2.1.332",
            adapted="tool:web_search, unknown:store",
        )
    BudgetAlert.objects.create(
        identity=identity,
        quota="tokens_per_month",
        window_start=calendar.month_start(calendar.clock()),
        level="near",
        used=9000,
        limit=10_000,
        delivered_to="email",
    )
    target = ModelAlias.objects.get(name="claude-4-sonnet")
    ModelAlias.objects.get_or_create(name=f"team-{run}", defaults={"alias_of": target})

    pages = [("index", reverse("admin:index"))]
    for model in admin.site._registry:
        meta = model._meta
        name = f"{meta.app_label}-{meta.model_name}"
        pages.append((name, reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")))
        first = model._default_manager.order_by("-pk").first() if meta.model_name != "usagedashboard" else None
        if first is not None:
            try:
                pages.append(
                    (f"{name}-change", reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
                )
            except NoReverseMatch:
                pass
    pages += [
        ("tokens-issue", reverse("admin:tokens_apitoken_issue")),
        ("tokens-revoke", reverse("admin:tokens_apitoken_revoke", args=[token.pk])),
        (
            "alias-of-alias",
            reverse("admin:gateway_modelalias_change", args=[ModelAlias.objects.get(name=f"team-{run}").pk]),
        ),
        ("usage-dashboard-long", reverse("admin:usage_usagedashboard_changelist") + "?start=2025-01-01"),
    ]
    return Site(developer.username, boss.username, pages)


@pytest.fixture
def site(gateway, django_db_blocker):
    return committed(django_db_blocker, _populate)


@pytest.fixture
def browser(site):
    with launched() as chromium:
        yield chromium


@pytest.fixture(params=WIDTHS)
def watched(request, browser, gateway):
    """A page at the parameter's width (desktop in the light scheme, phone in the dark one), watched."""
    label = request.param
    width, height = WIDTHS[label]
    context = browser.new_context(
        base_url=gateway.url,
        viewport={"width": width, "height": height},
        is_mobile=width < 500,
        color_scheme=SCHEMES[label],
    )
    area = "admin" if "admin" in request.function.__name__ else "portal"
    yield Watched(context.new_page(), width, f"{area}-{label}")
    context.close()


class Watched:
    """A page whose console errors, uncaught exceptions and failed requests are collected."""

    def __init__(self, page, width: int, label: str) -> None:
        self.page, self.width, self.label, self.problems = page, width, label, []
        page.on("console", lambda message: message.type == "error" and self.problems.append(message.text))
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def visit(self, name: str, path: str | None = None, *, status: int = 200) -> None:
        if path is not None:
            response = self.page.goto(path)
            assert response is not None and response.status == status, f"{path}: {response and response.status}"
        if status >= 400:  # the browser reports the page's own status; anything else is a fault
            self.problems.remove(f"Failed to load resource: the server responded with a status of {status} (Not Found)")
        self.check(name)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        overflow = page.evaluate("document.documentElement.scrollWidth")
        SHOTS.joinpath("pages").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "pages" / f"{self.label}-{name}.png"), full_page=True)
        assert overflow <= self.width, f"{name} scrolls sideways at {self.width}px ({overflow}px wide)"
        if self.width >= 1280:  # on a desktop every table fits its box: no column is cut off behind a scroll bar
            clipped = page.evaluate(CLIPPED_TABLES)
            assert clipped == [], f"{name}: a table is cut off at {self.width}px: {clipped}"
        assert self.problems == [], f"{name}: {self.problems}"


def sign_in(page, username: str, login_path: str) -> None:
    page.goto(login_path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state("load")


def test_every_portal_page_fits_and_shows_a_new_key_once(watched, site):
    phone = watched.width < 500
    page = watched.page
    watched.visit("login", "/accounts/login/")
    sign_in(page, site.developer, "/accounts/login/")
    page.wait_for_url("**/keys/")
    watched.check("keys")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(17, 21, 26)" if phone else "rgb(246, 247, 249)"), "dark on the phone, light on the desk"
    assert "You have used 90% of your monthly token quota" in page.locator("#standing").inner_text()

    keys_before = page.locator("table.keys tbody tr").count()
    page.get_by_label("Name", exact=True).fill("phone" if phone else "desk")
    page.get_by_role("button", name="Create key").click()
    page.get_by_text("It will not be shown again").wait_for()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("sbc_") and page.content().count(key) >= 1
    expiry = page.locator("time[data-local]")
    assert expiry.inner_text().endswith("(your time)") and expiry.get_attribute("title").endswith("UTC")
    watched.check("key-new")
    for name in ("Claude Code", "Codex"):
        assert page.locator("summary", has_text=name).count() == 1, f"a {name} snippet"
    page.reload()
    page.get_by_text("This key is no longer shown").wait_for()
    assert key not in page.content() and page.locator("table.keys tbody tr").count() == keys_before + 1
    page.go_back()
    page.wait_for_load_state("load")
    assert key not in page.content() and page.locator("table.keys tbody tr").count() == keys_before + 1
    watched.check("key-gone")

    watched.visit("usage", "/usage/")
    watched.visit("password", "/accounts/password/")
    page.goto("/keys/")
    page.locator("table.keys tbody tr", has_text="laptop").get_by_role("button", name="Revoke key").click()
    page.get_by_role("heading", name="Revoke key").wait_for()
    watched.check("revoke-confirm")
    watched.visit("not-found", "/no-such-page/", status=404)


def test_every_admin_page_fits_and_logs_no_error(watched, site):
    width = watched.width
    watched.visit("login", "/admin/login/")
    sign_in(watched.page, site.admin, "/admin/login/")
    for name, path in site.admin_pages:
        watched.visit(name, path)
    if width >= 1280:  # the columns that matter are in view without scrolling the lists
        for path, columns in (
            ("/admin/tokens/apitoken/", ("status", "expires at", "last used", "this month")),
            ("/admin/tokens/identity/", ("is active", "this month", "quota used")),
            ("/admin/usage/usagerecord/", ("status", "cost", "latency", "client")),
        ):
            watched.page.goto(path)
            header = watched.page.locator("#result_list thead").inner_text().lower()
            scrolls = watched.page.evaluate(
                "(box => box.scrollWidth > box.clientWidth)(document.querySelector('#changelist .results'))"
            )
            assert not scrolls, f"{path}: the list scrolls sideways at {width}px"
            for column in columns:
                assert column in header, f"{path}: {column}"
