"""URL map: the /v1 API, the admin, and the self-service pages."""
from django.contrib import admin
from django.urls import include, path

from usage.portal_views import my_usage

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("gateway.urls")),
    path("", include("tokens.portal.urls")),
    path("usage/", my_usage, name="portal-usage"),
]

handler404 = "sbcproject.errors.not_found"
handler500 = "sbcproject.errors.server_error"
