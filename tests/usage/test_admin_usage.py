"""The admin's usage views: the read-only ledger, the dashboard with its numbers and charts, and CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from usage.models import UsageRecord

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/usage/usagedashboard/"
NOW = datetime.now(UTC)


def record(n: int, identity: str, model: str, tokens: int, cost: str, **extra) -> UsageRecord:
    return UsageRecord.objects.create(
        request_id=f"req_admin_{n}",
        identity_name=identity,
        endpoint="chat.completions",
        model_requested=model,
        prompt_tokens=tokens - 10,
        completion_tokens=10,
        total_tokens=tokens,
        cost_usd=Decimal(cost),
        status=extra.pop("status", 200),
        created_at=extra.pop("created_at", NOW),
        **extra,
    )


@pytest.fixture
def ledger():
    record(1, "ann@admin", "claude-4-sonnet", 1200, "0.0100")
    record(2, "ann@admin", "llama-3.3-70b", 800, "0.0006")
    record(3, "ben@admin", "claude-4-sonnet", 500, "0.0040")
    record(4, "ben@admin", "claude-4-sonnet", 99, "0.0001", created_at=datetime(2020, 1, 1, tzinfo=UTC))


def test_staff_sees_totals_by_identity_model_and_day_with_charts(admin_client, ledger):
    page = admin_client.get(DASHBOARD, {"identity": "ann@admin"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<span class="value" id="total-tokens">2,000</span>' in html
    assert '<span class="value" id="total-requests">2</span>' in html
    assert "$0.0106" in html
    assert '<svg id="tokens-per-day"' in html and '<svg id="cost-per-day"' in html
    assert '<svg id="top-identities"' in html and "ben@admin" not in html.split('id="by-identity"')[1]
    assert "<script" not in html.split('id="content-main"')[1], "the charts need no JavaScript"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "every asset is served by the gateway itself"


def test_the_dashboard_filters_by_model_and_date_range(admin_client, ledger):
    html = admin_client.get(DASHBOARD, {"model": "claude-4-sonnet", "identity": "ben@admin"}).content.decode()
    assert '<span class="value" id="total-tokens">500</span>' in html
    html = admin_client.get(
        DASHBOARD, {"start": "2019-12-01", "end": "2020-01-31", "identity": "ben@admin"}
    ).content.decode()
    assert '<span class="value" id="total-tokens">99</span>' in html


def test_the_dashboard_is_listed_in_the_admin_index(admin_client):
    assert DASHBOARD in admin_client.get("/admin/").content.decode()


def test_csv_export_has_the_filtered_records(admin_client, ledger):
    response = admin_client.get(DASHBOARD + "export.csv", {"identity": "ann@admin"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted((r["request_id"], r["total_tokens"], r["cost_usd"]) for r in rows) == [
        ("req_admin_1", "1200", "0.01000000"),
        ("req_admin_2", "800", "0.00060000"),
    ]


def test_non_staff_are_sent_to_the_login_page(django_user_model, ledger):
    from django.test import Client

    client = Client()
    user = django_user_model.objects.create_user("dev", password="pw-123456789")
    client.force_login(user)
    for url in (DASHBOARD, DASHBOARD + "export.csv", "/admin/usage/usagerecord/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_usage_records_are_read_only(admin_client, ledger):
    listing = admin_client.get("/admin/usage/usagerecord/", {"q": "req_admin_1"})
    assert listing.status_code == 200 and "Add usage record" not in listing.content.decode()
    pk = UsageRecord.objects.get(request_id="req_admin_1").pk
    assert admin_client.get("/admin/usage/usagerecord/add/").status_code == 403
    assert admin_client.post(f"/admin/usage/usagerecord/{pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"/admin/usage/usagerecord/{pk}/change/", {"total_tokens": 1})
    assert UsageRecord.objects.get(pk=pk).total_tokens == 1200


def test_quota_is_edited_inline_on_the_identity(admin_client):
    from tokens.models import Identity

    identity = Identity.objects.create(name="inline@admin")
    html = admin_client.get(f"/admin/tokens/identity/{identity.pk}/change/").content.decode()
    assert "quota-0-tokens_per_day" in html or "quota-tokens_per_day" in html


def test_an_admin_finds_the_requests_the_gateway_adapted_and_what_it_left_out(admin_client):
    record(5, "cat@admin", "claude-4-sonnet", 300, "0.0010", adapted="tool:web_search, store")
    record(6, "dog@admin", "claude-4-sonnet", 300, "0.0010")
    row = 'field-who">{}<'.format
    html = admin_client.get("/admin/usage/usagerecord/", {"adapted": "yes"}).content.decode()
    assert row("cat@admin") in html and row("dog@admin") not in html
    found = admin_client.get("/admin/usage/usagerecord/", {"q": "tool:web_search"}).content.decode()
    assert row("cat@admin") in found and row("dog@admin") not in found
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(
                    admin_client.get(DASHBOARD + "export.csv", {"identity": "cat@admin"}).streaming_content
                ).decode()
            )
        )
    )
    assert [row["adapted"] for row in rows] == ["tool:web_search, store"]


def test_by_model_groups_what_answered_and_names_what_was_asked(admin_client):
    sonnet = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    record(7, "eve@admin", "claude-4-sonnet", 1000, "0.01", model_resolved=sonnet)
    record(8, "eve@admin", "claude-sonnet-4-20250514", 2000, "0.02", model_resolved=sonnet)
    record(9, "eve@admin", "gpt-4o", 500, "0.01", model_resolved=sonnet)
    record(10, "eve@admin", "no-such-model", 10, "0", status=404)
    html = admin_client.get(DASHBOARD, {"identity": "eve@admin"}).content.decode()
    table = html.split('id="by-model"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 2, "one row per model that answered, and one for the name nothing answered"
    assert sonnet in rows[0] and "asked as claude-4-sonnet, claude-sonnet-4-20250514, gpt-4o" in rows[0]
    assert ">3,500<" in rows[0] and "no-such-model" in rows[1]
    resolved = admin_client.get(DASHBOARD, {"identity": "eve@admin", "model": sonnet}).content.decode()
    assert 'id="total-requests">3<' in resolved


def test_presets_a_key_filter_an_inverted_range_and_round_axis_ticks(admin_client, ledger):
    record(11, "ann@admin", "claude-4-sonnet", 40, "0.0001", token_id="keyAAAAAAAAA")
    html = admin_client.get(DASHBOARD, {"token": "keyAAAAAAAAA"}).content.decode()
    assert 'id="total-requests">1<' in html and 'id="total-tokens">40<' in html
    for label in ("Today", "7 days", "30 days", "This month"):
        assert f">{label}</a>" in html
    today = NOW.date().isoformat()
    swapped = admin_client.get(DASHBOARD, {"start": today, "end": "2019-12-01"}).content.decode()
    assert f"showing 2019-12-01 to {today}" in swapped
    empty = admin_client.get(DASHBOARD, {"start": "2010-01-01", "end": "2010-01-31"}).content.decode()
    chart = empty.split('<svg id="tokens-per-day"')[1].split("</svg>")[0]
    assert [tick.split(">")[1] for tick in chart.split('text-anchor="end"')[1:]] == ["0</text"]
    long_range = admin_client.get(DASHBOARD, {"start": "2019-01-01", "end": "2020-06-30"}).content.decode()
    assert "Tokens per month" in long_range and ">Jan 2020<" in long_range
