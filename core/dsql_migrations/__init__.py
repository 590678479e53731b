"""Other apps' migrations in the shape Aurora DSQL accepts (settings point MIGRATION_MODULES here on DSQL).

django.contrib.auth widens columns with `ALTER COLUMN ... TYPE`, and django-axes alters types and adds columns with
defaults: DSQL refuses both. As the Aurora DSQL adapter's known-issues page says, such an app's tables are created
with their final schema and its migrations recorded without running them: each module here keeps the original's
name and dependencies; the app's first one creates every table of the app as its models are now, and the others
change only Django's view of the schema. tests/dsql checks the modules against the originals.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.db import migrations

PACKAGES = {"auth": "django.contrib.auth", "axes": "axes"}  # the apps whose own migrations DSQL refuses


def original(app_label: str, name: str) -> type[migrations.Migration]:
    return importlib.import_module(f"{PACKAGES[app_label]}.migrations.{name}").Migration


class CreateFinalTables(migrations.operations.base.Operation):
    """Create an app's tables as its current models define them (database only: Django's state is left alone)."""

    reduces_to_sql = False
    reversible = False

    def __init__(self, app_label: str) -> None:
        self.target = app_label

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for model in apps.get_app_config(self.target).get_models(include_auto_created=False):
            schema_editor.create_model(model)

    def describe(self):
        return f"Create the tables of {self.target} at their final shape"


def final_tables(app_label: str, name: str) -> type[migrations.Migration]:
    """The app's first migration, creating every table of the app at its final shape in its place."""
    django_migration = original(app_label, name)
    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[CreateFinalTables(app_label)], state_operations=django_migration.operations
        )
    ]
    return type("Migration", (django_migration,), {"operations": operations})


def state_only(app_label: str, name: str) -> type[migrations.Migration]:
    """Django's migration, applied to Django's view of the schema only (the table already has the result)."""
    django_migration = original(app_label, name)
    operations = [migrations.SeparateDatabaseAndState(state_operations=django_migration.operations)]
    return type("Migration", (django_migration,), {"operations": operations})
