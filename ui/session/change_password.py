"""File → Change password: the person's own, checked by the server.

The new password also becomes this workstation's offline verifier at once,
so an offline sign-in later takes the new password, not the old one.
"""
from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sync.client import ServerError, SyncError
from sync.workstation import Workstation
from ui.common.edit_form import PROBLEM_STYLE
from ui.common.tasks import TaskRunner
from widgets.naming import named

log = logging.getLogger(__name__)

MIN_LENGTH = 10


class ChangePasswordDialog(QDialog):
    def __init__(self, workstation: Workstation, parent: QWidget | None = None):
        super().__init__(parent)
        self.workstation = workstation
        self.runner = TaskRunner(self)
        self.setWindowTitle("Change your password")
        self.setObjectName("changePasswordDialog")
        self.setMinimumWidth(440)
        password = QLineEdit.EchoMode.Password
        self.current = named(QLineEdit(echoMode=password), "currentPassword")
        self.new = named(QLineEdit(echoMode=password), "newPassword")
        self.again = named(QLineEdit(echoMode=password), "repeatPassword")
        self.problems = named(QLabel(wordWrap=True), "problems")
        self.problems.hide()
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.change = self.buttons.addButton("C&hange password",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.change.setObjectName("changeButton")
        self.change.setDefault(True)
        form = QFormLayout()
        form.addRow("&Current password:", self.current)
        form.addRow("&New password:", self.new)
        form.addRow("&Repeat the new one:", self.again)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"At least {MIN_LENGTH} characters. Your other sessions "
                                f"(other workstations) end; this one stays.", wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.on_change)
        self.buttons.rejected.connect(self.reject)

    def _say(self, text: str) -> None:
        self.problems.setText(text)
        self.problems.setVisible(bool(text))

    def on_change(self) -> None:
        current, new = self.current.text(), self.new.text()
        if len(new) < MIN_LENGTH:
            self._say(f"The new password needs at least {MIN_LENGTH} characters.")
            return
        if new != self.again.text():
            self._say("The two new passwords are not the same.")
            return
        if new == current:
            self._say("The new password must differ from the current one.")
            return
        self._say("")
        self.change.setEnabled(False)
        ws = self.workstation
        self.runner.run(lambda task: ws.change_password(current, new),
                        success=self.on_changed, failure=self.on_failed)

    def on_changed(self, _result) -> None:
        self.accept()

    def on_failed(self, exc: BaseException) -> None:
        self.change.setEnabled(True)
        if isinstance(exc, ServerError):
            self._say(exc.detail)
        elif isinstance(exc, SyncError):
            self._say(f"{exc}".split(";")[0] + ". Your password was not changed.")
        else:
            log.error("password change failed", exc_info=exc)
            self._say(f"The password was not changed: {exc}")
