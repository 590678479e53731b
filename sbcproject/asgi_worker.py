"""The gunicorn worker that serves `sbcproject.asgi`: uvicorn's, configured for the gateway.

- Forwarded headers are believed by nobody here: the gateway decides in one place, from TRUSTED_PROXIES
  (gateway.http.UntrustedForwardingMiddleware and SECURE_PROXY_SSL_HEADER).
- No WebSocket protocol: an upgrade reaches the application as plain HTTP, which answers /v1 upgrades
  with a 426 (Codex then streams over HTTP at once).
- The access log only when gunicorn's is on (GUNICORN_ACCESS_LOG); it never includes request headers.
- At most GUNICORN_WORKER_CONNECTIONS connections at once per worker; uvicorn answers more with a 503.
- A request's head (request line and headers) of at most twice GUNICORN_LIMIT_REQUEST_FIELD_SIZE (64 kB):
  uvicorn's parser has no limit of its own, so one endless header would grow a worker's memory. Above it
  the connection gets a 431 and is closed.
"""

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 33\r\nconnection: close\r\n\r\nRequest header fields too large.\n"
)


class HeadLimitedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), with the bytes of each request's head counted before they are
    parsed: up to the blank line that ends it, or the whole read while it has not ended."""

    head_limit = 64 * 1024

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end
            if self._head_bytes > self.head_limit:
                self.transport.write(HEAD_TOO_LARGE)
                self.transport.close()
                return
        super().data_received(data)


class Worker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "auto",
        "http": HeadLimitedProtocol,
        "ws": "none",
        "lifespan": "on",
        "proxy_headers": False,
        "server_header": False,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        HeadLimitedProtocol.head_limit = 2 * (self.cfg.limit_request_field_size or 32768)
        self.config.access_log = bool(self.cfg.accesslog)
        self.config.limit_concurrency = self.cfg.worker_connections
