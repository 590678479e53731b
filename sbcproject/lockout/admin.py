"""Axes > Access attempts (delete a row to lift a lock), Access logs and Access failure logs, with bounded search."""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin

from core.admin_search import BoundedSearchMixin


@admin.register(AccessAttempt)
class BoundedAccessAttemptAdmin(BoundedSearchMixin, AccessAttemptAdmin):
    pass


@admin.register(AccessLog)
class BoundedAccessLogAdmin(BoundedSearchMixin, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class BoundedAccessFailureLogAdmin(BoundedSearchMixin, AccessFailureLogAdmin):
    pass
