"""Reads for the usage views: filtered records and their totals by identity, model and day.

Prompt caching shows as cached tokens (prompt tokens Bedrock read from its cache) and the money that
saved: what those tokens would have cost at the model's input rate minus what they cost at its
cache-read rate, at today's prices in Model prices (records keep their cost, not the rates behind it).
Cache writes, which cost more than plain input, are already in each record's cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate

from usage.models import UsageRecord
from usage.pricing import MILLION, price_for

SUMS = dict(
    requests=Count("id"),
    prompt_tokens=Sum("prompt_tokens"),
    completion_tokens=Sum("completion_tokens"),
    total_tokens=Sum("total_tokens"),
    cost_usd=Sum("cost_usd"),
    cached_tokens=Sum("cached_tokens"),
)
ZERO = Decimal(0)


PRESETS = (("Today", 0), ("7 days", 6), ("30 days", 29), ("This month", None))  # (label, days before today)


@dataclass(frozen=True)
class UsageFilter:
    start: date
    end: date  # inclusive
    identity: str = ""
    model: str = ""  # requested or resolved
    token: str = ""  # a key's token id
    swapped: bool = False  # the range was given end first and was turned round

    @classmethod
    def from_query(cls, query, *, today: date | None = None) -> UsageFilter:
        today = today or datetime.now(UTC).date()

        def day(name: str, default: date) -> date:
            try:
                return date.fromisoformat(query.get(name, ""))
            except ValueError:
                return default

        end = day("end", today)
        start = day("start", end - timedelta(days=29))
        return cls(
            start=min(start, end),
            end=max(start, end),
            identity=query.get("identity", "").strip()[:200],
            model=query.get("model", "").strip()[:300],
            token=query.get("token", "").strip()[:12],
            swapped=start > end,
        )

    def as_query(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "identity": self.identity,
            "model": self.model,
            "token": self.token,
        }

    def presets(self, today: date) -> list[tuple[str, dict[str, str], bool]]:
        """(label, query, current) for each preset range ending today, the other filters kept."""
        links = []
        for label, days in PRESETS:
            start = today.replace(day=1) if days is None else today - timedelta(days=days)
            query = {**self.as_query(), "start": start.isoformat(), "end": today.isoformat()}
            links.append((label, query, (self.start, self.end) == (start, today)))
        return links


def usage_records(f: UsageFilter) -> QuerySet[UsageRecord]:
    start = datetime.combine(f.start, time.min, tzinfo=UTC)
    end = datetime.combine(f.end + timedelta(days=1), time.min, tzinfo=UTC)
    records = UsageRecord.objects.filter(created_at__gte=start, created_at__lt=end)
    if f.identity:
        records = records.filter(identity_name=f.identity)
    if f.model:
        records = records.filter(Q(model_requested=f.model) | Q(model_resolved=f.model))
    if f.token:
        records = records.filter(token_id=f.token)
    return records


def by_resolved_model(records: QuerySet[UsageRecord]) -> QuerySet[Any]:
    """Records with `model`: the Bedrock model that answered, or the name asked for when none did."""
    return records.annotate(model=Coalesce(NullIf("model_resolved", Value("")), "model_requested"))


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: (value or 0) if key in SUMS else value for key, value in row.items()}


def cache_savings(records: QuerySet[UsageRecord], *, by: str) -> dict[str, Decimal]:
    """USD saved by cache reads, per value of the field or annotation `by` (identity_name, model)."""
    saved: dict[str, Decimal] = {}
    groups = (
        records.filter(cached_tokens__gt=0)
        .order_by()
        .values(*dict.fromkeys((by, "model_requested", "model_resolved")))
        .annotate(cached=Sum("cached_tokens"))
    )
    for row in groups:
        price = price_for(row["model_requested"], row["model_resolved"])
        amount = max(ZERO, row["cached"] * (price.input - price.cache_read) / MILLION)
        saved[row[by]] = saved.get(row[by], ZERO) + amount
    return saved


def _with_savings(row: dict, saved: Decimal) -> dict:
    """`row` with `cache_saved_usd` and `cache_hit_percent` (the cached share of its prompt tokens) added."""
    prompt = row.get("prompt_tokens") or 0
    return {
        **row,
        "cache_saved_usd": saved,
        "cache_hit_percent": round(100 * row["cached_tokens"] / prompt, 1) if prompt else 0,
    }


def usage_summary(f: UsageFilter, *, top: int = 10) -> dict:
    records = usage_records(f)
    by_day_rows = {
        row["day"]: _clean(row)
        for row in records.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(**SUMS)
        .order_by("day")
    }
    days = [f.start + timedelta(days=n) for n in range((f.end - f.start).days + 1)]
    by_day = [by_day_rows.get(d, {"day": d, **{k: 0 for k in SUMS}}) for d in days]
    by_identity_saved = cache_savings(records, by="identity_name")
    by_model_saved = cache_savings(by_resolved_model(records), by="model")
    asked: dict[str, list[str]] = {}
    for model, requested in (
        by_resolved_model(records).order_by().values_list("model", "model_requested").distinct()[:1000]
    ):
        if requested != model:
            asked.setdefault(model, []).append(requested)
    return {
        "totals": _with_savings(_clean(records.aggregate(**SUMS)), sum(by_model_saved.values(), ZERO)),
        "errors": records.filter(status__gte=400).count(),
        "by_identity": [
            _with_savings(r, by_identity_saved.get(r["identity_name"], ZERO))
            for r in (
                _clean(r)
                for r in records.values("identity_name")
                .annotate(**SUMS)
                .order_by("-total_tokens", "identity_name")[:100]
            )
        ],
        "by_model": [
            {**_with_savings(r, by_model_saved.get(r["model"], ZERO)), "asked": sorted(asked.get(r["model"], []))}
            for r in (
                _clean(r)
                for r in by_resolved_model(records)
                .values("model")
                .annotate(**SUMS)
                .order_by("-total_tokens", "model")[:100]
            )
        ],
        "by_day": by_day,
        "top": top,
    }


def usage_buckets(by_day: list[dict]) -> tuple[str, list[dict]]:
    """The days summed into buckets that fit the range: days up to two months, then weeks (from Monday) up to
    a year, then months. Returns the unit and one row per bucket with its `label`, tokens and cost."""
    unit = "day" if len(by_day) <= 62 else "week" if len(by_day) <= 366 else "month"
    buckets: dict[date, dict] = {}
    for row in by_day:
        day = row["day"]
        start = day if unit == "day" else day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)
        bucket = buckets.setdefault(start, {"start": start, "total_tokens": 0, "cost_usd": ZERO})
        bucket["total_tokens"] += row["total_tokens"]
        bucket["cost_usd"] += Decimal(row["cost_usd"])
    label = {"day": "{:%-d %b}", "week": "week of {:%-d %b}", "month": "{:%b %Y}"}[unit]
    return unit, [{**bucket, "label": label.format(bucket["start"])} for bucket in buckets.values()]


def usage_choices() -> dict[str, list[str]]:
    """Identities and models that appear in the ledger, for the filter drop-downs."""
    records = UsageRecord.objects.order_by()
    models = {*records.values_list("model_requested", flat=True).distinct()[:500]}
    models |= {*records.exclude(model_resolved="").values_list("model_resolved", flat=True).distinct()[:500]}
    return {
        "identities": list(records.values_list("identity_name", flat=True).distinct()[:500]),
        "models": sorted(models),
    }


# --- One identity's own usage (the portal's "My usage" page) --------------------------------------

RECENT_LIMIT = 20


def usage_month_for_identity(*, identity_id: int, now: datetime) -> dict:
    """This calendar UTC month of one identity: totals, today's tokens, per day, per model, latest requests."""
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    today = datetime.combine(now.date(), time.min, tzinfo=UTC)
    records = UsageRecord.objects.filter(identity_id=identity_id, created_at__gte=month)
    sums = dict(
        requests=Count("id"),
        total_tokens=Sum("total_tokens"),
        cost_usd=Sum("cost_usd"),
        prompt_tokens=Sum("prompt_tokens"),
        cached_tokens=Sum("cached_tokens"),
    )
    saved = cache_savings(records, by="model_requested")
    by_day_rows = {
        row["day"]: _clean(row)
        for row in records.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(**sums)
        .order_by("day")
    }
    days = [month.date() + timedelta(days=n) for n in range((now.date() - month.date()).days + 1)]
    return {
        "month": month,
        "totals": _with_savings(_clean(records.aggregate(**sums)), sum(saved.values(), ZERO)),
        "errors": records.filter(status__gte=400).count(),
        "today_tokens": records.filter(created_at__gte=today).aggregate(t=Sum("total_tokens"))["t"] or 0,
        "by_day": [by_day_rows.get(d, {"day": d, "requests": 0, "total_tokens": 0, "cost_usd": 0}) for d in days],
        "by_model": [
            _with_savings(r, saved.get(r["model_requested"], ZERO))
            for r in (
                _clean(r)
                for r in records.values("model_requested")
                .annotate(**sums)
                .order_by("-total_tokens", "model_requested")[:50]
            )
        ],
        "recent": list(
            UsageRecord.objects.filter(identity_id=identity_id)
            .order_by("-created_at")
            .values(
                "created_at",
                "model_requested",
                "prompt_tokens",
                "completion_tokens",
                "total_tokens",
                "cost_usd",
                "status",
                "error_code",
                "streamed",
                "token_id",
            )[:RECENT_LIMIT]
        ),
    }


@dataclass(frozen=True)
class KeySpend:
    requests: int = 0
    cost_usd: Decimal = ZERO


def usage_month_by_token(*, identity_id: int, now: datetime) -> dict[str, KeySpend]:
    """This calendar UTC month's requests and cost of each of an identity's keys, by token id (one query)."""
    month = datetime(now.year, now.month, 1, tzinfo=UTC)
    rows = (
        UsageRecord.objects.filter(identity_id=identity_id, created_at__gte=month)
        .values("token_id")
        .annotate(requests=Count("id"), cost_usd=Sum("cost_usd"))
    )
    return {row["token_id"]: KeySpend(row["requests"], row["cost_usd"] or ZERO) for row in rows}
