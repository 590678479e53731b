"""Starts real servers (the Bedrock emulator, and later gunicorn or moto) as subprocesses on loopback ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
READY_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A server subprocess. When `output` is given it holds the server's output, to explain a failed start."""

    url: str
    port: int
    process: subprocess.Popen
    name: str = "server"
    output: IO[bytes] | None = None

    def output_tail(self, limit: int = 4000) -> str:
        if self.output is None:
            return ""
        self.output.flush()
        return Path(self.output.name).read_text(errors="replace")[-limit:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.output is not None and not self.output.closed:
            self.output.close()
            Path(self.output.name).unlink(missing_ok=True)


ServerT = TypeVar("ServerT", bound=RunningServer)


def wait_until_ready(url: str, timeout: float = READY_TIMEOUT_SECONDS, server: RunningServer | None = None) -> None:
    """Poll `url` until it answers 2xx; fail early (with the server's output) if the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if server is not None and server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}\n{server.output_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = server.output_tail() if server is not None else ""
            raise TimeoutError(f"{url} did not answer within {timeout:.0f}s\n{tail}")
        time.sleep(0.05)


def start_process(
    name: str,
    argv: list[str],
    *,
    port: int,
    health_path: str,
    env: dict[str, str] | None = None,
    timeout: float = READY_TIMEOUT_SECONDS,
    server_class: type[ServerT] = RunningServer,
) -> ServerT:
    """Start `argv` from the project root and wait until `health_path` answers."""
    output = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
    process = subprocess.Popen(
        argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=output, stderr=subprocess.STDOUT
    )
    server = server_class(url=f"http://127.0.0.1:{port}", port=port, process=process, name=name, output=output)
    try:
        wait_until_ready(server.url + health_path, timeout, server)
    except BaseException:
        server.stop()
        raise
    return server


class EmulatorServer(RunningServer):
    """The Bedrock emulator, with helpers for its `/_emulator` control API."""

    def control(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            self.url + "/_emulator" + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def log(self) -> list[dict[str, Any]]:
        return self.control("GET", "/log")

    def add_fault(self, **rule: Any) -> Any:
        return self.control("POST", "/faults", rule)

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def gate(self, key: str) -> dict[str, bool]:
        return self.control("GET", f"/gates/{key}")

    def release(self, key: str) -> dict[str, bool]:
        return self.control("POST", f"/gates/{key}/release")

    def reset(self) -> None:
        """Forget the log, faults, gates and prompt cache."""
        self.control("POST", "/reset")


def start_emulator(**knobs: int | str) -> EmulatorServer:
    """Start `python -m bedrock_emulator`; knobs are its options, e.g. `start_emulator(latency_ms=5)`."""
    port = free_port()
    argv = [PYTHON, "-m", "bedrock_emulator", "--port", str(port)]
    for name, value in knobs.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    return start_process(
        "bedrock-emulator",
        argv,
        port=port,
        health_path="/_emulator/health",
        env={"DJANGO_DEBUG": "1"},
        server_class=EmulatorServer,
    )
