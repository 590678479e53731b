"""WSGI entry point for gunicorn and Zappa.

A WebSocket upgrade on /v1 is answered at once with a 426 (`gateway.websocket`): Codex then streams over HTTP.

Requests under /v1/ go through a Django handler with only the middleware the API needs
(`API_MIDDLEWARE`: no sessions, CSRF, messages, static files or frame options, which it never uses; about
0.1 ms of CPU per request); the admin, the portal and everything else keep the full `MIDDLEWARE`.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sbcproject.settings")
site = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from gateway import websocket  # noqa: E402
from gateway.http import is_api_path  # noqa: E402


class ApiHandler(WSGIHandler):
    """Django's handler, built with `API_MIDDLEWARE` instead of `MIDDLEWARE`."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


api = ApiHandler()


def application(environ, start_response):
    if websocket.is_upgrade(environ):
        return websocket.refuse(environ, start_response)
    handler = api if is_api_path(environ.get("PATH_INFO", "")) else site
    return handler(environ, start_response)


# Import the URLconf, and with it every view, now: under gunicorn's preload once in the master, shared by
# the workers, instead of on each worker's first requests while its other threads queue on the import lock.
get_resolver().url_patterns  # noqa: B018 - the attribute access imports them
