"""The emulator and the gateway as `make run` starts them, on free loopback ports, each in a fresh temp dir;
and LiteLLM's proxy in front of its own emulator, for the comparison.

The gateway runs gunicorn with `sbcproject/gunicorn.conf.py`, DEBUG off, a freshly migrated database
(SQLite in the temp dir, or a `sbc_bench` database on a local PostgreSQL that is dropped afterwards,
with Redis for the per-minute and concurrency counters when one answers on 127.0.0.1:6379),
authentication, per-identity quotas and rate limits switched on, and usage written per request.

LiteLLM runs as its proxy CLI (`litellm --config ... --num_workers 2`), installed by `make bench` into
`.bench/litellm-venv`, with no database, a master key (so its requests carry a bearer, as ours do), and
one model on its Bedrock Converse route pointed at the emulator with dummy credentials.
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
# Its own Redis database: the test suite uses 15, and the bench empties this one before each run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Where `make bench` installs LiteLLM (a stamp `.installed-<version>` marks a finished install), and its log.
PEER_VENV = ROOT / os.environ.get("BENCH_PEER_VENV", ".bench/litellm-venv")
PEER_INSTALL_LOG = PEER_VENV.with_name(PEER_VENV.name + ".log")
# The Bedrock model the bench's `claude-4-sonnet` resolves to, when no gateway run said otherwise.
DEFAULT_MODEL_ID = "us.anthropic.claude-sonnet-4-20250514-v1:0"
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


def _spawn(
    name: str, argv: list[str], env: dict[str, str], workdir: Path, cwd: Path = ROOT
) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"{name}.log"
    with open(log, "ab") as out:
        # Its own process group, so stopping it also stops anything it forked.
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


def start_emulator(env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    process, log = _spawn(
        "emulator", [PYTHON, "-m", "bedrock_emulator", "--port", str(port)], {**env, "DJANGO_DEBUG": "1"}, workdir
    )
    server = Server("emulator", port, process, log)
    try:
        wait_ready(f"http://127.0.0.1:{port}/_emulator/health", process, log)
    except BaseException:
        server.stop()
        raise
    return server


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means: no PostgreSQL run
        return False


def redis_available() -> bool:
    """Redis answers at REDIS_URL; its bench database is emptied, so counters start from nothing."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
        client.flushdb()
        client.close()
        return True
    except Exception:  # noqa: BLE001 - any failure means: counters in the database
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
    redis: bool = False
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
        if self.redis:
            env["REDIS_URL"] = REDIS_URL
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
        self.emulator = start_emulator(self.base_env(), self.workdir)

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

    @property
    def front(self) -> Server | None:
        """The server measured against the emulator: here the gateway."""
        return self.gateway

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


# ---- the peer -----------------------------------------------------------------------------------


def peer_status() -> tuple[str | None, str]:
    """(LiteLLM's version, "") when `make bench` installed its proxy; else (None, why not)."""
    python, cli = PEER_VENV / "bin" / "python", PEER_VENV / "bin" / "litellm"
    if list(PEER_VENV.glob(".installed-*")) and cli.exists():
        done = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return done.stdout.strip(), ""
        return None, f"litellm is not importable in {PEER_VENV}: {done.stderr.strip()[-200:]}"
    if PEER_INSTALL_LOG.exists():
        lines = [line.strip() for line in PEER_INSTALL_LOG.read_text(errors="replace").splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines
        return None, f"installation failed: {errors[-1][:200] if errors else 'no output'} (see {PEER_INSTALL_LOG})"
    return None, f"not installed in {PEER_VENV}: `make bench` installs it"


@dataclass
class PeerStack:
    """One emulator and LiteLLM's proxy in front of it; `close()` stops both and removes the temp dir."""

    model_name: str
    model_id: str
    workers: int = 2
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sbc-bench-peer-")))
    emulator: Server | None = None
    proxy: Server | None = None
    token: str = field(default_factory=lambda: "sk-bench-" + secrets.token_hex(16))

    def base_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTEST", "DJANGO_", "LITELLM_", "AWS_", "DATABASE_", "REDIS_", "VIRTUAL_ENV"))
        }
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "emulator",
                "AWS_SECRET_ACCESS_KEY": "emulator",
                "AWS_REGION": "us-east-1",
                # The model price map bundled with the package, not a download at start-up.
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                # Warnings only, as the gateway's gunicorn logs (no access log line per request).
                "LITELLM_LOG": "WARNING",
                "PATH": f"{PEER_VENV / 'bin'}:{os.environ.get('PATH', '')}",
            }
        )
        return env

    def config(self) -> str:
        endpoint = f"http://127.0.0.1:{self.emulator.port}"
        return (
            "model_list:\n"
            f"  - model_name: {self.model_name}\n"
            "    litellm_params:\n"
            f"      model: bedrock/converse/{self.model_id}\n"
            "      aws_access_key_id: emulator\n"
            "      aws_secret_access_key: emulator\n"
            "      aws_region_name: us-east-1\n"
            f"      aws_bedrock_runtime_endpoint: {endpoint}\n"
            "general_settings:\n"
            f"  master_key: {self.token}\n"
            "litellm_settings:\n"
            "  telemetry: false\n"
        )

    def start(self) -> PeerStack:
        try:
            self.emulator = start_emulator(self.base_env(), self.workdir)
            config = self.workdir / "litellm.yaml"
            config.write_text(self.config())
            port = free_port()
            argv = [
                str(PEER_VENV / "bin" / "litellm"),
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--num_workers",
                str(self.workers),
                # Its workers import for longer than uvicorn's 5 s default on a busy machine, and are killed.
                "--timeout_worker_healthcheck",
                "120",
            ]
            # From the temp dir: LiteLLM reads a `.env` in its working directory, and the checkout may have one.
            process, log = _spawn("litellm", argv, self.base_env(), self.workdir, cwd=self.workdir)
            self.proxy = Server("litellm", port, process, log)
            wait_ready(f"http://127.0.0.1:{port}/health/liveliness", process, log, timeout=180)
            from bench.procstat import children, is_worker

            deadline = time.monotonic() + 60
            while sum(map(is_worker, children(process.pid))) < self.workers and time.monotonic() < deadline:
                time.sleep(0.2)
        except BaseException:
            self.close()
            raise
        return self

    @property
    def front(self) -> Server | None:
        return self.proxy

    def close(self) -> None:
        for server in (self.proxy, self.emulator):
            if server is not None:
                server.stop()
        if os.environ.get("BENCH_KEEP_LOGS") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)
