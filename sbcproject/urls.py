"""URL map: the /v1 API, the admin, and the self-service pages.

The /v1 handler resolves with the API's own URLconf (`gateway.urls`, see `sbcproject.handlers`), so this module,
and with it the admin's modules and the portal's views, is imported by the first request for another page.
"""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.autodiscover()  # every app's admin.py, before the admin's routes are built (sbcproject.apps.AdminConfig)
admin.site.site_header = settings.PRODUCT_NAME
admin.site.site_title = f"{settings.PRODUCT_NAME} admin"
admin.site.index_title = "Tokens, usage and models"
admin.site.enable_nav_sidebar = False  # the lists need the width: cost, expiry and last use stay in view at 1280 px

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("gateway.urls")),
    path("", include("portal.urls")),
]

handler404 = "sbcproject.errors.not_found"
handler500 = "sbcproject.errors.server_error"
