"""Django's own contrib migrations in the shape Aurora DSQL accepts (settings point MIGRATION_MODULES here on DSQL).

DSQL cannot change a column's type (`ALTER COLUMN ... TYPE`), which django.contrib.auth's migrations do to widen
six columns. As the Aurora DSQL adapter's known-issues page says, those tables are created with their final
columns and the widening migrations are recorded without touching the database: each module here keeps Django's
name and dependencies, the first creates the tables at their final sizes, the widening ones change only Django's
view of the schema, and every other one is Django's own. tests/dsql checks the list against Django's.
"""

from __future__ import annotations

import copy
import importlib

from django.db import migrations


def original(app_label: str, name: str) -> type[migrations.Migration]:
    return importlib.import_module(f"django.contrib.{app_label}.migrations.{name}").Migration


def at_final_sizes(app_label: str, name: str, models_module: str) -> type[migrations.Migration]:
    """Django's migration, its tables created with each CharField at the size the current model gives it."""
    django_migration = original(app_label, name)
    current = importlib.import_module(models_module)
    database = []
    for operation in django_migration.operations:
        operation = copy.deepcopy(operation)
        if isinstance(operation, migrations.CreateModel):
            model = getattr(current, operation.name)
            names = {field.name for field in model._meta.fields}
            for field_name, field in operation.fields:
                if getattr(field, "max_length", None) and field_name in names:
                    field.max_length = model._meta.get_field(field_name).max_length
        database.append(operation)
    return type(
        "Migration",
        (django_migration,),
        {
            "operations": [
                migrations.SeparateDatabaseAndState(
                    database_operations=database, state_operations=django_migration.operations
                )
            ]
        },
    )


def state_only(app_label: str, name: str) -> type[migrations.Migration]:
    """Django's migration, applied to Django's view of the schema only (the table already has the result)."""
    django_migration = original(app_label, name)
    operations = [migrations.SeparateDatabaseAndState(state_operations=django_migration.operations)]
    return type("Migration", (django_migration,), {"operations": operations})
