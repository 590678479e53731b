"""URL map: the /v1 API, the admin, and the self-service pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

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
