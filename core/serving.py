"""Which event loop, if any, serves the current request: set by the ASGI entry point (`sbcproject.asgi`).

Under the ASGI server a view still runs in a thread, but what it hands back (a stream read from Bedrock)
may run on the loop, which then holds hundreds of open streams without a thread each. Under WSGI (a
gunicorn thread, Lambda, the test client) there is no loop and everything stays in the request's thread.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar

_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar("serving_loop", default=None)


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop serving this request (its context reaches the request's thread), or None under WSGI."""
    return _loop.get()


def serve_on(loop: asyncio.AbstractEventLoop | None) -> None:
    """Called in the context that serves a request: what that request hands back may run on `loop`."""
    _loop.set(loop)
