"""The base of every /v1 view: bearer-token authentication, a request id, errors as OpenAI JSON.

Also the one place a view hands its metered work over: `metered` (the Bedrock call) and `settling` (turning
the answer into the client's shape) settle the meter on failure, so every endpoint records its errors alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rest_framework.views import APIView

from core import headers
from core.errors import ApiError
from gateway.http import anthropic_exception_handler
from tokens.authentication import ApiKeyOrBearerAuthentication, BearerTokenAuthentication
from usage.metering import Meter, Origin, client_from_user_agent, new_request_id, prompt_estimate_for

Result = TypeVar("Result")


class ApiView(APIView):
    """A /v1 view. Its `request.user` is not a Django user: it is the token's `Caller` (token, identity), which
    DRF's authentication (`tokens.authentication`) sets; /v1 has no other user and no session."""

    authentication_classes = [BearerTokenAuthentication]
    permission_classes: list = []

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
