"""The base of every /v1 view: bearer-token authentication, a request id, errors as OpenAI JSON.

Also the one place a view hands its metered work over: `metered` (the Bedrock call) and `settling` (turning
the answer into the client's shape) settle the meter on failure, so every endpoint records its errors alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rest_framework.views import APIView

from core.errors import ApiError
from gateway.http import anthropic_exception_handler
from tokens.authentication import ApiKeyOrBearerAuthentication, BearerTokenAuthentication
from usage.metering import Meter, new_request_id

Result = TypeVar("Result")


class ApiView(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes: list = []

    def initial(self, request, *args, **kwargs):
        request.request_id = new_request_id()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        request_id = getattr(request, "request_id", None)
        if request_id and not response.has_header("x-request-id"):
            response["x-request-id"] = request_id
        return response


class AnthropicApiView(ApiView):
    """Anthropic's API: the key may come as `x-api-key`, and errors leave in Anthropic's shape."""

    authentication_classes = [ApiKeyOrBearerAuthentication]

    def get_exception_handler(self):
        return anthropic_exception_handler


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
