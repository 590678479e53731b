"""The emulator's adjustable state: start-up knobs, injected faults and the gates tests release."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from bedrock_emulator.errors import canonical_error_name

OPERATIONS = ("converse", "converse-stream", "invoke")
GATE_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Knobs:
    """Fixed for the life of the process (command-line options)."""

    latency_ms: int = 0  # added before every model answer
    stream_deltas: int = 0  # text deltas per streamed answer; 0 = about one per word
    stream_interval_ms: int = 0  # pause between streamed deltas
    large_answer_kb: int = 0  # pad the default answer to about this size


@dataclass
class FaultRule:
    error: str | None = None
    message: str | None = None
    hang_ms: int = 0
    region: str | None = None
    operation: str | None = None
    model_id: str | None = None
    count: int | None = None  # None = until cleared

    def matches(self, operation: str, region: str | None, model_id: str) -> bool:
        return (
            (self.operation is None or self.operation == operation)
            and (self.region is None or self.region == region)
            and (self.model_id is None or self.model_id == model_id)
        )


def parse_rule(spec: Any) -> FaultRule:
    """A FaultRule from the JSON posted to /_emulator/faults; ValueError names what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("expected a JSON object")
    unknown = set(spec) - {"error", "message", "hang_ms", "region", "operation", "model_id", "count"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    error = spec.get("error")
    if error is not None and canonical_error_name(str(error)) is None:
        raise ValueError(f"unknown error {error!r}")
    if spec.get("operation") not in (None, *OPERATIONS):
        raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}")
    rule = FaultRule(
        error=canonical_error_name(str(error)) if error else None,
        message=spec.get("message"),
        hang_ms=int(spec.get("hang_ms") or 0),
        region=spec.get("region"),
        operation=spec.get("operation"),
        model_id=spec.get("model_id"),
        count=spec.get("count"),
    )
    if rule.error is None and not rule.hang_ms:
        raise ValueError("give an error, a hang_ms, or both")
    if rule.count is not None and (not isinstance(rule.count, int) or rule.count < 1):
        raise ValueError("count must be a positive integer or null")
    return rule


@dataclass
class FaultBook:
    rules: list[FaultRule] = field(default_factory=list)

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def take(self, operation: str, region: str | None, model_id: str) -> FaultRule | None:
        """The first rule matching this request, spending one of its uses."""
        if not self.rules:
            return None
        for rule in self.rules:
            if rule.matches(operation, region, model_id):
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [asdict(rule) for rule in self.rules]


@dataclass
class Gate:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0


class Gates:
    """Named barriers: a stream with `[[sbc:gate=KEY]]` pauses until a test releases KEY."""

    def __init__(self) -> None:
        self._gates: dict[str, Gate] = {}

    def _gate(self, key: str) -> Gate:
        return self._gates.setdefault(key, Gate())

    async def wait(self, key: str, timeout: float = GATE_TIMEOUT_SECONDS) -> None:
        gate = self._gate(key)
        gate.waiting += 1
        try:
            await asyncio.wait_for(gate.event.wait(), timeout)
        except TimeoutError:
            pass  # a forgotten release must not hold a connection forever
        finally:
            gate.waiting -= 1

    def release(self, key: str) -> None:
        self._gate(key).event.set()

    def status(self, key: str) -> dict[str, bool]:
        gate = self._gates.get(key)
        return {"waiting": bool(gate and gate.waiting), "released": bool(gate and gate.event.is_set())}

    def clear(self) -> None:
        for gate in self._gates.values():
            gate.event.set()  # nobody stays stuck behind a gate that no longer exists
        self._gates.clear()
