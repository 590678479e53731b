"""My usage: this month's tokens, cost and requests against the quota, per day, per model, latest requests."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokens.models import Quota
from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
_ids = itertools.count()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    from usage.windows import calendar

    monkeypatch.setattr(calendar, "clock", lambda: NOW)


def record(identity, *, model="claude-4-sonnet", tokens=100, cost="0.01", status=200, at=NOW, **extra):
    return UsageRecord.objects.create(
        request_id=f"req-{next(_ids)}",
        identity=identity,
        identity_name=identity.name,
        token_id="abcdefabcdef",
        endpoint="chat.completions",
        model_requested=model,
        prompt_tokens=tokens // 2,
        completion_tokens=tokens - tokens // 2,
        total_tokens=tokens,
        cost_usd=Decimal(cost),
        status=status,
        created_at=at,
        **extra,
    )


@pytest.fixture
def alice_identity(alice, identity_of):
    alice.get("/keys/")
    return identity_of(alice)


def test_this_months_usage_is_shown_against_the_quota(alice, alice_identity):
    Quota.objects.update_or_create(
        identity=alice_identity,
        defaults=dict(
            tokens_per_month=10_000, usd_per_month=Decimal("2.00"), tokens_per_day=1000, requests_per_minute=60
        ),
    )
    record(alice_identity, tokens=3000, cost="0.50", at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    record(alice_identity, tokens=1000, cost="0.25", model="llama-3.3-70b")
    record(alice_identity, tokens=0, cost="0", status=429, error_code="rate_limit_exceeded")
    record(alice_identity, tokens=99_999, at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC))  # last month
    page = alice.get("/usage/").content.decode()
    assert "March 2026" in page
    assert re.search(
        r'<label for="progress-tokens-month"[^>]*>Tokens this month</label>\s*<progress id="progress-tokens-month" '
        r'max="100" value="40"',
        page,
    )
    assert "<strong>4,000</strong> of 10,000 (40%)" in page
    assert "<strong>1,000</strong> of 1,000 (100%)" in page  # today
    assert "<strong>$0.7500</strong> of $2.00 (38%)" in page
    assert re.search(r"Requests this month</label>\s*<p[^>]*><strong>3</strong>", page)
    assert "60 requests per minute" in page


def test_without_a_quota_usage_shows_no_limit(alice, alice_identity):
    record(alice_identity, tokens=1234)
    page = alice.get("/usage/").content.decode()
    assert "<strong>1,234</strong> (no limit)" in page and "<progress" not in page


def test_charts_per_day_and_per_model_are_inline_svg_with_tables(alice, alice_identity):
    record(alice_identity, tokens=300, at=datetime(2026, 3, 1, 8, tzinfo=UTC))
    record(alice_identity, tokens=700, model="mistral-large")
    page = alice.get("/usage/").content.decode()
    days = re.search(r'<svg id="chart-days".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in days and days.count('class="bar"') == 20 and "1 Mar: 300" in days
    models = re.search(r'<svg id="chart-models".*?</svg>', page, re.S).group(0)
    assert "mistral-large: 700" in models and "claude-4-sonnet: 300" in models
    assert "<td>mistral-large</td>" in page


def test_the_latest_requests_are_listed_newest_first(alice, alice_identity):
    record(alice_identity, model="claude-3.5-haiku", tokens=42, at=datetime(2026, 3, 20, 14, tzinfo=UTC))
    record(alice_identity, model="claude-4-opus", tokens=0, status=403, error_code="model_not_allowed")
    page = alice.get("/usage/").content.decode()
    recent = re.search(r'<table class="recent">.*?</table>', page, re.S).group(0)
    assert recent.index("claude-4-opus") < recent.index("claude-3.5-haiku")
    assert "403 model_not_allowed" in recent and ">42<" in recent


def test_nobody_sees_another_users_usage(alice, alice_identity, bob):
    record(alice_identity, model="secret-model-of-alice", tokens=5)
    page = bob.get("/usage/").content.decode()
    assert "secret-model-of-alice" not in page and "No requests yet" in page


def banner(web, path="/usage/") -> str:
    page = web.get(path).content.decode()
    found = re.search(r'<div class="notice[^"]*standing"[^>]*>(.*?)</div>', page, re.S)
    return " ".join(found.group(1).replace("<strong>", "").replace("</strong>", "").split()) if found else ""


def test_a_user_over_a_quota_is_told_on_every_page_which_limit_refuses_them(alice, alice_identity):
    Quota.objects.update_or_create(
        identity=alice_identity, defaults=dict(tokens_per_month=10_000, tokens_per_day=5000, alert_percent=80)
    )
    assert banner(alice) == ""
    record(alice_identity, tokens=8500, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert banner(alice) == (
        "You have used 85% of your monthly token quota (8,500 tokens of 10,000 tokens). "
        "Requests are refused once a quota is used up."
    )
    record(alice_identity, tokens=1500)
    expected = (
        "Your requests are being refused: you have used your monthly token quota (10,000 tokens of 10,000 tokens). "
        "It resets on 1 April 2026, 00:00 UTC; ask an admin if you need more."
    )
    assert banner(alice) == expected and banner(alice, "/keys/") == expected


def test_a_recent_refusal_by_a_rate_limit_is_named(alice, alice_identity):
    record(alice_identity, tokens=0, cost="0", status=429, error_code="rate_limit_exceeded")
    assert banner(alice, "/keys/") == (
        "Your latest request was refused (15:00 UTC): a per-minute or concurrency limit was reached."
    )
    record(alice_identity, tokens=10)
    assert banner(alice, "/keys/") == ""
