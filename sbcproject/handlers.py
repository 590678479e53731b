"""The handler of the /v1 API: Django's WSGI handler with only the middleware the API needs.

`API_MIDDLEWARE` has no sessions, CSRF, messages, static files or frame options, which a bearer-token
JSON API never uses (about 0.1 ms of CPU per request); the admin, the portal and everything else keep
the full `MIDDLEWARE`. Served by `sbcproject.wsgi` (Lambda, gthread) and `sbcproject.api_bridge` (ASGI).
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler


class ApiHandler(WSGIHandler):
    """Django's handler, built with `API_MIDDLEWARE` instead of `MIDDLEWARE`."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full
