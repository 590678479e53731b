"""/v1 under the ASGI server: the API's WSGI handler run in one request thread, its streams on the loop.

Django's ASGI handler crosses between the loop and a thread four times for a sync view behind sync
middleware (the middleware, then the view through async_to_sync and sync_to_async again), plus a task
to watch for disconnects and a temporary file for the body. The API needs none of it: its middleware
and views are sync, and its body is small and already read. So the request goes to a thread once, as a
WSGI environ, through the same handler Lambda uses (`sbcproject.handlers.ApiHandler`); what comes back is sent
from the loop. A streamed answer read from Bedrock on the loop (`gateway.streaming.settled`) is an async
iterator and is written from the loop too; a client going away cancels it, which settles the request as
a disconnect. A whole answer is settled before it is sent: if its client went away while it was made, its record
is corrected to 499 (disconnected) instead, with one UPDATE; the watcher that notices is one task per request.

The first request also starts the process's upkeep thread (heartbeat, spool replay, reaper: `usage.upkeep`).
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import sys
from contextlib import aclosing

from asgiref.sync import sync_to_async

from core import headers as header_names
from sbcproject.handlers import ApiHandler
from usage.records import usage_record_abandoned
from usage.upkeep import upkeep_start

api = ApiHandler()


def environ_for(scope: dict, body: bytes) -> dict:
    """The WSGI environ of an ASGI HTTP request, as gunicorn would build it (header names with an
    underscore are dropped, so `X_Forwarded_For` cannot pass for `X-Forwarded-For`)."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"].encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1")
        if "_" in name:
            continue
        key = name.upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    environ["CONTENT_LENGTH"] = str(len(body))  # read whole, chunked or not
    return environ


async def _until_disconnect(receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_stream(response, send) -> None:
    if response.is_async:
        async with aclosing(aiter(response.streaming_content)) as parts:
            async for part in parts:
                await send({"type": "http.response.body", "body": part, "more_body": True})
    else:  # a stream read in a thread (the SDK transport behind a proxy): each part from the thread
        parts = iter(response.streaming_content)
        while (part := await sync_to_async(next)(parts, None)) is not None:
            await send({"type": "http.response.body", "body": part, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _stream_until_disconnect(response, watch: asyncio.Task, send) -> None:
    """The streamed answer, cancelled if the client goes away first (which settles it as a disconnect)."""
    answer = asyncio.create_task(_send_stream(response, send))
    await asyncio.wait((answer, watch), return_when=asyncio.FIRST_COMPLETED)
    for task in (watch, answer):
        if not task.done():
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass


async def serve(scope: dict, receive, send, body: bytes, executor) -> None:
    """Answer one /v1 request whose whole `body` was read, running Django in `executor`'s thread."""
    upkeep_start()
    environ = environ_for(scope, body)
    started: dict = {}

    def start_response(status: str, headers: list, exc_info=None) -> None:
        started["status"], started["headers"] = int(status[:3]), headers

    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    watch = asyncio.create_task(_until_disconnect(receive))
    try:
        response = await loop.run_in_executor(executor, context.run, api, environ, start_response)
    except BaseException:
        watch.cancel()
        raise
    try:
        if not response.streaming and watch.done():  # the client left while its answer was made
            request_id = response.get(header_names.REQUEST_ID)
            if request_id:
                await loop.run_in_executor(executor, context.run, usage_record_abandoned, request_id)
            return
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in started["headers"]]
        if not response.streaming and not response.has_header("Content-Length"):
            headers.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": started["status"], "headers": headers})
        if response.streaming:
            await _stream_until_disconnect(response, watch, send)
        else:
            await send({"type": "http.response.body", "body": response.content})
    finally:
        if not watch.done():
            watch.cancel()
        await loop.run_in_executor(executor, context.run, response.close)
