"""The Bedrock adapter: the only gateway package that imports the AWS SDK (its lean HTTP client and failover inside).

One client per region per process (created lazily, reused, with explicit timeouts and a
connection pool): the lean client of `gateway.bedrock.http` for Converse and InvokeModel, the SDK's for
the rest. Regional failover (policy in `gateway.bedrock.failover`) for errors that happen before
any byte reaches the client, and the single table that maps Bedrock and botocore errors to ours.

The SDK's clients come from botocore's session (boto3's layer above it adds nothing to bedrock-runtime, and its
import would lengthen a fresh process's first answer); streams read on the event loop load aiohttp
(`gateway.bedrock.aio`) with the first of them.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import botocore.session
import orjson
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from django.conf import settings

from core.cache import ProcessCache
from core.errors import (
    ApiError,
    ContextLengthExceeded,
    GatewayTimeout,
    InvalidRequest,
    ModelNotFound,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
)
from core.serving import serving_loop
from gateway.bedrock.failover import RegionHealth, attempt_plan, backoff_delay
from gateway.bedrock.http import OPERATIONS as HTTP_OPERATIONS
from gateway.bedrock.http import STREAMED_OPERATIONS, BedrockHttpClient
from gateway.registry import ModelSpec, strip_profile

if TYPE_CHECKING:
    from gateway.bedrock.aio import AsyncBedrockClient

log = logging.getLogger("sbc.bedrock")

# Bedrock error code (lower-cased: stream exceptions arrive lowerCamel) -> gateway error and message.
# None as message means: pass Bedrock's own message through.
ERRORS: dict[str, tuple[type[ApiError], str | None]] = {
    "validationexception": (InvalidRequest, None),
    "accessdeniedexception": (
        UpstreamError,
        "Bedrock denied access to this model: model access is not enabled "
        "for the gateway's AWS account in this region (enable it in the Bedrock console).",
    ),
    "resourcenotfoundexception": (ModelNotFound, None),
    "throttlingexception": (RateLimited, "Bedrock is throttling requests for this model; retry after a pause."),
    "servicequotaexceededexception": (RateLimited, "Bedrock's service quota for this model is exhausted."),
    "modelnotreadyexception": (ServiceUnavailable, "The model is not ready yet; retry shortly."),
    "modeltimeoutexception": (GatewayTimeout, "The model took too long to answer."),
    "modelerrorexception": (UpstreamError, None),
    "modelstreamerrorexception": (UpstreamError, None),
    "internalserverexception": (ServiceUnavailable, "Bedrock had an internal error; retry shortly."),
    "serviceunavailableexception": (ServiceUnavailable, "Bedrock is unavailable; retry shortly."),
}
# ValidationException messages that mean something more specific to OpenAI clients.
VALIDATION_REFINEMENTS: tuple[tuple[tuple[str, ...], type[ApiError], str], ...] = (
    (
        (
            "too long",
            "too many input tokens",
            "prompt is too long",
            "input is too long",
            "context window",
            "maximum context length",
        ),
        ContextLengthExceeded,
        "context_length_exceeded",
    ),
    (("model identifier is invalid",), ModelNotFound, "model_not_found"),
)
# Errors after which another region may succeed (nothing has reached the client yet).
FAILOVER_CODES = {
    "throttlingexception",
    "servicequotaexceededexception",
    "internalserverexception",
    "serviceunavailableexception",
    "modelnotreadyexception",
    "modeltimeoutexception",
}
RETRY_AFTER_SECONDS = {
    "throttlingexception": 2,
    "servicequotaexceededexception": 10,
    "modelnotreadyexception": 5,
    "serviceunavailableexception": 2,
    "internalserverexception": 2,
}


def error_from_client_error(exc: ClientError) -> ApiError:
    error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
    code = str(error.get("Code") or "").lower()
    message = str(error.get("Message") or "Bedrock returned an error.")
    error_class, fixed_message = ERRORS.get(code, (UpstreamError, None))
    if code == "validationexception":
        lowered = message.lower()
        for needles, refined, api_code in VALIDATION_REFINEMENTS:
            if any(n in lowered for n in needles):
                return refined(
                    message, code=api_code, param="messages" if refined is ContextLengthExceeded else "model"
                )
    if error_class is UpstreamError and not code:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return (
            ServiceUnavailable("Bedrock is unavailable; retry shortly.")
            if status >= 500
            else UpstreamError(f"Bedrock returned an unexpected error: {message}")
        )
    result = error_class(fixed_message or message)
    if code in RETRY_AFTER_SECONDS:
        result.headers["Retry-After"] = str(RETRY_AFTER_SECONDS[code])
    return result


def to_api_error(exc: Exception) -> ApiError:
    """The gateway error for anything boto3 raised while talking to Bedrock."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ClientError):
        return error_from_client_error(exc)
    if isinstance(exc, ParamValidationError):
        return InvalidRequest(f"The request could not be sent to Bedrock: {exc}")
    if isinstance(exc, ReadTimeoutError):
        return GatewayTimeout("Bedrock did not answer in time.")
    if isinstance(exc, (ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)):
        return ServiceUnavailable("The gateway could not reach Bedrock; retry shortly.")
    if isinstance(exc, BotoCoreError):
        return ServiceUnavailable(f"Bedrock request failed: {type(exc).__name__}")
    return UpstreamError(f"Bedrock request failed: {type(exc).__name__}")


def _may_fail_over(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code") or "").lower()
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in FAILOVER_CODES or status >= 500
    return isinstance(exc, (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError))


_clients: ProcessCache = ProcessCache("bedrock clients")  # region -> the SDK's client
_transports: ProcessCache = ProcessCache("bedrock transports")  # region -> the client for HTTP_OPERATIONS
_loop_transports: ProcessCache[AsyncBedrockClient] = ProcessCache("bedrock calls on the event loop")  # by region
_sessions: ProcessCache[botocore.session.Session] = ProcessCache("botocore session")
_health: ProcessCache[RegionHealth] = ProcessCache("region health")
_clients_lock = threading.Lock()  # a client is built once per region, not by every thread that misses


def _boto_session() -> botocore.session.Session:
    """One session per process: the SDK clients and the lean client share its credentials (and their refresh)."""
    return _sessions.get_or_load(botocore.session.get_session)


def _new_client(region: str):
    config = Config(
        region_name=region,
        connect_timeout=settings.BEDROCK_CONNECT_TIMEOUT,
        read_timeout=settings.BEDROCK_READ_TIMEOUT,
        retries={"total_max_attempts": 1},
        max_pool_connections=settings.BEDROCK_MAX_POOL_CONNECTIONS,
        tcp_keepalive=True,
    )
    return _boto_session().create_client("bedrock-runtime", config=config)


def client_for(region: str):
    """This process's bedrock-runtime client for `region` (endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME)."""
    client = _clients.get(region)
    if client is None:
        with _clients_lock:
            client = _clients.get(region) or _clients.put(_new_client(region), region)
    return client


def _proxied(url: str) -> bool:
    """Whether HTTP(S)_PROXY (and NO_PROXY) send requests to `url` through a proxy."""
    parts = urlsplit(url)
    return parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(parts.hostname or "")


def transport_for(region: str, operation: str):
    """The lean client for the hot operations (unless BEDROCK_TRANSPORT=sdk or a proxy applies), else the SDK's."""
    if operation not in HTTP_OPERATIONS or settings.BEDROCK_TRANSPORT != "direct":
        return client_for(region)
    transport = _transports.get(region)
    if transport is None:
        sdk = client_for(region)
        endpoint = sdk.meta.endpoint_url
        with _clients_lock:
            transport = _transports.get(region) or _transports.put(
                sdk
                if _proxied(endpoint)
                else BedrockHttpClient(
                    endpoint_url=endpoint,
                    region=region,
                    credentials=_boto_session().get_credentials(),
                    connect_timeout=settings.BEDROCK_CONNECT_TIMEOUT,
                    read_timeout=settings.BEDROCK_READ_TIMEOUT,
                    max_connections=settings.BEDROCK_MAX_POOL_CONNECTIONS,
                ),
                region,
            )
    return transport


def loop_transport_for(region: str, operation: str):
    """Under the ASGI server, the lean transport's calls go out on the serving loop: streams everywhere, whole
    answers except on Lambda, where a function serves one request at a time (no thread contends for the GIL) and a
    cold start whose first answer is whole does not wait for aiohttp's import."""
    transport = transport_for(region, operation)
    loop = serving_loop()
    if loop is None or not isinstance(transport, BedrockHttpClient):
        return transport
    if operation not in STREAMED_OPERATIONS and settings.RUNNING_ON_LAMBDA:
        return transport
    on_loop = _loop_transports.get(region)
    if on_loop is None or on_loop.loop is not loop:
        # aiohttp with the first call on the loop: a process that never uses it (a Lambda function whose first
        # request is not a stream, the WSGI entry point) does not pay for its import.
        from gateway.bedrock.aio import AsyncBedrockClient

        with _clients_lock:
            on_loop = _loop_transports.put(AsyncBedrockClient(transport, loop), region)
    return on_loop


def region_health() -> RegionHealth:
    """Which regions keep failing, in this process; built from the settings on first use."""
    return _health.get_or_load(
        lambda: RegionHealth(
            failures_to_trip=settings.BEDROCK_REGION_FAILURES, cooldown_seconds=settings.BEDROCK_REGION_COOLDOWN
        )
    )


@dataclass
class BedrockResult:
    region: str
    model_id: str
    response: dict


def _call(operation: str, spec: ModelSpec, kwargs: dict) -> BedrockResult:
    """Call Bedrock, failing over to the next region on errors that another region may not have."""
    deadline = time.monotonic() + settings.BEDROCK_FAILOVER_DEADLINE
    health = region_health()
    plan = attempt_plan(list(settings.BEDROCK_REGIONS), health, settings.BEDROCK_MAX_ATTEMPTS)
    last_exc: Exception | None = None
    for attempt, region in enumerate(plan):
        if attempt:
            delay = backoff_delay(attempt, settings.BEDROCK_BACKOFF_BASE, settings.BEDROCK_BACKOFF_CAP)
            if time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
        model_id = spec.model_id_for(region, settings.BEDROCK_INFERENCE_GEOGRAPHY)
        try:
            response = getattr(loop_transport_for(region, operation), operation)(modelId=model_id, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure is mapped below
            last_exc = exc
            if not _may_fail_over(exc):
                break
            health.failed(region)
            log.warning(
                "bedrock %s failed in %s (%s), attempt %d of %d",
                operation,
                region,
                type(exc).__name__,
                attempt + 1,
                len(plan),
            )
            continue
        health.succeeded(region)
        return BedrockResult(region=region, model_id=model_id, response=response)
    raise to_api_error(last_exc) from last_exc


def converse(spec: ModelSpec, kwargs: dict) -> BedrockResult:
    return _call("converse", spec, kwargs)


def converse_stream(spec: ModelSpec, kwargs: dict) -> BedrockResult:
    """Starts a stream; errors before the first event fail over, later ones surface while iterating."""
    return _call("converse_stream", spec, kwargs)


def stream_events(result: BedrockResult) -> Iterator[dict]:
    """The stream's events; a failure while streaming is raised as an ApiError."""
    stream = result.response["stream"]
    try:
        yield from stream
    except Exception as exc:  # noqa: BLE001 - every failure is mapped
        raise to_api_error(exc) from exc


def streams_on_loop(result: BedrockResult) -> bool:
    """Whether the stream's events are read on the serving event loop (`astream_events`), not in a thread."""
    # Imported with the first stream, as in `loop_transport_for`: a process that never streams skips aiohttp.
    from gateway.bedrock.aio import AsyncEventStream

    return isinstance(result.response["stream"], AsyncEventStream)


async def astream_events(result: BedrockResult) -> AsyncIterator[dict]:
    """`stream_events` for a stream read on the event loop."""
    try:
        async for event in result.response["stream"]:
            yield event
    except Exception as exc:  # noqa: BLE001 - every failure is mapped
        raise to_api_error(exc) from exc


def stream_close(result: BedrockResult) -> None:
    try:
        result.response["stream"].close()
    except Exception:  # noqa: BLE001 - closing an already broken stream must not mask the real outcome
        pass


def invoke_model(spec: ModelSpec, body: bytes) -> BedrockResult:
    return _call("invoke_model", spec, {"body": body, "contentType": "application/json", "accept": "application/json"})


def invoke_json(spec: ModelSpec, payload: dict) -> BedrockResult:
    """InvokeModel with a JSON body; the result's `response` is the model's decoded JSON answer."""
    result = invoke_model(spec, orjson.dumps(payload))
    try:
        result.response = orjson.loads(result.response["body"].read())
    except Exception as exc:  # noqa: BLE001 - a broken body read is an upstream failure like any other
        raise to_api_error(exc) from exc
    return result


def invoke_stream(spec: ModelSpec, payload: dict) -> BedrockResult:
    """InvokeModelWithResponseStream; its events (`{"chunk": {"bytes": ...}}`) come from `stream_events`."""
    result = _call(
        "invoke_model_with_response_stream",
        spec,
        {"body": orjson.dumps(payload), "contentType": "application/json", "accept": "application/json"},
    )
    result.response["stream"] = result.response.pop("body")
    return result


def count_tokens(spec: ModelSpec, payload: dict) -> BedrockResult:
    """Bedrock's CountTokens for an InvokeModel body (`response["inputTokens"]`); it takes no inference profile."""
    on_demand = replace(spec, base_model_id=strip_profile(spec.base_model_id), profile="optional")
    return _call("count_tokens", on_demand, {"input": {"invokeModel": {"body": orjson.dumps(payload)}}})
