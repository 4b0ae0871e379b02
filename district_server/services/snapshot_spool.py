"""Whole-school snapshots that never hold the database for a slow reader.

A snapshot is read from the database as fast as the database gives it,
into an anonymous temporary file, by a thread of its own; the response
streams that file while it grows. The database connection is held for the
reading time of the database, never for the reading time of the client: 40
slow readers once held 40 connections and left none for anyone's sign-in.

How many snapshots run at once is bounded per user, per school and per
process (`SnapshotGate`); beyond, the caller is told to try again later.
The gate is in this process's memory only: with several server processes
each keeps its own count, which bounds the total too (processes × limit).
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 20
# A slot whose stream never ended (its client vanished without a word) is
# given back after this long.
STALE_S = 30 * 60


class SnapshotGate:
    """Counts snapshots running per user, per school and in all."""

    def __init__(self, *, per_user: int, per_school: int, per_process: int):
        self.per_user, self.per_school, self.per_process = per_user, per_school, per_process
        self._lock = threading.Lock()
        self._running: dict[int, tuple[int, str, float]] = {}
        self._next = 0

    def enter(self, user_id: int, school_id: str) -> int | None:
        """A slot number, or None when a limit is reached."""
        now = time.monotonic()
        with self._lock:
            for slot, (_, _, since) in list(self._running.items()):
                if now - since > STALE_S:
                    del self._running[slot]
            running = self._running.values()
            if (len(self._running) >= self.per_process
                    or sum(1 for u, _, _ in running if u == user_id) >= self.per_user
                    or sum(1 for _, s, _ in running if s == school_id) >= self.per_school):
                return None
            self._next += 1
            self._running[self._next] = (user_id, school_id, now)
            return self._next

    def leave(self, slot: int) -> None:
        with self._lock:
            self._running.pop(slot, None)


def spooled(produce: Callable[[], Iterator[bytes]], *, on_done: Callable[[int], None],
            on_close: Callable[[], None], directory: str | None = None) -> Iterator[bytes]:
    """Run `produce` into a temporary file on a thread of its own and yield
    the file's bytes as they arrive. `on_done(bytes)` runs on that thread once
    everything was read from the database; `on_close` once the stream ends,
    however it ends. A failure of `produce` cuts the stream short, which the
    workstation recognises (no end line) and retries."""
    fd, path = tempfile.mkstemp(prefix="misis-snapshot-", dir=directory)
    os.unlink(path)  # anonymous: gone with the last descriptor, whatever happens
    cond = threading.Condition()
    state = {"written": 0, "done": False, "failed": False, "cancel": False,
             "writer_gone": False, "reader_gone": False}

    def close_if_last(side: str) -> None:
        with cond:
            state[side] = True
            last = state["writer_gone"] and state["reader_gone"]
        if last:
            os.close(fd)

    def write() -> None:
        try:
            for chunk in produce():
                if state["cancel"]:
                    return
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
                with cond:
                    state["written"] += len(chunk)
                    cond.notify_all()
            on_done(state["written"])
        except Exception:
            log.exception("a snapshot could not be read from the database")
            with cond:
                state["failed"] = True
        finally:
            with cond:
                state["done"] = True
                cond.notify_all()
            close_if_last("writer_gone")

    threading.Thread(target=write, name="snapshot-spool", daemon=True).start()

    def read() -> Iterator[bytes]:
        offset = 0
        try:
            while True:
                with cond:
                    while offset >= state["written"] and not state["done"]:
                        cond.wait(5)
                    written, done, failed = state["written"], state["done"], state["failed"]
                if offset < written:
                    data = os.pread(fd, min(written - offset, READ_CHUNK), offset)
                    offset += len(data)
                    yield data
                elif failed or done:
                    return
        finally:
            state["cancel"] = True
            close_if_last("reader_gone")
            on_close()

    return read()
