"""The cache's one writer: a thread that runs every write in turn.

SQLite lets one connection write at a time. Instead of threads taking turns
through `BEGIN IMMEDIATE` and a busy timeout (a window edit stuck behind a
bootstrap's half-million rows for up to 30 s), every write goes to this
lane: an edit queued while a bootstrap runs waits in the lane's queue, not
on the GUI thread, and the screen shows it at once from memory.

`submit(fn)` returns a Future at once; `call(fn)` waits for the result (for
worker threads such as the sync, never the GUI thread). Work already
queued when the lane is closed still runs (edits are never dropped), unless
`cancel_queued()` drops it first (a purge, where nothing is kept anyway).
"""
from __future__ import annotations

import logging
import queue
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


_lanes: weakref.WeakSet[WriterLane] = weakref.WeakSet()


def drain_all(timeout: float = 60) -> bool:
    """At the process's end: let every lane write what it was given."""
    done = True
    for lane in list(_lanes):
        lane.close()
        done = lane.wait_idle(timeout) and done
    return done


class LaneClosed(RuntimeError):
    """The school's session ended: the cache takes no more writes."""


class WriterLane:
    def __init__(self, name: str = "cache-writer"):
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future] | None] = \
            queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._busy = 0  # queued or running
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        _lanes.add(self)

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, fn: Callable[[], T]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise LaneClosed("this school's session has ended")
            self._busy += 1
        self._queue.put((fn, future))
        return future

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the lane and wait for it (from a worker thread)."""
        if self.is_current():
            return fn()
        return self.submit(fn).result()

    def busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """For worker threads and tests; the GUI thread never waits here."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def cancel_queued(self) -> int:
        """Drop the writes not yet started; returns how many."""
        dropped = 0
        kept: list[tuple[Callable[[], Any], Future] | None] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                kept.append(item)
                continue
            _fn, future = item
            future.set_exception(LaneClosed("cancelled: this school's session ended"))
            dropped += 1
        for item in kept:
            self._queue.put(item)
        with self._idle:
            self._busy -= dropped
            self._idle.notify_all()
        return dropped

    def close(self) -> None:
        """Take no more work; what is queued still runs, then the thread ends."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(None)

    @property
    def closed(self) -> bool:
        return self._closed

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except Exception as exc:  # the caller's future carries it
                    future.set_exception(exc)
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
