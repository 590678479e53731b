"""The handler of the /v1 API: Django's WSGI handler with only the middleware the API needs.

`API_MIDDLEWARE` has no sessions, CSRF, messages, static files or frame options, which a bearer-token
JSON API never uses (about 0.1 ms of CPU per request); the admin, the portal and everything else keep
the full `MIDDLEWARE`. Served by `sbcproject.wsgi` (Lambda, gthread) and `sbcproject.api_bridge` (ASGI).

It resolves with the API's own URLconf (`gateway.urls`, the same routes the site's URLconf includes), so a /v1
request never imports the admin's or the portal's modules: a fresh serverless function answers sooner.
"""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import set_urlconf

API_URLCONF = "gateway.urls"


class ApiHandler(WSGIHandler):
    """Django's handler, built with `API_MIDDLEWARE` instead of `MIDDLEWARE`, resolving with `API_URLCONF`."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full
        chain = self._middleware_chain

        def with_api_urlconf(request):
            # Before the middleware, so an error they raise is answered by the API's URLconf's handlers too.
            set_urlconf(API_URLCONF)
            request.urlconf = API_URLCONF
            return chain(request)

        self._middleware_chain = with_api_urlconf
