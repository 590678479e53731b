"""`python -m bench.run` (`make bench`): one table of the gateway's figures beside the emulator's own (the
floor) and LiteLLM's proxy in front of the same emulator.

Environment: BENCH_QUICK=1 for a ~3 minute smoke run; BENCH_DATABASES=sqlite,postgres (default: both
when PostgreSQL answers on 127.0.0.1:5432; Redis joins PostgreSQL when it answers on 127.0.0.1:6379);
BENCH_PEER=0 leaves LiteLLM out; BENCH_WORKERS (default 2, for both); BENCH_KEEP_LOGS=1 keeps the
servers' logs. Results go to bench/results/latest.json.
"""

from __future__ import annotations

import asyncio
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
from bench.servers import DEFAULT_MODEL_ID, PeerStack, Stack, peer_status, postgres_available, redis_available
from bench.stats import summary
from bench.targets import (
    FIRST_CHUNK_PACE,
    HOLD_PACE,
    HOST,
    MODEL,
    OPEN_RATE,
    Target,
    hold_pace,
    targets,
    with_pace,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STALL_MS = 200.0


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
    stream_levels=(10, 25, 50, 100, 250, 500, 750, 1000, 1500),
    warmup=300,
)
QUICK = Plan(
    latency_requests=300,
    latency_rounds=2,
    rps_seconds=3.0,
    first_chunk_streams=30,
    stream_levels=(10, 100, 250),
    warmup=100,
)


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


def phase_rps(
    plan: Plan, gateway: Target, direct: Target, stack: Stack | PeerStack, concurrency: int, streamed: bool = False
) -> dict:
    """Closed loop for `plan.rps_seconds`: plain requests, or (`streamed`) unpaced streams read to their end."""
    out = {}
    for target in (direct, gateway):
        pids = procstat.tree(stack.front.pid) if target is gateway else [stack.emulator.pid]
        cpu0 = procstat.cpu_seconds(pids)
        result = asyncio.run(
            client.closed_loop(
                HOST,
                target.port,
                target.burst if streamed else target.plain,
                concurrency=concurrency,
                duration_s=plan.rps_seconds,
                expect=target.end if streamed else b"",
            )
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
        "max_delta_gap_ms": max((s.max_delta_gap_ms() for s in samples), default=None),
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
    """Ramp the number of paced streams held open at once; a level passes with no error, no loss, no stall.
    The floor is tried at the top level first: when it holds that, the lower levels are not run."""
    out = {}
    for target in (direct, gateway):
        levels, best = [], 0
        ramp = plan.stream_levels
        if target is direct:
            top = _held(target, plan.stream_levels[-1])
            ramp = () if top["passed"] else plan.stream_levels[:-1]
            levels, best = [top], plan.stream_levels[-1] if top["passed"] else 0
        for level in ramp:
            stats = _held(target, level)
            levels.append(stats)
            if not stats["passed"]:
                break
            best = level
        out[target.name] = {"sustained": best, "levels": levels}
    return out


def _held(target: Target, level: int) -> dict:
    """`level` streams opened at OPEN_RATE a second and held at once."""
    pace = hold_pace(level)
    held = with_pace(target.streamed, pace)
    samples, client_cpu = asyncio.run(
        client.streams_concurrent(HOST, target.port, held, target.parser, level, ramp_s=level / OPEN_RATE)
    )
    stats = _stream_stats(samples, pace[0])
    stats["level"] = level
    stats["client_cpu_s"] = client_cpu
    stats["passed"] = stats["errors"] == 0 and stats["complete"] == level and (stats["max_gap_ms"] or 0) <= STALL_MS
    say(
        f"  {target.name}: {level} streams -> {'ok' if stats['passed'] else 'FAILED'} "
        f"(errors {stats['errors']}, complete {stats['complete']}, max gap {stats['max_gap_ms']:.0f} ms, "
        f"first content p99 {stats['first_content_ms']['p99'] or 0:.0f} ms, "
        f"between deltas {stats['max_delta_gap_ms'] or 0:.0f} ms)"
    )
    time.sleep(1.0)  # let sockets in TIME_WAIT and threads settle before the next level
    return stats


def memory(stack: Stack | PeerStack) -> dict:
    workers = procstat.workers(stack.front.pid)
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
        "master_rss_mb": (procstat.status_kb(stack.front.pid, "VmRSS") or 0) / 1024,
        "emulator_hwm_mb": (procstat.status_kb(stack.emulator.pid, "VmHWM") or 0) / 1024,
    }


def measure(name: str, plan: Plan, stack: Stack | PeerStack) -> dict:
    """Every phase, each against the stack's front and its emulator in turn."""
    gateway, direct, model_id = targets(stack.front.port, stack.token, stack.emulator.port)
    say(f"{name}: warming up")
    for target in (direct, gateway):
        asyncio.run(client.closed_loop(HOST, target.port, target.plain, concurrency=4, requests=plan.warmup))
        asyncio.run(client.closed_loop(HOST, target.port, target.burst, concurrency=4, requests=plan.warmup // 4))
    result: dict = {"model_id": model_id}
    say(f"{name}: added latency at concurrency 1")
    result["latency_c1"] = phase_latency(plan, gateway, direct)
    for concurrency in (16, 64):
        say(f"{name}: requests/s at concurrency {concurrency}")
        result[f"rps_c{concurrency}"] = phase_rps(plan, gateway, direct, stack, concurrency)
    say(f"{name}: streamed requests/s at concurrency 16")
    result["stream_rps_c16"] = phase_rps(plan, gateway, direct, stack, 16, streamed=True)
    say(f"{name}: time to first content chunk (streaming, concurrency 1)")
    result["first_chunk"] = phase_first_chunk(plan, gateway, direct)
    say(f"{name}: streams held open at once, {HOLD_PACE[0]} x {HOLD_PACE[1]} ms, {OPEN_RATE} opened a second")
    result["streams"] = phase_streams(plan, gateway, direct)
    result["memory"] = memory(stack)
    return result


def run_database(database: str, plan: Plan) -> dict:
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    redis = database == "postgres" and redis_available()
    label = "PostgreSQL + Redis" if redis else ("PostgreSQL" if database == "postgres" else "SQLite")
    say(f"{label}: starting the emulator and the gateway ({workers} gunicorn workers)")
    stack = Stack(database=database, workers=workers, redis=redis).start()
    try:
        result: dict = {"name": database, "kind": "gateway", "label": label, "redis": redis}
        result["server"] = gunicorn_settings(stack)
        result.update(measure(label, plan, stack))
        return result
    finally:
        stack.close()


def run_peer(plan: Plan, model_id: str) -> dict:
    """LiteLLM's proxy in front of its own emulator, measured as the gateway is; when it is not installed or
    does not start, a run that says why (the table prints it in LiteLLM's column)."""
    version, reason = peer_status()
    result: dict = {"name": "litellm", "kind": "peer", "label": f"LiteLLM {version or ''}".strip()}
    if version is None:
        say(f"LiteLLM: {reason}")
        return {**result, "missing": reason}
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    say(f"LiteLLM {version}: starting the emulator and its proxy ({workers} workers, no database)")
    stack = PeerStack(model_name=MODEL, model_id=model_id, workers=workers)
    try:
        stack.start()
        result["server"] = {"workers": workers, "worker_class": "uvicorn", "version": version}
        result.update(measure(result["label"], plan, stack))
        return result
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the gateway's figures still print
        reason = f"did not run: {str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__}"
        say(f"LiteLLM: {reason}")
        return {**result, "missing": reason}
    finally:
        stack.close()


def gunicorn_settings(stack: Stack) -> dict:
    """The worker class and threads the gateway ran with: its config file read with the stack's environment."""
    import runpy
    from unittest import mock

    env = {**stack.base_env(), **stack.extra_env, "WEB_CONCURRENCY": str(stack.workers)}
    with mock.patch.dict(os.environ, env, clear=True):
        config = runpy.run_path(str(ROOT / "sbcproject" / "gunicorn.conf.py"))
    return {"workers": config["workers"], "worker_class": config["worker_class"], "threads": config["threads"]}


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
    report = {
        "quick": quick,
        "hold": [*HOLD_PACE, OPEN_RATE],
        "machine": machine(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": [],
    }
    try:
        for database in wanted:
            report["runs"].append(run_database(database, plan))
        if os.environ.get("BENCH_PEER", "1") != "0":
            model_id = next((run["model_id"] for run in report["runs"]), DEFAULT_MODEL_ID)
            report["runs"].append(run_peer(plan, model_id))
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
