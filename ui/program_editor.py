"""A counselor's editor of one student's program: the day by period, and
add, drop or swap with the checks shown before anything is saved.

The checks are `domain.scheduling`'s, read from the cache
(`local_store.scheduling.check_program_change`), so the counselor sees what
the server will say: a blocking finding can't be saved, one that needs a
reason is saved only with it, a warning is for them to know. A saved change
is queued (`queue_edit`) and shows in the cache at once; the server's
answer arrives with the next sync.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain.codes import grade_label
from domain.scheduling import BLOCK, OVERRIDE, Catalog, Finding, Term
from local_store import queries
from local_store import scheduling as sch
from local_store.store import LocalStore
from reports.student_schedule import ScheduleRow, ScheduleStudent, rows_by_period
from ui import messages
from ui.edit_form import date_edit, iso_date
from ui.program_lines import (
    CLASS,
    FREE,
    GAP,
    UPCOMING,
    FindingsPanel,
    Line,
    LinesModel,
    _escape,
    candidate_lines,
    named,
    program_lines,
)
from widgets.list_view import set_up_list_view

log = logging.getLogger(__name__)

QueueEdit = Callable[[str, dict[str, Any]], Any]


def term_day(term: Term | None, today: str) -> str:
    """The day a term's program is shown for: today, or its first day if later."""
    if term is None:
        return today
    return min(max(today, term.start_date), term.end_date)


def _qdate(day: str) -> QDate:
    return QDate.fromString(day, "yyyy-MM-dd")


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


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
    ADD, DROP, SWAP = "add", "drop", "swap"
    PROGRAM_HEADERS = ("Period", "Course", "Section", "Teacher", "Room", "Term", "Since", "Until")
    CANDIDATE_HEADERS = ("Course", "Section", "Teacher", "Room", "Enrolled")

    def __init__(self, store: LocalStore, student_id: str, queue_edit: QueueEdit,
                 parent: QWidget | None = None, *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.student_id = student_id
        self.queue_edit = queue_edit
        self.today = (today or dt.date.today()).isoformat()
        self.setObjectName("programEditor")
        self.setModal(False)
        self.mode: str | None = None
        self.target: Line | None = None  # the program line a drop or swap is about
        self.findings: list[Finding] = []
        self.catalog: Catalog = Catalog({}, {}, {})
        self._rows: list[sch.ProgramRow] = []
        self._master: list[sch.MasterRow] = []
        self._master_day = ""
        self._candidates: list[Line] = []
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
        # The change being made.
        self.change_box = named(QGroupBox(), "changePanel")
        self.change_title = named(QLabel(), "changeTitle")
        self.period = named(QComboBox(), "changePeriod")
        self.period_label = QLabel("P&eriod:")
        self.date_label = QLabel()
        self.date = date_edit("changeDate", dt.date.fromisoformat(self.today))
        self.filter = named(QLineEdit(), "candidateFilter")
        self.candidate_model = LinesModel(self.CANDIDATE_HEADERS, self)
        self.candidates = named(QTableView(), "candidateTable")
        self.findings_panel = FindingsPanel()
        self.reason_label = QLabel("Reason for the &override:")
        self.reason = named(QLineEdit(), "overrideReason")
        self.save_button = named(QPushButton("&Save change"), "saveChange")
        self.cancel_button = named(QPushButton("Cancel"), "cancelChange")
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
        for label in (self.status, self.change_title):
            label.setWordWrap(True)
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText("Type to filter: course, teacher, room…")
        self.reason.setPlaceholderText("Required: why this is the right placement")
        self.period_label.setBuddy(self.period)
        self.date_label.setBuddy(self.date)
        self.summary.setStyleSheet("color: #4b5563;")
        for view, model in ((self.table, self.model), (self.candidates, self.candidate_model)):
            view.setModel(model)
            set_up_list_view(view)
        self.table.setMinimumWidth(560)
        self.candidates.setMinimumHeight(120)
        for view in (self.table, self.candidates):
            # The course name takes the room left: no sideways scrolling.
            view.horizontalHeader().setStretchLastSection(False)
            header, stretch = view.horizontalHeader(), 1 if view is self.table else 0
            for column in range(view.model().columnCount()):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch
                                            if column == stretch
                                            else QHeaderView.ResizeMode.ResizeToContents)
        self.findings_panel.setSizePolicy(QSizePolicy.Policy.Preferred,
                                          QSizePolicy.Policy.Maximum)
        self.reason_label.setBuddy(self.reason)
        self.status.setStyleSheet("color: #15803d;")
        for b in (self.add_button, self.drop_button, self.swap_button, self.print_button,
                  self.close_button, self.save_button, self.cancel_button):
            b.setAutoDefault(False)
        self.add_button.setToolTip("Add a class in the selected period (Ins)")
        self.drop_button.setToolTip("Drop the selected class (Del)")
        self.swap_button.setToolTip("Swap the selected class for another section (Ctrl+R)")
        self.print_button.setToolTip("Print this term's schedule on one page (Ctrl+P)")
        self.save_button.setToolTip("Save the change (Ctrl+S)")
        self.cancel_button.setToolTip("Leave the program as it is (Esc)")

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

        panel = QVBoxLayout(self.change_box)
        panel.addWidget(self.change_title)
        when = QHBoxLayout()
        when.addWidget(self.period_label)
        when.addWidget(self.period)
        when.addSpacing(12)
        when.addWidget(self.date_label)
        when.addWidget(self.date)
        when.addStretch(1)
        panel.addLayout(when)
        panel.addWidget(self.filter)
        panel.addWidget(self.candidates, 1)
        panel.addWidget(self.findings_panel)
        panel.addWidget(self.reason_label)
        panel.addWidget(self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        panel.addLayout(buttons)
        panel.addStretch(0)  # takes the room when there is no list (a drop)
        self.change_box.setMinimumWidth(500)
        self.change_box.hide()

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
        self.period.currentIndexChanged.connect(self.on_period_changed)
        self.date.dateChanged.connect(self.on_date_changed)
        self.filter.textEdited.connect(self.on_filter_edited)
        self.filter.returnPressed.connect(self.on_filter_return)
        self.candidates.selectionModel().currentRowChanged.connect(self.on_candidate_changed)
        self.reason.textChanged.connect(self.on_reason_changed)
        self.save_button.clicked.connect(self.on_save)
        self.cancel_button.clicked.connect(self.on_cancel)

    # --- reading the cache

    def reload(self) -> None:
        """Re-read the student's program (after a save, or a sync): a change
        being made stays open and is checked again."""
        record = queries.student_record(self.store, self.student_id) or {}
        self._student = record.get("student") or {}
        facts = sch.program_facts(self.store, self.student_id)
        self._grade = facts.grade_level
        self._required = facts.requirement.required_periods if facts.requirement else 0
        self._counselor = record.get("counselor") or ""
        self._bell = queries.bell_schedule(self.store)
        self.catalog = sch.catalog(self.store)
        self._rows = sch.program_rows(self.store, self.student_id, include_ended=True)
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
        if self.mode in (self.ADD, self.SWAP):
            self._fill_candidates(fresh=True)
        if self.mode is not None:
            self._run_checks()

    def _fill_terms(self) -> None:
        chosen = self.term.currentData()
        terms = [t for t in sch.terms(self.store) if t.end_date >= self.today]
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

    def on_add(self) -> None:
        line = self.selected_line()
        if line is None:
            return
        self._open(self.ADD, None, line.period)
        self.change_title.setText("<b>Add a class</b> — pick a section; the checks show "
                                  "as soon as one is highlighted.")

    def on_drop(self) -> None:
        line = self.selected_line()
        if line is None or line.kind not in (CLASS, UPCOMING):
            return
        self._open(self.DROP, line, line.period)
        self.change_title.setText(f"<b>Drop {_escape(line.texts[1])}</b> (section "
                                  f"{line.texts[2]}, period {line.period}). Its attendance and "
                                  "marks stay on the record.")

    def on_swap(self) -> None:
        line = self.selected_line()
        if line is None or line.kind not in (CLASS, UPCOMING):
            return
        self._open(self.SWAP, line, line.period)
        self.change_title.setText(f"<b>Swap {_escape(line.texts[1])}</b> (section "
                                  f"{line.texts[2]}) for another section. It ends the day "
                                  "before the new one begins.")

    def _open(self, mode: str, target: Line | None, period: int) -> None:
        self.mode, self.target = mode, target
        self.status.clear()
        self.reason.clear()
        picking = mode != self.DROP
        for w in (self.period_label, self.period, self.filter, self.candidates):
            w.setVisible(picking)
        self.change_box.setTitle({self.ADD: "Add", self.DROP: "Drop",
                                  self.SWAP: "Swap"}[mode])
        self.date_label.setText("&Last day in class:" if mode == self.DROP else "&Begins:")
        default = self.view_day()
        if target is not None:  # not before the class began (a class starting later)
            base = self.today if mode == self.DROP else default
            default = max(base, target.texts[6])
        self.date.blockSignals(True)
        self.date.setDate(_qdate(default))
        self.date.blockSignals(False)
        self.period.blockSignals(True)
        self.period.clear()
        for p in self._periods():
            self.period.addItem(str(p), p)
        self.period.setCurrentIndex(max(self.period.findData(period), 0))
        self.period.blockSignals(False)
        self.filter.clear()
        self.change_box.show()
        if picking:
            self._fill_candidates(fresh=True)
            self.filter.setFocus()
        else:
            self.date.setFocus()
        self._run_checks()

    def on_cancel(self) -> None:
        if self.mode is None:
            return
        self.mode, self.target = None, None
        self.findings = []
        self.change_box.hide()
        self.table.setFocus()

    def on_period_changed(self, *_args) -> None:
        self._fill_candidates()
        self._run_checks()

    def on_date_changed(self, *_args) -> None:
        if self.mode in (self.ADD, self.SWAP):
            self._fill_candidates()
        self._run_checks()

    def _fill_candidates(self, *, fresh: bool = False) -> None:
        keep = self.candidate()
        day = iso_date(self.date)
        if fresh or day != self._master_day:  # class sizes on that day, read once
            self._master = sch.master_schedule(self.store, on=day)
            self._master_day = day
        exclude = self.target.section_id if self.target is not None else ""
        self._candidates = candidate_lines(self._master, self.catalog,
                                           period=self.period.currentData() or 0, day=day,
                                           exclude_section=exclude)
        self._apply_filter(keep.section_id if keep else "")

    def _apply_filter(self, keep_section: str = "") -> None:
        words = self.filter.text().lower().split()
        shown = [c for c in self._candidates
                 if all(any(w in t.lower() for t in c.texts[:4]) for w in words)]
        self.candidate_model.set_lines(shown)
        self.candidates.resizeColumnsToContents()
        row = next((i for i, c in enumerate(shown) if c.section_id == keep_section), -1)
        if row >= 0:
            self.candidates.selectRow(row)
        elif keep_section:
            self._run_checks()  # the highlighted section went out of the list

    def candidate(self) -> Line | None:
        index = self.candidates.currentIndex()
        lines = self.candidate_model.lines
        if not index.isValid() or index.row() >= len(lines):
            return None
        return lines[index.row()]

    def candidate_sections(self) -> list[str]:
        return [c.section_id for c in self.candidate_model.lines]

    def select_candidate(self, section_id: str) -> bool:
        """Highlight a section in the list (as a click would); False if not listed."""
        for row, line in enumerate(self.candidate_model.lines):
            if line.section_id == section_id:
                self.candidates.selectRow(row)
                return True
        return False

    def on_filter_edited(self, _text: str) -> None:
        keep = self.candidate()
        self._apply_filter(keep.section_id if keep else "")

    def on_filter_return(self) -> None:
        if self.candidate_model.lines:
            if self.candidate() is None:
                self.candidates.selectRow(0)
            self.candidates.setFocus()

    def on_candidate_changed(self, *_args) -> None:
        self._run_checks()

    def on_reason_changed(self, _text: str) -> None:
        self._update_save()

    # --- the checks

    def _run_checks(self) -> None:
        if self.mode is None:
            return
        day = iso_date(self.date)
        add = self.candidate()
        findings: list[Finding] = []
        if self.mode == self.DROP and self.target is not None:
            findings = sch.check_program_change(self.store, self.student_id, on=day,
                                                drop_entry_id=self.target.entry_id)
        elif add is not None:
            findings = sch.check_program_change(
                self.store, self.student_id, on=day, add_section_id=add.section_id,
                drop_entry_id=self.target.entry_id if self.mode == self.SWAP and self.target
                else None)
        self.findings = findings
        ready = self.mode == self.DROP or add is not None
        self.findings_panel.set_findings(
            findings, empty_text="No problems found." if ready else "")
        needs_reason = any(f.severity == OVERRIDE for f in findings)
        self.reason_label.setVisible(needs_reason)
        self.reason.setVisible(needs_reason)
        self._update_save()

    def can_save(self) -> bool:
        if self.mode is None:
            return False
        if self.mode != self.DROP and self.candidate() is None:
            return False
        if any(f.severity == BLOCK for f in self.findings):
            return False
        if any(f.severity == OVERRIDE for f in self.findings):
            return bool(self.reason.text().strip())
        return True

    def _update_save(self) -> None:
        self.save_button.setEnabled(self.can_save())

    # --- saving

    def payload(self) -> tuple[str, dict[str, Any]] | None:
        """The edit the change panel describes, as queued."""
        if not self.can_save():
            return None
        day = iso_date(self.date)
        reason = self.reason.text().strip() if any(
            f.severity == OVERRIDE for f in self.findings) else ""
        add = self.candidate()
        if self.mode == self.DROP and self.target is not None:
            return "schedule.drop", {"student_id": self.student_id,
                                     "section_enrollment_id": self.target.entry_id,
                                     "end_date": day}
        if add is None:
            return None
        if self.mode == self.SWAP and self.target is not None:
            payload = {"student_id": self.student_id,
                       "section_enrollment_id": self.target.entry_id,
                       "end_date": _day_before(day), "section_id": add.section_id,
                       "new_section_enrollment_id": str(uuid.uuid4()), "begin_date": day}
            op = "schedule.swap"
        else:
            payload = {"student_id": self.student_id, "section_id": add.section_id,
                       "begin_date": day, "section_enrollment_id": str(uuid.uuid4())}
            op = "schedule.add"
        if reason:
            payload["override_reason"] = reason
        return op, payload

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
        what = self._describe(op)
        self.edit_queued.emit(op, payload)
        self.on_cancel()
        self.reload()
        new_entry = payload.get("new_section_enrollment_id") or payload.get(
            "section_enrollment_id")
        row = next((i for i, x in enumerate(self.model.lines) if x.entry_id == new_entry), -1)
        if row >= 0:
            self.table.selectRow(row)
        self.status.setText(f"Saved: {what}. It goes to the server with the next sync.")

    def _describe(self, op: str) -> str:
        add, target = self.candidate(), self.target
        if op == "schedule.drop" and target is not None:
            return f"dropped {target.texts[1]} (last day {iso_date(self.date)})"
        if op == "schedule.swap" and target is not None and add is not None:
            return (f"{target.texts[1]} ({target.texts[2]}) swapped for {add.texts[0]} "
                    f"({add.texts[1]}) from {iso_date(self.date)}")
        if add is not None:
            return f"added {add.texts[0]} ({add.texts[1]}) in period {add.period}"
        return op

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
