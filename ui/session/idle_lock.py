"""The idle lock: a workstation left alone hides its students behind a lock.

A front-office workstation is left unattended many times a day. After the
idle time of the settings (10 minutes by default) without a key or a click,
the main window and every window it opened are hidden, and a lock screen
asks for the signed-in person's password (checked with the server, or with
this workstation's verifier when the server can't be reached). Someone else
may sign in instead: the previous person's session ends first, and their
unsent changes stay, theirs, for their next sign-in.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sync.client import AuthError, SyncError
from sync.workstation import Workstation
from ui.common.tasks import TaskRunner
from widgets.naming import named

log = logging.getLogger(__name__)

# What counts as someone being there.
_ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                       QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class IdleWatch(QObject):
    """Emits `idle` once no input reached the application for `idle_ms`.

    Signals:
        idle(): nobody touched the workstation for the idle time
    """

    idle = Signal()

    def __init__(self, idle_ms: int, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self, singleShot=True, interval=max(1000, idle_ms))
        self.timer.timeout.connect(self.idle)
        self._watching = False

    def start(self) -> None:
        app = QApplication.instance()
        if not self._watching and app is not None:
            app.installEventFilter(self)
            self._watching = True
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if self._watching and app is not None:
            app.removeEventFilter(self)
            self._watching = False

    def set_idle_ms(self, idle_ms: int) -> None:
        self.timer.setInterval(max(1000, idle_ms))
        if self.timer.isActive():
            self.timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()  # someone is there: the idle time starts over
        return False


class LockScreen(QDialog):
    """Asks the signed-in person's password, or lets someone else sign in.

    Signals:
        unlocked(): the same person is back
        switch_user(): someone else wants to sign in (the person's session ends)
    """

    unlocked = Signal()
    switch_user = Signal()

    def __init__(self, workstation: Workstation, *, school_name: str):
        super().__init__(None)
        self.workstation = workstation
        self.runner = TaskRunner(self)
        s = workstation.settings
        self.setWindowTitle("MiSiS is locked")
        self.setObjectName("lockScreen")
        self.setMinimumWidth(460)
        who = s.display_name or s.username
        self.headline = named(QLabel(f"<h2>MiSiS is locked</h2>{school_name}<br>"
                                     f"Signed in: <b>{who}</b> ({s.username})"), "who")
        self.password = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "password")
        self.problem = named(QLabel(wordWrap=True), "problems")
        self.problem.hide()
        self.buttons = QDialogButtonBox()
        self.unlock = self.buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        self.unlock.setObjectName("unlockButton")
        self.unlock.setDefault(True)
        self.other = self.buttons.addButton("Sign in as &someone else",
                                            QDialogButtonBox.ButtonRole.ResetRole)
        self.other.setObjectName("switchUser")
        self.other.setAutoDefault(False)  # Enter unlocks, whatever had the focus
        form = QFormLayout()
        form.addRow("&Password:", self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.on_unlock)
        self.other.clicked.connect(self.on_switch_user)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.password.setFocus()

    def reject(self) -> None:
        """Esc or closing the lock doesn't unlock anything."""

    def on_unlock(self) -> None:
        password = self.password.text()
        if not password:
            self._say("Enter your password")
            return
        ws = self.workstation
        s = ws.settings
        self.unlock.setEnabled(False)
        self.runner.run(lambda task: ws.sign_in_anywhere(s.server_url, s.username, password),
                        success=self.on_unlocked, failure=self.on_failed)

    def on_unlocked(self, _data: dict) -> None:
        self.password.clear()
        self.unlock.setEnabled(True)
        self.unlocked.emit()
        self.accept()

    def on_failed(self, exc: BaseException) -> None:
        self.password.clear()
        self.unlock.setEnabled(True)
        self.unlock.setDefault(True)
        if isinstance(exc, AuthError) and "Wrong" not in str(exc):
            self._say(str(exc))
        elif isinstance(exc, AuthError):
            self._say("That is not the password of the person signed in. Try again, or sign "
                      "in as someone else.")
        elif isinstance(exc, SyncError):
            self._say(str(exc))
        else:
            log.error("unlock failed", exc_info=exc)
            self._say(f"Unlocking failed: {exc}")
        self.password.setFocus()

    def on_switch_user(self) -> None:
        self.switch_user.emit()
        self.accept()

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.adjustSize()  # grow with the problem line, never squeeze the name


def hide_all(window: QWidget) -> list[QWidget]:
    """Hide the window and every window it opened; return what was showing."""
    showing = [w for w in QApplication.topLevelWidgets()
               if w.isVisible() and (w is window or _owned_by(w, window))]
    for w in showing:
        w.hide()
    return showing


def _owned_by(widget: QWidget, window: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent is window:
            return True
        parent = parent.parentWidget()
    return False


def show_again(widgets: list[QWidget]) -> None:
    for w in widgets:
        try:
            w.show()
        except RuntimeError:  # closed while locked
            continue
    if widgets:
        widgets[0].activateWindow()
        widgets[0].setWindowState(widgets[0].windowState() & ~Qt.WindowState.WindowMinimized)
