"""`python -m bedrock_emulator`: serve the local Bedrock Runtime emulator (development, tests, benchmarks)."""

from __future__ import annotations

import argparse
import sys

from bedrock_emulator import server
from bedrock_emulator.faults import Knobs


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _announce(url: str) -> None:
    print(f"Bedrock emulator listening on {url} (answers are synthetic)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bedrock_emulator",
        description="Serve a local Bedrock Runtime emulator. Point boto3 at it with "
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://HOST:PORT.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_non_negative, default=8711, help="0 picks a free port")
    parser.add_argument("--latency-ms", type=_non_negative, default=0, help="delay added before every model answer")
    parser.add_argument(
        "--stream-deltas",
        type=_non_negative,
        default=0,
        help="text deltas per streamed answer (default: about one per word)",
    )
    parser.add_argument("--stream-interval-ms", type=_non_negative, default=0, help="pause between streamed deltas")
    parser.add_argument(
        "--large-answer-kb", type=_non_negative, default=0, help="pad the default answer to about this many KB"
    )
    options = parser.parse_args(argv)
    knobs = Knobs(
        latency_ms=options.latency_ms,
        stream_deltas=options.stream_deltas,
        stream_interval_ms=options.stream_interval_ms,
        large_answer_kb=options.large_answer_kb,
    )
    server.run(host=options.host, port=options.port, knobs=knobs, on_ready=_announce)


if __name__ == "__main__":
    main(sys.argv[1:])
