"""Runs the local Bedrock emulator: Converse, ConverseStream and embedding InvokeModel with synthetic answers."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gateway.emulator import server
from gateway.emulator.faults import Knobs


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = ("Serve a local Bedrock Runtime emulator for development, tests and benchmarks. Point boto3 at it "
            "with AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://HOST:PORT.")
    # It never touches the database, so it starts on a machine without one.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_non_negative, default=8711, help="0 picks a free port")
        parser.add_argument("--latency-ms", type=_non_negative, default=0,
                            help="delay added before every model answer")
        parser.add_argument("--stream-deltas", type=_non_negative, default=0,
                            help="text deltas per streamed answer (default: about one per word)")
        parser.add_argument("--stream-interval-ms", type=_non_negative, default=0,
                            help="pause between streamed deltas")
        parser.add_argument("--large-answer-kb", type=_non_negative, default=0,
                            help="pad the default answer to about this many KB")

    def handle(self, *args: Any, **options: Any) -> None:
        knobs = Knobs(latency_ms=options["latency_ms"], stream_deltas=options["stream_deltas"],
                      stream_interval_ms=options["stream_interval_ms"], large_answer_kb=options["large_answer_kb"])
        server.run(host=options["host"], port=options["port"], knobs=knobs, on_ready=self._announce)

    def _announce(self, url: str) -> None:
        self.stdout.write(f"Bedrock emulator listening on {url} (answers are synthetic)")
        self.stdout.flush()
