"""The audit trail: one row per action on tokens, identities, quotas, aliases, prices and users. Append-only.

A row names who acted, when, on what, and the fields that changed (before and after); never a secret (a token's
digest or a password is written as hidden). Rows hold plain text, not foreign keys, so deleting what they
describe never deletes or changes them, and the model refuses any update or delete.
"""

from __future__ import annotations

import json

from django.db import models
from django.utils import timezone


class AuditImmutable(Exception):
    """An audit entry cannot be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit entries cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditImmutable("audit entries cannot be changed")

    def delete(self):
        raise AuditImmutable("audit entries cannot be deleted")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "create"
        CHANGE = "change", "change"
        DELETE = "delete", "delete"
        ISSUE = "issue", "issue"
        REVOKE = "revoke", "revoke"

    created_at = models.DateTimeField("UTC time", default=timezone.now, db_index=True)
    actor = models.CharField(max_length=200, db_index=True, help_text="admin:NAME, portal:NAME, cli, or system")
    action = models.CharField(max_length=10, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True, help_text="app.model, e.g. tokens.apitoken")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField("object", max_length=200)
    # JSON as text: stored and read whole, so the same column serves SQLite, PostgreSQL and Aurora DSQL.
    changes_json = models.TextField("changes", blank=True, default="", help_text='{"field": [before, after]}')

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AuditImmutable("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit entries cannot be deleted")

    @property
    def changes(self) -> dict:
        return json.loads(self.changes_json) if self.changes_json else {}
