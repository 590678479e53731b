"""The audit trail in the admin: read-only for everyone (superusers too), filterable, searchable, exported as CSV."""

from __future__ import annotations

from datetime import UTC

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from audit.models import AuditEntry
from core.admin_readonly import ReadOnlyMixin
from core.admin_search import BoundedSearchMixin
from core.csv_export import csv_response

CSV_FIELDS = ("created_at", "actor", "action", "object_type", "object_id", "object_repr", "changes_json")
CHOICES_SHOWN = 200  # distinct actors or object types offered in a filter


def type_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def shown(value) -> str:
    return "—" if value in (None, "") else str(value)


class ActorFilter(admin.SimpleListFilter):
    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        actors = AuditEntry.objects.order_by("actor").values_list("actor", flat=True).distinct()[:CHOICES_SHOWN]
        return [(actor, actor) for actor in actors]

    def queryset(self, request, queryset):
        return queryset.filter(actor=self.value()) if self.value() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = "object type"
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        labels = AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
        return [(label, type_name(label)) for label in labels[:CHOICES_SHOWN]]

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyMixin, BoundedSearchMixin, admin.ModelAdmin):
    list_display = ("when", "actor", "action", "kind", "object_repr", "before_after")
    list_filter = ("action", ObjectTypeFilter, ActorFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("actor", "object_repr", "object_id")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    fields = ("created_at", "actor", "action", "object_type", "object_id", "object_repr", "before_after")
    readonly_fields = fields
    change_list_template = "admin/audit/auditentry/change_list.html"

    @admin.display(description="UTC time", ordering="created_at")
    def when(self, entry: AuditEntry) -> str:
        return f"{entry.created_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"

    @admin.display(description="object type", ordering="object_type")
    def kind(self, entry: AuditEntry) -> str:
        return type_name(entry.object_type)

    @admin.display(description="before → after")
    def before_after(self, entry: AuditEntry) -> str:
        if not entry.changes:
            return "—"
        rows = format_html_join(
            "",
            '<li><span class="audit-field">{}</span>: {} → {}</li>',
            ((name, shown(old), shown(new)) for name, (old, new) in entry.changes.items()),
        )
        return format_html('<ul class="audit-changes">{}</ul>', rows)

    def get_urls(self):
        export = path("export.csv", self.admin_site.admin_view(self.export_csv), name="audit_auditentry_csv")
        return [export, *super().get_urls()]

    def export_csv(self, request: HttpRequest) -> HttpResponseBase:
        """The entries the list shows with the same filters and search, oldest first."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            entries = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter")
        rows = entries.order_by("created_at", "id").values_list(*CSV_FIELDS).iterator(chunk_size=2000)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        header = (*CSV_FIELDS[:-1], "changes")
        return csv_response(header, rows, filename=f"audit-{stamp}.csv")
