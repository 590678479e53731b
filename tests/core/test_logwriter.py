"""Usage events written by a background thread: every line reaches the stream, in order, none dropped under load,
flush() and close() leave nothing queued, and a forked worker writes its own lines."""

from __future__ import annotations

import io
import logging
import os
import threading

import pytest

from core.logwriter import BackgroundStreamHandler


class Recorded(io.StringIO):
    """A stream that counts its writes and can be made to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.failing = False

    def write(self, text: str) -> int:
        if self.failing:
            raise OSError("disk full")
        self.writes += 1
        return super().write(text)


@pytest.fixture
def make_logger(request):
    """A logger of its own with a BackgroundStreamHandler (formatter as in settings: the message only)."""
    made: list[tuple[logging.Logger, BackgroundStreamHandler]] = []

    def make(stream, **options):
        handler = BackgroundStreamHandler(stream=stream, **options)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger = logging.getLogger(f"tests.logwriter.{request.node.name}.{len(made)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        made.append((logger, handler))
        return logger, handler

    yield make
    for logger, handler in made:
        logger.removeHandler(handler)
        handler.close()


def test_lines_are_written_in_order_as_a_stream_handler_would(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream)
    for number in range(1000):
        logger.info('{"event":"response","n":%d}', number)
    handler.flush()
    assert stream.getvalue() == "".join(f'{{"event":"response","n":{n}}}\n' for n in range(1000))


def test_the_same_text_as_the_synchronous_handler_even_with_a_traceback(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream)
    plain = io.StringIO()
    synchronous = logging.StreamHandler(plain)
    synchronous.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(synchronous)
    try:
        logger.info("first")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("second")
    finally:
        logger.removeHandler(synchronous)
    handler.flush()
    assert stream.getvalue() == plain.getvalue()
    assert "ValueError: boom" in stream.getvalue()


def test_no_line_is_lost_when_many_threads_fill_a_tiny_queue(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream, queue_size=2)

    def emit(thread: int) -> None:
        for number in range(2000):
            logger.info("t%d-%d", thread, number)

    threads = [threading.Thread(target=emit, args=(t,)) for t in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handler.flush()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10_000
    assert set(lines) == {f"t{t}-{n}" for t in range(5) for n in range(2000)}
    for t in range(5):  # each thread's own lines stay in the order it logged them
        assert [line for line in lines if line.startswith(f"t{t}-")] == [f"t{t}-{n}" for n in range(2000)]


def test_lines_are_written_in_batches_not_one_write_each(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream)
    gate = threading.Lock()
    gate.acquire()
    original = stream.write

    def held_write(text: str) -> int:  # the writer waits here until every line is queued
        with gate:
            return original(text)

    stream.write = held_write  # type: ignore[method-assign]
    for number in range(2000):
        logger.info("line %d", number)
    gate.release()
    handler.flush()
    assert len(stream.getvalue().splitlines()) == 2000
    assert stream.writes < 100


def test_flush_makes_everything_logged_so_far_visible(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream)
    for round_ in range(20):
        logger.info("before %d", round_)
        handler.flush()
        assert stream.getvalue().splitlines()[-1] == f"before {round_}"


def test_close_writes_what_is_queued_and_later_lines_are_still_written(make_logger):
    stream = Recorded()
    logger, handler = make_logger(stream, queue_size=5)
    for number in range(500):
        logger.info("queued %d", number)
    handler.close()
    assert stream.getvalue().splitlines() == [f"queued {n}" for n in range(500)]
    assert not handler._thread.is_alive()
    logger.info("after close")
    assert stream.getvalue().splitlines()[-1] == "after close"


def test_a_failing_stream_is_reported_once_and_the_writer_keeps_going(make_logger, capfd):
    stream = Recorded()
    logger, handler = make_logger(stream)
    stream.failing = True
    logger.info("lost")
    handler.flush()
    logger.info("lost too")
    handler.flush()
    stream.failing = False
    logger.info("written")
    handler.flush()
    assert stream.getvalue() == "written\n"
    assert capfd.readouterr().err.count("Logging error") == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_writes_its_own_lines_and_the_parent_keeps_writing(make_logger, tmp_path):
    path = tmp_path / "events.log"
    with open(path, "a", buffering=1) as stream:
        logger, handler = make_logger(stream)
        logger.info("parent before fork")
        handler.flush()
        pid = os.fork()
        if pid == 0:  # the child: a gunicorn worker forked from the master
            code = 1
            try:
                for number in range(300):
                    logger.info("child %d", number)
                handler.flush()
                code = 0
            finally:
                os._exit(code)
        logger.info("parent after fork")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        handler.flush()
    lines = path.read_text().splitlines()
    assert lines[0] == "parent before fork"
    assert lines.count("parent before fork") == 1
    assert [line for line in lines if line.startswith("child ")] == [f"child {n}" for n in range(300)]
    assert "parent after fork" in lines
    assert len(lines) == 302
