"""Students enrolled today without a complete schedule: who, which periods
they miss, and the district's escalation rule (more than 10 such students
after 10:00 AM on a school day).

The list comes from
`local_store.scheduling.incomplete.students_without_complete_schedule_on`
(the same rule the server applies) and is made off the GUI thread; a
double-click or Enter opens the student's program for the counselor.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import grade_label
from local_store import queries
from local_store.scheduling.incomplete import IncompleteRow, students_without_complete_schedule_on
from local_store.store import LocalStore
from sync.client import ServerUnreachable
from ui.common import messages
from ui.common.excel_export import export_to_excel
from ui.common.screen import Offers, Screen
from ui.common.tasks import TaskRunner
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

SCHOOL_TIME = ZoneInfo("America/Los_Angeles")
# The district's rule: a school with more than this many students without a
# complete schedule after this time of a school day is reported.
ESCALATE_OVER = 10
ESCALATE_AT = dt.time(10, 0)
HEADERS = ("Name", "ID", "Grade", "Missing periods", "Counselor")

BANNER_STYLE = ("background: #b91c1c; color: white; font-weight: bold; font-size: 11pt; "
                "padding: 10px 14px; border-radius: 4px;")
COUNTS_STYLE = ("background: #eef2f7; border: 1px solid #d1d9e3; border-radius: 4px; "
                "padding: 6px 10px; font-weight: bold; color: #1e3a5f;")


def escalation_due_at(count: int, now: dt.datetime, *,
                      school_year: tuple[str, str] | None = None) -> bool:
    """More than ESCALATE_OVER incomplete after ESCALATE_AT on a school day
    (Monday to Friday, within the school year when it is known)."""
    if count <= ESCALATE_OVER or now.weekday() >= 5 or now.time() < ESCALATE_AT:
        return False
    day = now.date().isoformat()
    return school_year is None or school_year[0] <= day <= school_year[1]


def counts_by_grade(rows: Sequence[IncompleteRow], grades: Sequence[int]
                    ) -> list[tuple[int, int]]:
    """(grade, how many) for each of the school's grades, in order."""
    counts = {g: 0 for g in grades}
    for r in rows:
        counts[r.grade_level] = counts.get(r.grade_level, 0) + 1
    return sorted(counts.items())


def report_to_district(workstation: Any, school_id: str) -> dict[str, Any]:
    """Tell the district server this school is over the limit (blocking:
    run it through a TaskRunner, as `IncompleteSchedulesScreen.report_to_district` does)."""
    client = workstation.client()
    try:
        return client.report_incomplete(school_id)
    finally:
        client.close()


class IncompleteModel(RowsModel):
    """The list's texts, and which student each row is (kept through sorting)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.students: list[str] = []
        self._ids: dict[tuple[str, ...], str] = {}

    def set_students(self, rows: Sequence[IncompleteRow]) -> None:
        self.set_rows(HEADERS, [(f"{r.last_name}, {r.first_name}", r.district_student_id,
                                 r.grade_level, ", ".join(map(str, r.missing)), r.counselor)
                                for r in rows])
        self.students = [r.student_id for r in rows]
        self._ids = dict(zip(self.rows, self.students, strict=True))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        super().sort(column, order)
        self.students = [self._ids[r] for r in self.rows]

    def student_at(self, row: int) -> str | None:
        return self.students[row] if 0 <= row < len(self.students) else None


class IncompleteSchedulesScreen(Screen):
    """Students enrolled today whose program misses a period their grade needs.

    `IncompleteSchedulesScreen(store, open_program, parent=None, *, today=None, now=None)`:
    `open_program(student_id)` opens a student's program (the main window's
    ProgramEditorDialog). `today` (a date) and `now` (a datetime in
    America/Los_Angeles) are for tests; with `now` given the clock is not
    watched. `reload()` makes the list again (connect sync's data_changed).

    Signals:
        escalation_due(int): more than 10 students are incomplete after
            10:00 AM on a school day (how many); emitted once a day. The main
            window then calls `report_to_district(workstation, school_id)`.
    """

    escalation_due = Signal(int)

    title = "Incomplete schedules"
    offers = Offers(student=True, export=True, print=True)
    shows = frozenset({"section_enrollments", "sections", "students",
                       "programs", "grade_requirements"})

    def __init__(self, store: LocalStore, open_program: Callable[[str], Any],
                 parent: QWidget | None = None, *, today: dt.date | None = None,
                 now: dt.datetime | None = None):
        super().__init__(parent)
        self.store = store
        self.open_program = open_program
        self._fixed_now = now
        self._fixed_today = today or (now.date() if now else None)
        self.runner = TaskRunner(self)
        self.output = TaskRunner(self)
        self.reporter = TaskRunner(self)
        self.all_rows: list[IncompleteRow] = []
        self.day = self.today().isoformat()
        self._escalated_on: str | None = None
        self._report_waiting: tuple[Any, str] | None = None
        self.counts = named(QLabel(), "incompleteCounts")
        self.grade = named(QComboBox(), "incompleteGrade")
        self.banner = named(QLabel(), "escalationBanner")
        self.banner_note = named(QLabel(), "escalationNote")
        self.model = IncompleteModel(self)
        self.table = named(QTableView(), "incompleteTable")
        self.status = named(QLabel(), "incompleteStatus")
        self.open_button = named(QPushButton("&Open program"), "openProgram")
        self.export = named(QPushButton("Export to &Excel…"), "exportIncomplete")
        self.print_ = named(QPushButton("&Print…"), "printIncomplete")
        self.clock = QTimer(self)
        self.clock.setInterval(60_000)  # the banner follows the clock past 10:00
        self._preview: Any = None  # the print preview and its printer, while open
        self._build()
        self._connect_signals()
        # Nothing is read until the first reload(): the main window decides
        # when (at once for a counselor; when first shown for a clerk).

    def _build(self) -> None:
        self.counts.setStyleSheet(COUNTS_STYLE)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.setWordWrap(True)
        self.banner_note.setWordWrap(True)
        self.banner.hide()
        self.banner_note.setStyleSheet("color: #7f1d1d;")
        self.banner_note.hide()
        self.grade.addItem("All grades", None)
        for g in queries.grade_levels(self.store):
            self.grade.addItem(f"Grade {grade_label(g)}", g)
        t = self.table
        t.setModel(self.model)
        set_up_list_view(t)
        t.setSortingEnabled(True)
        self.open_button.setToolTip("Open the selected student's program (Enter, double-click)")
        top = QHBoxLayout()
        top.addWidget(self.counts, 1)
        show = QLabel("&Show:")
        show.setBuddy(self.grade)
        top.addWidget(show)
        top.addWidget(self.grade)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for w in (self.open_button, self.export, self.print_):
            bottom.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addWidget(self.banner)
        layout.addWidget(self.banner_note)
        layout.addLayout(top)
        layout.addWidget(t, 1)
        layout.addLayout(bottom)

    def _connect_signals(self) -> None:
        self.grade.currentIndexChanged.connect(self.on_grade_changed)
        self.table.doubleClicked.connect(self.on_row_double_clicked)
        self.table.selectionModel().currentChanged.connect(
            lambda *_: self.student_changed.emit(self.current_student_id()))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.on_open_current)
        self.open_button.clicked.connect(self.on_open_current)
        self.export.clicked.connect(lambda: self.on_export())
        self.print_.clicked.connect(self.on_print)
        self.clock.timeout.connect(self.on_clock_tick)

    # --- the clock

    def now(self) -> dt.datetime:
        return self._fixed_now or clock.now_utc().astimezone(SCHOOL_TIME)

    def today(self) -> dt.date:
        return self._fixed_today or self.now().date()

    def stop(self) -> None:
        """No more clock ticks: the window is closing (or its cache is gone)."""
        self.clock.stop()

    def on_clock_tick(self) -> None:
        if self.today().isoformat() != self.day:
            self.reload()  # a new day: a new list
        else:
            self._update_escalation()

    # --- the list, made off the GUI thread

    def reload(self) -> None:
        """Make the list again (after a sync, or a program change); from the
        first one on, the clock keeps the 10:00 AM alarm up to date."""
        if self._fixed_now is None and not self.clock.isActive():
            self.clock.start()
        store, day = self.store, self.today().isoformat()
        self.day = day
        self.status.setText("Working…")
        self.runner.run(lambda _task: students_without_complete_schedule_on(store, on=day),
                        success=self.on_loaded, failure=self.on_failed)
        if self._report_waiting is not None:
            self.report_to_district(*self._report_waiting)

    def on_loaded(self, rows: list[IncompleteRow]) -> None:
        self.all_rows = rows
        grades = [g for g in (self.grade.itemData(i) for i in range(self.grade.count()))
                  if g is not None]
        parts = [f"Grade {grade_label(g)}: {n}" for g, n in counts_by_grade(rows, grades)]
        self.counts.setText("  ·  ".join(parts + [f"Total {len(rows)}"]))
        self._show_rows()
        self._update_escalation()

    def on_failed(self, exc: BaseException) -> None:
        self.status.setText("")
        messages.problem(self, "The list could not be made", exc)

    def on_grade_changed(self, *_args) -> None:
        self._show_rows()

    def shown_rows(self) -> list[IncompleteRow]:
        grade = self.grade.currentData()
        return [r for r in self.all_rows if grade is None or r.grade_level == grade]

    def _show_rows(self) -> None:
        rows = self.shown_rows()
        self.model.set_students(rows)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        for column in range(len(HEADERS) - 1):
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, self.table.columnWidth(column) + 16)
        if rows:
            self.table.selectRow(0)
            self.status.setText(f"{len(rows)} {'student' if len(rows) == 1 else 'students'} "
                                f"without a complete schedule on {self.day}")
        else:
            self.status.setText(f"Every student has a complete schedule on {self.day}."
                                if not self.all_rows else "None in this grade.")

    # --- escalation

    def _update_escalation(self) -> None:
        count = len(self.all_rows)
        due = escalation_due_at(count, self.now(),
                                school_year=queries.school_day_bounds(self.store))
        self.banner.setVisible(due)
        if not due:
            self.banner_note.hide()
            return
        self.banner.setText(f"{count} students still have no complete schedule after "
                            "10:00 AM — the district is notified")
        if self._escalated_on != self.day:
            self._escalated_on = self.day
            self.escalation_due.emit(count)

    def report_to_district(self, workstation: Any, school_id: str) -> None:
        """Report to the district off the GUI thread; a server that can't be
        reached is tried again at the next reload (after a sync)."""
        self._report_waiting = None
        self.reporter.run(lambda _task: report_to_district(workstation, school_id),
                          success=self.on_reported,
                          failure=lambda exc: self.on_report_failed(exc, workstation, school_id))

    def on_reported(self, answer: dict[str, Any]) -> None:
        when = self.now().strftime("%H:%M")
        self.banner_note.setText(f"Reported to the district at {when}.")
        self.banner_note.show()

    def on_report_failed(self, exc: BaseException, workstation: Any, school_id: str) -> None:
        if isinstance(exc, ServerUnreachable):
            self._report_waiting = (workstation, school_id)
            self.banner_note.setText("The server can't be reached: the district will be "
                                     "notified when the server is back.")
            self.banner_note.show()
            return
        messages.problem(self, "The district could not be notified", exc)

    # --- opening a student

    def current_student_id(self) -> str:
        index = self.table.currentIndex()
        return (self.model.student_at(index.row()) or "") if index.isValid() else ""

    def on_row_double_clicked(self, index: QModelIndex) -> None:
        student = self.model.student_at(index.row())
        if student:
            self.open_program(student)

    def on_open_current(self) -> None:
        student = self.current_student_id()
        if student:
            self.open_program(student)

    # --- output

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        grade = self.grade.currentData()
        which = f", grade {grade_label(grade)}" if grade is not None else ""
        title = f"Students without a complete schedule — {self.day}{which}"
        return title, list(self.model.headers), list(self.model.rows)

    def on_export(self, path: str | None = None) -> None:
        if not self.model.rows:
            return
        title, headers, rows = self.table_for_output()
        export_to_excel(self, self.output, title=title, headers=headers, rows=rows,
                        sheet="Incomplete schedules", file_name="incomplete-schedules",
                        path=path, done=lambda p: self.status.setText(f"Exported to {p}"))

    def on_print(self) -> None:
        if not self.model.rows:
            return
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from reports.table_print import paint_table
        title, headers, rows = self.table_for_output()
        school = self.store.get("school_name") or ""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        preview = QPrintPreviewDialog(printer, self)
        self._preview = (preview, printer)  # the dialog doesn't own its printer
        preview.paintRequested.connect(lambda p: paint_table(p, title=title, headers=headers,
                                                             rows=rows, subtitle=school))
        preview.resize(1100, 720)
        preview.open()
