"""Work off the GUI thread, through one small runner (after Anki's QueryOp).

    runner.run(op, success=..., failure=..., progress=...)

`op(task)` runs on a worker thread and must not touch a widget; it may call
`task.progress(what, done, total)` and check `task.cancelled`. `success`,
`failure` and `progress` are called on the GUI thread. A task without its
own `failure` tells the person (never only the log).

Every live task is counted here, whichever runner started it, so ending a
session can cancel them all and close the cache when the last has stopped
(`cancel_all`, `live_count`), without the GUI thread waiting.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class Task:
    """What an op sees of its task: progress out, cancellation in."""

    def __init__(self, signals: _TaskSignals):
        self._signals = signals
        self._cancel = threading.Event()
        # Set when the session that asked has ended: its result, whatever it
        # is, is no longer anyone's (the screens that asked are closing).
        self.dropped = False

    def progress(self, what: str, done: int = 0, total: int = 0) -> None:
        self._signals.progressed.emit(what, done, total)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


class _TaskSignals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(str, int, int)
    finished = Signal()


class _Runnable(QRunnable):
    def __init__(self, op: Callable[[Task], Any], task: Task, signals: _TaskSignals):
        super().__init__()
        self.op, self.task, self.signals = op, task, signals

    def run(self) -> None:
        try:
            try:
                result = self.op(self.task)
            except Exception as exc:  # handed to the GUI thread's failure path
                if not self.task.dropped:
                    self.signals.failed.emit(exc)
            else:
                if not self.task.dropped:
                    self.signals.succeeded.emit(result)
            finally:
                _live.discard(self.task)
                self.signals.finished.emit()
        except RuntimeError:
            # The window that asked is gone (the app is closing): nobody to tell.
            log.info("background task finished after its window closed")


_live: set[Task] = set()


def cancel_all() -> int:
    """The session ends: every live task is asked to stop (at its next
    check), and what it brings back is dropped, not handed to a screen."""
    live = list(_live)
    for task in live:
        task.dropped = True
        task.cancel()
    return len(live)


def live_count() -> int:
    return len(_live)


class TaskRunner(QObject):
    """One lane of background work; `threads=1` keeps its ops in order."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 1):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._live: set[_TaskSignals] = set()

    def run(self, op: Callable[[Task], Any], *,
            success: Callable[[Any], None] | None = None,
            failure: Callable[[BaseException], None] | None = None,
            progress: Callable[[str, int, int], None] | None = None,
            done: Callable[[], None] | None = None) -> Task:
        signals = _TaskSignals()
        task = Task(signals)
        # Connected as given: a slot of a widget is disconnected by Qt when the
        # widget goes, so a late answer never reaches a deleted screen.
        if success:
            signals.succeeded.connect(success)
        signals.failed.connect(failure or _tell_failure)
        if progress:
            signals.progressed.connect(progress)
        self._live.add(signals)
        _live.add(task)

        def finished() -> None:
            self._live.discard(signals)
            if done:
                done()
        signals.finished.connect(finished)
        self.pool.start(_Runnable(op, task, signals))
        return task

    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)


def _tell_failure(exc: BaseException) -> None:
    """The default (Anki's): a task nobody handles the failure of still tells
    the person (and the log), calmly when it is the network or a file, as a
    bug otherwise."""
    from ui.common import messages

    messages.problem(None, "A task in the background did not finish", exc)
