"""HTTP plumbing for the /v1 API: body parsing, JSON rendering, and the one place errors become responses.

Every error below a view — ours, DRF's, the database's — leaves here as OpenAI's
`{"error": {"message", "type", "param", "code"}}` with the right status; never an HTML page. Views that
speak Anthropic's API choose `anthropic_exception_handler`: same errors and statuses, Anthropic's body.
"""

from __future__ import annotations

import io
import ipaddress
import logging
from collections.abc import Callable

import orjson
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from rest_framework import exceptions as drf
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from core.db_breaker import breaker as database_breaker
from core.errors import (
    ApiError,
    AuthenticationFailed,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from usage.events import event_emit, iso_now

log = logging.getLogger("sbc.http")


def json_bytes(data) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


# Anthropic's error `type` by HTTP status; what is not listed is an `api_error`.
ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    503: "overloaded_error",
}


def anthropic_error_type(error: ApiError) -> str:
    # An unknown or revoked key is a 403 by the product's contract, but Anthropic calls it an authentication error.
    return (
        "authentication_error"
        if error.code == "invalid_api_key"
        else ANTHROPIC_ERROR_TYPES.get(error.status, "api_error")
    )


def anthropic_error_body(error: ApiError) -> dict:
    body = {"type": anthropic_error_type(error), "message": error.message}
    if error.details:
        body["details"] = error.details
    return {"type": "error", "error": body}


def error_response(error: ApiError, body: Callable[[ApiError], dict] = ApiError.body) -> HttpResponse:
    response = HttpResponse(json_bytes(body(error)), status=error.status, content_type="application/json")
    for name, value in error.headers.items():
        response[name] = value
    return response


# Deeper bodies are refused: Python's json (botocore's serializer, token estimates) recurses per level and
# orjson writes at most 255 levels, so a deep tool schema would otherwise end in a RecursionError (a 500).
# Real requests, tool schemas included, stay far below.
MAX_JSON_DEPTH = 64


def json_depth_exceeds(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `value` nests lists/objects deeper than `limit`, found without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def body_parse(raw: bytes):
    """A request body as JSON, or InvalidRequest that says what is wrong with it."""
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc).lower() or "recursion" in str(exc).lower():
            raise InvalidRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
        detail = "invalid UTF-8" if "utf-8" in str(exc).lower() else str(exc).split(":")[0]
        raise InvalidRequest(f"We could not parse the JSON body of your request ({detail}).") from None
    if isinstance(body, (dict, list)) and json_depth_exceeds(body):
        raise InvalidRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")
    return body


class JSONBodyParser(BaseParser):
    """JSON bodies only, read within MAX_REQUEST_BYTES (413 above it), parsed with orjson."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.MAX_REQUEST_BYTES
        request = parser_context["request"] if parser_context else None
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        return body_parse(raw)


def is_api_path(path: str) -> bool:
    """Whether `path` is meant for the /v1 API, written oddly or not (`//v1/...`, `/V1/...`, `/./v1/...`,
    `/v1./...`, `/v1;x/...`, `/v1\\...`): its answers, errors included, are the API's JSON, never a page. Such a
    path matches no route, so it gets the API's 404; it never reaches another handler's views."""
    if path.startswith("/v1/"):
        return True
    segments = [s for s in path.replace("\\", "/").split("/") if s not in ("", ".")]
    return bool(segments) and segments[0].split(";", 1)[0].rstrip(".").lower() == "v1"


# What a reverse proxy tells the application about the client's connection; believed only from TRUSTED_PROXIES.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


class UntrustedForwardingMiddleware:
    """Drops `X-Forwarded-*`, `Forwarded` and `X-Real-IP` from requests whose TCP peer is not in TRUSTED_PROXIES, so
    a client cannot claim https (SECURE_PROXY_SSL_HEADER) or another host or address; only a proxy the deployment
    names may. First in both middleware chains."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.networks = tuple(ipaddress.ip_network(n, strict=False) for n in settings.TRUSTED_PROXIES)

    def trusted(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, request):
        meta = request.META
        if any(name in meta for name in FORWARDED_HEADERS) and not self.trusted(meta.get("REMOTE_ADDR", "")):
            for name in FORWARDED_HEADERS:
                meta.pop(name, None)
        return self.get_response(request)


class AllowedHostMiddleware:
    """A /v1 request whose Host is not in ALLOWED_HOSTS is refused with a JSON 400, as the admin and the portal
    refuse it: the API's lean handler has no other middleware that asks for the host."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost:
            return error_response(
                InvalidRequest("The Host header names no host this gateway serves.", code="invalid_host")
            )
        return self.get_response(request)


class ChunkedBodyMiddleware:
    """Reads a chunked /v1 request body (no Content-Length) within MAX_REQUEST_BYTES, 413 above it.

    Django sees a body without Content-Length as empty, so without this a chunked request would be
    answered "`messages` is required" and a huge one would never meet the size limit.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if (
            is_api_path(request.path)
            and not meta.get("CONTENT_LENGTH")
            and "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
            and "wsgi.input" in meta
        ):
            limit = settings.MAX_REQUEST_BYTES
            raw = meta["wsgi.input"].read(limit + 1)
            if len(raw) > limit:
                return error_response(PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes."))
            request._stream = io.BytesIO(raw)
            meta["CONTENT_LENGTH"] = str(len(raw))
        return self.get_response(request)


class FastJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else json_bytes(data)


class FirstRendererNegotiation(BaseContentNegotiation):
    """The API always answers JSON (or SSE), whatever `Accept` says: SDKs send all sorts."""

    def select_parser(self, request, parsers):
        content_type = request.content_type.split(";")[0].strip().lower()
        for parser in parsers:
            if content_type == parser.media_type or content_type.endswith("+json"):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_DRF_ERRORS = {
    drf.NotAuthenticated: lambda exc: AuthenticationFailed(),
    drf.AuthenticationFailed: lambda exc: AuthenticationFailed(),
    drf.UnsupportedMediaType: lambda exc: UnsupportedMediaType(
        "Unsupported Content-Type: send the body as application/json."
    ),
    drf.ParseError: lambda exc: InvalidRequest(f"We could not parse the JSON body of your request ({exc.detail})."),
    drf.MethodNotAllowed: lambda exc: MethodNotAllowed(str(exc.detail)),
    drf.NotFound: lambda exc: NotFound(str(exc.detail)),
}


def to_api_error(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    for drf_class, convert in _DRF_ERRORS.items():
        if isinstance(exc, drf_class):
            return convert(exc)
    if isinstance(exc, drf.APIException):
        error = InvalidRequest(str(exc.detail))
        error.status = exc.status_code
        return error
    if isinstance(exc, (OperationalError, InterfaceError, DatabaseError)):
        return ServiceUnavailable(
            "The gateway's database is unavailable; try again shortly.", headers={"Retry-After": "5"}
        )
    return None


def database_refusal_emit(exc: Exception, request, error: ApiError) -> None:
    """A request refused 503 because the database failed before Bedrock was called: the database breaker opens
    (`core.db_breaker`), and the refusal is a `response` event (status 503), counted with the server errors, since
    it has no usage record."""
    database_breaker.failed(exc)
    log.error("database unavailable: %s", type(exc).__name__)
    caller = getattr(request, "_user", None) if request is not None else None
    event_emit(
        "response",
        request_id=getattr(request, "request_id", None),
        identity=getattr(caller, "identity_name", None),
        token_id=getattr(caller, "token_id", None),
        path=request.path[:200] if request is not None else None,
        status=error.status,
        error_code="database_unavailable",
        reached_bedrock=False,
        timestamp=iso_now(),
    )


def _handled(exc, context) -> ApiError:
    error = to_api_error(exc)
    if isinstance(exc, DatabaseError) and error is not None:
        database_refusal_emit(exc, (context or {}).get("request"), error)
    if error is None:
        log.exception("unhandled error in %s", context.get("view").__class__.__name__ if context else "?")
        error = ApiError("The gateway hit an internal error; it has been logged.")
    return error


def openai_exception_handler(exc, context):
    return error_response(_handled(exc, context))


def anthropic_exception_handler(exc, context):
    return error_response(_handled(exc, context), anthropic_error_body)


def api_not_found(request, exception=None):
    return error_response(NotFound(f"Unknown endpoint: {request.method} {request.path}", code="unknown_url"))


def api_server_error(request):
    return error_response(ApiError("The gateway hit an internal error; it has been logged."))
