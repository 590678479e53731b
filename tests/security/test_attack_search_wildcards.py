"""Attack class: hostile admin search boxes. `%` and `_` match themselves, not everything; a long search is cut to
ADMIN_SEARCH_MAX_CHARS and ADMIN_SEARCH_MAX_TERMS, so no query grows with what a box is sent (a 10 kB search
of thousands of words made one LIKE per word and field). The portal has no search box."""

from __future__ import annotations

import pytest

from tests import people
from tokens.services import identity_get_or_create, token_issue

NAMES = ("plain key", "50%off", "under_score")
CHANGELISTS = [
    "/admin/tokens/identity/",
    "/admin/tokens/apitoken/",
    "/admin/usage/usagerecord/",
    "/admin/usage/modelprice/",
    "/admin/gateway/modelalias/",
    "/admin/usage/budgetalert/",
]


@pytest.fixture
def staff(db):
    return people.admin()


@pytest.fixture
def identities(db):
    for name in NAMES:
        token_issue(identity=identity_get_or_create(name="search@test"), ttl="1d", name=name)


@pytest.mark.parametrize("term, found", [("%", ["50%off"]), ("_", ["under_score"]), ("plain", ["plain key"])])
def test_wildcards_match_themselves(staff, identities, term, found):
    page = staff.get("/admin/tokens/apitoken/", {"q": term}).content.decode()
    assert [name for name in NAMES if name in page] == found


@pytest.mark.parametrize("path", CHANGELISTS)
@pytest.mark.parametrize("q", ["a " * 5000, "%_" * 5000, "x" * 10_000, '"' + "a b " * 2000])
def test_a_huge_search_is_bounded_and_answered(staff, identities, path, q):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = staff.get(path, {"q": q})
    assert response.status_code == 200
    longest = max(len(query["sql"]) for query in queries)
    assert longest < 20_000, "the SQL does not grow with the search box"
