"""The last line of the one error path (after qutebrowser's crash handler).

An exception nobody caught (in a Qt slot, a timer, a worker thread) goes to
`misis.log` with its traceback and to the person as a calm window: their
saved work is safe, and "Report a problem" opens with what happened already
filled in. Never a silent failure, never a stack trace on a clerk's screen.
"""
from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout

from local_store.store import StoreClosed
from widgets.naming import named

log = logging.getLogger(__name__)


class ProblemDialog(QDialog):
    """What a person sees when MiSiS hits a bug: calm words and a way to report it.

    Signals:
        report_requested(str): the person wants to report it (the details)
    """

    report_requested = Signal(str)

    def __init__(self, details: str, parent=None):
        super().__init__(parent)
        self.details = details
        self.count = 1
        self.setWindowTitle("Something went wrong")
        self.setObjectName("problemDialog")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = named(QLabel(wordWrap=True), "problemText")
        self.report = named(QPushButton("&Report a problem…", default=True), "reportProblem")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.report, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.close)
        self.report.clicked.connect(self.on_report)
        self._say()
        self.resize(460, 160)

    def again(self, details: str) -> None:
        """The same window counts further problems instead of piling up windows."""
        self.count += 1
        self.details += "\n\n" + details
        self._say()

    def _say(self) -> None:
        more = f" ({self.count} times)" if self.count > 1 else ""
        self.text.setText(
            f"Something went wrong inside MiSiS{more}. Your saved work is safe, and you can "
            f"go on working. Please tell the help desk with <b>Report a problem</b>: what "
            f"happened is filled in for you.")

    def on_report(self) -> None:
        self.report_requested.emit(self.details)
        self.close()


class _FromThreads(QObject):
    """Exceptions of worker threads, carried to the GUI thread."""

    caught = Signal(str)


class CrashHandler(QObject):
    """Installed once per application: `install()` sets sys.excepthook and
    threading.excepthook; `uninstall()` puts the previous ones back.

    `open_report(details)` opens Help → Report a problem with the details
    (the application gives it, knowing the workstation)."""

    def __init__(self, open_report: Callable[[str], Any] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.open_report = open_report
        self.dialog: ProblemDialog | None = None
        self._previous: tuple[Any, Any] | None = None
        self._threads = _FromThreads()
        self._threads.caught.connect(self.tell)
        self._handling = False

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def excepthook(self, kind: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        if issubclass(kind, StoreClosed):
            # A timer or a late answer of a school whose session just ended:
            # its windows are closing, nothing is lost, nobody to tell.
            log.info("a read after the school's session ended: %s", exc)
            return
        log.error("unexpected error", exc_info=(kind, exc, tb))
        details = "".join(traceback.format_exception(kind, exc, tb))
        if threading.current_thread() is threading.main_thread():
            self.tell(details)
        else:
            self._threads.caught.emit(details)

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def tell(self, details: str) -> None:
        if self._handling:  # a problem while showing a problem: the log has it
            return
        self._handling = True
        try:
            from ui.common import messages
            messages.shown.append(messages.Shown("bug", "Something went wrong",
                                                 details.strip().splitlines()[-1]))
            if not messages.is_interactive():
                return
            if self.dialog is not None:
                self.dialog.again(details)
                return
            self.dialog = ProblemDialog(details)
            self.dialog.report_requested.connect(self._report)
            self.dialog.destroyed.connect(self._forget_dialog)
            self.dialog.show()
        finally:
            self._handling = False

    def _forget_dialog(self, *_args) -> None:
        self.dialog = None

    def _report(self, details: str) -> None:
        if self.open_report is not None:
            self.open_report(details)
