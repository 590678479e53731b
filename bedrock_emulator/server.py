"""The emulator's HTTP face: Bedrock Runtime routes and the `/_emulator` control API on aiohttp.

Model routes run in order: injected fault -> model id -> Bedrock's validation -> directives -> answer.
Every model request is recorded in the request log, including whether a stream finished or the client
went away first.
"""

from __future__ import annotations

import asyncio
import re
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from bedrock_emulator import catalog, claude, invoke, scenarios, streaming
from bedrock_emulator import directives as directive
from bedrock_emulator.control import add_control_routes
from bedrock_emulator.errors import (
    CONTEXT_TOO_LONG,
    BedrockError,
    canonical_error_name,
    canonical_stream_error,
    validation,
)
from bedrock_emulator.faults import FaultBook, Gates, Knobs
from bedrock_emulator.requestlog import RequestLog
from bedrock_emulator.usage import PromptCache, measure, tokens
from bedrock_emulator.validation import validate_claude, validate_converse

JSON = "application/json"
EVENTSTREAM = "application/vnd.amazon.eventstream"
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/([^/,\s]*)/")


@dataclass
class EmulatorState:
    knobs: Knobs
    faults: FaultBook = field(default_factory=FaultBook)
    gates: Gates = field(default_factory=Gates)
    log: RequestLog = field(default_factory=RequestLog)
    cache: PromptCache = field(default_factory=PromptCache)


STATE = web.AppKey("emulator_state", EmulatorState)


@dataclass
class Call:
    """One model request on its way through the emulator."""

    request: web.Request
    state: EmulatorState
    operation: str
    model_id: str
    region: str | None
    body: Any
    request_id: str
    entry: dict[str, Any]
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    @property
    def headers(self) -> dict[str, str]:
        return {"x-amzn-RequestId": self.request_id}


def region_of(request: web.Request) -> str | None:
    """The region from a SigV4 credential scope; None for Bearer (API key) requests."""
    match = _CREDENTIAL_REGION.search(request.headers.get("Authorization", ""))
    return match.group(1) if match else None


def error_response(error: BedrockError, request_id: str) -> web.Response:
    return web.Response(
        status=error.status,
        body=orjson.dumps({"message": error.message}),
        content_type=JSON,
        headers={"x-amzn-ErrorType": error.error_type_header, "x-amzn-RequestId": request_id},
    )


async def _apply_fault(call: Call) -> None:
    fault = call.state.faults.take(call.operation, call.region, call.model_id)
    if fault is None:
        return
    if fault.hang_ms:
        await asyncio.sleep(fault.hang_ms / 1000)
    if fault.error:
        raise BedrockError(fault.error, fault.message)


def _directed_error(value: str) -> BedrockError:
    if value.lower() == "context":
        return validation(CONTEXT_TOO_LONG)
    name = canonical_error_name(value)
    if name is None:
        return validation(f"The emulator does not know the error {value!r} asked for by [[sbc:error=...]].")
    return BedrockError(name)


async def _obey(call: Call, directives: dict[str, str]) -> None:
    """Errors and delays asked for by directives and knobs, before any answer is produced."""
    if "error" in directives:
        raise _directed_error(directives["error"])
    delay_ms = directive.as_int(directives, "hang") + call.state.knobs.latency_ms
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)


def _stream_error(directives: dict[str, str]) -> str | None:
    if "stream-error" not in directives:
        return None
    member = canonical_stream_error(directives["stream-error"])
    if member is None:
        raise validation(f"The emulator does not know the stream error {directives['stream-error']!r}.")
    return member


async def _prepare_answer(
    call: Call, view: dict[str, Any] | None = None
) -> tuple[scenarios.Answer, dict[str, str], dict[str, int]]:
    """(answer, directives, usage) or a BedrockError for a Converse body, or for `view`, the Converse-shaped
    view of an already validated native (Claude) body."""
    model = catalog.resolve_chat(call.model_id)
    if view is None:
        validate_converse(call.body, model)
    body = call.body if view is None else view
    text, directives = directive.of_request(body)
    _stream_error(directives)
    await _obey(call, directives)
    answer = scenarios.compose(body, text, directives, call.state.knobs)
    usage = call.state.cache.usage(measure(body, call.model_id), answer.output_tokens)
    return answer, directives, usage


async def converse(call: Call) -> web.StreamResponse:
    answer, directives, usage = await _prepare_answer(call)
    if "gate" in directives:
        await call.state.gates.wait(directives["gate"] or "default")
    payload = {
        "output": {"message": {"role": "assistant", "content": answer.blocks}},
        "stopReason": answer.stop_reason,
        "usage": usage,
        "metrics": {"latencyMs": call.elapsed_ms},
    }
    call.entry["status"] = 200
    return web.Response(body=orjson.dumps(payload), content_type=JSON, headers=call.headers)


async def converse_stream(call: Call) -> web.StreamResponse:
    answer, directives, usage = await _prepare_answer(call)
    paced = directive.pace(directives)
    knobs = call.state.knobs
    steps = streaming.plan(
        answer,
        deltas=paced[0] if paced else knobs.stream_deltas,
        interval_ms=paced[1] if paced else knobs.stream_interval_ms,
        gate=(directives["gate"] or "default") if "gate" in directives else None,
        stream_error=_stream_error(directives),
    )
    return await _send_stream(call, steps, usage)


async def _send_stream(call: Call, steps: list[streaming.Step], usage: dict[str, int]) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": EVENTSTREAM, **call.headers})
    response.enable_chunked_encoding()
    await response.prepare(call.request)
    call.entry["status"] = 200
    try:
        await _play(call, response, steps, usage)
    except ConnectionError:
        call.entry["client_disconnected"] = True
        return response
    call.entry["stream_completed"] = True
    await response.write_eof()
    return response


async def _play(call: Call, response: web.StreamResponse, steps: list[streaming.Step], usage: dict[str, int]) -> None:
    """Send the frames, batching those with no pause between them into one write."""
    pending: list[bytes] = []
    for kind, value in steps:
        if kind == streaming.FRAME:
            pending.append(value)
            continue
        if kind == streaming.METADATA:
            pending.append(streaming.metadata_frame(usage, call.elapsed_ms))
            continue
        if pending:
            await response.write(b"".join(pending))
            pending.clear()
        if kind == streaming.PAUSE:
            await asyncio.sleep(value)
        elif kind == streaming.GATE:
            await call.state.gates.wait(value)
    if pending:
        await response.write(b"".join(pending))


async def invoke_model(call: Call) -> web.StreamResponse:
    model, _ = catalog.resolve(call.model_id)
    if model.family == "anthropic":
        return await _invoke_claude(call)
    await _obey(call, directive.parse(invoke.directive_text(call.body)))
    answer, input_tokens = invoke.invoke(call.body, model)
    call.entry["status"] = 200
    return web.Response(
        body=orjson.dumps(answer),
        content_type=JSON,
        headers={**call.headers, "X-Amzn-Bedrock-Input-Token-Count": str(input_tokens)},
    )


async def _claude_answer(call: Call) -> tuple[scenarios.Answer, dict[str, str], dict[str, int]]:
    model, _ = catalog.resolve(call.model_id)
    if model.family != "anthropic":
        raise invoke.malformed(f"the emulator has no InvokeModel body format for {model.base_id}")
    validate_claude(call.body, model)
    return await _prepare_answer(call, claude.converse_view(call.body))


async def _invoke_claude(call: Call) -> web.StreamResponse:
    answer, directives, usage = await _claude_answer(call)
    if "gate" in directives:
        await call.state.gates.wait(directives["gate"] or "default")
    call.entry["status"] = 200
    return web.Response(
        body=orjson.dumps(claude.message(answer, usage, call.model_id)),
        content_type=JSON,
        headers={**call.headers, "X-Amzn-Bedrock-Input-Token-Count": str(usage["inputTokens"])},
    )


async def invoke_stream(call: Call) -> web.StreamResponse:
    answer, directives, usage = await _claude_answer(call)
    paced, knobs = directive.pace(directives), call.state.knobs
    steps = claude.stream_plan(
        answer,
        usage,
        call.model_id,
        deltas=paced[0] if paced else knobs.stream_deltas,
        interval_ms=paced[1] if paced else knobs.stream_interval_ms,
        gate=(directives["gate"] or "default") if "gate" in directives else None,
        stream_error=_stream_error(directives),
    )
    return await _send_stream(call, steps, usage)


async def count_tokens(call: Call) -> web.StreamResponse:
    model = catalog.resolve_for_counting(call.model_id)
    if model.family != "anthropic":
        raise invoke.malformed(f"the model {model.base_id} does not support counting tokens")
    prompt = measure(claude.counting_body(call.body), call.model_id)
    call.entry["status"] = 200
    count = max(1, tokens(prompt.input_chars + prompt.cached_chars))
    return web.Response(body=orjson.dumps({"inputTokens": count}), content_type=JSON, headers=call.headers)


OPERATIONS: dict[str, Callable[[Call], Awaitable[web.StreamResponse]]] = {
    "converse": converse,
    "converse-stream": converse_stream,
    "invoke": invoke_model,
    "invoke-with-response-stream": invoke_stream,
    "count-tokens": count_tokens,
}


async def model_route(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    raw = await request.read()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError:
        body = None
    request_id = str(uuid.uuid4())
    operation, model_id, region = request.match_info["operation"], request.match_info["model_id"], region_of(request)
    entry = state.log.start(request_id=request_id, operation=operation, model_id=model_id, region=region, body=body)
    call = Call(request, state, operation, model_id, region, body, request_id, entry)
    try:
        await _apply_fault(call)
        if body is None:
            raise BedrockError("SerializationException")
        return await OPERATIONS[operation](call)
    except BedrockError as error:
        entry["status"] = error.status
        return error_response(error, request_id)
    except asyncio.CancelledError:
        entry["client_disconnected"] = True  # the client hung up while we waited
        raise
    except Exception as error:  # noqa: BLE001 - a request the emulator cannot model must still parse in boto3
        entry["status"] = 500
        return error_response(BedrockError("InternalServerException", f"Emulator failure: {error!r}"), request_id)


def build_app(knobs: Knobs | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE] = EmulatorState(knobs or Knobs())
    # A greedy model id, because an inference-profile ARN arrives with its `/` decoded.
    operations = "|".join(OPERATIONS)
    app.router.add_post("/model/{model_id:.+}/{operation:" + operations + "}", model_route)
    add_control_routes(app, STATE)
    return app


async def serve(host: str, port: int, knobs: Knobs, on_ready: Callable[[str], None]) -> None:
    runner = web.AppRunner(build_app(knobs), access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096, reuse_address=True)
    await site.start()
    bound_port = runner.addresses[0][1]
    on_ready(f"http://{host}:{bound_port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8711,
    knobs: Knobs | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM. `on_ready` receives the base URL once the socket listens."""
    try:
        import uvloop  # optional: faster event loop when installed

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(host, port, knobs or Knobs(), on_ready or (lambda url: print(url, flush=True))))
