"""The token list tells the admin what the Secrets Manager mirror costs a month at today's count of live tokens."""

from __future__ import annotations

import re
import tomllib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.live import ROOT
from tokens.models import ApiToken
from tokens.services import identity_get_or_create, token_issue

LIST_URL = "/admin/tokens/apitoken/"
SECRET = tomllib.loads((ROOT / "deploy" / "cost" / "prices.toml").read_text())["price"]["secret"]


@pytest.fixture
def staff(db) -> Client:
    browser = Client()
    browser.force_login(
        get_user_model().objects.create_user("root", password="pw-root-1234", is_staff=True, is_superuser=True)
    )
    return browser


def issue(count: int, identity: str = "jane@dev") -> None:
    for _ in range(count):
        token_issue(identity=identity_get_or_create(name=identity), ttl="30d")


def cost_line(page: str) -> str:
    found = re.search(r'<p class="help mirror-cost">(.*?)</p>', page, re.S)
    assert found, "the token list shows what the mirror costs"
    return " ".join(found.group(1).split())


def test_the_token_list_prices_the_mirror_at_todays_live_tokens(staff, settings):
    settings.SECRETS_MIRROR = "off"  # issuing needs no AWS; the line speaks of the setting as it is
    issue(3)
    gone = ApiToken.objects.create(
        identity=identity_get_or_create(name="old@dev"), token_id="OLDOLDOLD001", digest="x" * 64,
        expires_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    assert gone.status != "active"
    settings.SECRETS_MIRROR = "on"
    line = cost_line(staff.get(LIST_URL).content.decode())
    assert SECRET["usd"] == 0.40 and SECRET["read"] == "2026-12"
    assert "on." in line
    assert "3 live tokens mirrored: $0.40 x 3 = $1.20/month (Secrets Manager, us-east-1, 2026-12)" in line


def test_with_the_mirror_off_it_says_what_turning_it_on_would_cost(staff, settings):
    settings.SECRETS_MIRROR = "off"
    issue(1)
    line = cost_line(staff.get(LIST_URL).content.decode())
    assert "off." in line
    assert "Turned on, it would mirror 1 live token: $0.40 x 1 = $0.40/month" in line


def test_a_package_without_the_price_table_still_counts_the_secrets(staff, settings, monkeypatch):
    settings.SECRETS_MIRROR = "off"
    issue(2)
    monkeypatch.setattr("tokens.admin.PRICE_TABLE", ROOT / "no-such-table.toml")
    line = cost_line(staff.get(LIST_URL).content.decode())
    assert "2 live tokens" in line and "$" not in line
    assert "Secrets Manager charges for each secret every month" in line
