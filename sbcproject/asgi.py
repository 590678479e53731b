"""ASGI entry point: what gunicorn serves through its uvicorn workers (`sbcproject.asgi_worker`).

Each worker runs one event loop. A request's blocking part (middleware, authentication, admission, the
view, the settlement) runs in one of the worker's request threads, a pool of GUNICORN_THREADS (128)
threads that outlive requests, so their database connections are reused as under a threaded WSGI server.
A streamed answer is read from Bedrock and written to the client on the loop (`gateway.bedrock.aio`,
`gateway.streaming`): it holds no thread while it runs, so a worker holds a thousand open streams.

/v1 reads its body here (within MAX_REQUEST_BYTES, 413 above it) and runs the API's WSGI handler in one
request thread (`sbcproject.api_bridge`); a WebSocket upgrade on /v1 is answered at once with a 426. The
admin, the portal and the rest go through Django's ASGI handler, their bodies read here first within the far
smaller SITE_MAX_REQUEST_BYTES (`sbcproject.bodies`). Zappa (Lambda) keeps the WSGI entry point.
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sbcproject.settings")
django.setup(set_prefix=False)

from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from core.errors import PayloadTooLarge  # noqa: E402
from core.serving import serve_on  # noqa: E402
from gateway import websocket  # noqa: E402
from gateway.http import error_response, is_api_path  # noqa: E402
from sbcproject import api_bridge, bodies  # noqa: E402
from sbcproject.handlers import API_URLCONF  # noqa: E402

REQUEST_THREADS = int(os.environ.get("GUNICORN_THREADS", "128"))


class Handler(ASGIHandler):
    """Django's ASGI handler; a whole (not streamed) answer leaves with its Content-Length, as under gunicorn,
    instead of chunked (which HTTP/1.0 clients cannot read)."""

    async def send_response(self, response, send):
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        await super().send_response(response, send)


HEALTH_CHECK = "sbcproject.health.health_check_middleware"


class HealthHandler(Handler):
    """GET and HEAD /healthz: the health check, first in MIDDLEWARE, answers them before any other middleware
    sees them, so this handler is built with it alone."""

    def load_middleware(self, is_async=False):
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = [HEALTH_CHECK]
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


health = HealthHandler()
_site: list[Handler] = []


def site_for(scope: dict) -> Handler:
    """The handler of a request that is not for /v1. The site's (all of MIDDLEWARE, WhiteNoise's index of the
    static files: about 0.1 s) is built on the first request for a page, not for the Lambda Web Adapter's
    readiness checks or a load balancer's health checks."""
    if scope["path"] == "/healthz" and scope["method"] in ("GET", "HEAD") and not scope.get("root_path"):
        return health
    if not _site:
        _site.append(Handler())
    return _site[0]


# The requests' blocking work, on threads that are kept (with their database connections) between requests.
request_threads = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="request")


def _header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


async def _answer(send, status: int, body: bytes, extra: tuple = ()) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_large(send) -> None:
    limit = settings.MAX_REQUEST_BYTES
    refusal = error_response(PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes."))
    await _answer(send, refusal.status_code, refusal.content, ((b"connection", b"close"),))


async def _api_body(scope: dict, receive, send) -> bytes | None:
    """The /v1 request's whole body, or None when it was refused with a 413 or the client went away: a
    Content-Length above MAX_REQUEST_BYTES is refused before the body is read, a chunked body as soon as it
    passes the limit."""
    body = await bodies.read_within(scope, receive, settings.MAX_REQUEST_BYTES)
    if body is bodies.TOO_LARGE:
        await _too_large(send)
        return None
    return body


async def _refuse_upgrade(scope: dict, send) -> None:
    await _answer(send, 426, websocket.refusal(scope["path"], _header(scope, b"user-agent")))


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    if websocket.asks_upgrade(scope["path"], _header(scope, b"upgrade")):
        return await _refuse_upgrade(scope, send)
    api_path = is_api_path(scope["path"])
    serve_on(asyncio.get_running_loop())
    async with ThreadSensitiveContext(executor=request_threads):
        if not api_path:
            site_receive = await bodies.site_receive(scope, receive, send)
            if site_receive is not None:
                await site_for(scope)(scope, site_receive, send)
            return
        body = await _api_body(scope, receive, send)
        if body is not None:
            await api_bridge.serve(scope, receive, send, body, request_threads)


# Import the API's URLconf, and with it every /v1 view, now: under gunicorn's preload once in the master. The
# site's (admin, portal) waits for the first request for one of its pages, so a fresh serverless function's
# first answer does not wait for it.
get_resolver(API_URLCONF).url_patterns  # noqa: B018 - the attribute access imports them
if not settings.RUNNING_ON_LAMBDA:
    # What reads streams on the loop (aiohttp), before the fork too. A Lambda function serves one request at a
    # time and loads it with its first stream instead: a first answer that is not a stream does not wait for it.
    from gateway.bedrock import aio  # noqa: E402, F401

    site_for({"path": "/", "method": "GET"})  # and the site's handler, rather than on a loop serving streams
