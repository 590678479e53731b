"""Helpers for the durable-metering tests against a running gateway: a gateway of its own (short leases, its own
spool, one worker) whose database connections go through a TCP proxy the test can cut, and small waits."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

from django.db import connection

from tests.live import server_env, start_gunicorn, test_database_url
from tests.servers import RunningServer

LEASE_SECONDS = 3  # the running server's QUOTA_LEASE_SECONDS: its heartbeat beats every second


class TcpProxy:
    """Forwards loopback connections to `target`; `cut()` drops every connection and refuses new ones (the database
    is down for the gateway), `restore()` lets them through again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        self.drop()

    def drop(self) -> None:
        """Kill every open connection (as `pg_terminate_backend` does); new ones still pass unless cut."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def database_url_through(proxy: TcpProxy) -> str:
    return test_database_url().replace(f":{connection.settings_dict.get('PORT') or 5432}/", f":{proxy.port}/", 1)


def start_durable_gateway(emulator, static_root, spool: Path, log_path: Path, **env: str) -> RunningServer:
    return start_gunicorn(
        server_env(
            **{
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.url,
                "STATIC_ROOT": str(static_root),
                "QUOTA_LEASE_SECONDS": str(LEASE_SECONDS),
                "SPOOL_DIR": str(spool),
                "REDIS_URL": "",  # leases in the database unless the test names a Redis
                **env,
            }
        ),
        workers=1,
        threads=8,
        log_path=log_path,
    )


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry))
    return pids


def eventually(check, *, within: float = 30.0, every: float = 0.2):
    """`check()`'s first truthy value, or its last value once `within` seconds passed."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)
