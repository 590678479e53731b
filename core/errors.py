"""The gateway's one error hierarchy: each error knows its HTTP status and OpenAI `type`/`code`.

Raise these anywhere below a view; `gateway.http` turns them into OpenAI's
`{"error": {"message", "type", "param", "code"}}` body in exactly one place.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    type = "server_error"
    code: str | None = None
    details: dict | None = None  # Anthropic's `error.details` (machine-readable; SDKs act on its `error_code`)

    def __init__(
        self, message: str, *, param: str | None = None, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequest(ApiError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"


class ContextLengthExceeded(InvalidRequest):
    code = "context_length_exceeded"


class AuthenticationFailed(ApiError):
    """No usable bearer token was offered (401)."""

    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"

    def __init__(self, message: str = "Missing bearer token: send 'Authorization: Bearer <token>'.", **kw) -> None:
        super().__init__(message, **kw)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="sbc"')


class InvalidToken(ApiError):
    """A token was offered but it is unknown, malformed, expired or revoked (403, the product's contract)."""

    status = 403
    type = "invalid_request_error"
    code = "invalid_api_key"

    def __init__(self, message: str = "Invalid or expired token", **kw) -> None:
        super().__init__(message, **kw)


class PermissionDenied(ApiError):
    status = 403
    type = "permission_error"
    code = "permission_denied"


class NotFound(ApiError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class ThreadNotFound(NotFound):
    """A message thread continued from a reply this identity does not hold (never stored, expired, another's):
    Anthropic's SDK then sends the whole conversation again under a new thread."""

    code = "thread_not_found"
    details = {"error_code": "thread_not_found"}


class ThreadUnsupported(InvalidRequest):
    """A thread the gateway cannot keep for this request: Anthropic's SDKs then send this turn and the later ones
    whole, without `thread`."""

    code = "thread_unsupported_request"

    def __init__(self, message: str, *, unsupported: list[str], **kw) -> None:
        super().__init__(message, **kw)
        self.details = {"error_code": self.code, "unsupported": unsupported}


class MethodNotAllowed(ApiError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"


class PayloadTooLarge(ApiError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    type = "invalid_request_error"
    code = "unsupported_media_type"


class RateLimited(ApiError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int | None = None, **kw) -> None:
        super().__init__(message, **kw)
        if retry_after is not None:
            self.headers["Retry-After"] = str(max(1, int(retry_after)))


class QuotaExceeded(RateLimited):
    type = "insufficient_quota"
    code = "insufficient_quota"


class UpstreamError(ApiError):
    """Bedrock answered with something we cannot turn into an answer (502)."""

    status = 502
    type = "api_error"
    code = "upstream_error"


class ServiceUnavailable(ApiError):
    status = 503
    type = "server_error"
    code = "service_unavailable"


class GatewayTimeout(ApiError):
    status = 504
    type = "timeout"
    code = "upstream_timeout"
