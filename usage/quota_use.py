"""Where an identity stands against its day and month quotas now: for its portal banner and the admin.

The windows' counters are what admission checks, so they are read first (requests in flight included); an
identity with no counter row yet in a window is read from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tokens.quotas import Limits
from usage.models import UsageCounter, UsageRecord
from usage.windows.calendar import WINDOWS
from usage.windows.database import ledger_totals

QUOTAS = (
    # quota, window, column of (tokens, cost_micros), words
    ("tokens_per_day", "day", 0, "daily token quota"),
    ("tokens_per_month", "month", 0, "monthly token quota"),
    ("usd_per_month", "month", 1, "monthly spend quota"),
)
REFUSED_RECENTLY = timedelta(minutes=15)
REFUSAL_CODES = {
    "insufficient_quota": "a day or month quota has too little left for it",
    "rate_limit_exceeded": "a per-minute or concurrency limit was reached",
    "permission_denied": "the model is not on your allow-list",
}


WORDS = {quota: words for quota, _, _, words in QUOTAS}
PERIODS = {quota: period for quota, period, _, _ in QUOTAS}


def quota_amount(quota: str, value: int) -> str:
    """Tokens, or millionths of a USD for the spend quota, as a person reads them."""
    return f"${value / 1_000_000:,.2f}" if quota == "usd_per_month" else f"{value:,} tokens"


@dataclass(frozen=True)
class QuotaUse:
    quota: str
    words: str
    used: int  # tokens, or millionths of a USD
    limit: int
    resets_at: datetime

    @property
    def percent(self) -> int:
        return int(100 * self.used / self.limit)

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit

    @property
    def text(self) -> str:
        return f"{quota_amount(self.quota, self.used)} of {quota_amount(self.quota, self.limit)}"


def quota_limit(limits: Limits, quota: str) -> int:
    return limits.usd_micros_per_month if quota == "usd_per_month" else getattr(limits, quota)


def quota_use(identity_id: int, limits: Limits, now: datetime) -> list[QuotaUse]:
    """Each day or month quota the identity has, with what its current window holds."""
    held: dict[str, tuple[int, int]] = {}
    uses = []
    for quota, period, column, words in QUOTAS:
        limit = quota_limit(limits, quota)
        if not limit:
            continue
        start, end = WINDOWS[period][0](now), WINDOWS[period][1](now)
        if period not in held:
            row = (
                UsageCounter.objects.filter(identity_id=identity_id, period=period, start=start)
                .values_list("tokens", "cost_micros")
                .first()
            )
            held[period] = row if row is not None else ledger_totals(identity_id, start, end)
        uses.append(QuotaUse(quota, words, held[period][column], limit, end))
    return uses


@dataclass(frozen=True)
class Refusal:
    """Why the identity's requests are refused now: a quota used up, or its latest request refused."""

    quota: QuotaUse | None = None
    at: datetime | None = None
    reason: str = ""


def refusal_now(identity_id: int, uses: list[QuotaUse], now: datetime) -> Refusal | None:
    exhausted = [use for use in uses if use.exhausted]
    if exhausted:
        return Refusal(quota=max(exhausted, key=lambda use: use.resets_at))
    latest = (  # refused by the gateway, before any region was called (Bedrock's own throttling has a region)
        UsageRecord.objects.filter(identity_id=identity_id, created_at__gte=now - REFUSED_RECENTLY, region="")
        .order_by("-created_at")
        .values("created_at", "status", "error_code")
        .first()
    )
    if latest and latest["status"] in (403, 429) and latest["error_code"] in REFUSAL_CODES:
        return Refusal(at=latest["created_at"], reason=REFUSAL_CODES[latest["error_code"]])
    return None
