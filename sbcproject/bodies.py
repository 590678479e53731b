"""Request bodies under the ASGI server, read within a limit before any handler runs.

/v1 bodies are held to MAX_REQUEST_BYTES and handed to the API's handler whole (`sbcproject.api_bridge`). Every
other path (the admin, the portal, sign-in) is held to SITE_MAX_REQUEST_BYTES, far less: their forms are small,
and Django's ASGI handler would otherwise spool any body, however large, to a temporary file before a view (or
CSRF) could refuse it. A Content-Length above the limit is refused before a byte is read; a chunked body as soon
as it passes the limit; either way with a 413 and the connection closed.
"""

from __future__ import annotations

from html import escape

from django.conf import settings

TOO_LARGE = object()  # what read_within returns for a body above its limit


def header(scope: dict, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


async def read_within(scope: dict, receive, limit: int):
    """The request's whole body; TOO_LARGE as soon as it is known to pass `limit` bytes (a Content-Length above it
    before any byte is read); None when the client went away."""
    declared = header(scope, b"content-length").strip()
    if declared.isdigit() and int(declared) > limit:
        return TOO_LARGE
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > limit:
            return TOO_LARGE
        if not message.get("more_body", False):
            return b"".join(parts)


async def refuse(send, status: int, body: bytes, content_type: bytes) -> None:
    """Answer at once and close the connection: the rest of the body is never read."""
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def site_refusal() -> bytes:
    limit = settings.SITE_MAX_REQUEST_BYTES
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Request too large</title></head><body>"
        "<h1>Request too large</h1>"
        f"<p>The request body is larger than this page accepts ({escape(f'{limit:,}')} bytes). Nothing was saved.</p>"
        "</body></html>"
    ).encode()


async def site_receive(scope: dict, receive, send):
    """For a request to the admin, the portal or any other non-/v1 path: a `receive` that hands Django the body
    read here within SITE_MAX_REQUEST_BYTES, then the connection's later messages (a disconnect); or None when
    the request was refused with a 413 or the client went away."""
    body = await read_within(scope, receive, settings.SITE_MAX_REQUEST_BYTES)
    if body is None:
        return None
    if body is TOO_LARGE:
        await refuse(send, 413, site_refusal(), b"text/html; charset=utf-8")
        return None
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> dict:
        return pending.pop() if pending else await receive()

    return replayed
