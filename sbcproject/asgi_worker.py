"""The gunicorn worker that serves `sbcproject.asgi`: uvicorn's, configured for the gateway.

- Forwarded headers are believed by nobody here: the gateway decides in one place, from TRUSTED_PROXIES
  (gateway.http.UntrustedForwardingMiddleware and SECURE_PROXY_SSL_HEADER).
- No WebSocket protocol: an upgrade reaches the application as plain HTTP, which answers /v1 upgrades
  with a 426 (Codex then streams over HTTP at once).
- The access log only when gunicorn's is on (GUNICORN_ACCESS_LOG); it never includes request headers.
- At most GUNICORN_WORKER_CONNECTIONS connections at once per worker; uvicorn answers more with a 503.
"""

from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "ws": "none",
        "lifespan": "on",
        "proxy_headers": False,
        "server_header": False,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.config.access_log = bool(self.cfg.accesslog)
        self.config.limit_concurrency = self.cfg.worker_connections
