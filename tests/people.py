"""The people every test folder speaks of: alice and bob (developers who sign in to the portal), and an admin.

`signed_in(username)` makes anyone else the same way; the fixtures `alice`, `bob` and `admin` (tests/conftest.py)
are the usual three. A developer's gateway identity is their email (see the portal), an admin is staff.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

ALICE, BOB, ADMIN = "alice", "bob", "root"


def signed_in(username: str, *, email: str = "", csrf: bool = False, **extra) -> Client:
    """A browser session of a new user `username`, signed in; `web.user` is the user."""
    user = get_user_model().objects.create_user(username, email=email, password=f"pw-{username}-Secret1", **extra)
    web = Client(enforce_csrf_checks=csrf)
    web.force_login(user)
    web.user = user
    return web


def developer(username: str) -> Client:
    return signed_in(username, email=f"{username}@example.com")


def admin() -> Client:
    return signed_in(ADMIN, is_staff=True, is_superuser=True)
