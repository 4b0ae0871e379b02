"""One person's session with one school on this workstation (after Anki's
`CollectionOp` and its task manager).

The session owns the cache's writer lane: every write (an edit, a pulled
page, a bootstrap, a purge) runs there, in turn, off the GUI thread. Each
write says what it changed (`local_store.changes.Changes`), and the session
passes that on, once per turn of the event loop, to the screens, which
refresh only the rows they show that changed.

An edit shows at once: `queue_edit` checks its shape, announces it
(`edit_queued`, for screens that draw it before it is written) and hands
the write to the lane, so a person never waits for a sync's write.

`end()` is the one way a session ends (sign out, purge, access ended):
windows close first, background work is cancelled, and the cache is purged
or closed when the last of it has stopped, without the GUI thread waiting.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from domain.mutations import new_mutation_id
from local_store.changes import Changes
from local_store.lane import LaneClosed, WriterLane
from local_store.store import LocalStore, StoreClosed
from sync.workstation import Workstation
from ui.common import messages, tasks

log = logging.getLogger(__name__)

# How long ending a session waits for cancelled background work (a sync
# waiting on the network, a report being drawn) before closing the cache.
OTHER_WORK_GRACE_S = 3.0


@dataclass(frozen=True)
class PendingEdit:
    """An edit accepted on this workstation, shown before it is written."""

    mutation_id: str
    op: str
    payload: dict[str, Any]


class _Bridge(QObject):
    """Carries what the lane's thread learns to the GUI thread (queued)."""

    heard = Signal(object)            # Changes
    done = Signal(object, object)     # (callback pair, Future)


class SchoolSession(QObject):
    """Signals:
        changed(Changes): writes landed in the cache (one per event-loop turn)
        edit_queued(PendingEdit): an edit was accepted; it is being written
        ending(str): the session is ending (the reason): close the school's windows
        ended(str): all work has stopped and the cache is closed (or purged)
    """

    changed = Signal(object)
    edit_queued = Signal(object)
    ending = Signal(str)
    ended = Signal(str)

    def __init__(self, workstation: Workstation, store: LocalStore,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.workstation = workstation
        self.store = store
        self.lane = WriterLane()
        self._bridge = _Bridge()
        self._bridge.heard.connect(self._collect)
        self._bridge.done.connect(self._deliver)
        store.lane = self.lane
        store.on_changes = self._bridge.heard.emit  # from the lane's thread
        self._heard: Changes | None = None
        self._flush = QTimer(self, singleShot=True, interval=0)
        self._flush.timeout.connect(self._emit_changed)
        self._ending: tuple[str, bool] | None = None
        self._ended = False
        self._ending_since = 0.0
        self._writes = 0
        self._finish_check = QTimer(self, singleShot=True, interval=20)
        self._finish_check.timeout.connect(self._maybe_finish)
        self.parent_widget: Any = None  # for messages (the main window)

    @property
    def is_ending(self) -> bool:
        return self._ending is not None

    @property
    def has_ended(self) -> bool:
        return self._ended

    # --- writes

    def write(self, fn: Callable[[], Any], *, success: Callable[[Any], None] | None = None,
              failure: Callable[[BaseException], None] | None = None) -> bool:
        """Run `fn` (which writes through the store) on the writer lane; the
        callbacks run on the GUI thread. False when the session is ending."""
        if self._ending is not None:
            return False
        try:
            future = self.lane.submit(fn)
        except LaneClosed:
            return False
        self._writes += 1
        future.add_done_callback(lambda f: self._bridge.done.emit((success, failure), f))
        return True

    def _deliver(self, callbacks: tuple, future: Future) -> None:
        self._writes -= 1
        success, failure = callbacks
        exc = future.exception()
        if exc is None:
            if success:
                success(future.result())
        elif isinstance(exc, (LaneClosed, StoreClosed)) and self._ending is not None:
            log.info("a write was dropped: the session ended")
        elif failure:
            failure(exc)
        else:
            messages.problem(self.parent_widget, "The change was not saved", exc)
        self._maybe_finish()

    def queue_edit(self, op: str, payload: dict, *, base_version: int | None = None
                   ) -> str | None:
        """Save an edit on this workstation; it goes to the server with the
        next sync. Returns its mutation id, or None when it was refused (the
        person has been told why)."""
        if self._ending is not None:
            messages.show(self.parent_widget, "warning", "The change was not saved",
                          "This school's session is ending on this workstation.")
            return None
        mutation_id = new_mutation_id()
        try:
            checked = self.workstation.check_edit(op, payload, mutation_id=mutation_id)
        except Exception as exc:
            messages.problem(self.parent_widget, "The change was not saved", exc)
            return None
        ws, store = self.workstation, self.store

        def failed(exc: BaseException) -> None:
            messages.problem(self.parent_widget, "The change was not saved", exc)
            self._collect(Changes.all())  # screens drop what they drew early

        if not self.write(lambda: ws.edit(store, op, payload, base_version=base_version,
                                          mutation_id=mutation_id), failure=failed):
            return None
        self.edit_queued.emit(PendingEdit(mutation_id, op, checked))
        return mutation_id

    def cancel_edit(self, mutation_id: str, *, done: Callable[[Any], None] | None = None
                    ) -> bool:
        """Take back an edit not yet sent (the cache returns to the server's version)."""
        store = self.store
        return self.write(lambda: store.cancel(mutation_id), success=done,
                          failure=lambda exc: messages.problem(
                              self.parent_widget, "The change could not be taken back", exc))

    # --- what changed, to the screens

    def _collect(self, changes: Changes) -> None:
        self._heard = changes if self._heard is None else self._heard | changes
        if not self._flush.isActive():
            self._flush.start()

    def _emit_changed(self) -> None:
        heard, self._heard = self._heard, None
        if heard and self._ending is None:
            self.changed.emit(heard)

    # --- the end

    def end(self, reason: str = "", *, purge: bool = False) -> None:
        """End the session: the school's windows close at once (`ending`),
        background work is cancelled, and when the last of it has stopped the
        cache is purged (or closed) and `ended` says so. Never waits."""
        if self._ending is not None:
            if purge:
                self._ending = (self._ending[0], True)
            return
        log.info("ending the school's session%s", " and removing its data" if purge else "")
        self._ending = (reason, purge)
        self._ending_since = time.monotonic()
        self.ending.emit(reason)
        tasks.cancel_all()
        if purge:
            dropped = self.lane.cancel_queued()  # nothing is kept anyway
            if dropped:
                log.info("%d queued writes dropped with the school's data", dropped)
        self.lane.close()  # queued edits still reach the cache when signing out
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if self._ending is None or self._ended:
            return
        # Writes finish in turn (an edit in milliseconds, a cancelled bootstrap
        # at its next chunk). Other background work is cancelled and given a
        # moment; past it, the cache closes anyway: a closed store refuses
        # whatever such work tries next.
        waited = time.monotonic() - self._ending_since
        others = tasks.live_count() and waited < OTHER_WORK_GRACE_S
        if self.lane.busy() or self._writes or others:
            if not self._finish_check.isActive():
                self._finish_check.start()
            return
        self._ended = True
        reason, purge = self._ending
        if purge:
            self.store.purge()
        else:
            self.store.close()
        log.info("the school's session ended after %.2f s", waited)
        self.ended.emit(reason)
