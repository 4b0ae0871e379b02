"""The first sync of a workstation: load the school, say what is loading, allow cancel.

The whole school loads in one transaction, so a cancel (or a failure) leaves
the cache as it was: empty, ready to try again.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from local_store.store import LocalStore
from sync.engine import Cancelled, SyncReport
from sync.workstation import Workstation
from ui.common import messages
from ui.common.tasks import Task, TaskRunner
from widgets.naming import named

log = logging.getLogger(__name__)


class FirstSyncDialog(QDialog):
    """Signals:
        loaded(SyncReport): the school is on this workstation
        cancelled(): the person cancelled; nothing was kept
    """

    loaded = Signal(object)
    cancelled = Signal()

    def __init__(self, workstation: Workstation, store: LocalStore, *, school_name: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.workstation, self.store = workstation, store
        self.runner = TaskRunner(self)
        self.task: Task | None = None
        self.setWindowTitle("Loading your school")
        self.setObjectName("firstSyncDialog")
        self.setMinimumWidth(480)
        self.headline = QLabel(f"<b>Loading {school_name} onto this workstation</b>")
        self.what = named(QLabel("Connecting to the district server…"), "what")
        self.bar = named(QProgressBar(), "progress")
        self.bar.setRange(0, 0)
        self.note = QLabel("This happens once. Afterwards MiSiS opens from this workstation, "
                           "even without a network.", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.retry = self.buttons.addButton("Try again", QDialogButtonBox.ButtonRole.ActionRole)
        self.retry.setVisible(False)
        layout = QVBoxLayout(self)
        for w in (self.headline, self.what, self.bar, self.note, self.buttons):
            layout.addWidget(w)
        self.buttons.rejected.connect(self.on_cancel)
        self.retry.clicked.connect(self.start)

    def start(self) -> None:
        self.retry.setVisible(False)
        self.bar.setRange(0, 0)
        self.what.setText("Connecting to the district server…")
        ws, store = self.workstation, self.store

        def op(task: Task) -> SyncReport:
            return ws.sync(store, progress=task.progress, is_cancelled=lambda: task.cancelled)
        self.task = self.runner.run(op, success=self.on_loaded, failure=self.on_failed,
                                    progress=self.on_progress)

    def on_progress(self, what: str, done: int, total: int) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        self.what.setText(f"{what} — {done:,} records" if done else what)

    def on_loaded(self, report: SyncReport) -> None:
        self.loaded.emit(report)
        self.accept()

    def on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.cancelled.emit()
            super().reject()
            return
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        if messages.is_known(exc):
            self.what.setText(f"{exc}")
        else:
            log.error("first sync failed", exc_info=exc)
            self.what.setText(f"Loading failed: {exc}")
        self.retry.setVisible(True)

    def on_cancel(self) -> None:
        self.reject()

    def reject(self) -> None:
        """Cancel (button, Esc, closing the window): a running load stops first."""
        if self.task is not None and self.runner.busy():
            self.what.setText("Cancelling… nothing loaded so far will be kept")
            self.task.cancel()
            return
        self.cancelled.emit()
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.runner.busy():
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)
