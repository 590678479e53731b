"""Ids that cost a microsecond: request, record, completion and response ids.

`uuid4()` asks the OS for 16 random bytes per id (a `getrandom` call, then the GIL taken back after it), which a
profile of the gateway at 16 clients showed as a sixth of a worker's samples. These ids come from one random key
per process instead: 12 hex digits of the time in milliseconds (so ids sort by when they were made, as UUIDv7's
do) and 20 of a keyed BLAKE2b of a counter (80 bits no one can guess without the key, which never leaves the
process: a stored response's id is a capability, as its owner's key is). The key is drawn again in every forked
child, so gunicorn's workers never share one.

`hex_id()` is 32 lowercase hex digits, the shape `uuid4().hex` had.
"""

from __future__ import annotations

import itertools
import os
import time
from hashlib import blake2b


class IdSource:
    def __init__(self) -> None:
        self.reseed()

    def reseed(self) -> None:
        self._keyed = blake2b(key=os.urandom(32), digest_size=10)  # copied per id: cheaper than keying again
        self._counter = itertools.count()  # `next` on it is atomic under the GIL

    def hex_id(self) -> str:
        digest = self._keyed.copy()
        digest.update(next(self._counter).to_bytes(8, "little"))
        return f"{time.time_ns() // 1_000_000:012x}{digest.hexdigest()}"


_source = IdSource()
os.register_at_fork(after_in_child=_source.reseed)


def hex_id() -> str:
    """32 hex digits, sortable by time, unguessable."""
    return _source.hex_id()
