"""Signing in to the district server, and choosing a school when there are several."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sync.client import (
    AuthError,
    InsecureServer,
    ServerError,
    SyncError,
    UntrustedServer,
    plain_http_problem,
)
from sync.workstation import OfflineRefused, Workstation
from ui.common.tasks import TaskRunner
from widgets.naming import named

log = logging.getLogger(__name__)


class SignInDialog(QDialog):
    """Server address, user name, password, remember me.

    Every start of MiSiS comes here: a workstation is not a session. The
    password goes to the server; when the server can't be reached, it is
    checked against this workstation's own verifier instead, for a user who
    signed in here before and whose session is still valid ("offline").
    "Keep me signed in" keeps the session token (never the password) in the
    operating system's keyring, so syncing goes on between sign-ins.

    Signals:
        signed_in(dict): the login answer (user, schools; "offline": True if so)
    """

    signed_in = Signal(dict)

    def __init__(self, workstation: Workstation, parent: QWidget | None = None, *,
                 reason: str = "", fixed_user: bool = False):
        super().__init__(parent)
        self.workstation = workstation
        self.runner = TaskRunner(self)
        self.setWindowTitle("Sign in to MiSiS")
        self.setObjectName("signInDialog")
        self.setMinimumWidth(440)
        s = workstation.settings
        self.server = named(QLineEdit(s.server_url), "server")
        self.username = named(QLineEdit(s.username), "username")
        self.password = named(QLineEdit(echoMode=QLineEdit.EchoMode.Password), "password")
        self.remember = named(QCheckBox("Keep me signed in on this workstation"), "remember")
        self.remember.setChecked(True)
        self.remember.setToolTip("Keeps a session (never your password) in this computer's "
                                 "secure keyring")
        self.problem = named(QLabel(wordWrap=True), "problems")
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.addButton("Sign in",
                                                     QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setDefault(True)
        # Signing in again in an open window: the same person, the same server.
        for edit in (self.username, self.server):
            edit.setReadOnly(fixed_user)
        self._build(reason)
        self._connect_signals()

    def _build(self, reason: str) -> None:
        layout = QVBoxLayout(self)
        title = named(QLabel("<h2>MiSiS</h2>Student information for your school"), "brand")
        layout.addWidget(title)
        if reason:
            layout.addWidget(named(QLabel(reason, wordWrap=True), "reason"))
        form = QFormLayout()
        form.addRow("District &server", self.server)
        form.addRow("&User name", self.username)
        form.addRow("&Password", self.password)
        form.addRow("", self.remember)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.on_sign_in)
        self.buttons.rejected.connect(self.reject)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        (self.password if self.username.text() else self.username).setFocus()

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def _busy(self, busy: bool) -> None:
        for w in (self.server, self.username, self.password, self.remember, self.sign_in_button):
            w.setEnabled(not busy)
        self.sign_in_button.setText("Signing in…" if busy else "Sign in")

    def on_sign_in(self) -> None:
        server = self.server.text().strip().rstrip("/")
        user, password = self.username.text().strip(), self.password.text()
        problem = plain_http_problem(server, allow_plain_http=self.workstation.settings
                                     .allow_plain_http)
        if problem:
            self._say(problem)
            return
        if not user or not password:
            self._say("Enter your user name and password")
            return
        self._say("")
        self._busy(True)
        ws, remember = self.workstation, self.remember.isChecked()
        self.runner.run(lambda task: ws.sign_in_anywhere(server, user, password,
                                                         remember=remember),
                        success=self.on_signed_in, failure=self.on_failed)

    def on_signed_in(self, data: dict) -> None:
        self._busy(False)
        self.password.clear()
        self.signed_in.emit(data)
        self.accept()

    def on_failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.password.clear()
        self.password.setFocus()
        if isinstance(exc, OfflineRefused):
            self._say(str(exc))
        elif isinstance(exc, AuthError):
            self._say("Wrong user name or password. Check them and try again.")
        elif isinstance(exc, ServerError):
            self._say(f"The server refused: {exc.detail}")
        elif isinstance(exc, (UntrustedServer, InsecureServer)):
            self._say(str(exc))
        elif isinstance(exc, SyncError):
            self._say(f"{exc}".split(";")[0] + ". Check the address, or try again later.")
        else:
            log.error("sign-in failed", exc_info=exc)
            self._say(f"Sign-in failed: {exc}")


class SchoolPickerDialog(QDialog):
    """Signals:
        chosen(dict): the school the person will work on
    """

    chosen = Signal(dict)

    def __init__(self, schools: list[dict], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Choose a school")
        self.setObjectName("schoolPicker")
        self.schools = schools
        self.list = named(QListWidget(), "schools")
        for s in schools:
            item = QListWidgetItem(f"{s['name']}  ({s['code']}, grades "
                                   f"{'K' if s['grade_low'] == 0 else s['grade_low']}–"
                                   f"{s['grade_high']})")
            item.setData(Qt.ItemDataRole.UserRole, s)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("You work at more than one school. Which one now?"))
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        buttons.accepted.connect(self.on_choose)
        buttons.rejected.connect(self.reject)
        self.list.itemActivated.connect(lambda _item: self.on_choose())
        self.resize(460, 300)

    def on_choose(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        self.accept()
