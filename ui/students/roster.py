"""Roster: the whole school, searched as you type, filtered, sorted, exported, printed."""
from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain.codes import ENGLISH_LEARNER_STATUSES, grade_label
from local_store import queries
from local_store.changes import Changes
from local_store.store import LocalStore
from ui.common.screen import Offers, Screen
from ui.common.tasks import TaskRunner
from ui.session.school_session import PendingEdit
from ui.students.roster_model import COLUMNS, RosterFilter, RosterModel
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)


class RosterScreen(Screen):
    """Signals:
        student_opened(str): the person opened a student's record (Enter, double-click)
        student_changed(str): the current student's id, or "" for none (Screen)
    """

    student_opened = Signal(str)

    title = "Roster"
    offers = Offers(student=True, export=True, print=True, find=True)
    shows = frozenset({"students", "school_enrollments"})
    no_student_here = "Highlight a student in the roster first"

    def __init__(self, store: LocalStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.model = RosterModel(self)
        self.search = named(QLineEdit(clearButtonEnabled=True), "rosterSearch")
        self.search.setPlaceholderText("Search by name or student id  (Ctrl+F)")
        self.grade = named(QComboBox(), "gradeFilter")
        self.english = named(QComboBox(), "elFilter")
        self.english.addItem("All language statuses", None)
        for code, label in ENGLISH_LEARNER_STATUSES.items():
            self.english.addItem(f"{code} — {label}", code)
        self.status = named(QComboBox(), "statusFilter")
        for label, value in (("Enrolled", "Enrolled"), ("Withdrawn", "Withdrawn"),
                             ("Waiting for the server", "Pending"), ("Everyone", None)):
            self.status.addItem(label, value)
        self.count = named(QLabel(), "rosterCount")
        self.table = named(QTableView(), "rosterTable")
        self.reader = TaskRunner(self)  # whole-roster reads after a new school's data
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        t = self.table
        t.setModel(self.model)
        set_up_list_view(t)
        t.setSortingEnabled(True)
        t.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        for i, column in enumerate(COLUMNS):
            t.setColumnWidth(i, column.width)

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.grade, 1)
        filters.addWidget(self.english, 1)
        filters.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count)
        self.setTabOrder(self.search, self.grade)
        self.setTabOrder(self.grade, self.english)
        self.setTabOrder(self.english, self.status)
        self.setTabOrder(self.status, self.table)

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self.on_filters_changed)
        self.grade.currentIndexChanged.connect(self.on_filters_changed)
        self.english.currentIndexChanged.connect(self.on_filters_changed)
        self.status.currentIndexChanged.connect(self.on_filters_changed)
        self.table.activated.connect(self.on_row_activated)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_changed)
        self.model.modelReset.connect(self._show_count)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_find)
        self.search.returnPressed.connect(self._open_single_match)

    # --- loading

    def reload(self) -> None:
        """Read the roster from the cache again, keeping filters and selection."""
        self._show_rows(queries.roster(self.store))

    def refresh(self, changes: Changes) -> None:
        """Only the students a write changed are read again (a few rows, well
        under a millisecond); a whole new school is read off the GUI thread."""
        if changes.everything:
            self._reload_in_background()
            return
        ids = set(changes.ids("students") or ())
        enrollments = changes.ids("school_enrollments")
        if enrollments:
            ids |= queries.students_of_enrollments(self.store, set(enrollments))
        if changes.outbox:
            ids |= self.model.pending_ids()  # an answer may confirm them
        if not ids:
            return
        current = self.current_student_id()
        self.model.replace_rows(ids, queries.roster(self.store, ids=ids))
        self._show_count()
        if current:
            self.select_student(current)

    def show_pending(self, edit: PendingEdit) -> None:
        """An edit of a student shows on its row at once, before it is written."""
        student_id = edit.payload.get("student_id")
        if edit.op.startswith("enrollment.") and student_id:
            if self.model.mark_pending(student_id):
                self._show_count()
                self.select_student(student_id)

    def _reload_in_background(self) -> None:
        store, sort = self.store, self.model.sort_order
        self.reader.run(lambda _task: RosterModel.prepare(queries.roster(store), sort),
                        success=lambda pairs: self._show_rows(pairs, sort))

    def _show_rows(self, rows: list, sort: tuple | None = None) -> None:
        """Show a whole roster: rows read (reload), or read and prepared on
        the reader lane (`sort` given), keeping filters and selection."""
        current = self.current_student_id()
        rows_only = [pair[0] for pair in rows] if sort is not None else rows
        grades = sorted({r.grade_level for r in rows_only})
        if [self.grade.itemData(i) for i in range(1, self.grade.count())] != grades:
            self.grade.blockSignals(True)
            chosen = self.grade.currentData()
            self.grade.clear()
            self.grade.addItem("All grades", None)
            for g in grades:
                self.grade.addItem(f"Grade {grade_label(g)}", g)
            self.grade.setCurrentIndex(max(0, self.grade.findData(chosen)))
            self.grade.blockSignals(False)
        if sort is not None:
            self.model.set_prepared(rows, sort)
        else:
            self.model.set_rows(rows)
        self._apply_filter()
        if current:
            self.select_student(current)

    # --- filters

    def on_filters_changed(self, *_args) -> None:
        self._apply_filter()

    def _apply_filter(self) -> None:
        self.model.set_filter(RosterFilter(
            text=self.search.text(), grade=self.grade.currentData(),
            english_learner_status=self.english.currentData(),
            status=self.status.currentData()))
        self._show_count()

    def _show_count(self) -> None:
        shown, total = self.model.rowCount(), self.model.total()
        self.count.setText(f"{shown:,} of {total:,} students")

    def focus_find(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- selection

    def current_student_id(self) -> str:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()).student_id if index.isValid() else ""

    def select_student(self, student_id: str) -> bool:
        row = self.model.row_of(student_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def on_row_activated(self, index) -> None:
        self.student_opened.emit(self.model.row_at(index.row()).student_id)

    def on_current_changed(self, current, _previous) -> None:
        self.student_changed.emit(self.model.row_at(current.row()).student_id
                                    if current.isValid() else "")

    def _open_single_match(self) -> None:
        if self.model.rowCount() >= 1:
            self.table.setFocus()
            self.table.selectRow(0)
            if self.model.rowCount() == 1:
                self.student_opened.emit(self.model.row_at(0).student_id)

    # --- what export and print take

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        title = f"Roster — {self.count.text()}"
        return title, [c.title for c in COLUMNS], self.model.visible_texts()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            return
        super().keyPressEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        QTimer.singleShot(0, self, self.focus_find)  # not after the window is gone
