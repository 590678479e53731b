"""Answers health checks before host validation and the https redirect.

An ALB target health check sends the task's private IP as Host and speaks plain http to the container,
so /healthz must not depend on ALLOWED_HOSTS or SECURE_SSL_REDIRECT. Every other path still does.
"""

from __future__ import annotations

from gateway.views.health import healthz


def health_check_middleware(get_response):
    def middleware(request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return get_response(request)

    return middleware
