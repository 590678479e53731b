"""Request, completion and response ids: the shape uuid4().hex had, unique, ordered by time, and unguessable."""

import os
import re
import time

from core.ids import IdSource, hex_id

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_an_id_is_32_hex_digits_and_none_repeats():
    ids = [hex_id() for _ in range(100_000)]
    assert all(HEX32.match(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_ids_sort_by_the_time_they_were_made():
    first = hex_id()
    time.sleep(0.002)
    second = hex_id()
    assert first < second
    assert int(first[:12], 16) <= time.time_ns() // 1_000_000


def test_the_secret_part_depends_on_the_process_key_not_only_on_the_counter():
    # Two sources at the same counter value (as two workers forked from one master would be) share nothing.
    one, other = IdSource(), IdSource()
    assert {one.hex_id()[12:] for _ in range(3)}.isdisjoint({other.hex_id()[12:] for _ in range(3)})


def test_a_forked_child_draws_its_own_key():
    source_ids = {hex_id()[12:] for _ in range(5)}  # the parent's next ids, before the fork: counter 0.. of its key
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what would be a gunicorn worker's first ids
        os.write(write, ",".join(hex_id()[12:] for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    child_ids = set(os.read(read, 4096).decode().split(","))
    os.waitpid(pid, 0)
    parent_next = {hex_id()[12:] for _ in range(5)}
    assert len(child_ids) == 5
    assert child_ids.isdisjoint(parent_next | source_ids)
