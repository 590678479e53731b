"""The identity and token lists in the admin show this month's spend, and who is near or over a quota."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokens.models import Identity, Quota
from tokens.services import token_issue
from usage.models import UsageCounter, UsageRecord

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
_ids = itertools.count()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    from usage.windows import calendar

    monkeypatch.setattr(calendar, "clock", lambda: NOW)


def spent(identity, token_id, *, cost, tokens=100, at=NOW):
    UsageRecord.objects.create(
        request_id=f"req-{next(_ids)}",
        identity=identity,
        identity_name=identity.name,
        token_id=token_id,
        endpoint="chat.completions",
        model_requested="claude-4-sonnet",
        total_tokens=tokens,
        cost_usd=Decimal(cost),
        status=200,
        created_at=at,
    )


def month_counter(identity, tokens, cost_micros=0):
    UsageCounter.objects.create(
        identity=identity,
        period="month",
        start=datetime(2026, 3, 1, tzinfo=UTC),
        tokens=tokens,
        cost_micros=cost_micros,
    )


def rows(page: str, marker: str) -> list[str]:
    return [row for row in page.split("<tr")[1:] if marker in row]


def test_the_token_list_shows_each_keys_spend_this_month(admin):
    jane = Identity.objects.create(name="jane@dev")
    laptop = token_issue(identity=jane, ttl="30d", name="laptop", created_by="test").record
    ci = token_issue(identity=jane, ttl="30d", name="ci", created_by="test").record
    spent(jane, laptop.token_id, cost="1.25")
    spent(jane, laptop.token_id, cost="0.50")
    spent(jane, laptop.token_id, cost="9.00", at=datetime(2026, 2, 27, tzinfo=UTC))  # last month
    page = admin.get("/admin/tokens/apitoken/").content.decode()
    assert "$1.75 · 2 req." in rows(page, laptop.token_id)[0]
    assert 'class="field-this_month">–<' in rows(page, ci.token_id)[0]


def test_the_identity_list_shows_spend_and_quota_use_and_filters_who_is_near_or_over(admin):
    calm, near, over = (Identity.objects.create(name=f"{n}@dev") for n in ("calm", "near", "over"))
    for identity, used in ((calm, 100), (near, 850), (over, 1000)):
        Quota.objects.update_or_create(identity=identity, defaults=dict(tokens_per_month=1000, alert_percent=80))
        month_counter(identity, used)
        spent(identity, "", cost="2.00", tokens=used)
    Quota.objects.update_or_create(identity=calm, defaults=dict(usd_per_month=Decimal("4.00")))
    month_counter_cost = UsageCounter.objects.get(identity=calm)
    month_counter_cost.cost_micros = 3_000_000
    month_counter_cost.save()
    page = admin.get("/admin/tokens/identity/").content.decode()
    assert "$2.00 · 1 req." in rows(page, "near@dev")[0]
    assert "85% of monthly token" in rows(page, "near@dev")[0]
    assert "75% of monthly spend" in rows(page, "calm@dev")[0]
    near_page = admin.get("/admin/tokens/identity/?quota_status=near").content.decode()
    assert rows(near_page, "near@dev") and not rows(near_page, "over@dev") and not rows(near_page, "calm@dev")
    over_page = admin.get("/admin/tokens/identity/?quota_status=over").content.decode()
    assert rows(over_page, "over@dev") and not rows(over_page, "near@dev")
