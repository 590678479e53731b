"""Personas for the portal: alice and bob (developers) signed in with Django's test client."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from tokens.models import Identity


@pytest.fixture
def aliases(db):
    """The seeded model aliases, even when a transactional test elsewhere flushed them."""
    from gateway.models import ModelAlias

    if not ModelAlias.objects.exists():
        importlib.import_module("gateway.migrations.0002_seed_aliases").seed(apps, None)


def signed_in(username: str, *, email: str = "", csrf: bool = False, **extra) -> Client:
    user = get_user_model().objects.create_user(username, email=email, password=f"pw-{username}-Secret1", **extra)
    web = Client(enforce_csrf_checks=csrf)
    web.force_login(user)
    web.user = user
    return web


@pytest.fixture
def alice() -> Client:
    return signed_in("alice", email="alice@example.com")


@pytest.fixture
def bob() -> Client:
    return signed_in("bob", email="bob@example.com")


@pytest.fixture
def identity_of():
    return lambda web: Identity.objects.get(user=web.user)
