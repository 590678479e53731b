"""An identity's quota as the gateway applies it: its limits, read once per QUOTA_CACHE_SECONDS per process.

An identity without a Quota row gets the QUOTA_DEFAULT_* settings; a Quota is created with them when the
identity is (see `tokens.signals`). Empty or 0 means unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.cache import ProcessCache
from core.db_breaker import breaker as database_breaker
from tokens.models import Quota


@dataclass(frozen=True)
class Limits:
    tokens_per_day: int = 0
    tokens_per_month: int = 0
    usd_micros_per_month: int = 0
    requests_per_minute: int = 0
    tokens_per_minute: int = 0
    concurrent: int = 0
    allowed_models: frozenset[str] = frozenset()
    alert_percent: int = 0  # notify when a day or month quota reaches this share (0: never)

    @property
    def per_minute(self) -> bool:
        return bool(self.requests_per_minute or self.tokens_per_minute)

    @property
    def unlimited(self) -> bool:
        return not (
            self.tokens_per_day
            or self.tokens_per_month
            or self.usd_micros_per_month
            or self.per_minute
            or self.concurrent
            or self.allowed_models
        )

    def allows(self, *names: str) -> bool:
        return not self.allowed_models or any(name in self.allowed_models for name in names if name)


def parse_models(text: str | list[str]) -> frozenset[str]:
    items = text if isinstance(text, list) else text.replace(",", "\n").splitlines()
    return frozenset(item.strip() for item in items if item.strip())


def usd_to_micros(value) -> int:
    return int((Decimal(str(value)) * 1_000_000).to_integral_value()) if value not in (None, "") else 0


def limits_from_quota(row: dict) -> Limits:
    return Limits(
        tokens_per_day=row["tokens_per_day"] or 0,
        tokens_per_month=row["tokens_per_month"] or 0,
        usd_micros_per_month=usd_to_micros(row["usd_per_month"]),
        requests_per_minute=row["requests_per_minute"] or 0,
        tokens_per_minute=row["tokens_per_minute"] or 0,
        concurrent=row["concurrent_streams"] or 0,
        allowed_models=parse_models(row["allowed_models"] or ""),
        alert_percent=row.get("alert_percent") or 0,
    )


def quota_defaults() -> dict:
    """Field values for a new identity's Quota, from the QUOTA_DEFAULT_* settings."""
    return {
        "tokens_per_day": settings.QUOTA_DEFAULT_TOKENS_PER_DAY or None,
        "tokens_per_month": settings.QUOTA_DEFAULT_TOKENS_PER_MONTH or None,
        "usd_per_month": Decimal(settings.QUOTA_DEFAULT_USD_PER_MONTH)
        if settings.QUOTA_DEFAULT_USD_PER_MONTH
        else None,
        "requests_per_minute": settings.QUOTA_DEFAULT_REQUESTS_PER_MINUTE or None,
        "tokens_per_minute": settings.QUOTA_DEFAULT_TOKENS_PER_MINUTE or None,
        "concurrent_streams": settings.QUOTA_DEFAULT_CONCURRENT_STREAMS or None,
        "allowed_models": "\n".join(settings.QUOTA_DEFAULT_ALLOWED_MODELS),
        "alert_percent": settings.QUOTA_DEFAULT_ALERT_PERCENT or None,
    }


QUOTA_FIELDS = (
    "tokens_per_day",
    "tokens_per_month",
    "usd_per_month",
    "requests_per_minute",
    "tokens_per_minute",
    "concurrent_streams",
    "allowed_models",
    "alert_percent",
)
_limits: ProcessCache[Limits] = ProcessCache("limits", ttl=lambda: settings.QUOTA_CACHE_SECONDS)


def limits_forget(identity_id: int | None = None) -> None:
    if identity_id is None:
        _limits.forget()
    else:
        _limits.forget(identity_id)


def _load(identity_id: int) -> Limits:
    row = Quota.objects.filter(identity_id=identity_id).values(*QUOTA_FIELDS).first()
    database_breaker.succeeded()
    return limits_from_quota(row or quota_defaults())


def limits_for(identity_id: int) -> Limits:
    """The identity's limits: its Quota row, or the settings' defaults when it has none (read again, not
    remembered, while the database breaker is open)."""
    if database_breaker.is_open():
        return _limits.put(_load(identity_id), identity_id)
    return _limits.get_or_load(lambda: _load(identity_id), key=identity_id)
