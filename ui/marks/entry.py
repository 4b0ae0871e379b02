"""Marks entry by section: a keyboard-first grid of a section's students for
one marking period that takes only valid marks (domain.grades decides what
is valid, and says so in its words), and saves one `grade.mark` edit per
changed student. A change after the marking period closed carries a reason,
which the server keeps in the audit trail."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.grades import ACADEMIC_MARKS, COMMENT_CODES, MAX_COMMENTS
from domain.report_cards import MarkingPeriod
from local_store import grades
from local_store.store import LocalStore
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.common.screen import Offers, Screen
from ui.marks.entry_model import (
    COMMENTS,
    COOPERATION,
    EDITABLE,
    MARK,
    PREVIOUS,
    STUDENT,
    STUDENT_ID,
    WORK_HABITS,
    MarkCellDelegate,
    MarksSheetModel,
    problem_while_typing,
)
from widgets.list_view import set_up_list_view

log = logging.getLogger(__name__)

_PROBLEM_STYLE = "color: #991b1b; background: #fde2e1; border-radius: 3px; padding: 4px 8px;"
_NOTE_STYLE = "color: #1e3a5f; padding: 4px 8px;"
_CLOSED_STYLE = "color: #92400e; font-weight: bold;"
_OPEN_STYLE = "color: #166534;"
_WIDTHS = {STUDENT: 176, STUDENT_ID: 92, PREVIOUS: 76, MARK: 52, WORK_HABITS: 104,
           COOPERATION: 104, COMMENTS: 92}
_CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)

W = TypeVar("W", bound=QWidget)


def _named(widget: W, name: str) -> W:
    widget.setObjectName(name)
    return widget


def _wrapping(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    return label


def _buddy(label: QLabel, widget: QWidget) -> QLabel:
    label.setBuddy(widget)
    return label


class ChangeReasonDialog(QDialog):
    """Asks why marks of a closed marking period change; OK needs a reason.

    ``ChangeReasonDialog(period, changes, parent=None)``; `reason()` after
    `accepted`.
    """

    def __init__(self, period: MarkingPeriod, changes: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Reason for the change")
        self.setObjectName("changeReasonDialog")
        self.field = _named(QLineEdit(), "changeReason")
        self.field.setPlaceholderText("e.g. grade dispute resolved, teacher's correction")
        self.field.setMaxLength(200)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(f"Save {changes} {'change' if changes == 1 else 'changes'}")
        ok.setEnabled(False)
        intro = QLabel(f"<b>{period.name}</b> closed on {period.end_date}. Changing its marks "
                       "needs a reason; it is kept with each change in the audit trail.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(_buddy(QLabel("&Reason:"), self.field))
        layout.addWidget(self.field)
        layout.addWidget(self.buttons)
        self.resize(460, self.sizeHint().height())
        self.field.textChanged.connect(lambda text: ok.setEnabled(bool(text.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def reason(self) -> str:
        return self.field.text().strip()


class MarksEntryScreen(Screen):
    """Marks entry by section for one marking period.

    ``MarksEntryScreen(store, queue_edit, parent=None, *, today=None)``:
    `queue_edit(op, payload)` saves an edit (the main window's; it returns
    the mutation id, or None when it has already said why not); `today`
    decides the default marking period and which periods are closed.

    Signals:
        marks_saved(int): this many `grade.mark` edits were queued
    """

    marks_saved = Signal(int)

    title = "Marks"
    offers = Offers()
    shows = frozenset({"grade_marks", "section_enrollments", "sections", "marking_periods"})

    def __init__(self, store: LocalStore, queue_edit: QueueEdit, parent: QWidget | None = None,
                 *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self._today = today  # None: the real date, read when needed (the app runs for days)
        self.model = MarksSheetModel(self)
        self.delegate = MarkCellDelegate(self)
        self.period = _named(QComboBox(), "markingPeriod")
        self.section = _named(QComboBox(), "markSection")
        self.period_state = _named(QLabel(), "periodState")
        self.table = _named(QTableView(), "marksTable")
        self.message = _wrapping(_named(QLabel(), "marksMessage"))
        self.keys = _wrapping(_named(QLabel(), "marksKeys"))
        self.codes = _named(QLabel(), "commentCodes")
        self.counter = _named(QLabel(), "marksCounter")
        self.discard_button = _named(QPushButton("&Undo changes"), "discardMarks")
        self.save_button = _named(QPushButton("&Save marks  (Ctrl+S)"), "saveMarks")
        self.reason_dialog: ChangeReasonDialog | None = None
        self._periods: dict[str, MarkingPeriod] = {}
        self._shown: tuple[int, int] = (-1, -1)  # the period and section indexes on screen
        self._reload_waiting = False
        self._build()
        self._connect_signals()
        self.on_staged_changed()

    # --- layout

    def _build(self) -> None:
        self.section.setEditable(True)
        self.section.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.section.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.section.setMinimumContentsLength(40)
        completer = self.section.completer()
        assert completer is not None
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        line = self.section.lineEdit()
        assert line is not None
        line.setPlaceholderText("Type to find a section: period, course, number, teacher")
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        t = self.table
        t.setModel(self.model)
        set_up_list_view(t, editable=True, padding=10)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        t.setEditTriggers(QAbstractItemView.EditTrigger.AnyKeyPressed
                          | QAbstractItemView.EditTrigger.DoubleClicked
                          | QAbstractItemView.EditTrigger.EditKeyPressed)
        t.setItemDelegate(self.delegate)
        for column, width in _WIDTHS.items():
            t.setColumnWidth(column, width)
        t.installEventFilter(self)

        self.keys.setText(
            f"<b>{' '.join(ACADEMIC_MARKS)}</b> mark · <b>E S U</b> work habits and "
            f"cooperation · comment codes like <b>01 07</b> (up to {MAX_COMMENTS}) · "
            "<b>Enter</b> next student · <b>Tab</b> next column · <b>Del</b> clear · "
            "<b>Esc</b> cancel typing · <b>Ctrl+S</b> save")
        self.keys.setStyleSheet("color: #4b5563;")
        self.codes.setText("<b>Comment codes</b><table cellpadding='2'>" + "".join(
            f"<tr><td><b>{c.code}</b></td><td>{c.en}</td></tr>" for c in COMMENT_CODES)
            + "</table>")
        self.codes.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.codes.setStyleSheet("background: #eef2f7; border-radius: 4px; padding: 8px;")
        self.codes.setFixedWidth(244)
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)

        top = QHBoxLayout()
        for label, widget in (("Marking &period", self.period), ("S&ection", self.section)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            top.addWidget(caption)
            top.addWidget(widget, 1 if widget is self.section else 0)

        grid = QHBoxLayout()
        grid.addWidget(t, 1)
        grid.addWidget(self.codes)

        bottom = QHBoxLayout()
        bottom.addWidget(self.counter, 1)
        bottom.addWidget(self.period_state)
        bottom.addSpacing(12)
        bottom.addWidget(self.discard_button)
        bottom.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addLayout(grid, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.keys)
        layout.addLayout(bottom)

    def _connect_signals(self) -> None:
        self.period.currentIndexChanged.connect(self.on_period_changed)
        self.section.currentIndexChanged.connect(self.on_section_changed)
        line = self.section.lineEdit()
        assert line is not None
        line.editingFinished.connect(self.on_section_search_finished)
        self.model.refused.connect(self.on_refused)
        self.model.staged_changed.connect(self.on_staged_changed)
        self.model.dataChanged.connect(self.on_cell_changed)
        self.delegate.advance.connect(self.on_advance)
        self.delegate.typing.connect(self.on_typing)
        self.delegate.closeEditor.connect(self.on_editor_closed)
        self.discard_button.clicked.connect(self.on_discard)
        self.save_button.clicked.connect(self.on_save)
        save = QShortcut(QKeySequence.StandardKey.Save, self, self.on_save)
        save.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- what is chosen

    @property
    def today(self) -> str:
        return (self._today or clock.today()).isoformat()

    def current_period(self) -> MarkingPeriod | None:
        return self._periods.get(self.period.currentData() or "")

    def current_section_id(self) -> str | None:
        return self.section.currentData()

    def is_closed(self, period: MarkingPeriod) -> bool:
        return period.end_date < self.today

    # --- loading

    def reload(self) -> None:
        """Read the cache again (first showing, after a sync); marks typed
        and not yet saved stay on the grid."""
        if self.delegate.editor is not None:
            self._reload_waiting = True  # never pull the grid from under the typing
            return
        self._reload_waiting = False
        self._fill_periods()  # the app runs for days: "closed" labels and new terms move on
        self._fill_sections()
        self.load_sheet()

    def _fill_periods(self) -> None:
        periods = grades.term_periods_on(self.store, self.today)
        self._periods = {p.id: p for p in periods}
        shown = self.period.currentData()  # kept when it is still listed
        chosen_id = shown if shown in self._periods else getattr(
            grades.default_period(periods, self.today), "id", None)
        self.period.blockSignals(True)
        self.period.clear()
        for p in periods:
            self.period.addItem(p.name + (" — closed" if self.is_closed(p) else ""), p.id)
        self.period.setCurrentIndex(max(0, self.period.findData(chosen_id)))
        self.period.blockSignals(False)

    def _fill_sections(self) -> None:
        period = self.current_period()
        chosen = self.section.currentData()
        choices = grades.sections_for_period(self.store, period) if period else []
        self.section.blockSignals(True)
        self.section.clear()
        for c in choices:
            self.section.addItem(f"{c.label}  ({c.students})", c.section_id)
        index = self.section.findData(chosen)
        self.section.setCurrentIndex(index if index >= 0 else 0 if choices else -1)
        self.section.blockSignals(False)
        self._show_section_start()

    def _show_section_start(self) -> None:
        # A long name shows from its period, not scrolled to its end.
        line = self.section.lineEdit()
        if line is not None:
            line.setCursorPosition(0)

    def load_sheet(self, *, keep_typed: bool = True) -> None:
        period, section_id = self.current_period(), self.current_section_id()
        self._shown = (self.period.currentIndex(), self.section.currentIndex())
        here = self.table.currentIndex()
        at = (self.model.rows[here.row()].student_id, here.column()) \
            if here.isValid() and here.row() < len(self.model.rows) else None
        staged = dict(self.model.staged) if keep_typed else None
        if period is None or section_id is None:
            self.model.load([])
            self._show_period_state(period)
            self._say("No marking periods in this term." if period is None
                      else "No section has students in this marking period.")
            return
        previous = grades.previous_period(self.store, period)
        rows = grades.mark_sheet(self.store, section_id, period, previous=previous)
        label = ""
        if previous is not None:
            label = f"{previous.week}-week" if previous.term_id == period.term_id \
                else f"{previous.name.split(':')[0]} {previous.week}-week"
        self.model.load(rows, previous_label=label, staged=staged)
        self.table.setColumnHidden(PREVIOUS, previous is None)
        self._show_period_state(period)
        self._put_cursor(at)

    def _put_cursor(self, at: tuple[str, int] | None) -> None:
        rows = self.model.rows
        if not rows:
            return
        row = next((i for i, r in enumerate(rows) if at and r.student_id == at[0]), None)
        column = at[1] if at and row is not None else MARK
        if row is None:  # a new sheet: the first student without a mark
            row = next((i for i in range(len(rows)) if not self.model.value(i, MARK)), 0)
        self.table.setCurrentIndex(self.model.index(row, column))

    def _show_period_state(self, period: MarkingPeriod | None) -> None:
        if period is None:
            self.period_state.setText("")
        elif self.is_closed(period):
            self.period_state.setText(f"Closed {period.end_date} · a change needs a reason")
            self.period_state.setStyleSheet(_CLOSED_STYLE)
        else:
            self.period_state.setText(f"Open · {period.start_date} to {period.end_date}")
            self.period_state.setStyleSheet(_OPEN_STYLE)

    def _say(self, text: str, *, problem: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(_PROBLEM_STYLE if problem else _NOTE_STYLE)
        self.message.setVisible(bool(text))

    # --- choosing a period or section

    def _may_leave(self) -> bool:
        n = self.model.unsaved_count()
        return not n or messages.confirm(
            self, "Unsaved marks", f"{n} {'student has' if n == 1 else 'students have'} "
            "marks typed and not saved. Leave them unsaved?")

    def on_period_changed(self, _index: int) -> None:
        if not self._may_leave():
            self.period.blockSignals(True)
            self.period.setCurrentIndex(self._shown[0])
            self.period.blockSignals(False)
            return
        self._fill_sections()
        self.load_sheet(keep_typed=False)
        self._say("")

    def on_section_changed(self, _index: int) -> None:
        if not self._may_leave():
            self.section.blockSignals(True)
            self.section.setCurrentIndex(self._shown[1])
            self.section.blockSignals(False)
            self._show_section_start()
            return
        self._show_section_start()
        self.load_sheet(keep_typed=False)
        self._say("")
        self.table.setFocus()

    def on_section_search_finished(self) -> None:
        # Searching doesn't choose: what was typed gives way to the section shown.
        index = self.section.currentIndex()
        if index >= 0 and self.section.currentText() != self.section.itemText(index):
            self.section.setEditText(self.section.itemText(index))
            self._show_section_start()

    # --- typing

    def on_typing(self, column: int, text: str) -> None:
        problem = problem_while_typing(column, text)
        self._say(problem, problem=bool(problem))

    def on_refused(self, text: str) -> None:
        self._say(f"Not taken: {text}.", problem=True)

    def on_cell_changed(self, *_args: Any) -> None:
        if not self.model.last_refused:
            self._say("")

    def on_staged_changed(self) -> None:
        total, unsaved = len(self.model.rows), self.model.unsaved_count()
        text = f"<b>{self.model.marked_count()} of {total} marked</b>"
        if unsaved:
            text += (f"  ·  <span style='color:#92400e'>{unsaved} "
                     f"{'student' if unsaved == 1 else 'students'} not saved</span>")
        self.counter.setText(text)
        self.save_button.setEnabled(bool(unsaved))
        self.discard_button.setEnabled(bool(unsaved))

    def on_editor_closed(self, *_args: Any) -> None:
        if self._reload_waiting:
            QTimer.singleShot(0, self.reload)

    def on_advance(self, direction: str) -> None:
        self._move(direction)

    def _move(self, direction: str) -> None:
        here = self.table.currentIndex()
        if not here.isValid():
            return
        row, column = here.row(), here.column()
        last = len(self.model.rows) - 1
        if direction in ("down", "up"):
            row += 1 if direction == "down" else -1
            if row > last:
                self._say("That was the last student: Ctrl+S saves the marks.")
                return
            row = max(0, row)
        else:
            editable = list(EDITABLE)
            position = editable.index(column) if column in editable else -1
            position += 1 if direction == "next" else -1
            if position >= len(editable):
                row, position = min(row + 1, last), 0
            elif position < 0:
                row, position = max(row - 1, 0), len(editable) - 1
            column = editable[position]
        self.table.setCurrentIndex(self.model.index(row, column))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = Qt.Key(event.key())
            if event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                    | Qt.KeyboardModifier.AltModifier):
                return False
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._move("down")
                return True
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                self._move("next" if key == Qt.Key.Key_Tab else "previous")
                return True
            if key in _CLEAR_KEYS:
                here = self.table.currentIndex()
                if here.isValid() and here.column() in EDITABLE:
                    self.model.setData(here, "")
                return True
        return super().eventFilter(watched, event)

    # --- saving

    def on_discard(self) -> None:
        n = self.model.unsaved_count()
        if n and messages.confirm(self, "Undo changes",
                                  f"Forget the marks typed for {n} "
                                  f"{'student' if n == 1 else 'students'}?", default=True):
            self.model.discard()
            self._say("")

    def on_save(self) -> None:
        self.delegate.commit_and_close()
        period, section_id = self.current_period(), self.current_section_id()
        changed = self.model.changed_rows()
        if period is None or section_id is None or not changed:
            self._say("Nothing to save: no mark was changed.")
            return
        unmarked = [i for i in changed if not self.model.value(i, MARK)]
        if unmarked:
            i = unmarked[0]
            self.table.setCurrentIndex(self.model.index(i, MARK))
            self._say(f"{self.model.rows[i].name} has work habits, cooperation or comments "
                      "but no mark: type a mark (NM for no mark), then save.", problem=True)
            return
        if self.is_closed(period):
            dialog = self.reason_dialog = ChangeReasonDialog(period, len(changed), self)
            shown = (period.id, section_id)
            dialog.accepted.connect(lambda: self._save_with_reason(shown, dialog.reason()))
            dialog.finished.connect(dialog.deleteLater)
            dialog.finished.connect(self._forget_reason_dialog)
            dialog.open()
            return
        self._queue(period, section_id, None)

    def _forget_reason_dialog(self, *_args: Any) -> None:
        self.reason_dialog = None

    def _save_with_reason(self, shown: tuple[str, str], reason: str) -> None:
        period, section_id = self.current_period(), self.current_section_id()
        if period is None or section_id is None or (period.id, section_id) != shown \
                or not reason:
            return
        self._queue(period, section_id, reason)

    def _queue(self, period: MarkingPeriod, section_id: str, reason: str | None) -> None:
        done: list[int] = []
        for i in self.model.changed_rows():
            values = self.model.row_values(i)
            payload: dict[str, Any] = {
                "student_id": self.model.rows[i].student_id, "section_id": section_id,
                "marking_period_id": period.id, "mark": values["mark"]}
            payload.update({f: v for f, v in values.items() if f != "mark" and v})
            if reason:
                payload["reason"] = reason
            try:
                mutation_id = self.queue_edit("grade.mark", payload)
            except Exception as exc:
                messages.problem(self, "The marks were not saved", exc)
                break
            if mutation_id is None:
                break  # queue_edit has said why
            done.append(i)
        self.model.discard(done)
        self.load_sheet()
        if done:
            left = self.model.unsaved_count()
            self._say(f"Saved {len(done)} {'mark' if len(done) == 1 else 'marks'}; "
                      "they go to the server with the next sync."
                      + (f" {left} not saved." if left else ""), problem=bool(left))
            self.marks_saved.emit(len(done))
        log.info("queued %d grade.mark edits for a section", len(done))

