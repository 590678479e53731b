"""Who acts in a web request, for the audit trail: admin:NAME under the admin, portal:NAME elsewhere.

The user is looked up only if the request writes an audit entry, so other requests pay nothing.
"""

from __future__ import annotations

from audit.recorder import acting_as


def actor_of(request) -> str:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    area = "admin" if request.path_info.startswith("/admin/") else "portal"
    return f"{area}:{user.get_username()}"


def audit_actor_middleware(get_response):
    def middleware(request):
        with acting_as(lambda: actor_of(request)):
            return get_response(request)

    return middleware
