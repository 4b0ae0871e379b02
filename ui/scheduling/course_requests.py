"""Next year's course requests: the tallies that size the master schedule, each
student's requests, and the loader that places them into sections.

The tallies and the lists come from the cache, off the GUI thread; the
loader runs on the district server (a dry run first, then Apply), and what
it writes reaches this workstation with the next sync.
"""
from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from domain.scheduling import Course
from local_store.scheduling.course_requests import (
    RequestDemand,
    RequestedCourse,
    Requester,
    request_demand,
    request_ids,
    request_students,
    school_years_ahead,
    student_requests,
)
from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.common.excel_export import export_to_excel
from ui.common.screen import Offers, Screen
from ui.common.tasks import Task, TaskRunner
from ui.scheduling.course_requests_model import (
    ReadingModel,
    TallyModel,
    TallyTable,
    choice_text,
    find_course,
    fit_columns,
    flat,
    make_tallies,
    next_rank,
    output_rows,
    refusal,
    request_rows,
)
from ui.scheduling.request_loader import RequestLoaderPanel
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

DEFAULT_TARGET = 33
TALLIES, STUDENTS, LOADER = 0, 1, 2
WHO_ENTERS = "Only counselors and administrators enter course requests"


class CourseRequestsScreen(Screen):
    """Next school year's course requests: tallies, each student's requests, the loader.

    CourseRequestsScreen(store, workstation, parent=None, *, can_apply=True,
                         queue_edit=None)
    `can_apply` is False for people the server won't let run the loader or
    enter requests (only counselors and administrators may). `queue_edit`
    (the main window's) queues `request.add` / `request.remove`; without
    it the Students tab only shows the requests.

    Signals:
        sync_requested(): the loader wrote placements on the server; sync now
    """

    sync_requested = Signal()

    title = "Course requests"
    offers = Offers(export=True, print=True)
    shows = frozenset({"course_requests", "students", "sections", "courses"})

    def __init__(self, store: LocalStore, workstation: Workstation,
                 parent: QWidget | None = None, *, can_apply: bool = True,
                 queue_edit: QueueEdit | None = None, today: str | None = None):
        super().__init__(parent)
        self.store, self.workstation = store, workstation
        self.can_apply = can_apply
        self.queue_edit = queue_edit
        self.can_enter = can_apply and queue_edit is not None
        self.today = today
        self.runner = TaskRunner(self)  # reading the cache
        self.output = TaskRunner(self)  # Excel
        self.demand: RequestDemand | None = None
        self.tally: TallyTable | None = None
        self.requesters: list[Requester] = []
        self._tally_asked = 0

        self.year = named(QComboBox(), "requestYear")
        self.year_label = named(QLabel(), "requestYearLabel")
        self.tabs = named(QTabWidget(), "requestTabs")
        # Tallies
        self.target = named(QSpinBox(), "targetSize")
        self.target.setRange(5, 60)
        self.target.setValue(DEFAULT_TARGET)
        self.target.setSuffix(" students")
        self.tally_summary = named(QLabel(), "tallySummary")
        self.tally_model = TallyModel(self)
        self.tally_table = named(QTableView(), "tallyTable")
        # Students
        self.search = named(QLineEdit(), "requestSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText("Search by name or student id")
        self.students_model = RowsModel(self)
        self.students_table = named(QTableView(), "requestStudents")
        self.student_heading = named(QLabel(), "requestStudent")
        self.requests_model = ReadingModel(self)
        self.requests_table = named(QTableView(), "studentRequests")
        self.entry = named(QLineEdit(), "requestEntry")
        self.choices = QStringListModel(self)
        self.completer = QCompleter(self.choices, self)
        self.entry_note = named(QLabel(), "requestEntryNote")
        self.entry_keys = named(QLabel("Enter adds the course · Del removes the chosen request · "
                                       "Ctrl+↑ / Ctrl+↓ change its rank"), "requestEntryKeys")
        self._shown_students: list[Requester] = []
        self._student_id = ""
        self._courses: list[Course] = []
        self._offered: list[Course] = []  # what the completer offers the student shown
        self._requested: list[RequestedCourse] = []  # as the requests table lists them
        self._request_ids: dict[tuple[int, str], str] = {}
        # Loader
        self.loader = named(RequestLoaderPanel(store, workstation, self._school_year,
                                               self._district_id, can_apply=can_apply),
                            "requestLoader")
        self.run_loader = self.loader.run_button  # in the top bar, beside the year
        # Output
        self.status = named(QLabel(), "requestStatus")
        self.export = named(QPushButton("Export to &Excel…"), "exportRequests")
        self.print_ = named(QPushButton("&Print…"), "printRequests")
        self._build()
        self._connect_signals()
        self._fill_years()
        self.reload()

    # --- layout

    def _build(self) -> None:
        for view, model in ((self.tally_table, self.tally_model),
                            (self.students_table, self.students_model),
                            (self.requests_table, self.requests_model)):
            view.setModel(model)
            set_up_list_view(view)
            # A student's requests stay in rank order, the students by name.
            view.setSortingEnabled(view is self.tally_table)
            # Rows come in their meaningful order; no column is sorted until clicked.
            view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        top = QHBoxLayout()
        top.addWidget(QLabel("Requests for the school year"))
        top.addWidget(self.year)
        top.addWidget(self.year_label)
        top.addStretch(1)
        top.addWidget(self.run_loader)

        tallies = QWidget()
        tl = QVBoxLayout(tallies)
        row = QHBoxLayout()
        row.addWidget(QLabel("Target class size"))
        row.addWidget(self.target)
        row.addSpacing(16)
        row.addWidget(self.tally_summary, 1)
        tl.addLayout(row)
        tl.addWidget(self.tally_table, 1)
        self.tabs.addTab(tallies, "&Tallies")

        students = QWidget()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.students_table, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.student_heading)
        rl.addWidget(self.entry)
        rl.addWidget(self.entry_note)
        rl.addWidget(self.requests_table, 1)
        rl.addWidget(self.entry_keys)
        self._build_entry()
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 800])
        QVBoxLayout(students).addWidget(split)
        self.tabs.addTab(students, "&Students")

        self.tabs.addTab(self.loader, "&Loader")

        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.export)
        bottom.addWidget(self.print_)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        # The students, then the course to add, then the requests (Del, Ctrl+arrows).
        QWidget.setTabOrder(self.students_table, self.entry)
        QWidget.setTabOrder(self.entry, self.requests_table)

    def _build_entry(self) -> None:
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer.setMaxVisibleItems(12)
        self.entry.setCompleter(self.completer)
        self.entry.setClearButtonEnabled(True)
        self.entry_note.setWordWrap(True)
        self.entry_note.setTextFormat(Qt.TextFormat.PlainText)
        self.entry_keys.setStyleSheet("color: #6b7280")
        self.entry_keys.setVisible(self.can_enter)
        if not self.can_enter:
            self.entry.setToolTip(WHO_ENTERS if not self.can_apply else
                                  "Requests can't be entered in this window")
        self._set_entry(None)

    def _set_entry(self, rank: int | None) -> None:
        """The entry line for the student shown: its placeholder says the rank it adds."""
        chosen = self._student_id != "" and self.school_year_id is not None
        self.entry.setEnabled(self.can_enter and chosen)
        self.entry.setPlaceholderText(
            WHO_ENTERS if not self.can_apply else
            "Choose a student to enter their requests" if not chosen else
            f"Add a course as rank {rank}: type its code or title, then Enter" if rank else
            "This student has as many requests as there can be")

    def _connect_signals(self) -> None:
        self.year.currentIndexChanged.connect(self.on_year_changed)
        self.target.valueChanged.connect(self.on_target_changed)
        self.search.textChanged.connect(self.on_search_changed)
        self.search.returnPressed.connect(self.on_search_entered)
        self.students_table.selectionModel().currentRowChanged.connect(self.on_student_chosen)
        self.entry.returnPressed.connect(self.on_course_entered)
        for keys, slot in ((QKeySequence.StandardKey.Delete, self.on_remove_request),
                           ("Ctrl+Up", lambda: self.on_move_request(-1)),
                           ("Ctrl+Down", lambda: self.on_move_request(1))):
            shortcut = QShortcut(QKeySequence(keys), self.requests_table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.loader.started.connect(lambda: self.tabs.setCurrentIndex(LOADER))
        self.loader.finished.connect(self.on_loader_finished)
        self.loader.sync_requested.connect(self.sync_requested)
        self.export.clicked.connect(lambda: self.on_export())
        self.print_.clicked.connect(self.on_print)

    def _fill_years(self) -> None:
        years = school_years_ahead(self.store, on=self.today)
        self.year.blockSignals(True)
        self.year.clear()
        for y in years:
            self.year.addItem(y.name, y.id)
        self.year.blockSignals(False)
        self.year.setVisible(len(years) > 1)
        self.year_label.setVisible(len(years) <= 1)
        self.year_label.setText(f"<b>{years[0].name}</b>" if years else
                                "— none yet: the school calendar has no next year")
        self.loader.set_busy(False)

    @property
    def school_year_id(self) -> str | None:
        return self.year.currentData()

    @property
    def school_year_name(self) -> str:
        return self.year.currentText()

    def _school_year(self) -> tuple[str | None, str]:
        return self.school_year_id, self.school_year_name

    @property
    def result(self) -> dict[str, Any] | None:
        """The loader's last answer, for this year."""
        return self.loader.result

    # --- reading the cache, off the GUI thread

    def reload(self) -> None:
        """Read the requests, the tallies and the students again (after a sync)."""
        year = self.school_year_id
        if year is None:
            self.tally_summary.setText("No next school year in this school's calendar yet.")
            return
        store, today = self.store, self.today

        def op(_task: Task) -> tuple[RequestDemand, list[Requester]]:
            return (request_demand(store, year, on=today),
                    request_students(store, year, on=today))
        self.status.setText("Reading the requests…")
        self.runner.run(op, success=self.on_loaded,
                        failure=lambda exc: messages.problem(self, "The requests could not be "
                                                             "read", exc))

    def on_loaded(self, result: tuple[RequestDemand, list[Requester]]
                  ) -> None:
        demand, requesters = result
        if demand.school_year.id != self.school_year_id:
            return  # the year changed meanwhile; its own read follows
        self.demand, self.requesters = demand, requesters
        self._courses = [Course(*c) for c in demand.courses]
        self.status.setText("")
        self._show_students()
        self._show_requests()
        self._tally()

    def _tally(self) -> None:
        demand, target = self.demand, self.target.value()
        if demand is None:
            return
        self._tally_asked += 1
        asked = self._tally_asked
        # A bound method, not a lambda: Qt drops the call if the screen is gone by then.
        self.runner.run(lambda _task: (make_tallies(demand, target), asked),
                        success=self.on_tallied,
                        failure=lambda exc: messages.problem(self, "The tallies failed", exc))

    def on_year_changed(self, *_args) -> None:
        self.loader.forget_result()
        self.reload()

    def on_target_changed(self, *_args) -> None:
        self._tally()

    # --- tallies

    def on_tallied(self, result: tuple[TallyTable, int]) -> None:
        table, asked = result
        if asked != self._tally_asked:
            return  # a newer target size is on its way
        self.tally = table
        headers, rows = table.headers(), table.rows()
        self.tally_model.shortfall_column = len(headers) - 1
        self.tally_model.set_rows(headers, rows)
        sort = self.tally_table.horizontalHeader()
        if sort.sortIndicatorSection() >= 0:
            self.tally_model.sort(sort.sortIndicatorSection(), sort.sortIndicatorOrder())
        fit_columns(self.tally_table)
        short = table.short
        self.tally_summary.setText(
            f"{table.requests:,} requests from {table.students:,} students · "
            f"{len([t for t in table.tallies if t.students]):,} courses asked for · "
            + (f"<span style='color:#92400e'><b>{len(short)} courses need "
               f"{sum(t.sections_needed - table.sections.get(t.course_id, 0) for t in short)} "
               f"more sections</b></span>" if short else "every course has enough sections"))

    def tally_of(self, course_code: str) -> dict[str, str]:
        """The row shown for a course, by column name (what a person reads)."""
        m = self.tally_model
        row = next(r for r in m.rows if r[0] == course_code)
        return dict(zip((h.replace("\n", " ") for h in m.headers), row))

    # --- students

    def on_search_changed(self, *_args) -> None:
        self._show_students()

    def _show_students(self) -> None:
        words = self.search.text().lower().split()
        shown = [r for r in self.requesters
                 if all(w in f"{r.last_name} {r.first_name} {r.district_student_id}".lower()
                        for w in words)]
        self._shown_students = shown
        keep = self._student_id
        self.students_model.set_rows(
            ["Student ID", "Name", "Grade", "Requests", "Placed"],
            [(r.district_student_id, f"{r.last_name}, {r.first_name}", r.grade_level,
              r.requests, r.placed) for r in shown])
        fit_columns(self.students_table)
        ids = [r.student_id for r in shown]
        if keep in ids:
            self.students_table.selectRow(ids.index(keep))
        elif len(shown) == 1:
            self.students_table.selectRow(0)

    def on_student_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        self.show_student(self._shown_students[current.row()].student_id)

    def show_student(self, student_id: str) -> None:
        """List a student's requests in rank order, with where each was placed."""
        other = student_id != self._student_id
        if other:
            self.entry_note.clear()
        self._student_id = student_id
        self._show_requests(select=0 if other else None)

    def _chosen(self) -> Requester | None:
        return next((r for r in self.requesters if r.student_id == self._student_id), None)

    def _show_requests(self, select: int | None = None) -> None:
        """Read the student's requests from the cache (one student: at once);
        the row chosen stays chosen unless `select` names another."""
        year, sid, who = self.school_year_id, self._student_id, self._chosen()
        if year is None or who is None:
            self.student_heading.setText("Choose a student to see their requests.")
            self.requests_model.set_rows([], [])
            self._requested, self._request_ids = [], {}
            self._set_entry(None)
            return
        keep = self.requests_table.currentIndex().row() if select is None else select
        rows = student_requests(self.store, sid, year)
        self._requested = rows
        self._request_ids = request_ids(self.store, sid, year)
        out = request_rows(rows, sid, self.result)
        self.student_heading.setText(
            f"<b>{who.last_name}, {who.first_name}</b> · {who.district_student_id} · "
            f"grade {who.grade_level} in {self.school_year_name} · {len(rows)} requests, "
            f"{len({r.course_id for r in rows if r.section_id})} placed")
        self.requests_model.set_rows(["Rank", "Code", "Course", "Section",
                                      "Placed, or why not"], out)
        fit_columns(self.requests_table)
        if rows and keep >= 0:
            self.requests_table.selectRow(min(keep, len(rows) - 1))
        rank = next_rank(r.rank for r in rows)
        self._set_entry(rank)
        # The completer offers what can be added: the grade admits it, not asked for yet.
        asked = {r.course_id for r in rows}
        self._offered = [c for c in self._courses
                         if c.admits(who.grade_level) and c.id not in asked]
        offer = [choice_text(c) for c in self._offered]
        if offer != self.choices.stringList():
            self.choices.setStringList(offer)

    def requests_shown(self) -> list[tuple[str, ...]]:
        return list(self.requests_model.rows)

    # --- entering requests: queued edits, shown by the cache at once

    def on_search_entered(self) -> None:
        if self.entry.isEnabled():
            self.entry.setFocus()

    def on_course_entered(self) -> None:
        """Add the course typed as the student's next rank, unless the server would refuse it."""
        who, year = self._chosen(), self.school_year_id
        if not self.can_enter or who is None or year is None or self.queue_edit is None:
            return
        popup = self.completer.popup()
        chose = popup is not None and popup.isVisible()  # Enter on the completer's list
        if popup is not None:
            popup.hide()
        text = self.entry.text().strip()
        # What can be added first ("span": the Spanish not asked for yet), then any course,
        # so that one the grade doesn't admit is refused with the reason.
        found = find_course(text, self._courses, among=self._offered) \
            or find_course(text, self._courses)
        if isinstance(found, list):
            names = ", ".join(choice_text(c) for c in found[:4]) + (" …" if len(found) > 4 else "")
            self._note(f"“{text}” could be {names}. Type more of it." if found else
                       f"No course matches “{text}”." if text else "", refused=True)
            return
        reason = refusal(found, who.grade_level, self._requested)
        rank = next_rank(r.rank for r in self._requested)
        if reason or rank is None:
            self._note(reason or "", refused=True)
            return
        if self._queue_add(found.id, rank) is None:
            return  # the main window said why
        self.entry.clear()
        if chose:  # the completer writes its choice back after this signal: clear after it
            QTimer.singleShot(0, self.entry.clear)
        self._note(f"Added {choice_text(found)} as rank {rank}.")
        self._edited(select=len(self._requested))

    def on_remove_request(self) -> None:
        row = self.requests_table.currentIndex().row()
        if not self.can_enter or self.queue_edit is None or not 0 <= row < len(self._requested):
            return
        r = self._requested[row]
        if self._queue_remove(r) is None:
            return
        self._note(f"Removed {r.course_code} — {r.course_title}."
                   + (" The section stays in the schedule." if r.section_id else ""))
        self._edited(select=row)

    def on_move_request(self, step: int) -> None:
        """Swap ranks with the request above (-1) or below (+1): each is removed
        and entered again with the other's rank (the server has no re-rank)."""
        row = self.requests_table.currentIndex().row()
        if not self.can_enter or self.queue_edit is None or not 0 <= row < len(self._requested) \
                or not 0 <= row + step < len(self._requested):
            return
        a, b = self._requested[row], self._requested[row + step]
        if a.rank == b.rank:
            return
        for r, rank in ((a, b.rank), (b, a.rank)):
            # Stop at the first edit not saved (it has said why): never a
            # request removed and not entered again, or two at one rank.
            if self._queue_remove(r) is None or self._queue_add(r.course_id, rank) is None:
                self._edited(select=row)
                return
        self._note(f"{a.course_code} is now rank {b.rank}.")
        self._edited(select=row + step)

    def _queue_add(self, course_id: str, rank: int) -> Any:
        assert self.queue_edit is not None
        return self.queue_edit("request.add", {
            "request_id": f"req-{uuid4()}", "student_id": self._student_id,
            "school_year_id": self.school_year_id, "course_id": course_id, "rank": rank})

    def _queue_remove(self, r: RequestedCourse) -> Any:
        assert self.queue_edit is not None
        request_id = self._request_ids.get((r.rank, r.course_id))
        if request_id is None:  # a sync changed the list meanwhile: show it as it is now
            self._show_requests()
            return None
        return self.queue_edit("request.remove", {"request_id": request_id,
                                                  "student_id": self._student_id})

    def _edited(self, *, select: int) -> None:
        self._show_requests(select=select)
        self.reload()  # the counts and the tallies, from the cache, off the GUI thread

    def _note(self, text: str, *, refused: bool = False) -> None:
        self.entry_note.setStyleSheet(f"color: {'#b00020' if refused else '#166534'}")
        self.entry_note.setText(text)

    # --- the loader, on the server (its own tab: ui/scheduling/request_loader.py)

    def on_loader_finished(self) -> None:
        """The students' requests say where the loader placed them, or why not."""
        self.status.setText("")
        self._show_requests()

    def _district_id(self, student_id: str) -> str:
        who = next((r for r in self.requesters if r.student_id == student_id), None)
        return who.district_student_id if who else ""

    def loader_busy(self) -> bool:
        return self.loader.busy()

    # --- output

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        """The table of the tab on screen: its title, headers and rows as shown."""
        title, model = self._output_source()
        return title, flat(model.headers), list(model.rows)

    def _output_source(self) -> tuple[str, RowsModel]:
        year = self.school_year_name
        tab = self.tabs.currentIndex()
        if tab == STUDENTS:
            who = next((r for r in self.requesters if r.student_id == self._student_id), None)
            name = f"{who.last_name}, {who.first_name} ({who.district_student_id})" if who else ""
            return f"Course requests {year}: {name}", self.requests_model
        if tab == LOADER:
            return f"Requests not placed by the loader, {year}", self.loader.unfilled_model
        target = self.tally.target if self.tally else self.target.value()
        return (f"Course request tallies {year}: sections needed at {target} students a class, "
                "and scheduled", self.tally_model)

    def on_export(self, path: str | None = None) -> None:
        title, model = self._output_source()
        if not model.rows:
            messages.info(self, "Export to Excel", "There is nothing to export on this tab yet.")
            return
        export_to_excel(self, self.output, title=title, headers=flat(model.headers),
                        rows=output_rows(model), sheet="Course requests",
                        file_name="course-requests", path=path,
                        done=lambda p: self.status.setText(f"Exported to {p}"))

    def on_print(self) -> None:
        title, headers, rows = self.table_for_output()
        if not rows:
            messages.info(self, "Print", "There is nothing to print on this tab yet.")
            return
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from reports.table_print import paint_table
        school = self.store.get("school_name") or ""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        preview = QPrintPreviewDialog(printer, self)
        self._printer = printer  # the dialog doesn't own it; Python must keep it alive
        preview.paintRequested.connect(lambda p: paint_table(p, title=title, headers=headers,
                                                             rows=rows, subtitle=school))
        preview.resize(1100, 720)
        preview.open()
