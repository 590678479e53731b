"""Portal fixtures: the seeded aliases and a signed-in developer's identity (the people are in tests/people.py)."""

from __future__ import annotations

import pytest

from tests.catalog import catalog_seed
from tokens.models import Identity


@pytest.fixture
def aliases(db):
    """The seeded model aliases, even when a transactional test elsewhere flushed them."""
    from gateway.models import ModelAlias

    if not ModelAlias.objects.exists():
        catalog_seed()


@pytest.fixture
def identity_of():
    return lambda web: Identity.objects.get(user=web.user)
