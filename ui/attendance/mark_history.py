"""A mark's history: every write, who made it, from which workstation, old → new, why.

The audit trail lives on the district server; this window asks for it in the
background and says so calmly when the server can't be reached.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from domain.codes import ATTENDANCE_CODE_BY_CODE
from ui.common.tasks import TaskRunner
from widgets.naming import named

COLUMNS = ("When", "Who", "Workstation", "Change", "Reason")


def _when(iso: str) -> str:
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _code(value) -> str:
    if not value:
        return "none"
    known = ATTENDANCE_CODE_BY_CODE.get(value)
    return f"{value} ({known.label})" if known else str(value)


def describe(entry: dict) -> str:
    old, new = entry.get("old") or {}, entry.get("new") or {}
    if entry["action"] == "create":
        return f"marked {_code(new.get('code'))}"
    if entry["action"] == "delete":
        return "removed"
    parts = []
    if "code" in new or "code" in old:
        parts.append(f"{_code(old.get('code'))} → {_code(new.get('code'))}")
    for name in ("minutes_late", "note"):
        if name in new:
            parts.append(f"{name.replace('_', ' ')}: {old.get(name) or '—'} → "
                         f"{new.get(name) or '—'}")
    return "; ".join(parts) or "rewritten, no change"


class MarkHistoryDialog(QDialog):
    def __init__(self, title: str, fetch: Callable[[], list[dict]], *, pending: int = 0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"History — {title}")
        self.setObjectName("markHistoryDialog")
        self.runner = TaskRunner(self)
        self.note = named(QLabel("Asking the district server…", wordWrap=True), "historyNote")
        self.table = named(QTableWidget(0, len(COLUMNS)), "historyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.pending = named(QLabel(wordWrap=True), "historyPending")
        self.pending.setVisible(bool(pending))
        self.pending.setText(f"{pending} change(s) to this mark made on this workstation have not "
                             f"reached the server yet." if pending else "")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.pending)
        layout.addWidget(buttons)
        self.resize(820, 360)
        self.runner.run(lambda task: fetch(), success=self.on_history, failure=self.on_failed)

    def on_history(self, entries: list[dict]) -> None:
        self.note.setText(f"{len(entries)} write(s) on record, oldest first." if entries
                          else "No write of this mark is on record at the district.")
        self.table.setRowCount(len(entries))
        for i, e in enumerate(entries):
            values = (_when(e["at"]), e.get("username") or "", e.get("workstation") or "",
                      describe(e), e.get("reason") or "")
            for j, value in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(value))

    def on_failed(self, exc: BaseException) -> None:
        self.note.setText("The history is kept by the district server, which can't be reached "
                          f"right now. Try again when it is back. ({exc.__class__.__name__})")
