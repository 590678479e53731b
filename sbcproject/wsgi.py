"""WSGI entry point for gunicorn and Zappa.

A WebSocket upgrade on /v1 is answered at once with a 426 (`gateway.websocket`): Codex then streams over HTTP.

Requests under /v1/ go through a Django handler with only the middleware the API needs
(`sbcproject.handlers.ApiHandler`); the admin, the portal and everything else keep the full `MIDDLEWARE`.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sbcproject.settings")
site = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402

from gateway import websocket  # noqa: E402
from gateway.http import is_api_path  # noqa: E402
from sbcproject.handlers import API_URLCONF, ApiHandler  # noqa: E402

api = ApiHandler()


def application(environ, start_response):
    if websocket.is_upgrade(environ):
        return websocket.refuse(environ, start_response)
    handler = api if is_api_path(environ.get("PATH_INFO", "")) else site
    return handler(environ, start_response)


# Import the API's URLconf, and with it every /v1 view, now: under gunicorn's preload once in the master, shared
# by the workers, instead of on each worker's first requests while its other threads queue on the import lock.
# The site's (admin, portal) waits for the first request for one of its pages: on Lambda most never get one.
get_resolver(API_URLCONF).url_patterns  # noqa: B018 - the attribute access imports them
