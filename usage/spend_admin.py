"""Spend where admins look: this month's cost and requests on the identity and token lists, and who is near or
over a quota.

The token app's admins know nothing of usage (it is the layer above); these subclasses add the usage columns
and replace them in the admin site. Each column is a subquery on the page's rows, so a list page costs one
query whatever its length.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import admin
from django.db.models import Count, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from tokens.admin import ApiTokenAdmin, IdentityAdmin
from tokens.models import ApiToken, Identity
from usage.charts import fmt_usd
from usage.models import UsageCounter, UsageRecord
from usage.quota_use import QUOTAS, WORDS
from usage.windows import calendar

ZERO = Decimal(0)


def _month_sums(**match) -> dict:
    """cost_month and requests_month subqueries over this month's records matching `match` (OuterRef values)."""
    records = (
        UsageRecord.objects.filter(created_at__gte=calendar.month_start(calendar.clock()), **match)
        .order_by()
        .values(*match)
    )
    return {
        "cost_month": Coalesce(
            Subquery(records.annotate(total=Sum("cost_usd")).values("total")[:1]),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=8),
        ),
        "requests_month": Coalesce(
            Subquery(records.annotate(total=Count("id")).values("total")[:1]), 0, output_field=IntegerField()
        ),
    }


def _spend(obj) -> str:
    if not obj.requests_month:
        return "–"
    return f"{fmt_usd(obj.cost_month)} · {obj.requests_month:,} req."


def _window(period: str, column: str):
    now = calendar.clock()
    start = calendar.day_start(now) if period == "day" else calendar.month_start(now)
    held = UsageCounter.objects.filter(identity=OuterRef("pk"), period=period, start=start).values(column)[:1]
    return Coalesce(Subquery(held), 0, output_field=IntegerField())


# Per quota of the one table (usage.quota_use.QUOTAS): what its window holds, x100 so a share compares in SQL.
COLUMNS = ("tokens", "cost_micros")  # QUOTAS' column index -> the counter's column


def _scale(quota: str) -> int:
    """Quota field units -> counter units: the spend quota is in USD, its counter in millionths."""
    return 1_000_000 if quota == "usd_per_month" else 1


def _held_x100() -> dict:
    return {f"{quota}_x100": _window(period, COLUMNS[column]) * 100 for quota, period, column, _ in QUOTAS}


def _reached(percent) -> Q:
    """Identities whose day or month window holds at least `percent` (an expression) of one of its quotas."""
    reached = Q()
    for quota, *_ in QUOTAS:
        limit = F(f"quota__{quota}") * _scale(quota) * percent
        reached |= Q(**{f"quota__{quota}__gt": 0, f"{quota}_x100__gte": limit})
    return reached


class QuotaStatusFilter(admin.SimpleListFilter):
    title = "quota status"
    parameter_name = "quota_status"

    def lookups(self, request, model_admin):
        return [("near", "Near a quota (its alert share)"), ("over", "A quota used up")]

    def queryset(self, request, queryset):
        if self.value() == "over":
            return queryset.filter(_reached(Value(100)))
        if self.value() == "near":
            # An identity without an alert share of its own is near at the default share for new identities.
            share = Coalesce(F("quota__alert_percent"), Value(settings.QUOTA_DEFAULT_ALERT_PERCENT or 100))
            return queryset.filter(_reached(share)).exclude(_reached(Value(100)))
        return queryset


class IdentitySpendAdmin(IdentityAdmin):
    list_display = ("name", "user", "is_active", "active_tokens", "this_month", "quota_used", "created_at")
    list_filter = (QuotaStatusFilter, *IdentityAdmin.list_filter)
    list_select_related = ("user", "quota")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                **_month_sums(identity=OuterRef("pk")),
                **_held_x100(),
            )
        )

    @admin.display(description="this month", ordering="cost_month")
    def this_month(self, obj) -> str:
        return _spend(obj)

    @admin.display(description="quota used")
    def quota_used(self, obj) -> str:
        quota = getattr(obj, "quota", None)
        if quota is None:
            return "–"
        limits = {name: int((getattr(quota, name) or 0) * _scale(name)) for name, *_ in QUOTAS}
        shares = [(getattr(obj, f"{name}_x100") / limit, name) for name, limit in limits.items() if limit]
        if not shares:
            return "no quota"
        share, name = max(shares)
        return f"{int(share)}% of {WORDS[name].removesuffix(' quota')}"


class ApiTokenSpendAdmin(ApiTokenAdmin):
    list_display = ("token_id", "identity", "name", "status", "expires_at", "last_used_at", "this_month")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(**_month_sums(token_id=OuterRef("token_id")))

    @admin.display(description="this month", ordering="cost_month")
    def this_month(self, obj) -> str:
        return _spend(obj)


for model, spend_admin in ((Identity, IdentitySpendAdmin), (ApiToken, ApiTokenSpendAdmin)):
    admin.site.unregister(model)
    admin.site.register(model, spend_admin)
