"""Site-wide 404/500 handlers: JSON on the API, Django's pages elsewhere."""

from django.views import defaults

from gateway.http import api_not_found, api_server_error

API_PREFIXES = ("/v1/", "/v1")


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIXES):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIXES):
        return api_server_error(request)
    return defaults.server_error(request)
