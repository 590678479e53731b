"""Keeping the price cache in step with the admin: an instant local refresh when a price changes."""

from __future__ import annotations

from usage.pricing import prices_forget


def price_changed(sender, instance, **kwargs) -> None:
    prices_forget()
