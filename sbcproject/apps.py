"""Django's admin as this project installs it: its `admin.py` modules are imported with its routes, not at start-up.

Django's own `AdminConfig` imports every app's `admin.py` (and all they import: the admin's forms, the Secrets
Manager mirror, the spend columns) while the process starts. A /v1 request never needs them, so the serverless
function's first answer would wait on them for nothing. Here they are imported by the site's URLconf
(`sbcproject.urls`), which the admin, the portal and every other non-/v1 page load, and before the admin's
system checks run, so `manage.py check` still checks every registered model admin.
"""

from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.core import checks


def check_registered_admins(app_configs, **kwargs):
    """The admin's checks of every model admin, once they are all registered."""
    admin.autodiscover()
    return check_admin_app(app_configs, **kwargs)


class AdminConfig(SimpleAdminConfig):
    def ready(self) -> None:
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_registered_admins, checks.Tags.admin)
