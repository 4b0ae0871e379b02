"""A student's record: who they are, who to call, where they are now, how they attend.

Read-only: every change goes through its own dialog (withdraw, and later
schedule edits), so what is shown here is always what the cache holds.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import (
    ENGLISH_LEARNER_STATUSES,
    ENTRY_CODES,
    GENDERS,
    LANGUAGES,
    WITHDRAWAL_CODES,
    grade_label,
)
from local_store import queries
from local_store.store import LocalStore
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

CONTACT_TYPES = {"home_phone": "Home phone", "cell_phone": "Cell phone",
                 "work_phone": "Work phone", "email": "Email"}
SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


def read_only_table(headers: list[str], rows: list[list[Any]], name: str, *,
                    stretch: int = -1) -> QTableWidget:
    """A small table a person reads and copies from, never edits; column
    `stretch` takes the room left over."""
    table = named(QTableWidget(len(rows), len(headers)), name)
    table.setHorizontalHeaderLabels(headers)
    set_up_list_view(table)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            if len(item.text()) > 24:
                item.setToolTip(item.text())
            if isinstance(value, int):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    header.setStretchLastSection(False)  # the `stretch` column takes the room instead
    for c in range(len(headers)):
        table.setColumnWidth(c, table.columnWidth(c) + 12)
    header.setSectionResizeMode(stretch % len(headers), QHeaderView.ResizeMode.Stretch)
    return table


def _coded(code: str | None, table: dict[str, str]) -> str:
    if not code:
        return ""
    return f"{code} — {table[code]}" if code in table else code


def _age(birth_date: str, today: dt.date) -> str:
    try:
        born = dt.date.fromisoformat(birth_date)
    except (TypeError, ValueError):
        return ""
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"  (age {years})"


def enrollment_status(enrollments: list[dict[str, Any]], today: dt.date) -> tuple[str, bool]:
    """What the header says of the student's enrollment, and whether they can be withdrawn."""
    if not enrollments:
        return "Not enrolled", False
    latest = enrollments[0]  # newest entry first
    exit_date = latest.get("exit_date")
    if not exit_date:
        return "Enrolled", True
    if exit_date > today.isoformat():
        return f"Enrolled, leaving after {exit_date}", False
    return f"Withdrawn ({exit_date})", False


class StudentRecordDialog(QDialog):
    """One student's record, in a window of its own (several can be open).

    Signals:
        withdraw_requested(str): the person wants to withdraw this student (their id)
        program_requested(str): the person wants this student's program (schedule editor)
    """

    withdraw_requested = Signal(str)
    program_requested = Signal(str)

    def __init__(self, store: LocalStore, student_id: str, parent: QWidget | None = None,
                 *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.student_id = student_id
        self._today = today
        self.setObjectName("studentRecord")
        self.setModal(False)
        self.name = named(QLabel(textInteractionFlags=SELECTABLE), "studentName")
        self.summary = named(QLabel(textInteractionFlags=SELECTABLE), "studentSummary")
        self.summary.setWordWrap(True)
        self.tabs = named(QTabWidget(), "recordTabs")
        self.missing = named(QLabel(wordWrap=True), "missing")
        self.withdraw = named(QPushButton("&Withdraw…"), "withdrawButton")
        self.program = named(QPushButton("&Program…"), "programButton")
        self.program.setToolTip("Open this student's schedule to add, drop or swap classes")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._build()
        self._connect_signals()
        self.resize(820, 560)
        self.reload()

    def _build(self) -> None:
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name.setFont(font)
        self.missing.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons.addButton(self.program, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.withdraw, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.missing, 1)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.withdraw.clicked.connect(self.on_withdraw_clicked)
        self.program.clicked.connect(lambda: self.program_requested.emit(self.student_id))
        self.buttons.rejected.connect(self.reject)

    def on_withdraw_clicked(self) -> None:
        self.withdraw_requested.emit(self.student_id)

    # --- content

    def reload(self) -> None:
        """Read the student again from the cache (after a sync or an edit)."""
        today = self._today or clock.today()
        record = queries.student_record(self.store, self.student_id, today=today)
        current = self.tabs.currentIndex()
        while self.tabs.count():
            page = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if page is not None:
                page.deleteLater()
        found = record is not None
        self.tabs.setVisible(found)
        self.missing.setVisible(not found)
        if record is None:
            self._show_missing()
            return
        self._show_header(record, today)
        self.tabs.addTab(self._demographics(record, today), "&Demographics")
        self.tabs.addTab(self._guardians(record["guardians"]), "&Guardians")
        self.tabs.addTab(self._schedule(record["schedule"], today), "&Schedule")
        self.tabs.addTab(self._attendance(record["attendance"]), "&Attendance")
        self.tabs.addTab(self._enrollments(record["enrollments"]), "&Enrollment history")
        self.tabs.setCurrentIndex(max(0, current))

    def _show_missing(self) -> None:
        self.setWindowTitle("Student record")
        self.name.setText("Student not found")
        self.summary.setText("")
        self.missing.setText(
            "This student is no longer in this school's records on this workstation. "
            "The district server may have removed or moved the record; search the roster "
            "again to find the student.")
        self.withdraw.setEnabled(False)
        self.resize(560, 240)

    def _show_header(self, record: dict[str, Any], today: dt.date) -> None:
        s = record["student"]
        full = f"{s['legal_first_name']} {s['legal_last_name']}"
        self.setWindowTitle(f"{full} — student record")
        self.name.setText(full)
        status, can_withdraw = enrollment_status(record["enrollments"], today)
        if record["pending"]:
            status += " · waiting for the server to confirm"
        district_id = s["district_student_id"] or "(not yet confirmed)"
        parts = [f"Student ID {district_id}", f"Grade {grade_label(s['grade_level'])}", status]
        if s.get("preferred_name"):
            parts.insert(0, f"Goes by “{s['preferred_name']}”")
        self.summary.setText("  ·  ".join(parts))
        self.withdraw.setEnabled(can_withdraw)
        self.withdraw.setToolTip("" if can_withdraw else "Only a student who is currently "
                                 "enrolled can be withdrawn")

    def _demographics(self, record: dict[str, Any], today: dt.date) -> QWidget:
        s = record["student"]
        page = named(QWidget(), "demographics")
        form = QFormLayout(page)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        el = s["english_learner_status"]
        for label, value in (
                ("Legal name", f"{s['legal_first_name']} {s['legal_last_name']}"),
                ("Preferred name", s.get("preferred_name") or "—"),
                ("Birth date", f"{s['birth_date']}{_age(s['birth_date'], today)}"),
                ("Gender", GENDERS.get(s["gender"], s["gender"])),
                ("Home language", LANGUAGES.get(s["home_language"], s["home_language"])),
                ("English learner status", f"{ENGLISH_LEARNER_STATUSES.get(el, el)} ({el})"),
                ("Counselor", record["counselor"] or "None assigned")):
            form.addRow(f"{label}:", QLabel(value, textInteractionFlags=SELECTABLE))
        return page

    def _guardians(self, guardians: list[dict[str, Any]]) -> QWidget:
        inner = QWidget()
        column = QVBoxLayout(inner)
        if not guardians:
            column.addWidget(QLabel("No guardian is on record."))
        for g in guardians:
            title = f"{g['first_name']} {g['last_name']} — {g['relationship']}"
            box = QGroupBox(title + ("  (primary contact)" if g["is_primary"] else ""))
            box.setObjectName("guardian")
            form = QFormLayout(box)
            form.addRow("Language:", QLabel(LANGUAGES.get(g["language"], g["language"])))
            form.addRow("Lives with the student:",
                        QLabel("Yes" if g["lives_with_student"] else "No"))
            for contact in g["contacts"]:
                kind = CONTACT_TYPES.get(contact["contact_type"], contact["contact_type"])
                form.addRow(f"{kind}:", QLabel(contact["value"], textInteractionFlags=SELECTABLE))
            if not g["contacts"]:
                form.addRow("Contact:", QLabel("No phone or email on record"))
            column.addWidget(box)
        column.addStretch(1)
        scroll = named(QScrollArea(), "guardians")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(inner)
        return scroll

    def _schedule(self, classes: list[dict[str, Any]], today: dt.date) -> QWidget:
        page = named(QWidget(), "schedule")
        layout = QVBoxLayout(page)
        if not classes:
            layout.addWidget(QLabel(f"No classes on {today.isoformat()}."))
            layout.addStretch(1)
            return page
        layout.addWidget(QLabel(f"Classes on {today.isoformat()}, by period:"))
        rows = [[c["period"], f"{c['course_code']} {c['course_title']}", c["section_number"],
                 c["room"], c["teacher"] or "—", c["term"] or ""] for c in classes]
        layout.addWidget(read_only_table(["Period", "Course", "Section", "Room", "Teacher",
                                          "Term"], rows, "scheduleTable"))
        return page

    def _attendance(self, summary: dict[str, Any]) -> QWidget:
        page = named(QWidget(), "attendance")
        days = summary["days_with_absence"]
        heading = named(QLabel(f"Days with an absence this year: <b>{days}</b>"), "daysAbsent")
        counts = read_only_table(["Mark", "Count"],
                                 [[label, n] for label, n in summary["by_label"].items()],
                                 "attendanceCounts", stretch=0)
        counts.setMaximumWidth(250)
        recent = read_only_table(
            ["Date", "Period", "Mark", "Late (min)", "Note"],
            [[m["date"], m["period"] or "Day", m["label"], m["minutes_late"] or "",
              m["note"] or ""] for m in summary["recent"]], "recentMarks")
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("Marks this year:"))
        left.addWidget(counts)
        right = QVBoxLayout()
        right.addWidget(QLabel(f"The {len(summary['recent'])} most recent marks:"))
        right.addWidget(recent)
        columns.addLayout(left)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(page)
        layout.addWidget(heading)
        layout.addLayout(columns, 1)
        return page

    def _enrollments(self, enrollments: list[dict[str, Any]]) -> QWidget:
        page = named(QWidget(), "enrollments")
        layout = QVBoxLayout(page)
        rows = [[grade_label(e["grade_level"]), e["entry_date"],
                 _coded(e["entry_code"], ENTRY_CODES), e["exit_date"] or "—",
                 _coded(e["withdrawal_code"], WITHDRAWAL_CODES) or "—"] for e in enrollments]
        layout.addWidget(read_only_table(["Grade", "Entered", "Entry code", "Left (last day)",
                                          "Withdrawal code"], rows, "enrollmentTable"))
        return page
