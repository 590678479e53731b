"""The base of every /v1 view: bearer-token authentication, a request id, errors as OpenAI JSON.

Also the one place a view hands its metered work over: `metered` (the Bedrock call) and `settling` (turning
the answer into the client's shape) settle the meter on failure, so every endpoint records its errors alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rest_framework.views import APIView

from core import headers
from core.errors import ApiError, AuthenticationFailed, InvalidToken
from gateway.http import anthropic_exception_handler, to_api_error
from tokens import keyformat
from tokens.authentication import ApiKeyOrBearerAuthentication, BearerTokenAuthentication
from tokens.throttle import TooManyFailedAuthentications, client_address
from usage.events import event_emit, iso_now
from usage.metering import (
    Meter,
    Origin,
    client_from_user_agent,
    meter_start,
    new_request_id,
    prompt_estimate_for,
    prompt_estimate_of,
)

Result = TypeVar("Result")


class ApiView(APIView):
    """A /v1 view. Its `request.user` is not a Django user: it is the token's `Caller` (token, identity), which
    DRF's authentication (`tokens.authentication`) sets; /v1 has no other user and no session."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes: list = []
    endpoint = ""  # the usage records' endpoint; empty for views that meter nothing (listings, stored objects)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, AUTH_FAILURES) and getattr(getattr(self.request, "_user", None), "token_id", None) is None:
            auth_failure_emit(self.request, exc)
        elif self.endpoint and not getattr(self.request, "metered", False) and response.status_code < 500:
            record_refusal(
                self.request,
                endpoint=self.endpoint,
                status=response.status_code,
                error_code=getattr(to_api_error(exc), "code", None),  # DRF's own errors (415, 405) have codes too
            )
        return response

    def initial(self, request, *args, **kwargs):
        request.request_id = new_request_id()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        request_id = getattr(request, "request_id", None)
        if request_id and not response.has_header(headers.REQUEST_ID):
            response[headers.REQUEST_ID] = request_id
        return response


class AnthropicApiView(ApiView):
    """Anthropic's API: the key may come as `x-api-key`, and errors leave in Anthropic's shape."""

    authentication_classes = [ApiKeyOrBearerAuthentication]

    def get_exception_handler(self):
        return anthropic_exception_handler


def origin_of(request, *, request_id: str | None = None) -> Origin:
    """What metering needs to know of `request` (its id, the calling tool, a prompt estimate), as plain values."""
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    return Origin(
        request_id=request_id or getattr(request, "request_id", None) or new_request_id(),
        client=client_from_user_agent(request.META.get("HTTP_USER_AGENT", "")),
        prompt_estimate=prompt_estimate_for(size),
    )


def meter_for(request, *, endpoint: str, request_id: str | None = None, sent: dict | None = None, **fields) -> Meter:
    """Start the meter of `request` (admission included): from here on the request has its usage record.

    `sent`: the payload that goes to Bedrock (stored turns loaded). The reservation, and the charge of an answer
    cut short, count its prompt rather than the HTTP body's size, which a continuation of a stored response
    keeps small."""
    request.metered = True
    origin = origin_of(request, request_id=request_id)
    if sent is not None:
        origin = dataclasses.replace(origin, prompt_estimate=prompt_estimate_of(sent))
    return meter_start(origin=origin, caller=request.user, endpoint=endpoint, **fields)


def output_reserved(inference: dict | None, spec) -> int:
    """The output tokens to reserve: the `maxTokens` sent to Bedrock (reasoning raises it), else the model's
    maximum, since Bedrock may then answer up to it."""
    return int((inference or {}).get("maxTokens") or spec.max_output_tokens or 0)


def _model_named(request) -> str:
    try:
        model = request.data.get("model") if isinstance(request.data, dict) else None
    except Exception:  # noqa: BLE001 - the body itself may be what was refused
        model = None
    return model if isinstance(model, str) else ""


AUTH_FAILURES = (AuthenticationFailed, InvalidToken, TooManyFailedAuthentications)
AUTH_FAILURE_REASONS = {
    AuthenticationFailed: "missing",
    InvalidToken: "invalid",
    TooManyFailedAuthentications: "throttled",
}


def auth_failure_emit(request, error: ApiError) -> None:
    """The `auth_failure` event of a request refused before it had a caller: never the token, its digest or the
    header, only the token id of a well-formed key (public, printed in the admin) to tell which key keeps failing.
    Its `message` is the answer's ("Invalid or expired token" for an unknown, expired or revoked token), so the
    product description's CloudWatch query for auth failures finds it."""
    meta = request.META
    offered = meta.get("HTTP_X_API_KEY", "").strip() or meta.get("HTTP_AUTHORIZATION", "").strip().partition(" ")[2]
    parsed = keyformat.parse(offered.strip()) if offered else None
    event_emit(
        "auth_failure",
        request_id=getattr(request, "request_id", None) or new_request_id(),
        reason=AUTH_FAILURE_REASONS.get(type(error), "invalid"),
        message=error.message,
        status=error.status,
        error_code=error.code,
        method=request.method,
        path=request.path[:200],
        address=client_address(request),
        token_id=parsed.token_id if parsed else None,
        client=client_from_user_agent(meta.get("HTTP_USER_AGENT", "")),
        timestamp=iso_now(),
    )


def record_refusal(request, *, endpoint: str, status: int, error_code: str | None) -> None:
    """The usage record of an authenticated request refused before its meter started (a 400 at validation, an
    unknown model): every authenticated request has one. Unauthenticated ones are `auth_failure` events."""
    caller = getattr(request, "_user", None)  # as authenticated already: asking `.user` would authenticate again
    if getattr(caller, "token_id", None) is None:
        return
    model = _model_named(request)
    meter = Meter(
        request_id=getattr(request, "request_id", None) or new_request_id(),
        identity=caller.identity_name,
        identity_id=caller.identity_id,
        token_id=caller.token_id,
        endpoint=endpoint,
        model_requested=model,
        model_resolved="",
        message_count=0,
        streamed=False,
        client=origin_of(request).client,
        metadata={},
    )
    meter.settle(status=status, error_code=error_code)


@contextmanager
def settling(meter: Meter) -> Iterator[None]:
    """A failure inside settles the meter (once) before it propagates, so the request keeps its record."""
    try:
        yield
    except ApiError as error:
        meter.settle(status=error.status, error_code=error.code)
        error.headers.update(meter.response_headers())
        raise
    except Exception:
        meter.settle(status=500, error_code="internal_error")
        raise


def metered(meter: Meter, call: Callable[[], Result]) -> Result:
    """`call()`'s result (a BedrockResult or anything with `region`/`model_id`); failures settle the meter."""
    with settling(meter):
        result = call()
        meter.upstream(region=result.region, model_id=result.model_id)
        return result
