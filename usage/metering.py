"""The life of one metered API request: admission, the `request` event, and exactly one settlement.

Views call `meter_start` once they know who calls and which model (it may refuse the request),
and every path out — success, Bedrock error, client disconnect — ends in `Meter.settle`, which
runs once and emits the `response` event.
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from usage.events import event_emit, iso_now

CLIENT_MARKERS = (  # User-Agent fragment -> client name, most specific first
    ("cursor", "Cursor"), ("cline", "Cline"), ("roo", "Roo Code"), ("continue", "Continue"), ("aider", "aider"),
    ("copilot", "Copilot"), ("codex", "Codex"), ("claude-cli", "Claude Code"), ("claude-code", "Claude Code"),
    ("openai/python", "openai-python"), ("openai/js", "openai-node"), ("anthropic/python", "anthropic-python"),
    ("anthropic/js", "anthropic-node"), ("curl", "curl"), ("python-requests", "python-requests"),
    ("httpx", "httpx"), ("boto", "boto3"),
)


def client_from_user_agent(user_agent: str) -> str:
    lowered = user_agent.lower()
    for marker, name in CLIENT_MARKERS:
        if marker in lowered:
            return name
    return (user_agent.split("/")[0].strip() or "unknown")[:60]


def new_request_id() -> str:
    return "req_" + uuid.uuid4().hex


@dataclass
class Meter:
    request_id: str
    identity: str
    identity_id: int | None
    token_id: str
    endpoint: str
    model_requested: str
    model_resolved: str
    message_count: int
    streamed: bool
    client: str
    metadata: dict
    started: float = field(default_factory=time.monotonic)
    region: str = ""
    settled: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def upstream(self, *, region: str, model_id: str) -> None:
        self.region = region
        self.model_resolved = model_id

    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def response_headers(self) -> dict[str, str]:
        return {"x-request-id": self.request_id}

    def settle(self, *, status: int, usage: dict | None = None, finish_reason: str | None = None,
               error_code: str | None = None, disconnected: bool = False) -> bool:
        """Record the outcome once; False when the request was already settled."""
        with self._lock:
            if self.settled:
                return False
            self.settled = True
        usage = usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        event_emit("response", request_id=self.request_id, identity=self.identity, token_id=self.token_id,
                   endpoint=self.endpoint, model=self.model_requested, model_resolved=self.model_resolved,
                   region=self.region, stream=self.streamed, status=status, finish_reason=finish_reason,
                   error_code=error_code, disconnected=disconnected, latency_ms=self.latency_ms(),
                   usage={"prompt_tokens": usage.get("prompt_tokens", 0),
                          "completion_tokens": usage.get("completion_tokens", 0),
                          "total_tokens": usage.get("total_tokens", 0)},
                   client=self.client, timestamp=iso_now())
        return True


def meter_start(*, request, caller, endpoint: str, model_requested: str, model_resolved: str,
                message_count: int, streamed: bool, metadata: dict | None = None) -> Meter:
    """Admit the request (quotas and rate limits) and emit its `request` event."""
    meter = Meter(request_id=getattr(request, "request_id", None) or new_request_id(),
                  identity=caller.identity_name, identity_id=caller.identity_id, token_id=caller.token_id,
                  endpoint=endpoint, model_requested=model_requested, model_resolved=model_resolved,
                  message_count=message_count, streamed=streamed,
                  client=client_from_user_agent(request.META.get("HTTP_USER_AGENT", "")), metadata=metadata or {})
    event_emit("request", request_id=meter.request_id, identity=meter.identity, token_id=meter.token_id,
               endpoint=endpoint, model_requested=model_requested, model_resolved=model_resolved,
               message_count=message_count, stream=streamed, client=meter.client, timestamp=iso_now())
    return meter
