"""URL map: the /v1 API, the admin, and the self-service pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("gateway.urls")),
    path("", include("portal.urls")),
]

handler404 = "sbcproject.errors.not_found"
handler500 = "sbcproject.errors.server_error"
