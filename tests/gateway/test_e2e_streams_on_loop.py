"""End to end: under gunicorn's uvicorn worker (the default) an open stream holds no request thread; the
documented gthread option (the WSGI application, a thread per stream) still serves.

One worker with four request threads holds two hundred paced streams open at once: each request's
admission and settlement take a thread for a moment, the stream itself runs on the worker's event loop.
Under a thread-per-stream server the same streams would go four at a time (about three minutes).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import openai
import pytest

from tests.conftest import ARTIFACTS
from tests.live import server_env, start_gunicorn

pytestmark = pytest.mark.e2e

STREAMS = 200
DELTAS, EVERY_MS = 20, 200  # each stream lasts about 4 s


@pytest.fixture(scope="module")
def narrow_gateway(django_db_setup, emulator, static_root):
    env = server_env(AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root))
    server = start_gunicorn(env, workers=1, threads=4, log_path=ARTIFACTS / "gateway-narrow.log")
    yield server
    server.stop()


async def _stream(http: httpx.AsyncClient, url: str, token: str) -> dict:
    body = {
        "model": "claude-4-sonnet",
        "stream": True,
        "messages": [{"role": "user", "content": f"Tell me a long story [[sbc:pace={DELTAS}x{EVERY_MS}]]"}],
    }
    seen = {"deltas": 0, "done": False, "first": None, "end": None}
    headers = {"Authorization": f"Bearer {token}"}
    async with http.stream("POST", f"{url}/v1/chat/completions", json=body, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        async for line in response.aiter_lines():
            if line == "data: [DONE]":
                seen["done"] = True
            elif '"content":"' in line and '"content":""' not in line:
                seen["deltas"] += 1
                seen["first"] = seen["first"] or time.monotonic()
    seen["end"] = time.monotonic()
    return seen


async def _all_at_once(url: str, token: str) -> list[dict]:
    limits = httpx.Limits(max_connections=STREAMS, max_keepalive_connections=STREAMS)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        return await asyncio.gather(*(_stream(http, url, token) for _ in range(STREAMS)))


def test_one_worker_with_four_request_threads_holds_two_hundred_streams_at_once(narrow_gateway, issue, records):
    name = f"streams-{uuid.uuid4().hex[:8]}@test"
    streams = asyncio.run(_all_at_once(narrow_gateway.url, issue(name)))
    assert all(s["done"] and s["deltas"] == DELTAS for s in streams), [s for s in streams if not s["done"]][:3]
    assert max(s["first"] for s in streams) < min(s["end"] for s in streams), "every stream was open at once"
    kept = records(name)
    assert len(kept) == STREAMS
    assert {(r["status"], r["streamed"], r["disconnected"]) for r in kept} == {(200, True, False)}
    assert all(r["completion_tokens"] > 0 for r in kept)


def test_the_gthread_option_still_serves_plain_and_streamed_answers(django_db_setup, emulator, static_root, issue):
    env = server_env(
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emulator.url, STATIC_ROOT=str(static_root), GUNICORN_WORKER_CLASS="gthread"
    )
    server = start_gunicorn(env, workers=1, threads=4, log_path=ARTIFACTS / "gateway-gthread.log")
    try:
        sdk = openai.OpenAI(base_url=f"{server.url}/v1", api_key=issue(), max_retries=0, timeout=30)
        hello = [{"role": "user", "content": "Hello"}]
        raw = sdk.chat.completions.with_raw_response.create(model="claude-4-sonnet", messages=hello)
        assert raw.headers.get("server", "").startswith("gunicorn"), "served by gunicorn's own (gthread) worker"
        assert raw.parse().choices[0].message.content
        chunks = list(sdk.chat.completions.create(model="claude-4-sonnet", messages=hello, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finally:
        server.stop()
