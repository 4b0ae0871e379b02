"""A counselor's editor of one student's program: the day by period, and
add, drop or swap with the checks shown before anything is saved.

The checks are `domain.scheduling`'s, read from the cache, so the counselor
sees what the server will say; the change being made and its checks are the
change panel's (ui/scheduling/program_change.py). A saved change is queued
(`queue_edit`) and shows in the cache at once; the server's answer arrives
with the next sync.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import grade_label
from domain.scheduling import Catalog, Finding, Term
from local_store import queries
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.catalog import terms as load_terms
from local_store.scheduling.program import ProgramRow, program_facts, program_rows
from local_store.store import LocalStore
from reports.student_schedule import ScheduleRow, ScheduleStudent, rows_by_period
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.scheduling.program_change import ADD, DROP, SWAP, ProgramChangePanel
from ui.scheduling.program_lines import (
    CLASS,
    FREE,
    GAP,
    UPCOMING,
    Line,
    LinesModel,
    _escape,
    program_lines,
    stretch_column,
)
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)


def term_day(term: Term | None, today: str) -> str:
    """The day a term's program is shown for: today, or its first day if later."""
    if term is None:
        return today
    return min(max(today, term.start_date), term.end_date)


class ProgramEditorDialog(QDialog):
    """One student's program, and the counselor's adds, drops and swaps.

    `ProgramEditorDialog(store, student_id, queue_edit, parent=None, *, today=None)`:
    `queue_edit(op, payload)` saves an edit (the main window's method; it
    returns the mutation id, or None when it refused and said why).
    `today` (a date) is for tests. Non-modal; `reload()` re-reads the cache
    (connect sync's data_changed to it).

    Signals:
        edit_queued(str, dict): a schedule edit was queued (its op and payload)
    """

    edit_queued = Signal(str, dict)

    title = "Program"
    ADD, DROP, SWAP = ADD, DROP, SWAP
    PROGRAM_HEADERS = ("Period", "Course", "Section", "Teacher", "Room", "Term", "Since", "Until")
    CANDIDATE_HEADERS = ProgramChangePanel.CANDIDATE_HEADERS

    def __init__(self, store: LocalStore, student_id: str, queue_edit: QueueEdit,
                 parent: QWidget | None = None, *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.student_id = student_id
        self.queue_edit = queue_edit
        self.today = (today or clock.today()).isoformat()
        self.setObjectName("programEditor")
        self.setModal(False)
        self.catalog: Catalog = Catalog({}, {}, {})
        self._rows: list[ProgramRow] = []
        self._student: dict[str, Any] = {}
        self._grade = 0
        self._required = 0
        self._counselor = ""
        self._bell: list[dict[str, Any]] = []
        self.heading = named(QLabel(), "programHeading")
        self.summary = named(QLabel(), "programSummary")
        self.term = named(QComboBox(), "programTerm")
        self.show_ended = named(QCheckBox("Show &dropped classes"), "showDropped")
        self.model = LinesModel(self.PROGRAM_HEADERS, self)
        self.table = named(QTableView(), "programTable")
        self.add_button = named(QPushButton("&Add class…"), "addClass")
        self.drop_button = named(QPushButton("Dro&p…"), "dropClass")
        self.swap_button = named(QPushButton("S&wap section…"), "swapClass")
        self.print_button = named(QPushButton("P&rint schedule…"), "printSchedule")
        self.close_button = named(QPushButton("Close"), "closeProgram")
        self.status = named(QLabel(), "programStatus")
        # The change being made (ui/scheduling/program_change.py); its parts stay reachable here.
        self.change = self.change_box = ProgramChangePanel(store, student_id, self.today)
        c = self.change
        self.change_title, self.period_label, self.period = c.change_title, c.period_label, c.period
        self.date_label, self.date, self.filter = c.date_label, c.date, c.filter
        self.candidate_model, self.candidates = c.candidate_model, c.candidates
        self.findings_panel, self.reason_label = c.findings_panel, c.reason_label
        self.reason, self.save_button, self.cancel_button = c.reason, c.save_button, c.cancel_button
        self.candidate, self.candidate_sections = c.candidate, c.candidate_sections
        self.select_candidate = c.select_candidate
        self.can_save, self.payload = c.can_save, c.payload
        self._preview: Any = None  # the print preview and its printer, while open
        self._build()
        self._make_actions()
        self._connect_signals()
        self.resize(1220, 720)
        self.reload()

    # --- layout

    def _build(self) -> None:
        # A style sheet, not setFont: the application's style sheet sets every font size.
        self.heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        self.status.setWordWrap(True)
        self.summary.setStyleSheet("color: #4b5563;")
        self.table.setModel(self.model)
        set_up_list_view(self.table)
        self.table.setMinimumWidth(560)
        stretch_column(self.table, 1)
        self.status.setStyleSheet("color: #15803d;")
        for b in (self.add_button, self.drop_button, self.swap_button, self.print_button,
                  self.close_button):
            b.setAutoDefault(False)
        self.add_button.setToolTip("Add a class in the selected period (Ins)")
        self.drop_button.setToolTip("Drop the selected class (Del)")
        self.swap_button.setToolTip("Swap the selected class for another section (Ctrl+R)")
        self.print_button.setToolTip("Print this term's schedule on one page (Ctrl+P)")

        top = QHBoxLayout()
        term_label = QLabel("&Term:")
        term_label.setBuddy(self.term)
        top.addWidget(term_label)
        top.addWidget(self.term)
        top.addSpacing(16)
        top.addWidget(self.show_ended)
        top.addStretch(1)
        actions = QHBoxLayout()
        for b in (self.add_button, self.drop_button, self.swap_button):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.print_button)
        actions.addWidget(self.close_button)

        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addWidget(self.change_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addLayout(body, 1)
        layout.addWidget(self.status)
        layout.addLayout(actions)

    def _make_actions(self) -> None:
        def action(keys: Sequence[QKeySequence | QKeySequence.StandardKey | str],
                   slot: Callable[[], None], widget: QWidget,
                   context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut) -> QAction:
            act = QAction(widget)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(context)
            act.triggered.connect(slot)
            widget.addAction(act)
            return act
        # Ins and Del belong to the program table: in a text field they edit text.
        here = Qt.ShortcutContext.WidgetShortcut
        self.act_add = action([QKeySequence(Qt.Key.Key_Insert)], self.on_add, self.table, here)
        self.act_drop = action([QKeySequence(Qt.Key.Key_Delete)], self.on_drop, self.table, here)
        self.act_swap = action(["Ctrl+R"], self.on_swap, self)
        self.act_save = action(["Ctrl+S", "Ctrl+Return", "Ctrl+Enter"], self.on_save, self)
        self.act_print = action([QKeySequence.StandardKey.Print], self.on_print, self)

    def _connect_signals(self) -> None:
        self.term.currentIndexChanged.connect(self.on_term_changed)
        self.show_ended.toggled.connect(self.on_show_ended_toggled)
        self.table.selectionModel().currentRowChanged.connect(self.on_program_row_changed)
        self.table.doubleClicked.connect(self.on_program_double_clicked)
        self.add_button.clicked.connect(self.on_add)
        self.drop_button.clicked.connect(self.on_drop)
        self.swap_button.clicked.connect(self.on_swap)
        self.print_button.clicked.connect(self.on_print)
        self.close_button.clicked.connect(self.close)
        self.save_button.clicked.connect(self.on_save)
        self.cancel_button.clicked.connect(self.on_cancel)

    # --- reading the cache

    def reload(self) -> None:
        """Re-read the student's program (after a save, or a sync): a change
        being made stays open and is checked again."""
        record = queries.student_record(self.store, self.student_id,
                                        today=dt.date.fromisoformat(self.today)) or {}
        self._student = record.get("student") or {}
        facts = program_facts(self.store, self.student_id)
        self._grade = facts.grade_level
        self._required = facts.requirement.required_periods if facts.requirement else 0
        self._counselor = record.get("counselor") or ""
        self._bell = queries.bell_schedule(self.store)
        self.catalog = self.change.catalog = load_catalog(self.store)
        self._rows = program_rows(self.store, self.student_id, include_ended=True)
        last, first = self._student.get("legal_last_name", ""), \
            self._student.get("legal_first_name", "")
        name = f"{last}, {first}" if last else self.student_id
        grade = grade_label(self._grade)
        self.setWindowTitle(f"Program — {name} (grade {grade})")
        self.heading.setText(name)
        self.summary.setText("  ·  ".join(filter(None, (
            f"Student ID {self._student.get('district_student_id', '')}",
            f"Grade {grade}",
            f"Counselor {self._counselor}" if self._counselor else "No counselor assigned",
            f"A complete day is periods 1–{self._required}" if self._required else ""))))
        self._fill_terms()
        self._fill_program()
        self.change.refresh()

    def _fill_terms(self) -> None:
        chosen = self.term.currentData()
        terms = [t for t in load_terms(self.store) if t.end_date >= self.today]
        current = self.catalog.term_on(self.today)
        self.term.blockSignals(True)
        self.term.clear()
        for t in terms:
            label = t.name + (" (now)" if current and t.id == current.id else "")
            self.term.addItem(label, t.id)
        index = self.term.findData(chosen or (current.id if current else None))
        self.term.setCurrentIndex(max(index, 0))
        self.term.blockSignals(False)

    def current_term(self) -> Term | None:
        term_id = self.term.currentData()
        return self.catalog.terms.get(term_id) if term_id else None

    def view_day(self) -> str:
        return term_day(self.current_term(), self.today)

    def _periods(self) -> list[int]:
        return [int(p["number"]) for p in self._bell] or list(range(1, self._required + 1))

    def _fill_program(self) -> None:
        keep = self.selected_line()
        lines = program_lines(self._rows, self.catalog, periods=self._periods(),
                              required_periods=self._required, term=self.current_term(),
                              day=self.view_day(), show_ended=self.show_ended.isChecked())
        self.model.set_lines(lines)
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            if column != 1:
                self.table.setColumnWidth(column, self.table.columnWidth(column) + 10)
        row: int | None = None
        if keep is not None and keep.entry_id:
            row = next((i for i, x in enumerate(lines) if x.entry_id == keep.entry_id), None)
        if row is None and keep is not None:
            row = next((i for i, x in enumerate(lines) if x.period == keep.period), None)
        row = row or 0
        if lines:
            self.table.selectRow(row)
        self._update_actions()

    def selected_line(self) -> Line | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= len(self.model.lines):
            return None
        return self.model.lines[index.row()]

    def program_lines_shown(self) -> list[Line]:
        return list(self.model.lines)

    # --- the program table

    def on_term_changed(self, *_args) -> None:
        self.on_cancel()
        self._fill_program()

    def on_show_ended_toggled(self, _on: bool) -> None:
        self._fill_program()

    def on_program_row_changed(self, *_args) -> None:
        self._update_actions()

    def on_program_double_clicked(self, _index: QModelIndex) -> None:
        line = self.selected_line()
        if line is not None and line.kind in (GAP, FREE):
            self.on_add()
        elif line is not None and line.kind in (CLASS, UPCOMING):
            self.on_swap()

    def _update_actions(self) -> None:
        line = self.selected_line()
        has_class = line is not None and line.kind in (CLASS, UPCOMING)
        self.add_button.setEnabled(line is not None)
        self.drop_button.setEnabled(has_class)
        self.swap_button.setEnabled(has_class)
        self.print_button.setEnabled(bool(self.model.lines))

    # --- making a change

    @property
    def mode(self) -> str | None:
        """What the change panel is making: ADD, DROP, SWAP, or None when it is closed."""
        return self.change.mode

    @property
    def target(self) -> Line | None:
        """The program line a drop or swap is about."""
        return self.change.target

    @property
    def findings(self) -> list[Finding]:
        return self.change.findings

    def on_add(self) -> None:
        line = self.selected_line()
        if line is None:
            return
        self._open(self.ADD, None, line.period,
                   "<b>Add a class</b> — pick a section; the checks show "
                   "as soon as one is highlighted.")

    def on_drop(self) -> None:
        line = self.selected_line()
        if line is None or line.kind not in (CLASS, UPCOMING):
            return
        self._open(self.DROP, line, line.period,
                   f"<b>Drop {_escape(line.texts[1])}</b> (section "
                   f"{line.texts[2]}, period {line.period}). Its attendance and "
                   "marks stay on the record.")

    def on_swap(self) -> None:
        line = self.selected_line()
        if line is None or line.kind not in (CLASS, UPCOMING):
            return
        self._open(self.SWAP, line, line.period,
                   f"<b>Swap {_escape(line.texts[1])}</b> (section "
                   f"{line.texts[2]}) for another section. It ends the day "
                   "before the new one begins.")

    def _open(self, mode: str, target: Line | None, period: int, title: str) -> None:
        self.status.clear()
        self.change.open_change(mode, target, period=period, periods=self._periods(),
                                day=self.view_day(), title=title)

    def on_cancel(self) -> None:
        if self.mode is None:
            return
        self.change.end_change()
        self.table.setFocus()

    # --- saving

    def on_save(self) -> None:
        edit = self.payload()
        if edit is None:
            return
        op, payload = edit
        try:
            queued = self.queue_edit(op, payload)
        except Exception as exc:  # the one error path says whose fault it is
            messages.problem(self, "The change was not saved", exc)
            return
        if not queued:
            return  # queue_edit has said why
        what = self.change.describe(op)
        self.edit_queued.emit(op, payload)
        self.on_cancel()
        self.reload()
        new_entry = payload.get("new_section_enrollment_id") or payload.get(
            "section_enrollment_id")
        row = next((i for i, x in enumerate(self.model.lines) if x.entry_id == new_entry), -1)
        if row >= 0:
            self.table.selectRow(row)
        self.status.setText(f"Saved: {what}. It goes to the server with the next sync.")

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Esc first leaves a change being made, then closes.
        if event.key() == Qt.Key.Key_Escape and self.mode is not None:
            self.on_cancel()
            return
        super().keyPressEvent(event)

    # --- printing

    def schedule_for_print(self) -> dict[str, Any]:
        """What `reports.student_schedule.paint_student_schedule` takes, for
        the term shown."""
        classes = []
        term = self.current_term()
        last_day = term.end_date if term else ""
        for line in self.model.lines:
            if line.kind not in (CLASS, UPCOMING):
                continue
            since, until = line.texts[6], line.texts[7]
            note = (f"from {since}" if line.kind == UPCOMING else
                    f"until {until}" if until and until < last_day else "")
            classes.append(ScheduleRow(line.period, course=line.texts[1], section=line.texts[2],
                                       teacher=line.texts[3], room=line.texts[4], note=note))
        student = ScheduleStudent(
            name=self.heading.text(), student_id=self._student.get("district_student_id", ""),
            grade=self._grade, counselor=self._counselor)
        return {"school": self.store.get("school_name") or self.store.get("school_id") or "",
                "student": student, "term": term.name if term else self.view_day(),
                "rows": rows_by_period(self._bell, classes)}

    def on_print(self) -> None:
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        from reports.student_schedule import paint_student_schedule
        data = self.schedule_for_print()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        preview = QPrintPreviewDialog(printer, self)
        self._preview = (preview, printer)  # the dialog doesn't own its printer
        preview.paintRequested.connect(lambda p: paint_student_schedule(p, **data))
        preview.resize(900, 900)
        preview.open()
