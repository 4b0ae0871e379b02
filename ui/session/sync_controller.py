"""Background sync for the window: on a timer, after an edit, on request.

The sync runs on its own lane of the task runner, never on the GUI thread;
what it writes to the cache goes through the session's writer lane, which
tells the screens what changed. A failure of the network is a state
(offline), not a dialog: the status bar says so and the next attempt comes
sooner, so pending changes go out as soon as the server is back, without a
click. Nothing here waits for a sync in flight: stopping cancels it.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from domain import clock
from local_store.changes import Changes
from sync.client import (
    AccessEnded,
    AuthError,
    InsecureServer,
    ServerUnreachable,
    UntrustedServer,
    is_loopback_url,
)
from sync.engine import SyncReport
from ui.common.tasks import Task, TaskRunner
from ui.session.school_session import SchoolSession
from widgets.sync_status import SyncState

log = logging.getLogger(__name__)

# After a failure, try again this soon (seconds), whatever the interval.
OFFLINE_RETRY_S = 10
# An edit is sent this soon after it is made (seconds).
AFTER_EDIT_S = 1.0


def _local_time(iso_utc: str | None) -> str:
    if not iso_utc:
        return ""
    moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone()
    if moment.date() == clock.today():
        return moment.strftime("%H:%M")
    return moment.strftime("%b %d %H:%M")


class SyncController(QObject):
    """Signals:
        state_changed(SyncState): for the status bar
        synced(SyncReport): a sync finished
        rejected(list): reasons of edits the server refused in the last sync
        access_ended(str): the server ended this school's access (the session
            ends: see SchoolSession.end)
    """

    state_changed = Signal(object)
    synced = Signal(object)
    rejected = Signal(list)
    access_ended = Signal(str)

    def __init__(self, session: SchoolSession, *,
                 interval_s: float | None = None, offline_retry_s: float = OFFLINE_RETRY_S,
                 after_edit_s: float = AFTER_EDIT_S, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.workstation = workstation = session.workstation
        self.store = store = session.store
        self.runner = TaskRunner(self)
        self._task: Task | None = None
        self._stopped = False
        self._then: Callable[[], None] | None = None
        self.offline_retry_s = offline_retry_s
        self.after_edit_s = after_edit_s
        self._timer = QTimer(self, singleShot=True)
        self._again = False
        # True from starting a sync to handling its result, both on the GUI
        # thread (the runner's own "busy" ends later, when its thread lets go).
        self._syncing = False
        s = workstation.settings
        self._state = SyncState(last_sync=_local_time(store.get("last_sync_at")),
                                plain_http=s.server_url.startswith("http://")
                                and not is_loopback_url(s.server_url))
        self.interval_s = interval_s or workstation.settings.sync_interval_s
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.sync_now)
        self.session.edit_queued.connect(self.edited)
        self.session.changed.connect(self.on_changes)

    @property
    def state(self) -> SyncState:
        return self._state

    def start(self) -> None:
        """Begin syncing: at once, then on the interval."""
        self.refresh_counts()
        self.sync_now()

    def stop(self) -> None:
        """No more syncs; one in flight is cancelled (it stops at its next
        step; nothing waits for it here)."""
        self._stopped = True
        self._timer.stop()
        if self._task is not None:
            self._task.cancel()

    def finish(self, then: Callable[[], None]) -> None:
        """A last sync before the session ends (someone else signs in), so the
        person's changes go out if the server answers; `then` runs after it,
        whatever its outcome. A sync in flight finishes first (not waited for
        here: `then` runs from its result)."""
        self._timer.stop()
        self._then = then
        if not self._syncing:
            self._finish_now()

    def _finish_now(self) -> None:
        then, self._then = self._then, None
        self._stopped = True
        if then is None:
            return
        if self.store.closed or not self.store.outbox_counts()["pending"] \
                or self._state.online is False:
            then()
            return
        ws, store = self.workstation, self.store
        self.runner.run(lambda task: ws.sync(store, purge_if_ended=False),
                        success=lambda _report: then(), failure=lambda _exc: then())

    def set_interval(self, seconds: float) -> None:
        self.interval_s = seconds
        if not self._syncing:
            self._schedule(seconds)

    def edited(self, _edit: object = None) -> None:
        """A local edit was queued: send it soon (its count shows when it is
        written: `on_changes`)."""
        if self._stopped:
            return
        if self._syncing:
            self._again = True  # this sync may have read the outbox already
        elif self._state.online is not False:
            self._schedule(self.after_edit_s)

    def on_changes(self, changes: Changes) -> None:
        if changes.outbox:
            self.refresh_counts()

    def refresh_counts(self) -> None:
        if self.store.closed:
            return
        counts = self.store.outbox_counts()
        others = self.store.pending_by_others(self.workstation.user or "")
        self._set(pending=counts["pending"], attention=counts["conflict"] + counts["rejected"],
                  schedule_conflicts=len(self.store.conflict_students()),
                  others_pending=sum(others.values()),
                  others=", ".join(sorted(self._name_of(u) for u in others)))

    def _name_of(self, username: str) -> str:
        account = self.workstation.accounts.get(username)
        return account.display_name if account and account.display_name else username

    def sync_now(self) -> None:
        if self._stopped or self.session.is_ending:
            return
        if self._syncing:
            self._again = True
            return
        self._timer.stop()
        self._syncing = True
        self._set(syncing=True)
        ws, store = self.workstation, self.store
        self._task = self.runner.run(
            lambda task: ws.sync(store, purge_if_ended=False,
                                 is_cancelled=lambda: task.cancelled),
            success=self._on_synced, failure=self._on_failed)

    def _schedule(self, seconds: float) -> None:
        self._timer.start(max(0, int(seconds * 1000)))

    def _set(self, **changes) -> None:
        values = {**self._state.__dict__, **changes}
        self._state = SyncState(**values)
        self.state_changed.emit(self._state)

    def _on_synced(self, report: SyncReport) -> None:
        self._syncing = False
        self._task = None
        if self._then is not None:
            self._finish_now()
            return
        if self._stopped or self.session.is_ending:
            return
        log.info("sync done: sent %d (%d applied, %d conflicts, %d rejected), received %d",
                 report.pushed, report.applied, report.conflicts, report.rejected,
                 report.pulled)
        self._set(syncing=False, online=True, signed_out=False, message="",
                  last_sync=_local_time(self.store.get("last_sync_at")))
        self.refresh_counts()
        if report.rejections:
            self.rejected.emit(report.rejections)
        self.synced.emit(report)
        self._next()

    def _on_failed(self, exc: BaseException) -> None:
        self._syncing = False
        self._task = None
        if self._then is not None:
            self._finish_now()
            return
        if isinstance(exc, AccessEnded) and not self._stopped:
            self._set(syncing=False, online=True, message=str(exc))
            self.access_ended.emit(str(exc))
            return
        if self._stopped or self.session.is_ending:
            log.info("sync stopped with the session: %s", exc)
            return
        if isinstance(exc, AuthError):
            self._set(syncing=False, online=True, signed_out=True, message=str(exc))
        elif isinstance(exc, ServerUnreachable):
            log.info("sync: server unreachable, working offline")
            self._set(syncing=False, online=False, message=str(exc))
        elif isinstance(exc, (UntrustedServer, InsecureServer)):
            log.warning("sync: %s", exc)
            self._set(syncing=False, online=False, message=str(exc))
        else:
            log.error("sync failed", exc_info=exc)
            self._set(syncing=False, online=False, message=f"Sync failed: {exc}")
        store = self.store
        self.session.write(lambda: store.put(last_sync_error=str(exc)),
                           failure=lambda e: log.info("last sync error not kept: %s", e))
        self.refresh_counts()
        self._next(failed=True)

    def _next(self, failed: bool = False) -> None:
        if self._again:
            self._again = False
            self._schedule(0)
        elif failed:
            self._schedule(min(self.offline_retry_s, self.interval_s))
        elif self._state.pending:
            self._schedule(self.after_edit_s)
        else:
            self._schedule(self.interval_s)
