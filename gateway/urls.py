"""Routes of the OpenAI-compatible API, and Anthropic's Messages API at the same root for Claude Code."""

from django.urls import path, re_path

from gateway.endpoints import ENDPOINTS
from gateway.http import api_not_found
from gateway.openapi.views import openapi_schema_view
from gateway.views.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *(path(endpoint.route, endpoint.view.as_view(), name=endpoint.name) for endpoint in ENDPOINTS),
    path("v1/openapi.json", openapi_schema_view, name="openapi-schema"),
    re_path(r"^v1/.*$", api_not_found),
]
