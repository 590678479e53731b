"""Admin search boxes with a bound: what a box is sent never makes a query larger than a few terms.

Django's admin turns each word of a search into one `LIKE` per search field, all joined in one query: a 10 kB
search of thousands of words makes SQLite refuse the query (a 500) and PostgreSQL scan for each. `%` and `_`
are escaped by Django's `icontains` already, so they match themselves.
"""

from __future__ import annotations

from itertools import islice

from django.utils.text import smart_split

ADMIN_SEARCH_MAX_CHARS = 200
ADMIN_SEARCH_MAX_TERMS = 8


def search_bounded(term: str) -> str:
    """`term` cut to ADMIN_SEARCH_MAX_CHARS characters and its first ADMIN_SEARCH_MAX_TERMS words (a quoted phrase
    is one word, as the admin reads it)."""
    return " ".join(islice(smart_split(term[:ADMIN_SEARCH_MAX_CHARS]), ADMIN_SEARCH_MAX_TERMS))


class BoundedSearchMixin:
    """For a ModelAdmin with `search_fields`: the search is `search_bounded` before Django builds its query."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_bounded(search_term))  # type: ignore[misc]
