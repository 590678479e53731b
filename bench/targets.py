"""What the bench asks of each side: the gateway (or LiteLLM) and, beside it, the emulator fed exactly the
Converse requests that front sent for the same calls; and the paces of its streamed requests.
"""

from __future__ import annotations

import asyncio
import json
import os

import orjson

from bench import client

HOST = "127.0.0.1"
MODEL = "claude-4-sonnet"
PROMPT = "Say hello in one short sentence."
PACE = (64, 20)  # deltas x ms, for the streamed requests/s
# Held-open streams: each lasts 12 s (120 deltas, one per 100 ms, as an agent's long answer), and they open at
# OPEN_RATE a second, so at every level all of them are open at once before the first one ends.
# BENCH_HOLD_PACE=300x20 and BENCH_OPEN_RATE=200 measure other paces (keep deltas x ms above level / rate).
HOLD_PACE = tuple(int(n) for n in os.environ.get("BENCH_HOLD_PACE", "120x100").split("x"))
OPEN_RATE = int(os.environ.get("BENCH_OPEN_RATE", "100"))
FIRST_CHUNK_PACE = (8, 20)  # shorter streams for first-chunk latency at concurrency 1


def hold_pace(level: int) -> tuple[int, int]:
    """HOLD_PACE, with more deltas when opening `level` streams takes longer than a stream lasts, less 2 s: every
    stream of a level is then still open when the last one opens (1,500 at 100 a second: 170 deltas, 17 s)."""
    deltas, every_ms = HOLD_PACE
    opening_ms = 1000 * level / OPEN_RATE
    return max(deltas, -(-int(opening_ms + 2000) // every_ms)), every_ms


class Target:
    """One side of a comparison: where requests go, and how its answers are told complete and parsed.

    `plain` is a chat completion; `streamed` the same streamed with paced deltas (held-open streams and
    first-chunk latency); `burst` streamed without pacing (streamed requests/s).
    """

    def __init__(
        self, name: str, port: int, plain: bytes, streamed: bytes, burst: bytes, parser: type, end: bytes
    ) -> None:
        self.name, self.port, self.parser, self.end = name, port, parser, end
        self.plain, self.streamed, self.burst = plain, streamed, burst


SSE_END = b"data: [DONE]"
EVENTSTREAM_END = b"messageStop"


def chat_body(text: str, stream: bool) -> bytes:
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "max_tokens": 256}
    if stream:
        body["stream"] = True
    return orjson.dumps(body)


def targets(front_port: int, token: str, emulator_port: int) -> tuple[Target, Target, str]:
    """The OpenAI-compatible front (the gateway or LiteLLM), the emulator fed exactly the Converse requests
    that front sends for the same calls, and the Bedrock model id it calls."""
    auth = {"Authorization": f"Bearer {token}"}
    paced = f"{PROMPT} [[sbc:pace={PACE[0]}x{PACE[1]}]]"
    front: dict[str, bytes] = {}
    direct: dict[str, tuple[str, bytes]] = {}
    for key, body in (
        ("plain", chat_body(PROMPT, False)),
        ("streamed", chat_body(paced, True)),
        ("burst", chat_body(PROMPT, True)),
    ):
        raw = front[key] = client.build_request(HOST, front_port, "/v1/chat/completions", body, auth)
        status, answer = asyncio.run(client.Connection(HOST, front_port).request(raw))
        if status != 200:
            raise SystemExit(f"The server on {front_port} refused the benchmark request ({status}): {answer[:300]!r}")
        entry = json.loads(urllib_get(f"http://{HOST}:{emulator_port}/_emulator/log"))[-1]
        direct[key] = (entry["model_id"], orjson.dumps(entry["body"]))
    model_id = direct["plain"][0]

    def converse(key: str, operation: str) -> bytes:
        return client.build_request(HOST, emulator_port, f"/model/{model_id}/{operation}", direct[key][1])

    return (
        Target("gateway", front_port, front["plain"], front["streamed"], front["burst"], client.SseParser, SSE_END),
        Target(
            "direct",
            emulator_port,
            converse("plain", "converse"),
            converse("streamed", "converse-stream"),
            converse("burst", "converse-stream"),
            client.EventStreamParser,
            EVENTSTREAM_END,
        ),
        model_id,
    )


def urllib_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def with_pace(raw: bytes, pace: tuple[int, int]) -> bytes:
    """The same streamed request with another `[[sbc:pace=NxM]]` (Content-Length adjusted)."""
    old = f"[[sbc:pace={PACE[0]}x{PACE[1]}]]".encode()
    new = f"[[sbc:pace={pace[0]}x{pace[1]}]]".encode()
    head, _, body = raw.partition(b"\r\n\r\n")
    body = body.replace(old, new)
    lines = [
        line if not line.lower().startswith(b"content-length:") else b"Content-Length: %d" % len(body)
        for line in head.split(b"\r\n")
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
