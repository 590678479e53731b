""" "Test connection": one small chat request with a key, through the gateway's own /v1 code path.

The request is dispatched in-process to the same view that serves /v1/chat/completions, so it is
authenticated, admitted against the quota, metered and sent to Bedrock exactly as a tool's request
would be. Calling PUBLIC_BASE_URL over HTTP instead would depend on the server reaching its own
public address (often not possible behind a load balancer, on Lambda, or in a private network) and
would tie up a second worker while the first waits.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve

CHAT_PATH = "/v1/chat/completions"
PROMPT = "Reply with a short greeting."
MAX_TOKENS = 32


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    status: int
    model: str
    answer: str = ""
    error: str = ""
    error_type: str = ""
    request_id: str = ""

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "status": self.status,
            "model": self.model,
            "answer": self.answer,
            "error": self.error,
            "error_type": self.error_type,
            "request_id": self.request_id,
        }


def _chat_request(key: str, body: bytes, host: str) -> WSGIRequest:
    server, _, port = host.partition(":")
    return WSGIRequest(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": CHAT_PATH,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "SERVER_NAME": server or "localhost",
            "SERVER_PORT": port or "80",
            "HTTP_HOST": host,
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {key}",
            "HTTP_USER_AGENT": "sbc-portal/test-connection",
        }
    )


def connection_test(*, key: str, model: str, host: str) -> ConnectionResult:
    """Send one chat request with `key`; the answer, or the status and OpenAI error the tool would see."""
    body = json.dumps(
        {"model": model, "max_tokens": MAX_TOKENS, "messages": [{"role": "user", "content": PROMPT}]}
    ).encode()
    request = _chat_request(key, body, host)
    response = resolve(CHAT_PATH).func(request)
    if hasattr(response, "render"):
        response.render()
    request_id = response.get("x-request-id", "")
    try:
        payload = json.loads(response.content or b"{}")
    except ValueError:
        payload = {}
    if response.status_code == 200:
        choices = payload.get("choices") or [{}]
        answer = (choices[0].get("message") or {}).get("content") or ""
        return ConnectionResult(True, 200, model, answer=answer, request_id=request_id)
    error = payload.get("error") or {}
    return ConnectionResult(
        False,
        response.status_code,
        model,
        error=error.get("message") or response.reason_phrase,
        error_type=error.get("type") or "",
        request_id=request_id,
    )
