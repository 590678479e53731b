"""`python -m bench.run` (`make bench`): one table of gateway figures beside direct-to-emulator figures.

Environment: BENCH_QUICK=1 for a ~1 minute smoke run; BENCH_DATABASES=sqlite,postgres (default: both
when PostgreSQL answers on 127.0.0.1:5432); BENCH_WORKERS (default 2); BENCH_KEEP_LOGS=1 keeps the
servers' logs. Results go to bench/results/latest.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from bench import client, procstat
from bench.report import render
from bench.servers import Stack, postgres_available
from bench.stats import summary

RESULTS = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
MODEL = "claude-4-sonnet"
PROMPT = "Say hello in one short sentence."
STALL_MS = 200.0
PACE = (64, 20)  # deltas x ms, for the held-open streams
FIRST_CHUNK_PACE = (8, 20)  # shorter streams for first-chunk latency at concurrency 1


@dataclass(frozen=True)
class Plan:
    latency_requests: int
    latency_rounds: int
    rps_seconds: float
    first_chunk_streams: int
    stream_levels: tuple[int, ...]
    warmup: int


FULL = Plan(
    latency_requests=2000,
    latency_rounds=4,
    rps_seconds=8.0,
    first_chunk_streams=120,
    stream_levels=(100, 250, 500, 750, 1000),
    warmup=300,
)
QUICK = Plan(
    latency_requests=300,
    latency_rounds=2,
    rps_seconds=3.0,
    first_chunk_streams=30,
    stream_levels=(100, 250, 500),
    warmup=100,
)


class Target:
    """One side of the comparison: where requests go and how their streams are parsed."""

    def __init__(self, name: str, port: int, plain: bytes, streamed: bytes, parser: type) -> None:
        self.name, self.port, self.plain, self.streamed, self.parser = name, port, plain, streamed, parser


def chat_body(text: str, stream: bool) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": 256}
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def targets(stack: Stack) -> tuple[Target, Target]:
    """The gateway, and the emulator fed exactly the Converse requests the gateway sends for the same calls."""
    gateway_port, emulator_port = stack.gateway.port, stack.emulator.port
    auth = {"Authorization": f"Bearer {stack.token}"}
    paced = f"{PROMPT} [[sbc:pace={PACE[0]}x{PACE[1]}]]"
    gateway_plain = client.build_request(HOST, gateway_port, "/v1/chat/completions", chat_body(PROMPT, False), auth)
    direct: dict[str, tuple[str, bytes]] = {}
    for key, body in (("plain", chat_body(PROMPT, False)), ("streamed", chat_body(paced, True))):
        raw = client.build_request(HOST, gateway_port, "/v1/chat/completions", body, auth)
        status, answer = asyncio.run(client.Connection(HOST, gateway_port).request(raw))
        if status != 200:
            raise SystemExit(f"The gateway refused the benchmark request ({status}): {answer[:300]!r}")
        entry = json.loads(urllib_get(f"http://{HOST}:{emulator_port}/_emulator/log"))[-1]
        direct[key] = (entry["model_id"], orjson.dumps(entry["body"]))
    gateway = Target(
        "gateway",
        gateway_port,
        gateway_plain,
        client.build_request(HOST, gateway_port, "/v1/chat/completions", chat_body(paced, True), auth),
        client.SseParser,
    )
    model_id, plain = direct["plain"]
    _, streamed = direct["streamed"]
    emulator = Target(
        "direct",
        emulator_port,
        client.build_request(HOST, emulator_port, f"/model/{model_id}/converse", plain),
        client.build_request(HOST, emulator_port, f"/model/{model_id}/converse-stream", streamed),
        client.EventStreamParser,
    )
    return gateway, emulator


def urllib_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def with_pace(raw: bytes, pace: tuple[int, int]) -> bytes:
    """The same streamed request with another `[[sbc:pace=NxM]]` (Content-Length adjusted)."""
    old = f"[[sbc:pace={PACE[0]}x{PACE[1]}]]".encode()
    new = f"[[sbc:pace={pace[0]}x{pace[1]}]]".encode()
    head, _, body = raw.partition(b"\r\n\r\n")
    body = body.replace(old, new)
    lines = [
        line if not line.lower().startswith(b"content-length:") else b"Content-Length: %d" % len(body)
        for line in head.split(b"\r\n")
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- phases -----------------------------------------------------------------------------------


def phase_latency(plan: Plan, gateway: Target, direct: Target) -> dict:
    """Concurrency 1, non-streaming, rounds interleaved so drifting machine load hits both sides alike."""
    per_round = max(1, plan.latency_requests // plan.latency_rounds)
    samples: dict[str, list[float]] = {"gateway": [], "direct": []}
    errors = {"gateway": 0, "direct": 0}
    for _ in range(plan.latency_rounds):
        for target in (direct, gateway):
            result = asyncio.run(client.closed_loop(HOST, target.port, target.plain, concurrency=1, requests=per_round))
            samples[target.name] += result.latencies_ms
            errors[target.name] += result.errors
    return {name: {**summary(values), "errors": errors[name]} for name, values in samples.items()}


def phase_rps(plan: Plan, gateway: Target, direct: Target, stack: Stack, concurrency: int) -> dict:
    out = {}
    for target in (direct, gateway):
        pids = procstat.tree(stack.gateway.pid) if target is gateway else [stack.emulator.pid]
        cpu0 = procstat.cpu_seconds(pids)
        result = asyncio.run(
            client.closed_loop(HOST, target.port, target.plain, concurrency=concurrency, duration_s=plan.rps_seconds)
        )
        server_cpu = procstat.cpu_seconds(pids) - cpu0
        done = len(result.latencies_ms)
        out[target.name] = {
            "rps": result.rps,
            "requests": done,
            "errors": result.errors,
            "error_samples": result.error_samples,
            **summary(result.latencies_ms),
            "server_cpu_ms_per_request": server_cpu * 1000 / done if done else None,
            "client_cpu_percent": 100 * result.client_cpu_s / result.elapsed_s,
        }
    return out


def _stream_stats(samples: list[client.StreamSample], expected: int) -> dict:
    first = [s.first_content_ms() for s in samples if s.error is None and s.content_times]
    return {
        "streams": len(samples),
        "errors": sum(1 for s in samples if s.error is not None),
        "error_samples": sorted({s.error for s in samples if s.error})[:3],
        "first_content_ms": summary(first),
        "complete": sum(1 for s in samples if s.error is None and s.deltas == expected),
        "shared_chunks": sum(s.shared_chunks for s in samples),
        "deltas_per_stream": sorted({s.deltas for s in samples}),
        "max_gap_ms": max((s.max_gap_ms() for s in samples), default=None),
    }


def phase_first_chunk(plan: Plan, gateway: Target, direct: Target) -> dict:
    out: dict[str, list[client.StreamSample]] = {"gateway": [], "direct": []}
    half = max(1, plan.first_chunk_streams // 2)
    for _ in range(2):
        for target in (direct, gateway):
            out[target.name] += asyncio.run(
                client.streams_sequential(
                    HOST, target.port, with_pace(target.streamed, FIRST_CHUNK_PACE), target.parser, half
                )
            )
    return {name: _stream_stats(samples, FIRST_CHUNK_PACE[0]) for name, samples in out.items()}


def phase_streams(plan: Plan, gateway: Target, direct: Target) -> dict:
    """Ramp the number of paced streams held open at once; a level passes with no error, no loss, no stall."""
    out = {}
    for target in (direct, gateway):
        levels, best = [], 0
        for level in plan.stream_levels:
            samples, client_cpu = asyncio.run(
                client.streams_concurrent(HOST, target.port, target.streamed, target.parser, level)
            )
            stats = _stream_stats(samples, PACE[0])
            stats["level"] = level
            stats["client_cpu_s"] = client_cpu
            stats["passed"] = (
                stats["errors"] == 0 and stats["complete"] == level and (stats["max_gap_ms"] or 0) <= STALL_MS
            )
            levels.append(stats)
            say(
                f"  {target.name}: {level} streams -> {'ok' if stats['passed'] else 'FAILED'} "
                f"(errors {stats['errors']}, complete {stats['complete']}, max gap {stats['max_gap_ms']:.0f} ms)"
            )
            if not stats["passed"]:
                break
            best = level
            time.sleep(1.0)  # let sockets in TIME_WAIT and threads settle before the next level
        out[target.name] = {"sustained": best, "levels": levels}
    return out


def memory(stack: Stack) -> dict:
    workers = procstat.children(stack.gateway.pid)
    return {
        "workers": [
            {
                "pid": pid,
                "vm_hwm_mb": (procstat.status_kb(pid, "VmHWM") or 0) / 1024,
                "vm_rss_mb": (procstat.status_kb(pid, "VmRSS") or 0) / 1024,
                "pss_mb": (procstat.pss_kb(pid) or 0) / 1024,
            }
            for pid in workers
        ],
        "master_rss_mb": (procstat.status_kb(stack.gateway.pid, "VmRSS") or 0) / 1024,
        "emulator_hwm_mb": (procstat.status_kb(stack.emulator.pid, "VmHWM") or 0) / 1024,
    }


def run_database(database: str, plan: Plan) -> dict:
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    say(f"{database}: starting the emulator and the gateway ({workers} gunicorn workers)")
    stack = Stack(database=database, workers=workers).start()
    try:
        gateway, direct = targets(stack)
        say(f"{database}: warming up")
        for target in (direct, gateway):
            asyncio.run(client.closed_loop(HOST, target.port, target.plain, concurrency=4, requests=plan.warmup))
        result: dict = {"database": database, "gunicorn": gunicorn_settings(stack)}
        say(f"{database}: added latency at concurrency 1")
        result["latency_c1"] = phase_latency(plan, gateway, direct)
        for concurrency in (16, 64):
            say(f"{database}: requests/s at concurrency {concurrency}")
            result[f"rps_c{concurrency}"] = phase_rps(plan, gateway, direct, stack, concurrency)
        say(f"{database}: time to first content chunk (streaming, concurrency 1)")
        result["first_chunk"] = phase_first_chunk(plan, gateway, direct)
        say(f"{database}: concurrent streams paced {PACE[0]} x {PACE[1]} ms")
        result["streams"] = phase_streams(plan, gateway, direct)
        result["memory"] = memory(stack)
        return result
    finally:
        stack.close()


def gunicorn_settings(stack: Stack) -> dict:
    env = {**stack.base_env(), **stack.extra_env}
    return {
        "workers": stack.workers,
        "worker_class": env.get("GUNICORN_WORKER_CLASS", "(config default)"),
        "threads": env.get("GUNICORN_THREADS", "(config default)"),
    }


def machine() -> dict:
    load = procstat.load_average()
    return {
        "cpu": procstat.cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": load,
    }


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    plan = QUICK if quick else FULL
    wanted = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgres").split(",") if d.strip()]
    if "postgres" in wanted and not postgres_available():
        say("PostgreSQL does not answer on 127.0.0.1:5432: SQLite only")
        wanted.remove("postgres")
    # SIGTERM (and Ctrl-C) unwind through the `finally` blocks that stop the servers.
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    report = {"quick": quick, "machine": machine(), "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": []}
    try:
        for database in wanted:
            report["runs"].append(run_database(database, plan))
    except KeyboardInterrupt:
        say("interrupted: servers stopped")
        return 130
    report["machine"]["load_average_at_end"] = procstat.load_average()
    report["duration_s"] = time.monotonic() - started
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    print(render(report))
    say(f"done in {report['duration_s']:.0f} s; results in {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
