"""Settlements kept on local disk while the database is away, and replayed exactly once when it is back.

Once Bedrock has answered, the request's usage must reach the database. When its settlement cannot be written
(the database is down, after one more try on a fresh connection), `spool_append` writes it (the usage record and
the counters' adjustment) as one JSON line to this process's file under SPOOL_DIR, with fsync, before the answer's
closing frames leave. `spool_replay` applies every file's entries when the database answers again: each entry in
one transaction, the record's insert and the counters' adjustment together, skipped when a record with its request
id exists (the unique request id makes a second replay fail as a whole). A file is locked (`flock`) while it is
appended to or replayed, so two workers never replay one file at once, and deleted once all its entries are in.

Replay runs at start-up and after an outage, off the request path (`usage.upkeep`), and from
`manage.py replay_spool`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import orjson
from django.conf import settings
from django.db import DatabaseError, IntegrityError

from core.db_breaker import breaker as database_breaker
from usage import heartbeat
from usage.admission import Settlement, settlement_write
from usage.models import UsageRecord
from usage.windows.sql import record_write

log = logging.getLogger("sbc.usage")
SUFFIX = ".jsonl"


def spool_dir() -> Path:
    return Path(settings.SPOOL_DIR)


def _own_file() -> Path:
    return spool_dir() / f"{socket.gethostname()}-{os.getpid()}{SUFFIX}"


def _encode(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


def spool_append(record: dict, settlement: Settlement | None) -> None:
    """Append one settlement durably (fsync) to this process's spool file; raises OSError if the disk refuses."""
    line = orjson.dumps(
        {"record": record, "settlement": settlement.as_json() if settlement is not None else None},
        default=_encode,
        option=orjson.OPT_APPEND_NEWLINE,
    )
    directory = spool_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _own_file()
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # a replay took the file away while this waited for its lock: write to a new one
                continue
            os.write(fd, line)
            os.fsync(fd)
            break
        finally:
            os.close(fd)
    log.warning("Spooled the usage of %s to %s: the database is unavailable", record.get("request_id"), path)


def spool_pending() -> bool:
    """Whether any spool file waits (one directory listing: cheap enough to ask every few seconds)."""
    try:
        with os.scandir(spool_dir()) as entries:
            return any(entry.name.endswith(SUFFIX) for entry in entries)
    except FileNotFoundError:
        return False


def _decode_record(record: dict) -> dict:
    values = dict(record)
    values["cost_usd"] = Decimal(values["cost_usd"])
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    return values


def spool_entry_apply(entry: dict) -> bool:
    """Write one spooled settlement: True if written now, False if its request was recorded already."""
    record = _decode_record(entry["record"])
    if UsageRecord.objects.filter(request_id=record["request_id"]).exists():
        return False
    try:
        if entry.get("settlement") is None:
            record_write(record)
        else:
            settlement_write(Settlement.from_json(entry["settlement"]), record)
    except IntegrityError:  # recorded meanwhile (another replay, the reaper): nothing of this entry was applied
        return False
    return True


def _replay_file(path: Path) -> tuple[int, int]:
    """Replay one file under its lock: (entries written, entries already recorded). Raises DatabaseError if the
    database fails midway (the file stays; its written entries are skipped next time)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return 0, 0
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another process replays it, or its owner is appending: next time
            return 0, 0
        try:
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                return 0, 0
        except FileNotFoundError:
            return 0, 0
        with os.fdopen(os.dup(fd), "rb") as stream:
            lines = stream.read().splitlines()
        written = skipped = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:  # a line cut by a crash mid-write was never acknowledged
                log.warning("Skipped an unreadable line in %s", path)
                continue
            if spool_entry_apply(entry):
                written += 1
            else:
                skipped += 1
            heartbeat.untrack(entry["record"]["request_id"])
        os.unlink(path)
        return written, skipped
    finally:
        os.close(fd)


def spool_replay() -> tuple[int, int]:
    """Replay every spool file this host holds: (entries written, entries already recorded)."""
    try:
        paths = sorted(p for p in spool_dir().iterdir() if p.name.endswith(SUFFIX))
    except FileNotFoundError:
        return 0, 0
    written = skipped = 0
    for path in paths:
        try:
            done, already = _replay_file(path)
        except DatabaseError as exc:
            database_breaker.failed(exc)
            log.warning("Spool replay stopped: the database failed (%s)", type(exc).__name__)
            break
        written, skipped = written + done, skipped + already
    if written or skipped:
        database_breaker.succeeded()
        log.warning("Replayed the usage spool: %d settlements written, %d already recorded", written, skipped)
    return written, skipped
