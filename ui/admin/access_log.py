"""Admin → Access log: who read or administered this school's records.

The log is kept by the district server (append-only); this window reads it
page by page in the background, newest first: a school administrator sees
their school's, a district administrator may switch to the whole district's
(sign-ins and their failures included). Filters by user and by what was
done; File → Export takes the rows shown to Excel.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.common.excel_export import export_to_excel
from ui.common.tasks import TaskRunner
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

HEADERS = ["When", "Who", "Role", "What", "School", "Records", "Detail", "Workstation",
           "Address"]
WIDTHS = [175, 130, 100, 240, 170, 70, 260, 130]
# What a filter offers, in the log's own words (see district_server/services/access_log.py).
WHAT = (("Anything", ""), ("Signed in", "sign_in"), ("Sign-in failed", "sign_in_failed"),
        ("Sign-in refused (too many failures)", "sign_in_throttled"),
        ("Loaded the whole school", "snapshot"), ("Received changes", "pull"),
        ("Opened a student's record", "record_opened"), ("Read a record's history", "history"),
        ("Checked for a duplicate student", "duplicate_lookup"),
        ("Asked for a transfer", "transfer_requested"), ("Created a user", "user_created"),
        ("Ended a user's sessions", "sessions_revoked"),
        ("Deactivated a user", "user_deactivated"), ("Reset a password", "password_reset"),
        ("Read the access log", "access_log_read"))


def _when(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%m/%d/%Y %I:%M:%S %p").replace(" 0", " ")


class AccessLogDialog(QDialog):
    def __init__(self, workstation: Workstation, *, school_name: str,
                 store: LocalStore | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.workstation = workstation
        self.store = store  # to name the students a detail mentions
        self.school_id = workstation.settings.school_id
        self.school_name = school_name
        self.runner = TaskRunner(self)
        self.entries: list[dict[str, Any]] = []
        self.next_before: int | None = None
        self.setWindowTitle(f"Access log — {school_name}")
        self.setObjectName("accessLogDialog")
        self.user = named(QLineEdit(placeholderText="any user", clearButtonEnabled=True),
                          "userFilter")
        self.what = named(QComboBox(), "whatFilter")
        for label, value in WHAT:
            self.what.addItem(label, value)
        self.district = named(QCheckBox("Whole &district"), "wholeDistrict")
        self.district.setVisible(workstation.settings.role == "district_admin")
        self.refresh = named(QPushButton("&Show", default=True), "showButton")
        self.older = named(QPushButton("&Older entries"), "olderButton")
        self.older.setEnabled(False)
        self.export = named(QPushButton("&Export to Excel…"), "exportButton")
        self.output = TaskRunner(self)
        self.note = named(QLabel("Asking the district server…", wordWrap=True), "accessNote")
        self.model = RowsModel(self)
        self.table = named(QTableView(), "accessTable")
        self.table.setModel(self.model)
        set_up_list_view(self.table)
        self.model.set_rows(HEADERS, [])
        for i, width in enumerate(WIDTHS):
            self.table.setColumnWidth(i, width)
        filters = QHBoxLayout()
        for text, field in (("&User:", self.user), ("W&hat:", self.what)):
            caption = QLabel(text)
            caption.setBuddy(field)
            filters.addWidget(caption)
            filters.addWidget(field, 1)
        filters.addWidget(self.district)
        filters.addWidget(self.refresh)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.older)
        bottom.addWidget(self.export)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(1180, 620)
        self.refresh.clicked.connect(lambda: self.load(first=True))
        self.older.clicked.connect(lambda: self.load(first=False))
        self.user.returnPressed.connect(lambda: self.load(first=True))
        self.export.clicked.connect(lambda: self.on_export())
        self.load(first=True)

    def load(self, *, first: bool) -> None:
        if self.runner.busy():
            return
        if first:
            self.entries, self.next_before = [], None
        ws = self.workstation
        school = None if self.district.isChecked() else self.school_id
        user, action, before = self.user.text().strip() or None, self.what.currentData() or None, \
            None if first else self.next_before

        def fetch(_task) -> dict:
            client = ws.client()
            try:
                return client.access_log(school, before_id=before, username=user, action=action)
            finally:
                client.close()
        self.note.setText("Asking the district server…")
        self.refresh.setEnabled(False)
        self.older.setEnabled(False)
        self.runner.run(fetch, success=self.on_page, failure=self.on_failed)

    def on_page(self, page: dict) -> None:
        self.refresh.setEnabled(True)
        self.entries += page["entries"]
        self.next_before = page.get("next_before_id")
        self.model.set_rows(HEADERS, [self._row(e) for e in self.entries])
        where = "the district" if self.district.isChecked() else self.school_name
        self.note.setText(f"{len(self.entries):,} entr{'ies' if len(self.entries) != 1 else 'y'} "
                          f"for {where}, newest first." if self.entries
                          else "Nothing on record for these filters.")
        self.older.setEnabled(self.next_before is not None)

    def _row(self, e: dict[str, Any]) -> tuple[Any, ...]:
        school = (self.school_name if e["school_id"] == self.school_id
                  else e["school_id"] or "")
        return (_when(e["at"]), e["username"] or "", e["role"] or "", e["what"], school,
                "" if e["records"] is None else e["records"], self._detail(e["detail"]),
                e["workstation"] or "", e["ip"] or "")

    def _detail(self, detail: str | None) -> str:
        """A student the detail names, by name and district id where this
        workstation knows them (staff read names, not record ids)."""
        if not detail or self.store is None or not detail.startswith("students "):
            return detail or ""
        _kind, record_id, *rest = detail.split(" ", 2)
        student = self.store.record("students", record_id)
        who = ("a student no longer at this school" if student is None else
               f"{student['legal_first_name']} {student['legal_last_name']} "
               f"({student['district_student_id']})")
        opened = rest[0].removeprefix("· workstation time ") if rest else ""
        return f"{who}, opened {_when(opened)} by the workstation's clock" if opened else who

    def on_failed(self, exc: BaseException) -> None:
        self.refresh.setEnabled(True)
        self.older.setEnabled(self.next_before is not None)
        self.note.setText(f"The access log is kept by the district server: {exc}")

    def on_export(self, path: str | None = None) -> bool:
        return export_to_excel(self, self.output, title=f"Access log — {self.school_name}",
                               headers=HEADERS, rows=list(self.model.rows), sheet="Access log",
                               file_name="access-log", path=path,
                               done=lambda p: self.note.setText(f"Exported to {p}"))
