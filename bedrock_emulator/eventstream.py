"""Encodes `application/vnd.amazon.eventstream` frames exactly as botocore's decoder expects them.

Header blocks depend only on the event kind, so they are built once; encoding a frame is then two
CRC32s over bytes already in memory.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from zlib import crc32

import orjson

_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    # Type 7 is a UTF-8 string with a 16-bit length.
    return struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def _headers(pairs: dict[str, str]) -> bytes:
    return b"".join(_header(name, value) for name, value in pairs.items())


@lru_cache(maxsize=64)
def event_headers(kind: str) -> bytes:
    return _headers({":event-type": kind, ":content-type": "application/json", ":message-type": "event"})


@lru_cache(maxsize=16)
def exception_headers(member: str) -> bytes:
    return _headers({":exception-type": member, ":content-type": "application/json", ":message-type": "exception"})


def frame(headers: bytes, payload: bytes) -> bytes:
    prelude = _PRELUDE.pack(16 + len(headers) + len(payload), len(headers))
    body = b"".join((prelude, _CRC.pack(crc32(prelude)), headers, payload))
    return body + _CRC.pack(crc32(body))


def event(kind: str, payload: dict) -> bytes:
    """One event frame; `payload` is the event's structure without the `{kind: ...}` wrapper."""
    return frame(event_headers(kind), orjson.dumps(payload))


def stream_exception(member: str, payload: dict) -> bytes:
    """A modeled exception frame; boto3 raises EventStreamError with `member` as the error code."""
    return frame(exception_headers(member), orjson.dumps(payload))
