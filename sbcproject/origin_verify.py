"""Refuses requests that did not come through the deployment's CloudFront, when it fronts a Lambda function URL.

The function URL is public (the gateway checks bearer tokens itself), so without this a client could skip the
CloudFront distribution, and the WAF web ACL on it, by calling the lambda-url host directly. CloudFront adds the
header ORIGIN_VERIFY_HEADER with the secret ORIGIN_VERIFY_HEADER_VALUE to every request it forwards
(deploy/terraform/modules/lambda); any request without that exact value is answered 403 before anything reads it.
Unset (the default), the check is off: the middleware removes itself.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

from core.errors import PermissionDenied
from gateway.http import error_response


class OriginVerifyMiddleware:
    def __init__(self, get_response) -> None:
        expected = settings.ORIGIN_VERIFY_HEADER_VALUE
        if not expected:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.expected = expected.encode()
        self.meta_key = "HTTP_" + settings.ORIGIN_VERIFY_HEADER.upper().replace("-", "_")

    def __call__(self, request):
        presented = request.META.get(self.meta_key, "").encode("latin-1", "replace")
        if not hmac.compare_digest(presented, self.expected):
            return error_response(
                PermissionDenied(
                    "Requests reach this gateway through its own address only.", code="origin_not_verified"
                )
            )
        return self.get_response(request)
