"""Model fields that keep one schema on SQLite, PostgreSQL and Aurora DSQL."""

from __future__ import annotations

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations


class JSONTextField(models.JSONField):
    """A JSONField whose column is `text` on Aurora DSQL, which has no JSONB columns; `jsonb` on PostgreSQL and
    `text` on SQLite as before. The gateway only stores and loads these documents whole (no lookups inside them),
    which plain text serves on every database."""

    def db_type(self, connection):
        if connection.vendor == "dsql":
            return "text"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if connection.vendor != "dsql":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        if hasattr(value, "as_sql"):
            return value
        return BaseDatabaseOperations.adapt_json_value(connection.ops, value, self.encoder)  # JSON text, no Jsonb
