"""The fault run's own servers: a throwaway PostgreSQL cluster and Redis on ports of their own, the Bedrock
emulator, and the gateway under gunicorn with the project's config on them (never the suite's servers).

PostgreSQL is initialised with the Debian binaries (`/usr/lib/postgresql/*/bin`) in a temp dir; initdb refuses
root, so as root the cluster belongs to the `postgres` system user (`runuser`). Redis runs without persistence,
so a stopped Redis comes back empty, as a restarted cache would.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.procstat import workers
from bench.servers import PYTHON, ROOT, Server, Stack, _spawn, free_port, wait_ready


def _port(variable: str) -> int:
    """The port a variable names, or a free one: two runs at once (or a run beside the suite) never share one."""
    return int(os.environ.get(variable) or free_port())


DATABASE = "sbc_faults"
HUGE = "1000000000000"


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL bin directory that has initdb and pg_ctl, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found and Path(found[-1]).with_name("pg_ctl").exists() else None


def missing_binaries() -> str:
    """Why the fault run cannot start here ("" when it can)."""
    if postgres_bin() is None:
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)"
    if shutil.which("redis-server") is None:
        return "no redis-server on PATH"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user for initdb"
    return ""


@dataclass
class Postgres:
    workdir: Path
    port: int = field(default_factory=lambda: _port("FAULTS_PG_PORT"))

    def __post_init__(self) -> None:
        self.bin = postgres_bin()
        self.data = self.workdir / "pg"
        self.log = self.workdir / "postgres.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0


@dataclass
class Redis:
    workdir: Path
    port: int = field(default_factory=lambda: _port("FAULTS_REDIS_PORT"))
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.workdir)]
        self.process, _ = _spawn("redis", argv, dict(os.environ), self.workdir, cwd=self.workdir)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise TimeoutError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@dataclass
class FaultStack(Stack):
    """The emulator and the gateway (gunicorn, 2 uvicorn workers) on the fault run's PostgreSQL and Redis."""

    identities: dict[str, dict] = field(default_factory=dict)
    postgres: Postgres | None = None
    redis_server: Redis | None = None
    plan: dict[str, dict] = field(default_factory=dict)  # identity name -> {"concurrent": n}
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sbc-faults-")))

    def base_env(self) -> dict[str, str]:
        env = super().base_env()
        env.update(
            {
                "DATABASE_URL": self.postgres.url,
                "REDIS_URL": self.redis_server.url,
                # Every identity has a day counter (so counters can be compared with records), nothing refuses.
                "QUOTA_DEFAULT_TOKENS_PER_DAY": HUGE,
                "QUOTA_DEFAULT_TOKENS_PER_MONTH": "0",
                "QUOTA_DEFAULT_USD_PER_MONTH": "",
                "QUOTA_DEFAULT_REQUESTS_PER_MINUTE": "0",
                "QUOTA_DEFAULT_TOKENS_PER_MINUTE": "0",
                "QUOTA_DEFAULT_CONCURRENT_STREAMS": "0",
                "QUOTA_DEFAULT_ALERT_PERCENT": "0",
                "LOG_LEVEL": "warning",
                # Its own spool: a replay reads every file in the directory, and the checkout's may hold others'.
                "SPOOL_DIR": str(self.workdir / "spool"),
            }
        )
        return env

    def start(self) -> FaultStack:
        try:
            self.postgres = Postgres(self.workdir)
            self.postgres.init()
            self.redis_server = Redis(self.workdir)
            self.redis_server.start()
            self._start_emulator()
            self._manage("migrate", "--no-input", "-v", "0")
            self._manage("collectstatic", "--no-input", "-v", "0")
            self.identities = self._issue()
            self._start_gateway()
        except BaseException:
            self.close()
            raise
        return self

    def _issue(self) -> dict[str, dict]:
        """A token for every planned identity, with its day quota and concurrency limit."""
        code = (
            "import json, sys\n"
            "from tokens.models import Quota\n"
            "from tokens.services import identity_get_or_create, token_issue\n"
            "plan, out = json.loads(sys.argv[-1]), {}\n"
            "for name, spec in plan.items():\n"
            "    identity = identity_get_or_create(name=name)\n"
            "    Quota.objects.update_or_create(identity=identity, defaults={'tokens_per_day': 10**12,\n"
            "        'concurrent_streams': spec.get('concurrent') or None})\n"
            "    issued = token_issue(identity=identity, ttl='1d', name='faults', created_by='faults')\n"
            "    out[name] = {'id': identity.pk, 'token': issued.token, **spec}\n"
            "print(json.dumps(out))\n"
        )
        env = {**self.base_env(), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.emulator.port}"}
        done = subprocess.run(
            [
                PYTHON,
                "-c",
                "import django; django.setup(); exec(__import__('sys').argv[1])",
                code,
                json.dumps(self.plan),
            ],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"issuing the fault run's tokens failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def gateway_workers(self) -> list[int]:
        return workers(self.gateway.pid) if self.gateway else []

    def busiest_worker(self) -> int:
        """The worker holding the most client connections (streams in flight are on it)."""
        port = f":{self.gateway.port:04X}"
        established = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                fields = line.split()
                if fields[1].endswith(port) and fields[3] == "01":  # local port is the gateway's; ESTABLISHED
                    established.add(fields[9])

        def held(pid: int) -> int:
            count = 0
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                count += target.startswith("socket:[") and target[8:-1] in established
            return count

        return max(self.gateway_workers(), key=held)

    def wait_workers(self, count: int, gone: int, timeout: float = 30.0) -> float:
        """Seconds until the gateway has `count` workers again, `gone` not among them, answering /healthz."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if len([pid for pid in self.gateway_workers() if pid != gone]) >= count:
                break
            time.sleep(0.02)
        wait_ready(f"http://127.0.0.1:{self.gateway.port}/healthz", self.gateway.process, self.gateway.log)
        return time.monotonic() - started

    def close(self) -> None:
        for server in (self.gateway, self.emulator):
            if server is not None:
                server.stop()
        if self.redis_server is not None:
            try:
                self.redis_server.resume()
            except (AssertionError, ProcessLookupError):
                pass
            self.redis_server.stop()
        if self.postgres is not None and self.postgres.data.exists():
            self.postgres.stop()
        if os.environ.get("BENCH_KEEP_LOGS") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)


__all__ = ["DATABASE", "FaultStack", "Postgres", "Redis", "Server", "missing_binaries"]
