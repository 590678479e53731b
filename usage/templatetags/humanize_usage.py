"""Template helpers for the usage dashboard."""

from urllib.parse import urlencode

from django import template

register = template.Library()


@register.filter
def urlencode_dict(query: dict) -> str:
    return urlencode({key: value for key, value in query.items() if value})


@register.filter
def thousands(value) -> str:
    """A whole number with thousands separators: 1234567 -> 1,234,567."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
