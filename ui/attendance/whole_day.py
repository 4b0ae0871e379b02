"""Changing a student's day from a period on: "left after 3rd period"."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from local_store import queries
from local_store.store import LocalStore
from ui.attendance.sheet import REASONS
from widgets.naming import named


class WholeDayDialog(QDialog):
    """Signals:
        submitted(list): attendance.mark payloads, one per class from the period on
    """

    submitted = Signal(list)

    def __init__(self, store: LocalStore, student_id: str, date: str, period: int,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Change the rest of the day")
        self.setObjectName("wholeDayDialog")
        self.student_id, self.date = student_id, date
        student = store.record("students", student_id) or {}
        self.classes = [c for c in queries.current_schedule(store, student_id,
                                                            on=_as_date(date))]
        self.start = named(QComboBox(), "fromPeriod")
        for c in self.classes:
            self.start.addItem(f"Period {c['period']} — {c['course_title']}", c["period"])
        self.start.setCurrentIndex(max(0, self.start.findData(period)))
        self.code = named(QComboBox(), "dayCode")
        for c in queries.attendance_codes(store):
            if c["category"] != "present":
                self.code.addItem(f"{c['code']} — {c['label']}", c["code"])
        self.code.setCurrentIndex(max(0, self.code.findData("E")))
        self.reason = named(QComboBox(editable=True), "dayReason")
        self.reason.addItems(REASONS)
        name = f"{student.get('legal_first_name', '')} {student.get('legal_last_name', '')}"
        form = QFormLayout()
        form.addRow("From", self.start)
        form.addRow("Mark", self.code)
        form.addRow("Reason", self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply = buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply.setObjectName("applyWholeDay")
        buttons.accepted.connect(self.on_apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{name}</b> on {date}: mark every class from this period "
                                f"to the end of the day.", wordWrap=True))
        layout.addLayout(form)
        if not self.classes:
            layout.addWidget(named(QLabel("This student has no classes that day."), "problems"))
            self.apply.setEnabled(False)
        layout.addWidget(buttons)

    def payloads(self) -> list[dict]:
        first = self.start.currentData()
        return [{"student_id": self.student_id, "section_id": c["section_id"], "date": self.date,
                 "period": c["period"], "code": self.code.currentData(),
                 "reason": self.reason.currentText().strip() or None}
                for c in self.classes if c["period"] >= first]

    def on_apply(self) -> None:
        self.submitted.emit(self.payloads())
        self.accept()


def _as_date(text: str):
    import datetime as dt
    return dt.date.fromisoformat(text)
