"""The emulator and the gateway as `make run` starts them, on free loopback ports, each in a fresh temp dir.

The gateway runs gunicorn with `sbcproject/gunicorn.conf.py`, DEBUG off, a freshly migrated database
(SQLite in the temp dir, or a `sbc_bench` database on a local PostgreSQL that is dropped afterwards),
authentication, per-identity quotas and rate limits switched on, and usage written per request.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_BENCH_DB = "sbc_bench"
# Limits far above what the benchmark sends: every admission and settlement still runs its statements.
# Per-minute and concurrency limits are 32-bit columns, which PostgreSQL enforces.
QUOTAS_ON = {
    "QUOTA_DEFAULT_TOKENS_PER_DAY": "1000000000000",
    "QUOTA_DEFAULT_TOKENS_PER_MONTH": "1000000000000",
    "QUOTA_DEFAULT_USD_PER_MONTH": "1000000",
    "QUOTA_DEFAULT_REQUESTS_PER_MINUTE": "1000000000",
    "QUOTA_DEFAULT_TOKENS_PER_MINUTE": "2000000000",
    "QUOTA_DEFAULT_CONCURRENT_STREAMS": "100000",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _spawn(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    with open(log, "ab") as out:
        # Its own process group, so stopping it also stops anything it forked.
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, log


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL run
        return False


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(statement)


@dataclass
class Stack:
    """One emulator and one gateway, with everything they need; `close()` stops and removes it all."""

    database: str = "sqlite"
    workers: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sbc-bench-")))
    emulator: Server | None = None
    gateway: Server | None = None
    token: str = ""
    _pg_created: bool = False

    def base_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DJANGO_", "GUNICORN_", "QUOTA_", "AWS_", "BEDROCK_"))
        }
        env.pop("DATABASE_URL", None)
        env.pop("WEB_CONCURRENCY", None)
        env.update(
            {
                "SBC_READ_DOT_ENV": "0",
                "DJANGO_SETTINGS_MODULE": "sbcproject.settings",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_DEBUG": "false",
                "SESSION_COOKIE_SECURE": "false",
                "CSRF_COOKIE_SECURE": "false",
                "SECURE_HSTS_SECONDS": "0",
                "STATIC_ROOT": str(self.workdir / "static"),
                "AWS_ACCESS_KEY_ID": "emulator",
                "AWS_SECRET_ACCESS_KEY": "emulator",
                "AWS_REGION": "us-east-1",
                "DATABASE_URL": self.database_url(),
                **QUOTAS_ON,
            }
        )
        return env

    def database_url(self) -> str:
        if self.database == "postgres":
            return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
        return f"sqlite:///{self.workdir / 'db.sqlite3'}"

    def start(self) -> Stack:
        try:
            self._start_emulator()
            self._prepare_database()
            self._start_gateway()
        except BaseException:
            self.close()
            raise
        return self

    def _start_emulator(self) -> None:
        port = free_port()
        env = {**self.base_env(), "DJANGO_DEBUG": "1"}
        process, log = _spawn("emulator", [PYTHON, "-m", "bedrock_emulator", "--port", str(port)], env, self.workdir)
        self.emulator = Server("emulator", port, process, log)
        wait_ready(f"http://127.0.0.1:{port}/_emulator/health", process, log)

    def _manage(self, *args: str) -> str:
        env = {**self.base_env(), "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.emulator.port}"}
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed on {self.database}:\n{done.stderr[-3000:]}")
        return done.stdout

    def _prepare_database(self) -> None:
        if self.database == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            _pg_admin(f"CREATE DATABASE {PG_BENCH_DB}")
            self._pg_created = True
        self._manage("migrate", "--no-input", "-v", "0")
        self._manage("collectstatic", "--no-input", "-v", "0")
        self.token = json.loads(self._manage("demo_setup", "--json"))["token"]

    def _start_gateway(self) -> None:
        port = free_port()
        env = {
            **self.base_env(),
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f"http://127.0.0.1:{self.emulator.port}",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(self.workers),
            **self.extra_env,
        }
        process, log = _spawn(
            "gateway", [PYTHON, "-m", "gunicorn", "-c", "sbcproject/gunicorn.conf.py"], env, self.workdir
        )
        self.gateway = Server("gateway", port, process, log)
        wait_ready(f"http://127.0.0.1:{port}/healthz", process, log)
        # Workers fork after the master answers nothing; wait until every worker is up.
        from bench.procstat import children

        deadline = time.monotonic() + 30
        while len(children(process.pid)) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        for server in (self.gateway, self.emulator):
            if server is not None:
                server.stop()
        if self._pg_created:
            try:
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
            except Exception:  # noqa: BLE001 - best effort; the next run drops it first anyway
                pass
            self._pg_created = False
        if os.environ.get("BENCH_KEEP_LOGS") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)
