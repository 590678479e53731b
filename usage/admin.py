"""Usage in the admin: the read-only ledger, prices, budget alerts, the usage dashboard, and (in `spend_admin`)
this month's spend on the identity and token lists."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from core.admin_readonly import ReadOnlyMixin
from core.admin_search import BoundedSearchMixin
from core.csv_export import csv_response
from usage import (
    charts,
    spend_admin,  # noqa: F401 (registers the identity and token lists with their spend)
)
from usage.models import BudgetAlert, ModelPrice, UsageDashboard, UsageRecord
from usage.selectors import UsageFilter, usage_buckets, usage_choices, usage_records, usage_summary
from usage.windows import calendar

CSV_FIELDS = (
    "created_at",
    "request_id",
    "identity_name",
    "token_id",
    "endpoint",
    "model_requested",
    "model_resolved",
    "region",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "usage_estimated",
    "cost_usd",
    "latency_ms",
    "streamed",
    "status",
    "finish_reason",
    "error_code",
    "client",
    "disconnected",
    "adapted",
)


class IdentityNameFilter(admin.SimpleListFilter):
    title = "identity"
    parameter_name = "identity_name"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted(usage_choices()["identities"])]

    def queryset(self, request, queryset):
        return queryset.filter(identity_name=self.value()) if self.value() else queryset


class ModelFilter(IdentityNameFilter):
    title = "model"
    parameter_name = "model_requested"

    def lookups(self, request, model_admin):
        return [(name, name) for name in sorted(usage_choices()["models"])]

    def queryset(self, request, queryset):
        return queryset.filter(model_requested=self.value()) if self.value() else queryset


class AdaptedFilter(admin.SimpleListFilter):
    """Requests the gateway answered after adapting or dropping part of them (see the compatibility policy)."""

    title = "adapted"
    parameter_name = "adapted"

    def lookups(self, request, model_admin):
        return [("yes", "Adapted or dropped something"), ("no", "Sent as asked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(adapted="")
        if self.value() == "no":
            return queryset.filter(adapted="")
        return queryset


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyMixin, BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("when", "who", "asked_for", "answer", "tokens", "cost", "latency", "client")
    list_filter = (
        ("created_at", admin.DateFieldListFilter),
        IdentityNameFilter,
        ModelFilter,
        "status",
        "streamed",
        "disconnected",
        AdaptedFilter,
    )
    search_fields = (
        "request_id",
        "identity_name",
        "token_id",
        "model_requested",
        "model_resolved",
        "error_code",
        "adapted",
    )
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False

    # Narrow columns, so the list fits a 1280-px screen: every field is on the record's own page.
    @admin.display(description="UTC time", ordering="created_at")
    def when(self, record: UsageRecord) -> str:
        return f"{record.created_at:%Y-%m-%d %H:%M}"

    @admin.display(description="identity", ordering="identity_name")
    def who(self, record: UsageRecord) -> str:
        return record.identity_name

    @admin.display(description="model", ordering="model_requested")
    def asked_for(self, record: UsageRecord) -> str:
        return record.model_requested

    @admin.display(description="status", ordering="status")
    def answer(self, record: UsageRecord) -> str:
        if not record.streamed:
            return str(record.status)
        return f"{record.status}, stream{' cut off' if record.disconnected else ''}"

    @admin.display(description="in / cached / out", ordering="total_tokens")
    def tokens(self, record: UsageRecord) -> str:
        return f"{record.prompt_tokens:,} / {record.cached_tokens:,} / {record.completion_tokens:,}"

    @admin.display(description="cost", ordering="cost_usd")
    def cost(self, record: UsageRecord) -> str:
        return f"${record.cost_usd:.4f}"

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, record: UsageRecord) -> str:
        return f"{record.latency_ms:,} ms"


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyMixin, BoundedSearchMixin, admin.ModelAdmin):
    """The alerts raised so far (see usage.alerts): read-only, the record that each was told once."""

    list_display = ("created_at", "identity", "quota", "level", "used", "limit", "delivered_to", "error")
    list_filter = ("level", "quota", ("created_at", admin.DateFieldListFilter))
    list_select_related = ("identity",)
    search_fields = ("identity__name",)


@admin.register(ModelPrice)
class ModelPriceAdmin(BoundedSearchMixin, admin.ModelAdmin):
    list_display = (
        "model",
        "input_per_million",
        "output_per_million",
        "cache_read_per_million",
        "cache_write_per_million",
        "updated_at",
    )
    search_fields = ("model",)


@admin.register(UsageDashboard)
class UsageDashboardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Listed in the admin index as "Usage dashboard"; its page is the dashboard, not a change list."""

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and (request.user.has_perm("usage.view_usagerecord") or request.user.has_perm("usage.view_usagedashboard"))
        )

    def get_urls(self):
        return [
            path("export.csv", self.admin_site.admin_view(self.export_csv), name="usage_usagedashboard_csv"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        f = UsageFilter.from_query(request.GET)
        summary = usage_summary(f)
        unit, buckets = usage_buckets(summary["by_day"])
        tokens = [(b["label"], b["total_tokens"]) for b in buckets]
        costs = [(b["label"], float(b["cost_usd"])) for b in buckets]
        top = [(row["identity_name"], row["total_tokens"]) for row in summary["by_identity"][:10]]
        per = {"day": "per day", "week": "per week", "month": "per month"}[unit]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Usage dashboard",
            "filter": f,
            "presets": f.presets(calendar.clock().date()),
            "choices": usage_choices(),
            "summary": summary,
            "query": f.as_query(),
            "tokens_chart": charts.column_chart(
                tokens, title=f"Tokens {per}", fmt=charts.fmt_tokens, chart_id="tokens-per-day", unit=unit, whole=True
            ),
            "cost_chart": charts.column_chart(
                costs, title=f"Cost {per} (USD)", fmt=charts.fmt_usd, chart_id="cost-per-day", unit=unit
            ),
            "top_chart": charts.bar_chart(
                top, title="Top identities by tokens", fmt=charts.fmt_tokens, chart_id="top-identities"
            ),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/usage/dashboard.html", context)

    def export_csv(self, request: HttpRequest) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        f = UsageFilter.from_query(request.GET)
        rows = usage_records(f).order_by("created_at", "id").values_list(*CSV_FIELDS)
        return csv_response(CSV_FIELDS, rows.iterator(chunk_size=2000), filename=f"usage-{f.start}-{f.end}.csv")
