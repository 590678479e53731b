"""The model catalog as the migrations leave it: aliases, their structured-output paths, prices."""

from __future__ import annotations

import importlib

SEED_MIGRATIONS = (  # every data step of the migrations that shape the catalog, in their order
    ("gateway.migrations.0002_seed_aliases", "seed"),
    ("gateway.migrations.0003_modelalias_structured_output", "mark_native"),
    ("usage.migrations.0002_seed_prices", "seed"),
)


def catalog_seed() -> None:
    """Seed the catalog again, after a transactional test flushed every table."""
    from django.apps import apps

    for module, step in SEED_MIGRATIONS:
        getattr(importlib.import_module(module), step)(apps, None)
