"""WebSocket upgrade requests on /v1 (Codex's `supports_websockets` transport): refused at once with a 426.

Codex, when told a provider supports WebSockets, first asks to upgrade `GET /v1/responses` and falls back
to `POST /v1/responses` over HTTP. How fast depends on the refusal: a 405, 404, 403 or 501 makes it retry
the upgrade with backoff (7 attempts, about 6.5 s before the first token); a 426 Upgrade Required makes it
fall back at once. So the gateway, which streams over HTTP only, answers every /v1 upgrade with a 426 and
an OpenAI-shaped error, before any Django work, and logs one `websocket_refused` event (no headers).
"""

from __future__ import annotations

from gateway.http import json_bytes
from usage.events import event_emit
from usage.metering import client_from_user_agent

STATUS = "426 Upgrade Required"
MESSAGE = (
    "This gateway does not serve the Responses API over WebSocket; send the same request as "
    "POST {path} over HTTP (Codex falls back to it by itself)."
)


def asks_upgrade(path: str, upgrade: str) -> bool:
    """Whether a request for `path` with this `Upgrade` header asks a /v1 path to become a WebSocket."""
    return path.startswith("/v1/") and upgrade.strip().lower() == "websocket"


def is_upgrade(environ: dict) -> bool:
    """Whether a /v1 request (a WSGI environ) asks to become a WebSocket."""
    return asks_upgrade(environ.get("PATH_INFO", ""), environ.get("HTTP_UPGRADE", ""))


def refusal(path: str, user_agent: str) -> bytes:
    """The body of the 426 answer to a WebSocket upgrade of `path` (its `websocket_refused` event is emitted)."""
    body = json_bytes(
        {
            "error": {
                "message": MESSAGE.format(path=path),
                "type": "invalid_request_error",
                "param": None,
                "code": "websocket_not_supported",
            }
        }
    )
    event_emit("websocket_refused", path=path, client=client_from_user_agent(user_agent))
    return body


def refuse(environ: dict, start_response) -> list[bytes]:
    """The 426 answer to a WebSocket upgrade: Codex then sends the request over HTTP without retrying."""
    body = refusal(environ.get("PATH_INFO", ""), environ.get("HTTP_USER_AGENT", ""))
    start_response(STATUS, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
