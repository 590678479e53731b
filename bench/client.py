"""A one-process asyncio HTTP/1.1 load generator on raw sockets, light enough to share 2 cores with its targets.

Every connection is kept alive and carries one request at a time (closed loop). Responses are read
as Content-Length or chunked bodies; a streamed body is parsed as it arrives, either as Server-Sent
Events (the gateway) or as `application/vnd.amazon.eventstream` frames (the emulator), and the
arrival time of every content delta is kept, so first-delta latency, gaps and coalescing can be told.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

READ_TIMEOUT = 30.0
SSE_CONTENT = b'"delta":{"content":"'
FRAME_CONTENT = b"contentBlockDelta"


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Content-Type: application/json",
        "User-Agent: sbc-bench/1",
        f"Content-Length: {len(body)}",
    ]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ResponseError(Exception):
    pass


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[bytes, bytes]]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_body(
    reader: asyncio.StreamReader, headers: dict[bytes, bytes], on_data: Callable[[bytes], None] | None = None
) -> bytes:
    """The whole body; with `on_data`, each chunk is handed over as it arrives instead of kept."""
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            data = (await reader.readexactly(size + 2))[:-2]
            if on_data is not None:
                on_data(data)
            else:
                parts.append(data)
        return b"".join(parts)
    length = int(headers.get(b"content-length", b"0"))
    data = await reader.readexactly(length) if length else b""
    if on_data is not None and data:
        on_data(data)
    return data


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.reader = self.writer = None

    async def request(self, raw: bytes, on_data: Callable[[bytes], None] | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        try:
            self.writer.write(raw)
            status, headers = await asyncio.wait_for(_read_head(self.reader), READ_TIMEOUT)
            body = await asyncio.wait_for(_read_body(self.reader, headers, on_data), READ_TIMEOUT * 4)
        except BaseException:
            await self.close()
            raise
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, body


# ---- closed-loop load -------------------------------------------------------------------------


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:200])


async def closed_loop(
    host: str,
    port: int,
    raw: bytes,
    *,
    concurrency: int,
    requests: int = 0,
    duration_s: float = 0.0,
    expect: bytes = b"",
) -> LoadResult:
    """`concurrency` connections sending `raw` back to back, until `requests` in all or `duration_s` passed.

    With `expect`, a 200 whose body lacks it (a stream cut short, an error event) counts as an error.
    """
    result = LoadResult()
    remaining = [requests]
    deadline = time.perf_counter() + duration_s if duration_s else float("inf")

    async def worker() -> None:
        connection = Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                if requests:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    status, body = await connection.request(raw)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    result.error(f"{type(exc).__name__}: {exc}")
                    await asyncio.sleep(0.01)
                    continue
                if status != 200:
                    result.error(f"HTTP {status}: {body[:160]!r}")
                elif expect and expect not in body:
                    result.error(f"no {expect!r} in the body: {body[-160:]!r}")
                else:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
        finally:
            await connection.close()

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - t0
    result.client_cpu_s = time.process_time() - cpu0
    return result


# ---- streams ----------------------------------------------------------------------------------


@dataclass
class StreamSample:
    status: int = 0
    started: float = 0.0
    first_byte: float | None = None
    content_times: list[float] = field(default_factory=list)
    events: int = 0  # SSE events or eventstream frames
    transport_chunks: int = 0  # HTTP chunks that carried at least one content delta
    shared_chunks: int = 0  # HTTP chunks that carried more than one content delta
    error: str | None = None

    @property
    def deltas(self) -> int:
        return len(self.content_times)

    def first_content_ms(self) -> float | None:
        return (self.content_times[0] - self.started) * 1000 if self.content_times else None

    def max_gap_ms(self) -> float:
        """The longest wait for the next delta, counting from the request's start."""
        times = [self.started, *self.content_times]
        return max(((b - a) * 1000 for a, b in zip(times, times[1:])), default=0.0)

    def max_delta_gap_ms(self) -> float:
        """The longest wait between two deltas, once the first has come."""
        times = self.content_times
        return max(((b - a) * 1000 for a, b in zip(times, times[1:])), default=0.0)


class SseParser:
    def __init__(self, sample: StreamSample) -> None:
        self.sample, self.buffer = sample, b""

    def feed(self, data: bytes) -> None:
        now = time.perf_counter()
        sample = self.sample
        if sample.first_byte is None:
            sample.first_byte = now
        self.buffer += data
        *events, self.buffer = self.buffer.split(b"\n\n")
        contents = 0
        for event in events:
            sample.events += 1
            if SSE_CONTENT in event:
                contents += 1
                sample.content_times.append(now)
            elif b'"error"' in event and sample.error is None:
                sample.error = event[:200].decode(errors="replace")
        if contents:
            sample.transport_chunks += 1
            sample.shared_chunks += contents > 1


class EventStreamParser:
    def __init__(self, sample: StreamSample) -> None:
        self.sample, self.buffer = sample, b""

    def feed(self, data: bytes) -> None:
        now = time.perf_counter()
        sample = self.sample
        if sample.first_byte is None:
            sample.first_byte = now
        self.buffer += data
        contents = 0
        while len(self.buffer) >= 4:
            total = int.from_bytes(self.buffer[:4], "big")
            if len(self.buffer) < total:
                break
            frame, self.buffer = self.buffer[:total], self.buffer[total:]
            sample.events += 1
            if FRAME_CONTENT in frame[:120]:
                contents += 1
                sample.content_times.append(now)
            elif b"exception" in frame[:120] and sample.error is None:
                sample.error = frame[12:200].decode(errors="replace")
        if contents:
            sample.transport_chunks += 1
            sample.shared_chunks += contents > 1


async def stream_once(
    host: str, port: int, raw: bytes, parser_class: type, *, connection: Connection | None = None
) -> StreamSample:
    sample = StreamSample()
    parser = parser_class(sample)
    own = connection is None
    connection = connection or Connection(host, port)
    sample.started = time.perf_counter()
    try:
        sample.status, body = await connection.request(raw, parser.feed)
        if sample.status != 200:
            sample.error = f"HTTP {sample.status}"
    except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
        sample.error = f"{type(exc).__name__}: {exc}"
    finally:
        if own:
            await connection.close()
    return sample


async def streams_sequential(host: str, port: int, raw: bytes, parser_class: type, count: int) -> list[StreamSample]:
    connection = Connection(host, port)
    try:
        return [await stream_once(host, port, raw, parser_class, connection=connection) for _ in range(count)]
    finally:
        await connection.close()


async def streams_concurrent(
    host: str, port: int, raw: bytes, parser_class: type, count: int, ramp_s: float = 0.5
) -> tuple[list[StreamSample], float]:
    """`count` streams opened over `ramp_s` seconds and held at once: (samples, client CPU seconds)."""

    async def one(index: int) -> StreamSample:
        await asyncio.sleep(ramp_s * index / max(count, 1))
        return await stream_once(host, port, raw, parser_class)

    cpu0 = time.process_time()
    samples = await asyncio.gather(*(one(i) for i in range(count)))
    return list(samples), time.process_time() - cpu0
