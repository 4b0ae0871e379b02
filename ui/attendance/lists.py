"""Attendance lists: daily and period absences, a summary per student over a
date range, and truancy (Education Code 48260) with the letters to families.
Each on screen, printed, and exported to Excel; computed off the GUI thread."""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from local_store import attendance_lists as lists
from local_store import queries
from local_store.store import LocalStore
from ui.common import messages
from ui.common.screen import Offers, Screen
from ui.common.tasks import TaskRunner
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

DAILY, PERIOD, SUMMARY, TRUANCY = "daily", "period", "summary", "truancy"
KINDS = ((DAILY, "Daily absence list"), (PERIOD, "Period absence list"),
         (SUMMARY, "Attendance summary per student"), (TRUANCY, "Truancy (Ed. Code 48260)"))


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


class AttendanceListsScreen(Screen):
    """Signals:
        letters_ready(str): a PDF of truancy letters was written (its path)
    """

    letters_ready = Signal(str)

    title = "Attendance lists"
    offers = Offers(export=True, print=True)
    shows = frozenset({"attendance_marks", "attendance_submissions",
                       "students", "section_enrollments"})

    def __init__(self, store: LocalStore, parent: QWidget | None = None, *,
                 today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.runner = TaskRunner(self)
        self.output = TaskRunner(self)
        self.daily_school = store.get("school_level") == "elementary"
        self.today = day = today or clock.today()
        self.kind = named(QComboBox(), "listKind")
        for value, label in KINDS:
            self.kind.addItem(label, value)
        self.date = named(QDateEdit(_qdate(day)), "listDate")
        self.until = named(QDateEdit(_qdate(day)), "listUntil")
        for edit in (self.date, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
        self.period = named(QComboBox(), "listPeriod")
        self.period.addItem("All periods", None)
        for p in queries.bell_schedule(store):
            self.period.addItem(p["label"], p["number"])
        self.show_list = named(QPushButton("&Show"), "showList")
        self.export = named(QPushButton("Export to &Excel…"), "exportList")
        self.print_ = named(QPushButton("&Print…"), "printList")
        self.letters = named(QPushButton("&Letters to families (PDF)…"), "truancyLetters")
        self.status = named(QLabel(), "listStatus")
        self.model = RowsModel(self)
        self.table = named(QTableView(), "listTable")
        self._cases: list = []
        self._build()
        self._connect_signals()
        self.on_kind_changed()

    def _build(self) -> None:
        t = self.table
        t.setModel(self.model)
        set_up_list_view(t)
        t.setSortingEnabled(True)
        self.until_label = QLabel("to")
        top = QHBoxLayout()
        for w in (self.kind, self.date, self.until_label, self.until, self.period, self.show_list):
            top.addWidget(w)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for w in (self.letters, self.export, self.print_):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(t, 1)
        layout.addLayout(bottom)

    def _connect_signals(self) -> None:
        self.kind.currentIndexChanged.connect(self.on_kind_changed)
        self.show_list.clicked.connect(self.load)
        self.export.clicked.connect(lambda: self.on_export())
        self.print_.clicked.connect(self.on_print)
        self.letters.clicked.connect(lambda: self.on_letters())

    # --- choosing

    def on_kind_changed(self, *_args) -> None:
        kind = self.kind.currentData()
        self.until.setVisible(kind == SUMMARY)
        self.until_label.setVisible(kind == SUMMARY)
        self.period.setVisible(kind == PERIOD)
        self.date.setVisible(kind != TRUANCY)
        self.letters.setVisible(kind == TRUANCY)
        if kind == SUMMARY:
            bounds = queries.school_day_bounds(self.store)
            if bounds:
                self.date.setDate(QDate.fromString(bounds[0], "yyyy-MM-dd"))
        self.model.set_rows([], [])
        self.status.setText("Choose, then Show (Enter).")

    def reload(self) -> None:
        """Refresh the list on screen after a sync, if one is shown."""
        if self.model.rowCount():
            self.load()

    # --- computing, off the GUI thread

    def load(self) -> None:
        kind = self.kind.currentData()
        store, daily = self.store, self.daily_school
        day, until = self.date.date().toString("yyyy-MM-dd"), \
            self.until.date().toString("yyyy-MM-dd")
        period = self.period.currentData()
        bounds = queries.school_day_bounds(store) or (day, day)

        def op(_task) -> tuple[list[str], list[tuple], list]:
            if kind == DAILY:
                rows = lists.daily_absences(store, date=day, daily_school=daily)
                return (["Student ID", "Name", "Grade", "Absent", "Mark", "Periods missed"],
                        [(r["student_id"], r["name"], r["grade"], r["kind"], r["mark"],
                          r["periods"]) for r in rows], [])
            if kind == PERIOD:
                rows = lists.period_absences(store, date=day, period=period)
                return (["Period", "Student ID", "Name", "Grade", "Course", "Teacher", "Mark",
                         "Late (min)", "Note"],
                        [(r["period"], r["student_id"], r["name"], r["grade"], r["course"],
                          r["teacher"], r["mark"], r["minutes_late"], r["note"]) for r in rows],
                        [])
            if kind == SUMMARY:
                rows = lists.summary(store, start=day, end=until, daily_school=daily)
                return (["Student ID", "Name", "Grade", "Days absent", "Excused", "Unexcused",
                         "Periods absent", "Tardies"],
                        [(r["student_id"], r["name"], r["grade"], r["days_absent"],
                          r["days_excused"], r["days_unexcused"], r["periods_absent"],
                          r["tardies"]) for r in rows], [])
            cases = lists.truancy(store, year_start=bounds[0], year_end=bounds[1],
                                  daily_school=daily)
            return (["Student ID", "Name", "Grade", "Truant since", "Occasions this year",
                     "First three occasions", "Family language"],
                    [(info["student_id"], info["name"], info["grade"], case.third_date,
                      case.total_occasions,
                      "; ".join(f"{o.date}: {o.describe('en')}" for o in case.occasions),
                      "Spanish" if info["language"] == "es" else "English")
                     for case, info in cases], cases)

        self.status.setText("Working…")
        self.show_list.setEnabled(False)
        self.runner.run(op, success=self.on_loaded, failure=self.on_failed)

    def on_loaded(self, result: tuple[list[str], list[tuple], list]) -> None:
        headers, rows, cases = result
        self.show_list.setEnabled(True)
        self._cases = cases
        self.model.set_rows(headers, rows)
        # The list comes in its meaningful order; no column is sorted until clicked.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        for column in range(len(headers) - 1):
            self.table.resizeColumnToContents(column)
        self.status.setText(f"{len(rows):,} {'student' if len(rows) == 1 else 'students'}"
                            + ("" if rows else " — nothing to list"))

    def on_failed(self, exc: BaseException) -> None:
        self.show_list.setEnabled(True)
        self.status.setText("")
        messages.problem(self, "The list could not be made", exc)

    # --- output

    def title_for_output(self) -> str:
        kind = self.kind.currentText()
        if self.kind.currentData() == SUMMARY:
            return f"{kind}, {self.date.date().toString('yyyy-MM-dd')} to " \
                   f"{self.until.date().toString('yyyy-MM-dd')}"
        if self.kind.currentData() == TRUANCY:
            return kind
        return f"{kind}, {self.date.date().toString('yyyy-MM-dd')}"

    def on_export(self, path: str | None = None) -> None:
        if not self.model.rows:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export to Excel",
                                                  str(Path.home() / "attendance.xlsx"),
                                                  "Excel workbook (*.xlsx)")
            if not path:
                return
        from reports.excel import write_table
        title, headers, rows = self.title_for_output(), self.model.headers, self.model.rows
        self.output.run(lambda _task: write_table(path, title=title, headers=headers, rows=rows,
                                                  sheet="Attendance"),
                        success=lambda p: self.status.setText(f"Exported to {p}"),
                        failure=lambda exc: messages.problem(self, "Export failed", exc))

    def on_print(self) -> None:
        if not self.model.rows:
            return
        from reports.table_print import paint_table
        from ui.common.print_preview import PrintPreview
        title, headers, rows = self.title_for_output(), self.model.headers, self.model.rows
        school = self.store.get("school_name") or ""
        preview = PrintPreview(self)
        preview.paintRequested.connect(lambda p: paint_table(p, title=title, headers=headers,
                                                             rows=rows, subtitle=school))
        preview.resize(1100, 720)
        preview.open()

    def letter_data(self) -> list[Any]:
        from reports.truancy_letter import LetterData
        school = self.store.get("school_name") or ""
        out = []
        for case, info in self._cases:
            out.append(LetterData(
                school_name=school, letter_date=self.today, language=info["language"],
                student_name=info["name"], student_id=info["student_id"], grade=info["grade"],
                guardian_name=info["guardian"],
                occasions=[(o.date, o.describe(info["language"])) for o in case.occasions]))
        return out

    def on_letters(self, path: str | None = None) -> None:
        if not self._cases:
            messages.info(self, "Truancy letters", "Show the truancy list first.")
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the letters", str(Path.home() / "truancy-letters.pdf"),
                "PDF (*.pdf)")
            if not path:
                return
        from reports.truancy_letter import write_letters_pdf
        letters = self.letter_data()
        self.status.setText(f"Writing {len(letters)} letters…")
        self.output.run(lambda _task: write_letters_pdf(path, letters),
                        success=lambda pages: self._letters_written(path, pages),
                        failure=lambda exc: messages.problem(self, "The letters failed", exc))

    def _letters_written(self, path: str, pages: int) -> None:
        self.status.setText(f"{pages} letters written to {path}")
        self.letters_ready.emit(path)
