"""A pass-through HTTP proxy that keeps what a client sent, so a test can compare it with what reached Bedrock.

It stands between a real client (Claude Code) and the real gateway and changes nothing: each request goes
on as it came, each answer comes back whole. Only the JSON bodies and header names are kept, never values of
credentials.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import orjson
from aiohttp import ClientSession, ClientTimeout, web

from tests.servers import free_port

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}
SECRET_HEADERS = {"authorization", "x-api-key"}


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class RecordingProxy:
    target: str
    port: int = field(default_factory=free_port)
    sent: list[Sent] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages_bodies(self) -> list[dict]:
        return [
            s.body
            for s in self.sent
            if s.path.startswith("/v1/messages")
            and not s.path.startswith("/v1/messages/count_tokens")
            and isinstance(s.body, dict)
        ]

    async def _forward(self, request: web.Request) -> web.Response:
        raw = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        self.sent.append(
            Sent(
                request.method,
                str(request.rel_url),
                {k: ("<secret>" if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()},
                body,
            )
        )
        async with ClientSession(timeout=ClientTimeout(total=300), auto_decompress=False) as session:
            async with session.request(
                request.method, self.target + str(request.rel_url), data=raw, headers=headers
            ) as answer:
                content = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP - {"content-encoding"}}
                return web.Response(status=answer.status, body=content, headers=kept)

    def start(self) -> RecordingProxy:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._forward)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
