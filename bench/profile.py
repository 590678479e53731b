"""`python -m bench.profile` (`make profile`): where one gateway worker spends its time at 16 clients.

The stack starts as `make bench` starts it (`bench.servers.Stack`: the emulator, a freshly migrated database,
every quota on) but with one gunicorn worker, so a single process serves all the load. After a warm-up, 16
closed-loop clients send plain `/v1/chat/completions` for PROFILE_SECONDS while py-spy samples that worker at
100 Hz. py-spy writes one format a run, so two of them sample the worker over the same window: one writes raw
collapsed stacks (the table comes from them), the other its flame graph.

Both run `--nonblocking`: they read the worker's memory without stopping it. py-spy's default stops every
thread for each sample (ptrace), and with the worker's 128 request threads that cut its requests/s to a
quarter, and it counted threads asleep on a lock (an idle pool thread in `queue.get`, a request waiting for
SQLite's writer lock) as running: most of the samples. Without the stop, a stack read while it changes
is now and then torn; py-spy counts what it cannot read as errors (in the header).

Outputs, in bench/results/:

- profile-<database>.txt: date, database, seconds, requests served, requests/s, the worker's CPU per request,
  then the 20 functions (file:function) most often on the stack, with the share of samples where each is on
  the stack (inclusive, once per sample however deep it recurses) and where it is the leaf (self), and the
  20 most often the leaf;
- profile-<database>.collapsed: the raw stacks (`frame;frame;... count`), to aggregate again;
- profile-<database>.svg: the flame graph.

Environment: PROFILE_PY_SPY (the py-spy to run; default: the one on PATH), PROFILE_SECONDS (default 20),
PROFILE_DATABASE=sqlite|postgres (PostgreSQL, with Redis when it answers on 127.0.0.1:6379, as `make bench`;
an error when PostgreSQL does not answer), PROFILE_STREAM=1 (unpaced streams read to `[DONE]` instead of plain
requests; files named profile-<database>-stream.*), PROFILE_GIL=0 (every thread the kernel shows runnable is
sampled instead of the GIL's holder alone, which counts threads just woken from a wait; files named
...-runnable.*). Exits non-zero, saying why, when py-spy is missing or cannot attach to the worker (it needs
ptrace: root, or CAP_SYS_PTRACE, and a ptrace_scope that allows it).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench import client, procstat
from bench.servers import Stack, postgres_available, redis_available
from bench.targets import HOST, Target, targets

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CONCURRENCY = 16
WARMUP_REQUESTS = 300
TOP = 20
# What one sample is, without and with PROFILE_GIL=1, said in each table's header.
COUNTED = {
    False: (
        "one thread's stack at one 10 ms tick, read without stopping the worker (--nonblocking), for every thread "
        "the kernel shows running or runnable (no --idle, no --gil): threads asleep on a lock, a queue, select or "
        "the GIL are left out, but one just woken from a lock and waiting for a core or the GIL counts, at the "
        "line that waited (the default, PROFILE_GIL=1, counts the GIL's holder alone)"
    ),
    True: (
        "the stack of the thread holding the GIL at one 10 ms tick, read without stopping the worker "
        "(--nonblocking --gil): Python's own work; time in C with the GIL released (SQLite's queries, socket "
        "reads and writes) and every wait are left out"
    ),
}
BEHIND = re.compile(r"([\d.]+)s behind in sampling")
# A py-spy frame: `function (file:line)`, `function (file)` without line numbers, or a bare name.
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


class ProfileError(Exception):
    """Why the profile could not be taken, in a sentence for the developer."""


def say(message: str) -> None:
    print(f"[profile {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- the aggregation (pure) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    function: str  # file:function
    inclusive: int  # samples with it anywhere on the stack
    leaf: int  # samples with it as the leaf (self)


def function_of(frame: str) -> str:
    """`file:function` for a py-spy frame, the line number dropped, so one function's lines count together."""
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    return f"{match['file']}:{match['function']}"


def aggregate(collapsed: str) -> tuple[int, list[Row]]:
    """(samples, every function's row) from collapsed stacks, sorted by inclusive, then self, then name.

    A function counts once per sample for inclusive, however often it recurses on that stack; self is the
    stack's last (innermost) frame.
    """
    total = 0
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count = line.strip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        functions = [function_of(frame) for frame in stack.split(";")]
        total += samples
        for function in set(functions):
            inclusive[function] += samples
        leaf[functions[-1]] += samples
    rows = [Row(function, count, leaf[function]) for function, count in inclusive.items()]
    rows.sort(key=lambda row: (-row.inclusive, -row.leaf, row.function))
    return total, rows


def table(total: int, rows: list[Row], limit: int = TOP) -> str:
    """The first `limit` rows as percentages of `total` samples."""
    lines = [f"{'rank':>4}  {'incl %':>6}  {'self %':>6}  function (file:function)"]
    for rank, row in enumerate(rows[:limit], 1):
        lines.append(
            f"{rank:>4}  {100 * row.inclusive / total:>6.1f}  {100 * row.leaf / total:>6.1f}  {row.function}"
            if total
            else f"{rank:>4}  {'-':>6}  {'-':>6}  {row.function}"
        )
    return "\n".join(lines)


# ---- py-spy ---------------------------------------------------------------------------------------


def find_py_spy() -> str:
    wanted = os.environ.get("PROFILE_PY_SPY") or shutil.which("py-spy")
    if not wanted or not Path(wanted).exists():
        raise ProfileError(
            f"py-spy was not found ({wanted or 'not on PATH'}): `make profile` installs it into .bench/py-spy-venv"
        )
    return wanted


def py_spy_version(py_spy: str) -> str:
    done = subprocess.run([py_spy, "--version"], capture_output=True, text=True, timeout=30)
    return done.stdout.strip() or "py-spy (version unknown)"


def check_attach(py_spy: str, pid: int) -> None:
    """One stack dump of the worker: fails fast, with py-spy's reason, when ptrace is refused."""
    done = subprocess.run([py_spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise ProfileError(
            f"py-spy cannot attach to the worker (pid {pid}): {reason[0].rstrip('.') if reason else 'no output'}. "
            "It needs ptrace: run as root or with CAP_SYS_PTRACE (in a container: --cap-add SYS_PTRACE), "
            "and kernel.yama.ptrace_scope 0 or 1 for a child of your own shell"
        )


class Recording:
    """`py-spy record` on one process until `stop()`; `start()` returns once py-spy says it is sampling."""

    def __init__(self, py_spy: str, pid: int, fmt: str, output: Path, gil: bool = False) -> None:
        self.argv = [py_spy, "record", "--nonblocking", "--pid", str(pid), "--format", fmt, "--output", str(output)]
        if gil:
            self.argv.append("--gil")
        self.lines: list[str] = []
        self._sampling = threading.Event()
        self.process = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        )
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def start(self, timeout: float = 60.0) -> Recording:
        deadline = time.monotonic() + timeout
        while not self._sampling.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ProfileError(f"py-spy did not start sampling: {self.reason()}")
        return self

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip())
            if "Sampling process" in line:
                self._sampling.set()

    def stop(self) -> str:
        """Stop as Ctrl-C does (py-spy then writes its file); its summary line, `Samples: N Errors: M`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)  # py-spy's last lines, its summary among them
        if self.process.returncode != 0:
            raise ProfileError(f"py-spy failed ({self.process.returncode}): {self.reason()}")
        summary = next((line for line in reversed(self.lines) if "Samples:" in line), "")
        return summary[summary.find("Samples:") :] if summary else "no summary"

    def behind(self) -> float:
        """The most seconds py-spy said it fell behind its 100 Hz (it says so past 1 s: a busy machine)."""
        return max((float(m[1]) for line in self.lines if (m := BEHIND.search(line))), default=0.0)

    def reason(self) -> str:
        useful = [line.strip() for line in self.lines if line.strip() and not line.startswith(("   ", "Stack"))]
        errors = [line for line in useful if line.startswith("Error")]
        return (errors or useful or ["no output"])[0][:300]


# ---- a run ----------------------------------------------------------------------------------------


@dataclass
class Window:
    seconds: float
    requests: int
    errors: int
    error_samples: list[str]
    cpu_seconds: float
    summary: str  # py-spy's `Samples: N Errors: M`
    behind_s: float  # how far py-spy fell behind its rate at worst

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float | None:
        return self.cpu_seconds * 1000 / self.requests if self.requests else None


def load_window(
    py_spy: str, pid: int, raw: Path, svg: Path, target: Target, seconds: float, stream: bool, gil: bool
) -> Window:
    """Two py-spy recordings of `pid` (raw stacks into `raw`, the flame graph into `svg`) while CONCURRENCY
    clients keep it busy for `seconds`."""
    recordings: list[Recording] = []
    try:
        for fmt, output in (("raw", raw), ("flamegraph", svg)):
            recordings.append(Recording(py_spy, pid, fmt, output, gil))
        for recording in recordings:
            recording.start()
        cpu0 = procstat.cpu_seconds([pid])
        result = asyncio.run(
            client.closed_loop(
                HOST,
                target.port,
                target.burst if stream else target.plain,
                concurrency=CONCURRENCY,
                duration_s=seconds,
                expect=target.end if stream else b"",
            )
        )
        cpu = procstat.cpu_seconds([pid]) - cpu0
    except BaseException:
        for recording in recordings:
            try:
                recording.stop()
            except ProfileError:
                pass
        raise
    summary = recordings[0].stop()
    recordings[1].stop()
    behind = recordings[0].behind()
    return Window(result.elapsed_s, len(result.latencies_ms), result.errors, result.error_samples, cpu, summary, behind)


def report(
    *,
    label: str,
    seconds: float,
    stream: bool,
    gil: bool,
    version: str,
    window: Window,
    total: int,
    rows: list[Row],
    stem: str,
) -> str:
    cpu = window.cpu_ms_per_request
    what = "unpaced streamed" if stream else "plain (non-streamed)"
    late = f"; py-spy fell up to {window.behind_s:.1f} s behind its 100 Hz (a busy machine)" if window.behind_s else ""
    head = [
        f"One gateway worker under {version}, {CONCURRENCY} clients of {what} /v1/chat/completions",
        f"date:             {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"database:         {label}",
        f"seconds:          {window.seconds:.1f} (PROFILE_SECONDS={seconds:g})",
        f"requests served:  {window.requests} ({window.errors} errors)",
        f"requests/s:       {window.rps:.1f} (two py-spy samplers sharing the machine)",
        f"worker CPU:       {cpu:.2f} ms a request (utime + stime of the worker over the window)"
        if cpu is not None
        else "worker CPU:       - (no request served)",
        f"samples:          {total} stacks (py-spy: {window.summary}){late}",
        f"counted:          {COUNTED[gil]}",
        f"files:            {stem}.collapsed (these stacks), {stem}.svg (the flame graph, a second py-spy "
        "over the same window)",
        "",
        f"The {TOP} functions most often on the stack (incl: on the stack, once per sample; self: the leaf):",
        table(total, rows),
        "",
        f"The {TOP} functions most often the leaf:",
        table(total, sorted(rows, key=lambda row: (-row.leaf, -row.inclusive, row.function))),
    ]
    if window.error_samples:
        head[5:5] = [f"error samples:    {'; '.join(window.error_samples[:3])}"]
    return "\n".join(head) + "\n"


def profile(database: str, seconds: float, stream: bool, gil: bool, py_spy: str) -> Path:
    version = py_spy_version(py_spy)
    redis = database == "postgres" and redis_available()
    label = "PostgreSQL + Redis" if redis else ("PostgreSQL" if database == "postgres" else "SQLite")
    stem = f"profile-{database}" + ("-stream" if stream else "") + ("" if gil else "-runnable")
    say(f"{label}: starting the emulator and the gateway (1 gunicorn worker)")
    stack = Stack(database=database, workers=1, redis=redis).start()
    try:
        assert stack.gateway is not None and stack.emulator is not None
        workers = procstat.workers(stack.gateway.pid)
        if len(workers) != 1:
            raise ProfileError(f"expected one gunicorn worker under pid {stack.gateway.pid}, found {workers}")
        pid = workers[0]
        check_attach(py_spy, pid)
        gateway, _direct, _model = targets(stack.gateway.port, stack.token, stack.emulator.port)
        say(f"warming up worker {pid}")
        warm = gateway.burst if stream else gateway.plain
        asyncio.run(client.closed_loop(HOST, gateway.port, warm, concurrency=4, requests=WARMUP_REQUESTS))
        RESULTS.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sbc-profile-") as tmp:
            raw = Path(tmp) / "stacks.collapsed"
            say(f"{seconds:g} s at {CONCURRENCY} clients under py-spy")
            window = load_window(py_spy, pid, raw, RESULTS / f"{stem}.svg", gateway, seconds, stream, gil)
            collapsed = raw.read_text(errors="replace") if raw.exists() else ""
        (RESULTS / f"{stem}.collapsed").write_text(collapsed)
    finally:
        stack.close()
    total, rows = aggregate(collapsed)
    text = report(
        label=label,
        seconds=seconds,
        stream=stream,
        gil=gil,
        version=version,
        window=window,
        total=total,
        rows=rows,
        stem=stem,
    )
    out = RESULTS / f"{stem}.txt"
    out.write_text(text)
    print(text)
    return out


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> int:
    database = os.environ.get("PROFILE_DATABASE", "sqlite").strip() or "sqlite"
    seconds = float(os.environ.get("PROFILE_SECONDS", "20"))
    stream = os.environ.get("PROFILE_STREAM") == "1"
    gil = os.environ.get("PROFILE_GIL", "1") != "0"  # the GIL's holder: Python's own work, without the waits
    # SIGTERM (and Ctrl-C) unwind through the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if database not in ("sqlite", "postgres"):
            raise ProfileError(f"PROFILE_DATABASE must be sqlite or postgres, not {database!r}")
        if database == "postgres" and not postgres_available():
            raise ProfileError("PROFILE_DATABASE=postgres, but PostgreSQL does not answer on 127.0.0.1:5432")
        py_spy = find_py_spy()
        out = profile(database, seconds, stream, gil, py_spy)
    except ProfileError as exc:
        say(f"no profile: {exc}")
        return 2
    except KeyboardInterrupt:
        say("interrupted: servers stopped")
        return 130
    say(f"done: {out}, {out.with_suffix('.collapsed').name} and {out.with_suffix('.svg').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
