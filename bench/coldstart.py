"""`python -m bench.coldstart` (`make coldstart`): how long a fresh serverless function takes to give its first answer.

Each run starts the gateway as the Lambda image starts it (`python -m deploy.app_secret python -m gunicorn -c
sbcproject/gunicorn.conf.py` with the image's and the template's environment: packaged settings, DEBUG off, one
worker, 8 request threads), polls /healthz as the Lambda Web Adapter's readiness check does, then sends one
authenticated, non-streamed `/v1/chat/completions` to the Bedrock emulator. The figure is the time from spawning
the process to that request's 200; its median over a few runs is reported, with SQLite and, when it answers on
127.0.0.1:5432, PostgreSQL. Memory is the sum of the processes' peak resident sets (VmHWM of gunicorn's master and
its worker: pages they share after the fork are counted twice, so the container's true peak is lower) and their
proportional set size (PSS) just after the answer.

The gateway runs on the packaged dependencies when `make package` has built their virtualenv from the lock
(`.build/package-venv`, what the Lambda image installs too), else on this interpreter's (which also holds the
test tools); the report says which.

`--lambda-memory 320` holds the gateway's processes to the CPU share Lambda gives a function of that memory size
(one vCPU at 1,769 MB, in proportion below it) with a CPU cgroup (cgroup v1 or v2, as root): an approximation of
Lambda's CPU, not a measurement on Lambda.

`--no-bytecode` starts the gateway without Python's compiled modules (`__pycache__`), as from a package that ships
none on Lambda's read-only file system: every module is compiled from its source at each start.

`--imports` adds one run that records every module the gateway's processes import (a `sitecustomize` on the
gateway's path: `-X importtime` leaves out modules loaded by `importlib.import_module`, as Django loads apps,
middleware and URLconfs) and times them under `-X importtime`, then lists the modules the answer did not need that
were imported anyway (admin, portal, API schema, ...) and the slowest imports, to profile a regression.

    python -m bench.coldstart [--runs 5] [--databases sqlite,postgres] [--imports]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench import procstat
from bench.servers import PYTHON, ROOT, Stack, free_port, postgres_available

# What the Lambda image (Dockerfile, target `lambda`) and deploy/lambda-web-adapter.yaml set.
LAMBDA_ENV = {
    "SBC_READ_DOT_ENV": "0",
    "DJANGO_SETTINGS_MODULE": "sbcproject.settings",
    "DJANGO_DEBUG": "false",
    "WEB_CONCURRENCY": "1",
    "GUNICORN_THREADS": "8",
    "GUNICORN_CMD_ARGS": "--no-control-socket",
    "SECURE_SSL_REDIRECT": "true",
    "SECRETS_MIRROR": "on",
    "SECRET_PREFIX": "sbc/tokens/",
    "DATABASE_CONN_MAX_AGE": "0",
    "BEDROCK_REGIONS": "us-east-1",
    # Set by Lambda itself in every execution environment.
    "AWS_LAMBDA_FUNCTION_NAME": "sbc-coldstart",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "320",
}
ENTRY = ["-m", "deploy.app_secret", "{python}", "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"]
PACKAGE_VENV = ROOT / ".build" / "package-venv"
# The Lambda Web Adapter's readiness check polls every 10 ms.
READINESS_INTERVAL = 0.01
START_TIMEOUT = 60.0
# Lambda gives a function the equivalent of one vCPU at 1,769 MB of memory, and CPU in proportion to memory below it.
LAMBDA_MB_PER_VCPU = 1769
CGROUPS = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000
# Modules a chat completion never needs: the admin's and the portal's (Django's admin package itself loads with
# its app), the API schema's generator, CloudWatch's log handler (stdout is shipped on Lambda), the emulator, boto3
# (botocore is enough to call Bedrock) and aiohttp (read streams on the loop; this answer is not a stream). Any of
# them imported before the first answer is a start-up cost the function pays for nothing.
NOT_NEEDED = (
    "sbcproject.urls",
    "tokens.admin",
    "usage.admin",
    "gateway.admin",
    "audit.admin",
    "django.contrib.auth.admin",
    "portal",
    "mozilla_django_oidc",
    "drf_spectacular.openapi",
    "drf_spectacular.generators",
    "drf_spectacular.views",
    "gateway.openapi",
    "watchtower",
    "usage.cloudwatch",
    "bedrock_emulator",
    "boto3",
    "aiohttp",
)
CHAT = json.dumps(
    {"model": "claude-4-sonnet", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16}
).encode()


@dataclass
class ColdStart:
    """One fresh process's first answer."""

    seconds: float
    cpu_seconds: float  # of the gateway's processes until the answer: what a busy machine does not stretch
    status: int
    body: bytes
    peak_rss_mb: float
    pss_mb: float
    processes: int
    # With `imports`: every module imported before the answer, in order, and `-X importtime`'s cumulative time
    # (µs) of those it times.
    modules: list[str] = field(default_factory=list)
    import_times: list[tuple[str, int]] = field(default_factory=list)

    def unneeded(self) -> list[str]:
        """Which of NOT_NEEDED were imported (the module or any of its submodules)."""
        return [m for m in NOT_NEEDED if any(name == m or name.startswith(m + ".") for name in self.modules)]


def _request(port: int, method: str, path: str, body: bytes | None = None, token: str = "") -> tuple[int, bytes]:
    headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _wait_ready(port: int, process: subprocess.Popen, log: Path, deadline: float) -> None:
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"the gateway exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer on /healthz within {START_TIMEOUT:.0f}s:\n{log.read_text()[-3000:]}")
        time.sleep(READINESS_INTERVAL)


def _memory(pid: int) -> tuple[float, float, int]:
    pids = procstat.tree(pid)
    peak = sum(procstat.status_kb(p, "VmHWM") or 0 for p in pids)
    pss = sum(procstat.pss_kb(p) or 0 for p in pids)
    return peak / 1024, pss / 1024, len(pids)


# Written to the gateway's path with `--imports`: each module its processes import, named in a file as it is found.
RECORDER = """import os, sys


class _Recorder:
    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def find_spec(self, name, path=None, target=None):
        for finder in sys.meta_path:
            spec = None if finder is self else finder.find_spec(name, path, target)
            if spec is not None:
                os.write(self.fd, (name + "\\n").encode())
                return spec
        return None


sys.meta_path.insert(0, _Recorder(os.environ["SBC_COLDSTART_MODULES"]))
"""


def _import_times(log: Path) -> list[tuple[str, int]]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("import time:") and "|" in line and "self [us]" not in line:
            _, cumulative, name = line.split(":", 1)[1].split("|")
            found.append((name.strip(), int(cumulative)))
    return found


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def packaged_python() -> str:
    """The interpreter of the virtualenv `make package` built from the lock file alone, when it is complete."""
    python = PACKAGE_VENV / "bin" / "python"
    return str(python) if python.exists() and list(PACKAGE_VENV.glob(".installed-*")) else PYTHON


@contextmanager
def cpu_share(share: float | None) -> Iterator[Path | None]:
    """A new CPU cgroup holding its processes to `share` of one CPU (the file to write a pid into), or None."""
    if share is None:
        yield None
        return
    quota = max(1000, int(share * CFS_PERIOD_US))
    if (CGROUPS / "cgroup.controllers").exists():  # cgroup v2
        group = CGROUPS / f"sbc-coldstart-{os.getpid()}"
        settings = {"cpu.max": f"{quota} {CFS_PERIOD_US}"}
    else:  # cgroup v1's cpu controller
        group = CGROUPS / "cpu" / f"sbc-coldstart-{os.getpid()}"
        settings = {"cpu.cfs_period_us": str(CFS_PERIOD_US), "cpu.cfs_quota_us": str(quota)}
    try:
        group.mkdir()
        for name, value in settings.items():
            (group / name).write_text(value)
    except OSError as exc:
        raise SystemExit(f"--lambda-memory needs a writable CPU cgroup (run as root): {exc}") from None
    try:
        yield group / "cgroup.procs"
    finally:
        group.rmdir()  # empty again: every process in it was stopped


def cold_start(
    env: dict[str, str],
    token: str,
    *,
    imports: bool = False,
    python: str = PYTHON,
    cgroup: Path | None = None,
    bytecode: bool = True,
) -> ColdStart:
    """Start a fresh gateway with `env` (DATABASE_URL, the emulator's endpoint, a secret key...) over the Lambda
    image's environment, and time its first authenticated chat completion; the gateway is stopped afterwards.
    With `cgroup` (from `cpu_share`), its processes run in that CPU cgroup."""
    port = free_port()
    run_env = {**env, **LAMBDA_ENV, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    workdir = Path(tempfile.mkdtemp(prefix="sbc-coldstart-"))
    log, recorded = workdir / "gateway.log", workdir / "modules.txt"
    if not bytecode:  # compiled modules are looked for in an empty directory, and none are written
        run_env.update(PYTHONPYCACHEPREFIX=str(workdir / "no-bytecode"), PYTHONDONTWRITEBYTECODE="1")
    if imports:
        (workdir / "sitecustomize.py").write_text(RECORDER)
        path = [str(workdir), run_env.get("PYTHONPATH", "")]
        run_env.update(
            PYTHONPROFILEIMPORTTIME="1",
            SBC_COLDSTART_MODULES=str(recorded),
            PYTHONPATH=os.pathsep.join(filter(None, path)),
        )
    try:
        with open(log, "ab") as output:
            started = time.monotonic()
            process = subprocess.Popen(
                [python, *(python if arg == "{python}" else arg for arg in ENTRY)],
                cwd=ROOT,
                env=run_env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # Before the interpreter starts, so every instruction of the start runs within the share.
                preexec_fn=(lambda: cgroup.write_text(str(os.getpid()))) if cgroup else None,
            )
        try:
            _wait_ready(port, process, log, started + START_TIMEOUT)
            status, body = _request(port, "POST", "/v1/chat/completions", CHAT, token)
            seconds = time.monotonic() - started
            cpu = procstat.cpu_seconds(procstat.tree(process.pid))
            peak, pss, count = _memory(process.pid)
            modules = recorded.read_text().split() if imports else []
            times = _import_times(log) if imports else []
        finally:
            _stop(process)
        return ColdStart(seconds, cpu, status, body, peak, pss, count, modules, times)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Figures:
    database: str
    runs: list[ColdStart]
    load: tuple[float, float, float] | None = None  # the machine's load average when the runs began

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    def line(self) -> str:
        times = ", ".join(f"{run.seconds:.2f}" for run in self.runs)
        cpu = statistics.median(run.cpu_seconds for run in self.runs)
        peak = max(run.peak_rss_mb for run in self.runs)
        pss = max(run.pss_mb for run in self.runs)
        failed = sum(run.status != 200 for run in self.runs)
        note = f", {failed} run(s) NOT answered 200" if failed else ""
        if self.load:
            note += f"; load average {self.load[0]:.1f} at the start"
        return (
            f"{self.database}: cold start to first /v1 answer: median {self.median:.2f} s over {len(self.runs)} "
            f"runs ({times}); CPU {cpu:.2f} s; peak RSS {peak:.0f} MB (PSS {pss:.0f} MB){note}"
        )


class _Prepared(Stack):
    """The bench's emulator and freshly migrated database with a demo token; no gateway: each run starts one."""

    def _start_gateway(self) -> None:
        pass

    def env(self) -> dict[str, str]:
        return {**self.base_env(), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.emulator.port}"}


def measure(
    database: str, runs: int, imports: bool, python: str, share: float | None = None, bytecode: bool = True
) -> tuple[Figures, ColdStart | None]:
    stack = _Prepared(database=database, workers=1).start()
    load = procstat.load_average()
    try:
        with cpu_share(share) as cgroup:
            # A first start fills the OS's file cache (and Python's bytecode cache), as on a Lambda host that ran it.
            cold_start(stack.env(), stack.token, python=python)
            starts = [
                cold_start(stack.env(), stack.token, python=python, cgroup=cgroup, bytecode=bytecode)
                for _ in range(runs)
            ]
            profiled = cold_start(stack.env(), stack.token, imports=True, python=python) if imports else None
    finally:
        stack.close()
    return Figures(database, starts, load), profiled


def _profile(run: ColdStart, top: int = 15) -> str:
    lines = [f"modules imported before the first answer: {len(run.modules)}"]
    unneeded = run.unneeded()
    lines.append("not needed for it, imported anyway: " + (", ".join(unneeded) if unneeded else "none"))
    lines.append("slowest imports (cumulative ms):")
    for name, micros in sorted(run.import_times, key=lambda item: -item[1])[:top]:
        lines.append(f"  {micros / 1000:7.1f}  {name}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--imports", action="store_true", help="also profile one start's imports")
    parser.add_argument("--python", default=packaged_python(), help="the gateway's interpreter")
    parser.add_argument("--lambda-memory", type=int, help="hold the gateway to Lambda's CPU share at this many MB")
    parser.add_argument("--no-bytecode", action="store_true", help="start without compiled modules (__pycache__)")
    args = parser.parse_args(argv)
    share = args.lambda_memory / LAMBDA_MB_PER_VCPU if args.lambda_memory else None
    print(f"gateway interpreter: {args.python}", flush=True)
    if share is not None:
        print(f"CPU held to {share:.0%} of one core, Lambda's share at {args.lambda_memory} MB", flush=True)
    worst = 0.0
    for database in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if database == "postgres" and not postgres_available():
            print("postgres: no PostgreSQL on 127.0.0.1:5432, skipped", flush=True)
            continue
        figures, profiled = measure(
            database, max(1, args.runs), args.imports, args.python, share, bytecode=not args.no_bytecode
        )
        print(figures.line(), flush=True)
        if profiled is not None:
            print(_profile(profiled), flush=True)
        worst = max(worst, figures.median)
    print(f"machine: {procstat.cpu_model()}, {os.cpu_count()} CPUs, load {procstat.load_average()}", flush=True)
    return 0 if worst else 1


if __name__ == "__main__":
    sys.exit(main())
