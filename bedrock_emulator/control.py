"""The `/_emulator` control API tests use: health, request log, fault injection, gates and reset."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from bedrock_emulator.faults import parse_rule


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(payload), content_type="application/json")


def add_control_routes(app: web.Application, key: web.AppKey) -> None:
    def state(request: web.Request) -> Any:
        return request.app[key]

    async def health(request: web.Request) -> web.Response:
        return _json({"ok": True})

    async def log(request: web.Request) -> web.Response:
        return _json(state(request).log.entries())

    async def clear_log(request: web.Request) -> web.Response:
        state(request).log.clear()
        return _json({"ok": True})

    async def faults(request: web.Request) -> web.Response:
        return _json({"faults": state(request).faults.describe()})

    async def add_fault(request: web.Request) -> web.Response:
        try:
            rule = parse_rule(orjson.loads(await request.read()))
        except (ValueError, TypeError) as error:  # orjson.JSONDecodeError is a ValueError
            return _json({"error": str(error)}, status=400)
        state(request).faults.add(rule)
        return _json({"faults": state(request).faults.describe()})

    async def clear_faults(request: web.Request) -> web.Response:
        state(request).faults.clear()
        return _json({"ok": True})

    async def gate(request: web.Request) -> web.Response:
        return _json(state(request).gates.status(request.match_info["key"]))

    async def release_gate(request: web.Request) -> web.Response:
        gates = state(request).gates
        gates.release(request.match_info["key"])
        return _json(gates.status(request.match_info["key"]))

    async def clear_gates(request: web.Request) -> web.Response:
        state(request).gates.clear()
        return _json({"ok": True})

    async def clear_cache(request: web.Request) -> web.Response:
        state(request).cache.clear()
        return _json({"ok": True})

    async def reset(request: web.Request) -> web.Response:
        current = state(request)
        for part in (current.log, current.faults, current.gates, current.cache):
            part.clear()
        return _json({"ok": True})

    app.router.add_routes(
        [
            web.get("/_emulator/health", health),
            web.get("/_emulator/log", log),
            web.delete("/_emulator/log", clear_log),
            web.get("/_emulator/faults", faults),
            web.post("/_emulator/faults", add_fault),
            web.delete("/_emulator/faults", clear_faults),
            web.get("/_emulator/gates/{key}", gate),
            web.post("/_emulator/gates/{key}/release", release_gate),
            web.delete("/_emulator/gates", clear_gates),
            web.delete("/_emulator/cache", clear_cache),
            web.post("/_emulator/reset", reset),
        ]
    )
