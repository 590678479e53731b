"""Routes of the OpenAI-compatible API, and Anthropic's Messages API at the same root for Claude Code.

The site's URLconf (`sbcproject.urls`) includes them; the /v1 handler resolves with this module alone, and then its
errors are the API's JSON (`handler404`, `handler500`).
"""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from gateway.endpoints import ENDPOINTS
from gateway.http import api_not_found
from gateway.views.health import healthz


@csrf_exempt  # as every /v1 view: no cookies are used, and a POST must get the API's JSON 405, not a CSRF page
def openapi_schema(request):
    """GET /v1/openapi.json."""
    # Imported on the first request for it: drf-spectacular's schema generator is a large import that no
    # other request needs, and a fresh serverless function would otherwise load it before its first answer.
    from gateway.openapi.views import openapi_schema_view

    return openapi_schema_view(request)


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    *(path(endpoint.route, endpoint.view.as_view(), name=endpoint.name) for endpoint in ENDPOINTS),
    path("v1/openapi.json", openapi_schema, name="openapi-schema"),
    re_path(r"^v1/.*$", api_not_found),
]

handler404 = "gateway.http.api_not_found"
handler500 = "gateway.http.api_server_error"
