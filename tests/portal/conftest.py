"""Portal fixtures: the seeded aliases and a signed-in developer's identity (the people are in tests/people.py)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tokens.models import Identity


@pytest.fixture
def aliases(db):
    """The seeded model aliases, even when a transactional test elsewhere flushed them."""
    from gateway.models import ModelAlias

    if not ModelAlias.objects.exists():
        importlib.import_module("gateway.migrations.0002_seed_aliases").seed(apps, None)


@pytest.fixture
def identity_of():
    return lambda web: Identity.objects.get(user=web.user)
