"""Admin → Users: the accounts an administrator looks after.

A school administrator sees the users of their own schools, a district
administrator everyone; locked accounts (too many wrong passwords) stand out
and can be unlocked; an account can be deactivated (its sessions end at
once) or reactivated, its password reset, its sessions ended. Everything is
done by the district server, which records it in the access log.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from sync.workstation import Workstation
from ui.common import messages
from ui.common.tasks import TaskRunner
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

HEADERS = ["User", "Name", "Role", "Schools", "Account", "Failed sign-ins", "Locked until"]
WIDTHS = [140, 160, 100, 220, 90, 125]
MIN_PASSWORD = 10


def _until(unix: int | None) -> str:
    if not unix:
        return ""
    return dt.datetime.fromtimestamp(unix).strftime("%m/%d/%Y %I:%M %p").replace(" 0", " ")


class UsersDialog(QDialog):
    def __init__(self, workstation: Workstation, parent: QWidget | None = None):
        super().__init__(parent)
        self.workstation = workstation
        self.runner = TaskRunner(self)
        self.users: list[dict[str, Any]] = []
        me = workstation.accounts.get(workstation.settings.username)
        # Schools by name: the administrator's own sign-in listed them all.
        self.school_names = {x["id"]: x["name"] for x in (me.schools if me else [])}
        self.setWindowTitle("Users")
        self.setObjectName("usersDialog")
        self.search = named(QLineEdit(clearButtonEnabled=True,
                                      placeholderText="Find a user by user name or name"),
                            "findUser")
        self.model = RowsModel(self)
        self.table = named(QTableView(), "usersTable")
        self.table.setModel(self.model)
        set_up_list_view(self.table)
        self.model.set_rows(HEADERS, [])
        for i, width in enumerate(WIDTHS):
            self.table.setColumnWidth(i, width)
        self.note = named(QLabel("Asking the district server…", wordWrap=True), "usersNote")
        self.unlock = named(QPushButton("&Unlock"), "unlockButton")
        self.active = named(QPushButton("&Deactivate"), "activeButton")
        self.reset = named(QPushButton("&Reset password…"), "resetButton")
        self.revoke = named(QPushButton("&End sessions"), "revokeButton")
        buttons = QHBoxLayout()
        buttons.addWidget(self.note, 1)
        for b in (self.unlock, self.active, self.reset, self.revoke):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(980, 560)
        self.search.textChanged.connect(lambda _t: self._show())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.unlock.clicked.connect(lambda: self._act("unlock"))
        self.active.clicked.connect(self.on_active)
        self.reset.clicked.connect(self.on_reset)
        self.revoke.clicked.connect(lambda: self._act("revoke"))
        self.load()

    def load(self) -> None:
        ws = self.workstation

        def fetch(_task) -> list[dict]:
            client = ws.client()
            try:
                return client.users()
            finally:
                client.close()
        self.runner.run(fetch, success=self.on_users, failure=self.on_failed)

    def on_users(self, users: list[dict]) -> None:
        # Locked accounts first: they are what someone is calling about.
        self.users = sorted(users, key=lambda u: (u["locked_until"] is None, u["username"]))
        locked = sum(1 for u in users if u["locked_until"])
        self.note.setText(f"{len(users)} users" + (f"; {locked} locked after too many wrong "
                                                    f"passwords" if locked else ""))
        self._show()

    def _show(self) -> None:
        text = self.search.text().strip().lower()
        self.shown = [u for u in self.users
                      if text in u["username"].lower() or text in u["display_name"].lower()]
        self.model.set_rows(HEADERS, [
            (u["username"], u["display_name"], u["role"].replace("_", " "),
             ", ".join(self.school_names.get(x, x) for x in u["school_ids"])
             or "the whole district",
             "active" if u["active"] else "deactivated", u["failed_sign_ins"] or "",
             _until(u["locked_until"])) for u in self.shown])
        self._enable()

    def current(self) -> dict[str, Any] | None:
        row = self.table.currentIndex().row()
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _enable(self) -> None:
        u = self.current()
        me = u is not None and u["username"] == self.workstation.settings.username
        for b in (self.unlock, self.active, self.reset, self.revoke):
            b.setEnabled(u is not None and not self.runner.busy())
        self.unlock.setEnabled(u is not None and bool(u["locked_until"] or u["failed_sign_ins"]))
        self.active.setText("&Reactivate" if u is not None and not u["active"] else "&Deactivate")
        self.active.setEnabled(u is not None and not me)

    def on_active(self) -> None:
        u = self.current()
        if u is None:
            return
        if u["active"]:
            if not messages.confirm(self, "Deactivate", f"Deactivate {u['display_name']} "
                                    f"({u['username']})? They can't sign in any more and their "
                                    f"sessions end now.", default=True):
                return
            self._act("deactivate")
        else:
            self._act("reactivate")

    def on_reset(self) -> None:
        u = self.current()
        if u is None:
            return
        password, ok = QInputDialog.getText(
            self, "Reset password", f"A new password for {u['display_name']} "
            f"(at least {MIN_PASSWORD} characters). Their sessions end.",
            QLineEdit.EchoMode.Password)
        if not ok:
            return
        if len(password) < MIN_PASSWORD:
            messages.show(self, "warning", "Reset password",
                          f"The password needs at least {MIN_PASSWORD} characters.")
            return
        self._act("password", {"new_password": password})

    def _act(self, action: str, body: dict | None = None) -> None:
        u = self.current()
        if u is None:
            return
        ws, name = self.workstation, u["username"]

        def call(_task) -> dict:
            client = ws.client()
            try:
                return client.user_action(name, action, body)
            finally:
                client.close()
        self.note.setText("Asking the district server…")
        self.runner.run(call, success=lambda _r: self.load(), failure=self.on_failed)

    def on_failed(self, exc: BaseException) -> None:
        self.note.setText(f"{exc}")
        self._enable()
