"""The portal's "My usage" page: this month's tokens, cost and requests against the signed-in user's quota."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.views import portal_page, portal_response
from tokens.quotas import limits_for
from usage.charts import bar_chart, column_chart, fmt_tokens, fmt_usd
from usage.selectors import usage_buckets, usage_month_for_identity
from usage.windows import calendar


@dataclass(frozen=True)
class Gauge:
    slug: str
    label: str
    used: float
    limit: float  # 0: no limit
    used_text: str
    limit_text: str

    @property
    def percent(self) -> int:
        return min(100, round(self.used / self.limit * 100)) if self.limit else 0


def _gauges(usage: dict, limits) -> list[Gauge]:
    tokens, cost = usage["totals"]["total_tokens"], float(usage["totals"]["cost_usd"])
    usd_limit = limits.usd_micros_per_month / 1_000_000
    return [
        Gauge(
            "tokens-month",
            "Tokens this month",
            tokens,
            limits.tokens_per_month,
            f"{tokens:,}",
            f"{limits.tokens_per_month:,}" if limits.tokens_per_month else "",
        ),
        Gauge(
            "tokens-day",
            "Tokens today",
            usage["today_tokens"],
            limits.tokens_per_day,
            f"{usage['today_tokens']:,}",
            f"{limits.tokens_per_day:,}" if limits.tokens_per_day else "",
        ),
        Gauge("cost-month", "Cost this month", cost, usd_limit, fmt_usd(cost), fmt_usd(usd_limit) if usd_limit else ""),
        Gauge(
            "requests-month",
            "Requests this month",
            usage["totals"]["requests"],
            0,
            f"{usage['totals']['requests']:,}",
            "",
        ),
    ]


@require_GET
@portal_page
def my_usage(request: HttpRequest) -> HttpResponse:
    identity = request.identity
    usage = usage_month_for_identity(identity_id=identity.pk, now=calendar.clock())
    limits = limits_for(identity.pk)
    _unit, days = usage_buckets(usage["by_day"])  # a month is days: the dashboard's labels
    day_points = [(day["label"], day["total_tokens"]) for day in days]
    model_points = [(row["model_requested"], row["total_tokens"]) for row in usage["by_model"][:10]]
    context = {
        "identity": identity,
        "usage": usage,
        "limits": limits,
        "meters": _gauges(usage, limits),
        "day_chart": column_chart(
            day_points, title="Tokens per day", fmt=fmt_tokens, chart_id="chart-days", whole=True
        ),
        "model_chart": bar_chart(model_points, title="Tokens per model", fmt=fmt_tokens, chart_id="chart-models"),
    }
    return portal_response(request, "portal/usage.html", context)
