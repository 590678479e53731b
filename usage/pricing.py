"""What a request costs: the ModelPrice table, cached per process for PRICE_CACHE_SECONDS (no query per request)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.cache import ProcessCache
from core.model_ids import base_model_id
from usage.models import ModelPrice

MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


@dataclass(frozen=True)
class Price:
    input: Decimal = ZERO
    output: Decimal = ZERO
    cache_read: Decimal = ZERO
    cache_write: Decimal = ZERO


NO_PRICE = Price()
_prices: ProcessCache[dict[str, Price]] = ProcessCache("prices", ttl=lambda: settings.PRICE_CACHE_SECONDS)


def prices_forget() -> None:
    _prices.forget()


def _load() -> dict[str, Price]:
    return {
        row.model: Price(
            row.input_per_million, row.output_per_million, row.cache_read_per_million, row.cache_write_per_million
        )
        for row in ModelPrice.objects.all()
    }


def price_table() -> dict[str, Price]:
    return _prices.get_or_load(_load)


def price_for(model_requested: str, model_resolved: str = "") -> Price:
    """The alias's own price if it has one, else the base model's, whichever id, profile id or ARN named it."""
    table = price_table()
    for name in (model_requested, model_resolved, base_model_id(model_resolved or ""), base_model_id(model_requested)):
        if name and name in table:
            return table[name]
    return NO_PRICE


def has_price(price: Price) -> bool:
    return price != NO_PRICE


def cost_usd(price: Price, usage: dict) -> Decimal:
    """USD for an OpenAI usage dict, whose prompt_tokens include cache reads and writes."""
    details = usage.get("prompt_tokens_details") or {}
    cached = int(details.get("cached_tokens") or 0)
    written = int(details.get("cache_write_tokens") or 0)
    fresh = max(0, int(usage.get("prompt_tokens") or 0) - cached - written)
    completion = int(usage.get("completion_tokens") or 0)
    total = fresh * price.input + completion * price.output + cached * price.cache_read + written * price.cache_write
    return (total / MILLION).quantize(Decimal("0.00000001"))


def estimate_cost_micros(price: Price, prompt_tokens: int, completion_tokens: int) -> int:
    """An upper bound in millionths of a dollar, for reserving spend before Bedrock answers."""
    return int(prompt_tokens * price.input + completion_tokens * price.output) + 1
