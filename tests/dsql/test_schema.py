"""The schema Aurora DSQL gets: every migration ran through the guard when the test database was made (any
statement DSQL refuses fails the run there); here, what that left behind."""

from __future__ import annotations

import importlib
import pkgutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from core.dsql_migrations import PACKAGES

pytestmark = pytest.mark.django_db


def columns(where: str, *params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, character_maximum_length FROM information_schema.columns "
            f"WHERE table_schema = 'public' AND {where}",
            params,
        )
        return cursor.fetchall()


def test_no_column_is_json_or_jsonb(dsql_profile):
    assert columns("data_type IN ('json', 'jsonb')") == []
    assert {row[2] for row in columns("table_name = 'gateway_storedresponse' AND column_name = 'body'")} == {"text"}


def test_auth_tables_have_their_final_sizes_without_any_alter_column_type(dsql_profile):
    auth = columns("table_name IN ('auth_user', 'auth_group', 'auth_permission')")
    sizes = {(table, column): size for table, column, _, size in auth}
    assert sizes[("auth_user", "username")] == 150
    assert sizes[("auth_user", "email")] == 254
    assert sizes[("auth_user", "first_name")] == sizes[("auth_user", "last_name")] == 150
    assert sizes[("auth_group", "name")] == 150
    assert sizes[("auth_permission", "name")] == 255


def test_ids_are_integers_from_identity_columns(dsql_profile):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type, is_identity FROM information_schema.columns "
            "WHERE table_name = 'tokens_identity' AND column_name = 'id'"
        )
        assert cursor.fetchone() == ("bigint", "YES")


def test_the_models_and_their_migrations_agree_on_dsql(dsql_profile):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize("app_label", sorted(PACKAGES))
def test_each_migration_an_app_ships_has_its_dsql_shaped_counterpart(app_label):
    """A new release of the app adds migrations: the DSQL package must name each, or DSQL would run them."""
    package = importlib.import_module(f"{PACKAGES[app_label]}.migrations")
    shaped = importlib.import_module(f"core.dsql_migrations.{app_label}")
    names = {module.name for module in pkgutil.iter_modules(package.__path__)}
    assert names == {module.name for module in pkgutil.iter_modules(shaped.__path__)}


def test_columns_added_to_existing_tables_hold_their_defaults(dsql_profile):
    """Added in DSQL's steps (bare column, then the default filled in its own transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT structured_output, count(*) FROM gateway_modelalias GROUP BY structured_output")
        seeded = dict(cursor.fetchall())
    assert set(seeded) == {"native", "tool"} and seeded["tool"] > 0
    added = {(table, column) for table, column, _, _ in columns("column_name IN ('revoked_by', 'adapted')")}
    assert added == {("tokens_apitoken", "revoked_by"), ("usage_usagerecord", "adapted")}
