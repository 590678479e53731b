"""The life of one metered API request: admission, the `request` event, and exactly one settlement.

Views call `meter_start` once they know who calls and which model: it checks the identity's model
allow-list and reserves the request's estimate against its quotas and rate limits (refusing with
403 or 429, which is recorded too). Every path out — success, Bedrock error, client disconnect —
ends in `Meter.settle`, which runs once: it prices the usage, writes the usage record in one
statement, settles the reservation and emits the `response` event.

Once Bedrock was called, the usage reaches the database: a settlement that fails because the database is away
is tried once more on a fresh connection, then spooled durably to local disk (`usage.spool`) and replayed when
the database answers again. `settle` returns only once the record, or its spool entry, is durable.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection

from core import headers
from core.db_breaker import breaker as database_breaker
from core.db_breaker import is_outage
from core.errors import ApiError, PermissionDenied
from core.ids import hex_id
from core.model_ids import strip_profile
from tokens.quotas import limits_for
from usage import heartbeat
from usage.admission import Reservation, Settlement, quota_admit, settlement_of, settlement_release, settlement_write
from usage.events import event_emit, iso_now
from usage.models import UsageRecord
from usage.pricing import cost_usd, estimate_cost_micros, has_price, price_for
from usage.records import usage_record_create, usage_record_values
from usage.spool import spool_append
from usage.windows.sql import record_write

log = logging.getLogger("sbc.usage")

CLIENT_MARKERS = (  # User-Agent fragment -> client name, most specific first
    ("cursor", "Cursor"),
    ("cline", "Cline"),
    ("roo", "Roo Code"),
    ("continue", "Continue"),
    ("aider", "aider"),
    ("copilot", "Copilot"),
    ("codex", "Codex"),
    ("claude-cli", "Claude Code"),
    ("claude-code", "Claude Code"),
    ("openai/python", "openai-python"),
    ("openai/js", "openai-node"),
    ("anthropic/python", "anthropic-python"),
    ("anthropic/js", "anthropic-node"),
    ("curl", "curl"),
    ("python-requests", "python-requests"),
    ("httpx", "httpx"),
    ("boto", "boto3"),
)
MAX_PROMPT_ESTIMATE = 200_000


def _connection_reset() -> None:
    """Drop the default connection after an outage error, so that the next query opens a fresh one (not inside a
    caller's transaction, which only the caller may end)."""
    if not connection.in_atomic_block:
        try:
            connection.close()
        except DatabaseError:
            pass


def _recorded(request_id: str) -> bool:
    return UsageRecord.objects.filter(request_id=request_id).exists()


def settlement_store(record: dict, settlement: Settlement | None) -> str:
    """Write the record with its settlement: on a fresh connection once more if the database dropped the first
    try, to the spool if it stays away. How it went: "written", "spooled", "apart" (the database refused the
    pair: each written on its own) or "lost" (neither the database nor the disk took it: logged)."""
    request_id = record["request_id"]
    for attempt in (1, 2):
        try:
            if attempt == 2 and _recorded(request_id):  # the first try's commit went through; its answer was lost
                return "written"
            if settlement is None:
                record_write(record)
            else:
                settlement_write(settlement, record)
            database_breaker.succeeded()
            return "written"
        except Exception as exc:  # noqa: BLE001 - whatever failed, the record must still be written somehow
            if not is_outage(exc):
                if attempt == 2 and isinstance(exc, IntegrityError):
                    return "written"
                log.exception("Could not write the usage of %s with its settlement; writing them apart", request_id)
                return _write_apart(record, settlement)
            database_breaker.failed(exc)
            _connection_reset()
            log.warning("Could not write the usage of %s (%s), attempt %d", request_id, type(exc).__name__, attempt)
    try:
        spool_append(record, settlement)
    except Exception:  # noqa: BLE001 - a full or read-only disk, an unexpected value: logged, never raised
        log.exception("Could not spool the usage of %s: it is lost", request_id)
        return "lost"
    return "spooled"


def _write_apart(record: dict, settlement: Settlement | None) -> str:
    """A refused record must not cost the settlement, nor the other way round."""
    usage_record_create(record)
    if settlement is not None:
        try:
            settlement_write(settlement)
        except Exception:
            log.exception("Could not settle the quota reservation of %s", record["request_id"])
    return "apart"


def client_from_user_agent(user_agent: str) -> str:
    lowered = user_agent.lower()
    for marker, name in CLIENT_MARKERS:
        if marker in lowered:
            return name
    return (user_agent.split("/")[0].strip() or "unknown")[:60]


def new_request_id() -> str:
    return "req_" + hex_id()


def prompt_estimate_for(body_bytes: int) -> int:
    """An upper-bound-ish token count from the body size (about 4 bytes per token)."""
    return min(max(body_bytes, 0) // 4 + 1, MAX_PROMPT_ESTIMATE)


IMAGE_CHARS = 1_600 * 4  # Bedrock bills an image by its pixels (about 1,600 tokens at 1 MP), not by its bytes


def prompt_estimate_of(payload) -> int:
    """The same estimate from what is actually sent upstream (stored turns loaded, images as raw bytes): its text
    characters over four, an image as about 1,600 tokens."""
    chars, pending = 0, [payload]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            chars += len(item)
        elif isinstance(item, bytes | bytearray):
            chars += IMAGE_CHARS
        elif isinstance(item, dict):
            chars += 8 * len(item)
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return prompt_estimate_for(chars)


@dataclass(frozen=True)
class Origin:
    """What metering knows of the HTTP request behind a metered call, as plain values."""

    request_id: str
    client: str  # the calling tool, named from its User-Agent (`client_from_user_agent`)
    prompt_estimate: int  # tokens, from the body's size (`prompt_estimate_for`)


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
    adapted: tuple[str, ...] = ()  # what the gateway adapted or dropped (names only, see gateway.compat)
    prompt_estimate: int = 0  # tokens, from the body's size: what is charged if Bedrock reports no usage
    started: float = field(default_factory=time.monotonic)
    region: str = ""
    settled: bool = False
    reservation: Reservation | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def pending_seed(self) -> dict:
        """What the reaper needs to write this request's record if its process dies before settling it."""
        return {
            "identity_name": self.identity[:200],
            "token_id": self.token_id[:12],
            "endpoint": self.endpoint[:40],
            "model_requested": self.model_requested[:300],
            "model_resolved": (self.model_resolved or "")[:300],
            "streamed": self.streamed,
            "client": self.client[:60],
        }

    def upstream(self, *, region: str, model_id: str) -> None:
        self.region = region
        self.model_resolved = model_id

    def latency_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def response_headers(self) -> dict[str, str]:
        answer = {headers.REQUEST_ID: self.request_id}
        if self.adapted:
            answer[headers.ADAPTED] = ", ".join(self.adapted)
        if self.reservation is not None:
            answer.update(self.reservation.headers)
        return answer

    def _write(self, record: dict, *, tokens: int, cost_micros: int) -> None:
        """The usage record and the quota settlement in one transaction (`settlement_store`), then what the
        reservation holds in Redis and in this process."""
        res = self.reservation
        settlement = settlement_of(res, tokens=tokens, cost_micros=cost_micros) if res is not None else None
        try:
            how = settlement_store(record, settlement)
        finally:
            if res is not None:
                settlement_release(res, tokens=tokens, cost_micros=cost_micros)
        if how == "spooled" and settlement is not None and settlement.pending_request_id is not None:
            heartbeat.track(self.request_id, settlement.identity_id, None, True)  # kept from the reaper until replayed

    def settle(
        self,
        *,
        status: int,
        usage: dict | None = None,
        finish_reason: str | None = None,
        error_code: str | None = None,
        disconnected: bool = False,
    ) -> bool:
        """Record the outcome once; False when the request was already settled."""
        with self._lock:
            if self.settled:
                return False
            self.settled = True
        usage = usage or {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        latency = self.latency_ms()
        total = int(usage.get("total_tokens") or 0)
        try:
            cost = cost_usd(price_for(self.model_requested, self.model_resolved), usage) if total else Decimal(0)
        except Exception:
            log.exception("Could not price %s", self.request_id)
            cost = Decimal(0)
        record = usage_record_values(
            request_id=self.request_id,
            identity_id=self.identity_id,
            identity_name=self.identity,
            token_id=self.token_id,
            endpoint=self.endpoint,
            model_requested=self.model_requested,
            model_resolved=self.model_resolved,
            region=self.region,
            usage=usage,
            cost_usd=cost,
            latency_ms=latency,
            streamed=self.streamed,
            status=status,
            finish_reason=finish_reason,
            error_code=error_code,
            client=self.client,
            disconnected=disconnected,
            adapted=self.adapted,
        )
        self._write(record, tokens=total, cost_micros=int(cost * 1_000_000))
        details = usage.get("prompt_tokens_details") or {}
        event_emit(
            "response",
            request_id=self.request_id,
            identity=self.identity,
            token_id=self.token_id,
            endpoint=self.endpoint,
            model=self.model_requested,
            model_resolved=self.model_resolved,
            region=self.region,
            stream=self.streamed,
            status=status,
            finish_reason=finish_reason,
            error_code=error_code,
            disconnected=disconnected,
            latency_ms=latency,
            usage={
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
                "cached_tokens": details.get("cached_tokens", 0),
                "cache_write_tokens": details.get("cache_write_tokens", 0),
            },
            usage_estimated=bool(usage.get("estimated")),
            cost_usd=float(cost),
            client=self.client,
            adapted=list(self.adapted),
            timestamp=iso_now(),
        )
        return True


def meter_start(
    *,
    origin: Origin,
    caller,
    endpoint: str,
    model_requested: str,
    model_resolved: str,
    message_count: int,
    streamed: bool,
    metadata: dict | None = None,
    max_tokens: int | None = None,
    adapted=(),
) -> Meter:
    """Admit the request (allow-list, quotas and rate limits) and emit its `request` event.

    `adapted`: the names of what the gateway adapted or dropped for this request (gateway.compat).
    """
    meter = Meter(
        request_id=origin.request_id,
        identity=caller.identity_name,
        identity_id=caller.identity_id,
        token_id=caller.token_id,
        endpoint=endpoint,
        model_requested=model_requested,
        model_resolved=model_resolved,
        message_count=message_count,
        streamed=streamed,
        client=origin.client,
        metadata=metadata or {},
        adapted=tuple(adapted),
        prompt_estimate=origin.prompt_estimate,
    )
    event_emit(
        "request",
        request_id=meter.request_id,
        identity=meter.identity,
        token_id=meter.token_id,
        endpoint=endpoint,
        model_requested=model_requested,
        model_resolved=model_resolved,
        message_count=message_count,
        stream=streamed,
        client=meter.client,
        timestamp=iso_now(),
    )
    limits = limits_for(caller.identity_id)
    if limits.unlimited:
        return meter
    try:
        if not limits.allows(model_requested, model_resolved, strip_profile(model_resolved)):
            raise PermissionDenied(f"This identity may not use the model `{model_requested}`.", param="model")
        output = max_tokens or settings.QUOTA_RESERVE_OUTPUT_TOKENS
        tokens = origin.prompt_estimate + output
        cost = 0
        if limits.usd_micros_per_month:
            price = price_for(model_requested, model_resolved)
            if not has_price(price):  # it would cost $0 against the budget, whatever Bedrock bills
                raise PermissionDenied(
                    f"The model `{model_requested}` has no price here, and this identity has a spending limit: "
                    "an admin must add the model's price before it can be used.",
                    param="model",
                )
            cost = estimate_cost_micros(price, origin.prompt_estimate, output)
        meter.reservation = quota_admit(
            identity_id=caller.identity_id,
            request_id=meter.request_id,
            limits=limits,
            tokens=tokens,
            cost_micros=cost,
            seed=meter.pending_seed(),
            # A rate limit smooths throughput and its minute soon ends: it holds the usual output reserve, so a
            # request for a model's whole output (no max_tokens) is not refused by a per-minute limit below it.
            minute_tokens=origin.prompt_estimate + min(output, settings.QUOTA_RESERVE_OUTPUT_TOKENS),
        )
    except ApiError as error:
        error.headers.setdefault(headers.REQUEST_ID, meter.request_id)
        meter.settle(status=error.status, error_code=error.code)
        raise
    return meter
