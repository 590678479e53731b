"""What every page's template may use: the product's one name (settings.PRODUCT_NAME, the admin's header too)."""

from __future__ import annotations

from django.conf import settings


def product(request) -> dict[str, str]:
    return {"product_name": settings.PRODUCT_NAME}
