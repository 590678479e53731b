"""A logging handler that writes its lines from one background thread instead of the thread that logs.

`BackgroundStreamHandler` is for the per-request usage events: a `logging.StreamHandler` takes a lock and makes a
write syscall per event on the request thread, while the other request threads wait. Here `emit()` only formats
the record (exactly as a StreamHandler would: the formatter's text and a newline) and puts the line on a bounded
queue; one daemon thread takes every line waiting, up to BATCH_LINES, and writes them with one write and one flush.

Nothing is dropped: a put on a full queue waits for the writer (back-pressure instead of loss). `flush()` returns
once every line queued before it is written, `close()` (run by `logging.shutdown` at interpreter exit) writes what
is left and stops the thread; a line logged after that is written at once, on the caller's thread.

Fork safety: gunicorn builds the app (and this handler) in the master and forks the workers. The writer thread and
its queue belong to one process: a forked child starts with none (its parent's queued lines are the parent's to
write) and creates its own with its first line.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import sys
import threading
import traceback
import weakref
from typing import IO, Any

QUEUE_SIZE = 10_000
BATCH_LINES = 512


class _Stop:
    """Put on the queue by close(): the writer exits after writing everything taken before it."""


_STOP = _Stop()


class _Lines(queue.Queue):
    """A bounded FIFO queue (queue.Queue's lock and deque) whose reader takes many items under one lock."""

    def put_line(self, item: Any) -> None:
        """Queue.put(item), blocking while full, without the bookkeeping for task_done()/join() (never used)."""
        with self.not_full:
            while len(self.queue) >= self.maxsize:
                self.not_full.wait()
            self.queue.append(item)
            self.not_empty.notify()

    def get_batch(self, limit: int) -> list[Any]:
        """Wait for an item, then take every item waiting (up to `limit`) and wake the putters waiting for room."""
        with self.not_empty:
            while not self.queue:
                self.not_empty.wait()
            waiting = self.queue
            batch = [waiting.popleft() for _ in range(min(limit, len(waiting)))]
            self.not_full.notify_all()
            return batch

    def get_all_nowait(self) -> list[Any]:
        with self.mutex:
            batch = list(self.queue)
            self.queue.clear()
            self.not_full.notify_all()
            return batch


def _reset_after_fork(ref: weakref.ref[BackgroundStreamHandler]) -> None:
    handler = ref()
    if handler is not None:
        handler._process_state_reset()


class BackgroundStreamHandler(logging.Handler):
    """Like logging.StreamHandler (sys.stderr unless a stream is given), written from a background thread."""

    terminator = "\n"

    def __init__(self, stream: IO[str] | None = None, queue_size: int = QUEUE_SIZE, batch_lines: int = BATCH_LINES):
        super().__init__()
        self.stream = sys.stderr if stream is None else stream
        self.queue_size = max(1, int(queue_size))
        self.batch_lines = max(1, int(batch_lines))
        self._closed = False
        self._error_reported = False
        self._process_state_reset()
        os.register_at_fork(after_in_child=functools.partial(_reset_after_fork, weakref.ref(self)))

    def _process_state_reset(self) -> None:
        """No writer yet in this process: the first line starts one (the constructor, and a forked child)."""
        self._start_lock = threading.Lock()
        self._queue: _Lines | None = None
        self._thread: threading.Thread | None = None

    # --- the caller's side ------------------------------------------------------------------------------------

    def handle(self, record: logging.LogRecord) -> bool:
        """Filter and emit without the handler's lock: the queue is the only thing the logging threads share."""
        passed = self.filter(record)
        if isinstance(passed, logging.LogRecord):  # Python 3.12+: a filter may hand back a replacement record
            record = passed
        if passed:
            self.emit(record)
        return bool(passed)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            if self._closed:
                self._write_now(line)
                return
            lines = self._queue or self._start()
            if lines is None:  # no thread can be started (interpreter shutting down): write it here
                self._write_now(line)
                return
            lines.put_line(line)  # waits while the queue is full: a line is never dropped
            if self._closed:  # close() ran meanwhile and may have drained before this put: write what is left
                self._drain_now()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Return once every line queued before this call is written and the stream flushed."""
        lines, thread = self._queue, self._thread
        if self._closed or lines is None or thread is None or not thread.is_alive():
            self._drain_now()
            return
        if thread is threading.current_thread():
            return
        written = threading.Event()
        lines.put_line(written)
        if self._closed:  # close() ran meanwhile and may have drained before this put
            self._drain_now()
        written.wait()

    def close(self) -> None:
        """Write every queued line, stop the writer thread, then close as any handler does (the stream stays open)."""
        if self._closed:  # logging.shutdown closes every handler still alive, closed before or not
            return
        self._closed = True
        lines, thread = self._queue, self._thread
        if lines is not None and thread is not None and thread.is_alive() and thread is not threading.current_thread():
            lines.put_line(_STOP)
            thread.join()
        self._drain_now()
        super().close()

    # --- the writer's side ------------------------------------------------------------------------------------

    def _start(self) -> _Lines | None:
        with self._start_lock:
            if self._queue is None:
                lines = _Lines(maxsize=self.queue_size)
                thread = threading.Thread(target=self._run, args=(lines,), name="sbc-logwriter", daemon=True)
                try:
                    thread.start()
                except RuntimeError:
                    return None
                self._thread = thread
                self._queue = lines
            return self._queue

    def _run(self, lines: _Lines) -> None:
        while True:
            batch = lines.get_batch(self.batch_lines)
            texts = [item for item in batch if type(item) is str]
            if texts:
                self._write("".join(texts))
            stop = False
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
                elif item is _STOP:
                    stop = True
            if stop:
                return

    def _drain_now(self) -> None:
        """Write what is still queued, on the calling thread (after close, or with no writer thread)."""
        texts, waiting = [], []
        for item in self._queue.get_all_nowait() if self._queue is not None else ():
            if type(item) is str:
                texts.append(item)
            elif isinstance(item, threading.Event):
                waiting.append(item)
        if texts:
            self._write_now("".join(texts))
        elif not self._closed:  # nothing to write: flush as logging.StreamHandler.flush does, errors and all
            with self.lock:  # type: ignore[union-attr]
                if self.stream and hasattr(self.stream, "flush"):
                    self.stream.flush()
        for event in waiting:  # a flush() that put these returns once the lines before them are written
            event.set()

    def _write_now(self, text: str) -> None:
        with self.lock:  # type: ignore[union-attr]  # the handler's lock, created by logging.Handler
            self._write(text)

    def _write(self, text: str) -> None:
        """One write and one flush; an error is told once on stderr and never stops the writer."""
        try:
            self.stream.write(text)
            if hasattr(self.stream, "flush"):
                self.stream.flush()
        except Exception:
            if not self._error_reported and logging.raiseExceptions:
                self._error_reported = True
                try:
                    sys.__stderr__.write(f"--- Logging error in {type(self).__name__} (reported once) ---\n")  # type: ignore[union-attr]
                    traceback.print_exc(file=sys.__stderr__)
                except Exception:
                    pass

    def __repr__(self) -> str:
        name = getattr(self.stream, "name", "")
        return f"<{type(self).__name__} {name} ({logging.getLevelName(self.level)})>"
