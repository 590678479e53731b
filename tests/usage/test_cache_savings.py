"""Prompt-cache hits and the money they saved, on the admin's usage dashboard and the developer's My usage page."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.people import signed_in
from usage.models import ModelPrice, UsageRecord
from usage.selectors import UsageFilter, usage_summary

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/usage/usagedashboard/"
NOW = datetime.now(UTC)
_ids = itertools.count()


@pytest.fixture(autouse=True)
def prices():
    # USD per million tokens: (input, output, cache read, cache write).
    for model, (inp, out, read, write) in {
        "cache-model-a": ("3", "15", "0.30", "3.75"),
        "cache-model-b": ("1", "5", "0.10", "1.25"),
        "anthropic.cache-base-v1:0": ("5", "25", "0.50", "6.25"),
    }.items():
        ModelPrice.objects.update_or_create(
            model=model,
            defaults=dict(
                input_per_million=Decimal(inp),
                output_per_million=Decimal(out),
                cache_read_per_million=Decimal(read),
                cache_write_per_million=Decimal(write),
            ),
        )


def record(
    identity_name: str, model: str, *, prompt: int, cached: int, resolved: str = "", identity=None, at: datetime = NOW
) -> UsageRecord:
    return UsageRecord.objects.create(
        request_id=f"req_cache_{next(_ids)}",
        identity=identity,
        identity_name=identity_name,
        endpoint="chat.completions",
        model_requested=model,
        model_resolved=resolved,
        prompt_tokens=prompt,
        completion_tokens=100,
        total_tokens=prompt + 100,
        cached_tokens=cached,
        cost_usd=Decimal("0.01"),
        status=200,
        created_at=at,
    )


@pytest.fixture
def ledger():
    record("ann@cache", "cache-model-a", prompt=1_200_000, cached=1_000_000)  # saves 1M x (3 - 0.30) = 2.70
    record("ann@cache", "cache-model-b", prompt=600_000, cached=500_000)  # saves 0.5M x (1 - 0.10) = 0.45
    record("ben@cache", "cache-model-a", prompt=200_000, cached=0)
    record(
        "ben@cache",
        "gpt-4o-ish",
        prompt=500_000,
        cached=100_000,  # priced by its Bedrock model:
        resolved="us.anthropic.cache-base-v1:0",
    )  # 0.1M x (5 - 0.50) = 0.45
    record("ben@cache", "unpriced-model", prompt=10_000, cached=5_000)  # no price, no saving


def rows(html: str, table_id: str) -> dict[str, list[str]]:
    """The table's body rows: first cell -> the other cells' text."""
    body = html.split(f'id="{table_id}"')[1].split("</table>")[0]
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and '<th scope="col"' not in row:
            found[cells[0]] = cells[1:]
    return found


def test_the_summary_prices_cache_reads_at_the_input_rate_minus_the_cache_read_rate(ledger):
    summary = usage_summary(UsageFilter(start=NOW.date(), end=NOW.date()))
    assert summary["totals"]["cached_tokens"] == 1_605_000
    assert summary["totals"]["cache_saved_usd"] == Decimal("3.60")
    assert summary["totals"]["cache_hit_percent"] == round(100 * 1_605_000 / 2_510_000, 1)
    by_identity = {row["identity_name"]: row["cache_saved_usd"] for row in summary["by_identity"]}
    assert by_identity == {"ann@cache": Decimal("3.15"), "ben@cache": Decimal("0.45")}
    by_model = {row["model"]: (row["cached_tokens"], row["cache_saved_usd"]) for row in summary["by_model"]}
    assert by_model == {  # by the model that answered
        "cache-model-a": (1_000_000, Decimal("2.70")),
        "cache-model-b": (500_000, Decimal("0.45")),
        "us.anthropic.cache-base-v1:0": (100_000, Decimal("0.45")),
        "unpriced-model": (5_000, Decimal(0)),
    }


def test_the_dashboard_shows_cache_hits_and_savings_in_totals_and_per_identity_and_model(admin_client, ledger):
    html = admin_client.get(DASHBOARD).content.decode()
    assert '<span class="value" id="total-cached">1,605,000</span>' in html
    assert '<span class="value" id="total-saved">$3.6000</span>' in html
    assert "63.9% of prompt tokens" in html
    identities = rows(html, "by-identity")
    assert identities["ann@cache"][-2:] == ["1,500,000", "3.1500"]
    assert identities["ben@cache"][-2:] == ["105,000", "0.4500"]
    models = rows(html, "by-model")
    assert models["cache-model-a"][-2:] == ["1,000,000", "2.7000"]
    assert models["unpriced-model"][-2:] == ["5,000", "0.0000"]


def test_the_dashboards_savings_follow_its_filters(admin_client, ledger):
    html = admin_client.get(DASHBOARD, {"identity": "ben@cache"}).content.decode()
    assert '<span class="value" id="total-saved">$0.4500</span>' in html
    html = admin_client.get(DASHBOARD, {"model": "cache-model-b"}).content.decode()
    assert '<span class="value" id="total-cached">500,000</span>' in html
    assert '<span class="value" id="total-saved">$0.4500</span>' in html


def test_without_cache_hits_the_dashboard_shows_zero_savings(admin_client):
    record("cy@cache", "cache-model-a", prompt=1000, cached=0)
    html = admin_client.get(DASHBOARD).content.decode()
    assert '<span class="value" id="total-saved">$0.0000</span>' in html
    assert "0% of prompt tokens" in html


def test_my_usage_shows_my_cache_hits_and_savings_per_model():
    from tokens.models import Identity

    alice = signed_in("alice-cache", email="alice-cache@example.com")
    alice.get("/keys/")
    identity = Identity.objects.get(user=alice.user)
    record(identity.name, "cache-model-a", prompt=400_000, cached=300_000, identity=identity)  # 0.81
    record(identity.name, "cache-model-b", prompt=100_000, cached=0, identity=identity)
    record("someone@else", "cache-model-a", prompt=900_000, cached=900_000)
    html = alice.get("/usage/").content.decode()
    assert '<strong id="cache-tokens">300000</strong>' in html
    assert '<strong id="cache-saved">$0.8100</strong>' in html
    assert "(60.0% of your prompt tokens)" in html
    models = rows(html, "models-title")
    assert models["cache-model-a"][-2:] == ["300000", "0.8100"]
    assert models["cache-model-b"][-2:] == ["0", "0.0000"]


def test_the_usage_ledger_lists_cached_tokens_per_request(admin_client):
    record("dee@cache", "cache-model-a", prompt=9000, cached=7777)
    html = admin_client.get("/admin/usage/usagerecord/", {"q": "dee@cache"}).content.decode()
    assert "In / cached / out" in html and ">9,000 / 7,777 / 100<" in html
