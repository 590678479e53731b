"""gunicorn configuration used by `make run`, the benchmark and the container image.

uvicorn workers serving the ASGI application (`sbcproject.asgi`): each worker runs an event loop that
reads streamed answers from Bedrock and writes them to clients, so an open stream holds a socket, not a
thread, and a small instance holds a thousand; the blocking part of each request runs in the worker's
GUNICORN_THREADS request threads. GUNICORN_WORKER_CLASS=gthread serves the WSGI application instead, with
a thread per request and per stream. Tune with the variables below.
"""

import gc
import os
import socket

# The collector is off while the master imports the application and on again from the fork (`pre_fork`), as
# Python advises for a process that forks without exec: its collections during the imports took 5-10% of the
# CPU a fresh serverless function spends before its first answer.
gc.disable()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sbcproject.asgi_worker.Worker")
threads = int(os.environ.get("GUNICORN_THREADS", "128"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# The access log never includes request headers, so no bearer token can reach it.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
ASGI = worker_class.startswith("sbcproject.asgi")
wsgi_app = "sbcproject.asgi:application" if ASGI else "sbcproject.wsgi:application"
# Room for a long Authorization header, so a 10-16 kB one still gets the API's JSON 403 (gunicorn's own
# 8 kB default answers with an HTML page before the application runs). Under gthread a larger header gets
# gunicorn's page; the uvicorn worker bounds the whole head at twice this (431, sbcproject.asgi_worker).
limit_request_field_size = int(os.environ.get("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", "32768"))
# gunicorn believes nobody's X-Forwarded-Proto (its default believes loopback): the gateway decides in one place,
# from TRUSTED_PROXIES (gateway.http.UntrustedForwardingMiddleware and SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = ""


def when_ready(server) -> None:
    """Answer without Nagle's delay: gunicorn writes headers and body separately, and the second small
    write would otherwise wait for the client's delayed ACK (up to 40 ms on Linux). Accepted sockets
    inherit the option from the listener."""
    for listener in server.LISTENERS:
        sock = getattr(listener, "sock", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def pre_fork(server, worker) -> None:
    """Everything loaded before the fork (Django, the views, botocore's models) moves to the collector's
    permanent generation: a full collection then scans only what requests created. Without it a worker
    holding hundreds of streams paused for 80-125 ms at each full collection, and every stream with it."""
    gc.freeze()
    gc.enable()
