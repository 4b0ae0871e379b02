"""The master schedule: every section of a term with its seats, filtered and
sorted in Python, edited through the section editor, printed as class lists.

Filtering and sorting work on the list of rows inside the model (no
QSortFilterProxyModel: ../shared/MEASURED.md), so a keystroke over ~1,900
sections costs a millisecond; the rows are read off the GUI thread.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.catalog import terms as load_terms
from local_store.scheduling.master_schedule import MasterRow, class_list, master_schedule
from local_store.store import LocalStore
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.common.excel_export import export_to_excel
from ui.common.screen import Offers, Screen
from ui.common.tasks import TaskRunner
from ui.scheduling.master_schedule_model import COLUMNS, TITLE, SectionFilter, SectionsModel
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)


EDITORS = "Only counselors and school administrators can add or change sections."
ALL_TERMS = "*"


class MasterScheduleScreen(Screen):
    """The sections of a term, with enrollment against capacity.

    `queue_edit(op, payload) -> mutation id | None` saves an edit on this
    workstation (the main window's method); `today` decides the default term
    and the day enrollment is counted on; `can_edit` False (clerks) leaves the
    table to read and print only; `school_name` heads the printouts.

    Signals:
        section_saved(str): a new or changed section was queued (its id)
        loaded(): the table shows what the cache holds (after `reload`)
    """

    section_saved = Signal(str)
    loaded = Signal()

    title = "Master schedule"
    offers = Offers(export=True, print=True)
    shows = frozenset({"sections", "section_enrollments", "courses", "staff", "terms"})

    def __init__(self, store: LocalStore, queue_edit: QueueEdit, parent: QWidget | None = None,
                 *, today: dt.date | None = None, can_edit: bool = True,
                 school_name: str = ""):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.today = (today or clock.today()).isoformat()
        self.can_edit = can_edit
        self.school_name = school_name or store.get("school_name") or ""
        self.runner = TaskRunner(self)
        self.output = TaskRunner(self)
        self._generation = 0
        self._select_after_load: str | None = None
        self._starts: dict[str, str] = {}  # section id -> first day it meets
        self.model = SectionsModel(self)
        self.term = named(QComboBox(), "scheduleTerm")
        self.search = named(QLineEdit(), "scheduleSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText("Search course code or title")
        self.department = named(QComboBox(), "scheduleDepartment")
        self.period = named(QComboBox(), "schedulePeriod")
        self.teacher = named(QComboBox(), "scheduleTeacher")
        self.counts = named(QLabel(), "scheduleCounts")
        self.table = named(QTableView(), "scheduleTable")
        self.new_button = named(QPushButton("&New section…"), "newSection")
        self.edit_button = named(QPushButton("&Edit section…"), "editSection")
        self.class_list_button = named(QToolButton(), "classList")
        self.class_list_button.setText("&Class list…")
        self.export_button = named(QPushButton("Export to E&xcel…"), "exportSchedule")
        self.print_button = named(QPushButton("&Print…"), "printSchedule")
        self.status = named(QLabel(), "scheduleStatus")
        self._build()
        self._connect_signals()
        self._fill_terms()

    def _build(self) -> None:
        t = self.table
        t.setModel(self.model)
        set_up_list_view(t)
        t.setSortingEnabled(True)
        t.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        for i, column in enumerate(COLUMNS):
            t.setColumnWidth(i, column.width)
        header = t.horizontalHeader()
        header.setStretchLastSection(False)  # the title takes the spare width, not the seats
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        for combo in (self.department, self.period, self.teacher):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(10)
        menu = QMenu(self.class_list_button)
        self.teacher_lists = menu.addAction("Class lists of all this teacher's sections…")
        self.class_list_button.setMenu(menu)
        self.class_list_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.class_list_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_button.setToolTip("New section (Ctrl+Shift+N)" if self.can_edit else EDITORS)
        self.edit_button.setToolTip("Edit the chosen section (Enter, double-click)"
                                    if self.can_edit else EDITORS)
        self.new_button.setEnabled(self.can_edit)

        filters = QHBoxLayout()
        term_label = QLabel("&Term:")
        term_label.setBuddy(self.term)
        filters.addWidget(term_label)
        filters.addWidget(self.term)
        filters.addWidget(self.search, 2)
        for combo in (self.department, self.period, self.teacher):
            filters.addWidget(combo, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for w in (self.new_button, self.edit_button, self.class_list_button,
                  self.export_button, self.print_button):
            buttons.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(filters)
        layout.addWidget(self.counts)
        layout.addWidget(t, 1)
        layout.addLayout(buttons)
        self._on_selection(None)

    def _connect_signals(self) -> None:
        self.term.currentIndexChanged.connect(self.on_term_changed)
        self.search.textChanged.connect(self.on_filters_changed)
        for combo in (self.department, self.period, self.teacher):
            combo.currentIndexChanged.connect(self.on_filters_changed)
        self.table.activated.connect(self.on_row_activated)
        self.table.selectionModel().currentRowChanged.connect(self.on_current_changed)
        self.model.modelReset.connect(self._show_counts)
        self.new_button.clicked.connect(self.on_new_section)
        self.edit_button.clicked.connect(self.on_edit_section)
        self.class_list_button.clicked.connect(self.on_class_list)
        self.teacher_lists.triggered.connect(self.on_teacher_class_lists)
        self.export_button.clicked.connect(lambda: self.on_export())
        self.print_button.clicked.connect(self.on_print)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, self.on_new_section)

    # --- terms and loading

    def _fill_terms(self) -> None:
        terms = load_terms(self.store)
        chosen = self.term.currentData()
        if chosen is None:
            current = next((t for t in terms if t.start_date <= self.today <= t.end_date), None)
            upcoming = [t for t in terms if t.start_date > self.today]
            pick = current or (upcoming[0] if upcoming else terms[-1] if terms else None)
            chosen = pick.id if pick else ALL_TERMS
        self.term.blockSignals(True)
        self.term.clear()
        for t in terms:
            now = t.start_date <= self.today <= t.end_date
            self.term.addItem(f"{t.name} (now)" if now else t.name, t.id)
        self.term.addItem("All terms", ALL_TERMS)
        self.term.setCurrentIndex(max(0, self.term.findData(chosen)))
        self.term.blockSignals(False)

    def reload(self) -> None:
        """Read the sections from the cache again, keeping the term, filters and selection."""
        self._fill_terms()
        self._load()

    def on_term_changed(self, *_args: Any) -> None:
        self._load()

    def _load(self) -> None:
        self._generation += 1
        generation, store, day = self._generation, self.store, self.today
        term = self.term.currentData()
        term_id = None if term in (None, ALL_TERMS) else term
        if self._select_after_load is None:
            self._select_after_load = self.current_section_id() or None

        def op(_task) -> tuple[list[MasterRow], dict[str, str]]:
            rows = master_schedule(store, on=day, term_id=term_id)
            cat = load_catalog(store)
            return rows, {r.section_id: cat.span(cat.sections[r.section_id])[0] for r in rows}

        self.status.setText("Reading the master schedule…")
        self.runner.run(op, success=lambda result: self.on_loaded(generation, result),
                        failure=self.on_load_failed)

    def on_loaded(self, generation: int, result: tuple[list[MasterRow], dict[str, str]]) -> None:
        if generation != self._generation:
            return  # a newer load is on its way
        rows, starts = result
        self._starts = starts
        self._fill_filters(rows)
        self.model.set_rows(rows)
        self._apply_filter()
        wanted, self._select_after_load = self._select_after_load, None
        if not (wanted and self.select_section(wanted)):
            self._on_selection(None)
        self.status.setText("")
        self.loaded.emit()

    def on_load_failed(self, exc: BaseException) -> None:
        self.status.setText("")
        messages.problem(self, "The master schedule could not be read", exc)

    def _fill_filters(self, rows: list[MasterRow]) -> None:
        _refill(self.department, "All departments",
                [(d, d) for d in sorted({r.department for r in rows})])
        _refill(self.period, "All periods",
                [(f"Period {p}", p) for p in sorted({r.period for r in rows})])
        names = {r.teacher_id: r.teacher for r in rows}
        _refill(self.teacher, "All teachers",
                [(names[t] or t, t) for t in sorted(names, key=lambda t: _by_last(names[t]))])

    # --- filters and counts

    def on_filters_changed(self, *_args: Any) -> None:
        current = self.current_section_id()
        self._apply_filter()
        if not (current and self.select_section(current)):
            self._on_selection(None)

    def _apply_filter(self) -> None:
        self.model.set_filter(SectionFilter(
            text=self.search.text(), department=self.department.currentData(),
            period=self.period.currentData(), teacher_id=self.teacher.currentData()))
        self._show_counts()

    def _show_counts(self) -> None:
        rows = self.model.visible_rows()
        shown, total = len(rows), self.model.total()
        full = sum(1 for r in rows if r.enrolled >= r.capacity)
        over = sum(1 for r in rows if r.enrolled > r.capacity)
        sections = f"{shown:,} of {total:,} sections" if shown != total else \
            f"{total:,} {'section' if total == 1 else 'sections'}"
        self.counts.setText(
            f"{sections} · {sum(r.capacity for r in rows):,} seats · "
            f"{sum(r.enrolled for r in rows):,} enrolled · {full:,} full"
            + (f" ({over:,} over capacity)" if over else ""))

    # --- selection

    def current_section(self) -> MasterRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def current_section_id(self) -> str:
        row = self.current_section()
        return row.section_id if row else ""

    def select_section(self, section_id: str) -> bool:
        row = self.model.row_of(section_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        self._on_selection(self.model.row_at(row))
        return True

    def on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._on_selection(self.model.row_at(current.row()) if current.isValid() else None)

    def _on_selection(self, row: MasterRow | None) -> None:
        self.edit_button.setEnabled(self.can_edit and row is not None)
        self.class_list_button.setEnabled(row is not None)
        self.teacher_lists.setText(f"Class lists of all {row.teacher}'s sections…"
                                   if row and row.teacher else
                                   "Class lists of all this teacher's sections…")

    def on_row_activated(self, index: QModelIndex) -> None:
        if self.can_edit:
            self.open_editor(self.model.row_at(index.row()).section_id)

    # --- editing

    def on_new_section(self) -> None:
        if self.can_edit:
            self.open_editor(None)

    def on_edit_section(self) -> None:
        if self.can_edit and self.current_section_id():
            self.open_editor(self.current_section_id())

    def open_editor(self, section_id: str | None) -> QWidget:
        """Open the section editor (non-modal); returns it, for the caller and tests."""
        from ui.scheduling.section_editor import SectionEditorDialog
        term = self.term.currentData()
        dialog = SectionEditorDialog(self.store, section_id, self,
                                     term_id=None if term == ALL_TERMS else term,
                                     today=dt.date.fromisoformat(self.today))
        dialog.submitted.connect(self.on_section_submitted)
        dialog.open()
        return dialog

    def on_section_submitted(self, payload: dict) -> None:
        if self.queue_edit("section.save", payload) is None:
            return  # the main window said why
        section_id = payload["section_id"]
        if self.term.currentData() not in (ALL_TERMS, payload["term_id"]):
            self.term.blockSignals(True)
            self.term.setCurrentIndex(max(0, self.term.findData(payload["term_id"])))
            self.term.blockSignals(False)
        self._select_after_load = section_id
        self._load()
        self.section_saved.emit(section_id)

    # --- output

    def table_for_output(self) -> tuple[str, list[str], list[tuple[Any, ...]]]:
        """The visible rows as shown, for Export to Excel and Print."""
        term = self.term.currentText().removesuffix(" (now)")
        title = f"Master schedule — {term} — {self.counts.text()}"
        return title, [c.title for c in COLUMNS], self.model.visible_values()

    def on_export(self, path: str | None = None) -> None:
        title, headers, rows = self.table_for_output()
        if not rows:
            messages.info(self, "Export to Excel", "No sections are shown: nothing to export.")
            return
        if export_to_excel(self, self.output, title=title, headers=headers, rows=rows,
                           sheet="Master schedule", file_name="master-schedule", path=path,
                           done=lambda p: self.status.setText(f"Exported to {p}")):
            self.status.setText(f"Exporting {len(rows):,} sections…")

    def on_output_failed(self, exc: BaseException) -> None:
        self.status.setText("")
        messages.problem(self, "Export failed", exc)

    def on_print(self) -> None:
        title, headers, rows = self.table_for_output()
        if not rows:
            messages.info(self, "Print", "No sections are shown: nothing to print.")
            return
        from reports.table_print import paint_table
        school = self.school_name
        self._preview("Print preview — master schedule",
                      lambda p: paint_table(p, title=title, headers=headers, rows=rows,
                                            subtitle=school))

    def on_class_list(self) -> None:
        row = self.current_section()
        if row is not None:
            self._preview(f"Class list — {row.course_title} {row.section_number}",
                          self._class_lists_painter([row]))

    def on_teacher_class_lists(self) -> None:
        row = self.current_section()
        if row is None:
            return
        rows = sorted((r for r in self.model.all_rows() if r.teacher_id == row.teacher_id),
                      key=lambda r: (r.term_id, r.period, r.section_number))
        self._preview(f"Class lists — {row.teacher}", self._class_lists_painter(rows))

    def class_lists(self, rows: list[MasterRow]) -> list[Any]:
        """Each section's class list on the day its enrollment is counted."""
        from reports.class_list import ClassList
        out = []
        for r in rows:
            day = max(self.today, self._starts.get(r.section_id, self.today))
            out.append(ClassList(
                section_title=f"{r.course_title} ({r.course_code}) — section {r.section_number}",
                teacher=r.teacher, room=r.room, period=r.period, term=r.term,
                students=class_list(self.store, r.section_id, on=day)))
        return out

    def _class_lists_painter(self, rows: list[MasterRow]) -> Callable[[Any], int]:
        from reports.class_list import paint_class_lists
        classes, school, day = self.class_lists(rows), self.school_name, self.today
        return lambda device: paint_class_lists(device, school=school, classes=classes,
                                                as_of=day)

    def _preview(self, title: str, paint: Callable[[Any], int]) -> QWidget:
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        preview = QPrintPreviewDialog(printer, self)
        preview.printer_ref = printer  # type: ignore[attr-defined]  # the dialog doesn't own it
        preview.setWindowTitle(title)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.paintRequested.connect(paint)
        preview.resize(1100, 760)
        preview.open()
        return preview


def _refill(combo: QComboBox, everything: str, items: list[tuple[str, Any]]) -> None:
    """Replace a filter's choices, keeping the chosen one when it is still there."""
    if [(combo.itemText(i), combo.itemData(i)) for i in range(1, combo.count())] == items:
        return
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(everything, None)
    for text, data in items:
        combo.addItem(text, data)
    combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen is not None else 0)
    combo.blockSignals(False)


def _by_last(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return last.lower(), first.lower()
