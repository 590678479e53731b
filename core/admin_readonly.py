"""Admin pages that only show: the usage ledger, the audit trail, budget alerts, the dashboard's entry."""

from __future__ import annotations


class ReadOnlyMixin:
    """For a ModelAdmin: nobody, superusers included, adds, changes or deletes through it."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
