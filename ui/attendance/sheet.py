"""Attendance: the sheet a clerk marks from the keyboard, and what isn't submitted yet.

One key per code moves down the sheet; Ctrl+Enter submits. A section's
first submission goes to the server as one edit (its marks and the
submission together); later changes are corrections, each with a reason,
each audited. Everything is saved on the workstation first and works offline.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.edits import mark_record, submission_marks
from local_store import queries
from local_store.changes import Changes
from local_store.store import LocalStore
from ui.attendance.sheet_model import MARK, NOTE, SECTION, AttendanceSheetModel, Staged
from ui.common.screen import Offers, Screen
from ui.common.tasks import TaskRunner
from ui.session.school_session import PendingEdit
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

ALL_SECTIONS = "__all__"
REASONS = ("Parent note", "Phone call", "Office pass", "Teacher correction", "Other")

QueueEdit = Callable[..., Any]


class AttendanceScreen(Screen):
    """Signals:
        history_requested(str, str): the mark's id and a title, for the history window
        from_period_requested(str, str, int): student id, date, period ("left after…")
    """

    history_requested = Signal(str, str)
    from_period_requested = Signal(str, str, int)

    title = "Attendance"
    offers = Offers(student=True)
    shows = frozenset({"attendance_marks", "attendance_submissions", "section_enrollments",
                       "students", "sections", "bell_periods", "attendance_codes"})
    no_student_here = "Highlight a student on the attendance sheet first"

    def __init__(self, store: LocalStore, queue_edit: QueueEdit, parent: QWidget | None = None,
                 *, today: Callable[[], dt.datetime] = clock.now_local):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.today = today
        self.daily = store.get("school_level") == "elementary"
        self.model = AttendanceSheetModel(self)
        self.reader = TaskRunner(self)  # the whole sheet again after a new copy of the school
        self.date = named(QDateEdit(), "sheetDate")
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd MM/dd/yyyy")
        self.period = named(QComboBox(), "sheetPeriod")
        self.section = named(QComboBox(), "sheetSection")
        # Long section names must not widen the window past a 1366-pixel screen.
        self.section.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.section.setMinimumContentsLength(28)
        self.state = named(QLabel(), "sheetState")
        self.table = named(QTableView(), "sheetTable")
        self.missing = named(QListWidget(), "notSubmitted")
        self.missing_title = named(QLabel(), "notSubmittedTitle")
        self.reason = named(QComboBox(), "correctionReason")
        self.reason.addItems(REASONS)
        self.mark_all = named(QPushButton("Mark all &present"), "markAllPresent")
        self.submit = named(QPushButton("Submit  (Ctrl+Enter)"), "submitSheet")
        self.history = named(QPushButton("&History…"), "markHistory")
        self.history.setToolTip("Every write of the selected mark: who, when, from where, why")
        self.from_period = named(QPushButton("Rest of &day…"), "fromPeriod")
        self.from_period.setToolTip("Mark the selected student from this period to the end of "
                                    "the day (left early, sent home)")
        self.legend = named(QLabel(wordWrap=True), "keyLegend")
        # The state text grows; it must never widen the window past the screen.
        self.state.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state.setMinimumWidth(260)
        self.missing.setMinimumWidth(220)
        self.missing.setSpacing(3)
        self.missing.setWordWrap(True)
        self.code_keys: dict[str, str] = {}
        self._sections: dict[str, dict] = {}
        self._build()
        self._connect_signals()

    # --- layout

    def _build(self) -> None:
        t = self.table
        t.setModel(self.model)
        set_up_list_view(t, editable=True, padding=10)
        for column, width in enumerate((230, 110, 60, 70, 230, 90)):
            t.setColumnWidth(column, width)
        t.installEventFilter(self)

        top = QHBoxLayout()
        for label, widget in (("&Date", self.date), ("&Period", self.period),
                              ("&Section", self.section)):
            caption = QLabel(label)
            caption.setBuddy(widget)
            top.addWidget(caption)
            top.addWidget(widget, 3 if widget is self.section else 0)
        top.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.mark_all)
        buttons.addWidget(self.history)
        buttons.addWidget(self.from_period)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Reason:"))
        buttons.addWidget(self.reason)
        buttons.addWidget(self.submit)

        sheet = QWidget()
        left = QVBoxLayout(sheet)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(t, 1)
        left.addWidget(self.legend)
        left.addLayout(buttons)
        side = QWidget()
        right = QVBoxLayout(side)
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.missing_title)
        right.addWidget(self.missing, 1)
        split = QSplitter()
        split.addWidget(sheet)
        split.addWidget(side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(split, 1)

    def _connect_signals(self) -> None:
        self.date.dateChanged.connect(self.on_date_changed)
        self.period.currentIndexChanged.connect(self.on_period_changed)
        self.section.currentIndexChanged.connect(self.on_section_changed)
        self.mark_all.clicked.connect(self.on_mark_all_present)
        self.submit.clicked.connect(self.on_submit)
        self.history.clicked.connect(self.on_history)
        self.from_period.clicked.connect(self.on_from_period)
        self.missing.itemActivated.connect(self.on_missing_activated)
        self.missing.itemClicked.connect(self.on_missing_activated)
        self.model.dataChanged.connect(self._show_state)
        self.model.modelReset.connect(self._show_state)
        self.table.selectionModel().currentChanged.connect(self._student_shown)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.on_submit)

    # --- loading

    def reload(self) -> None:
        """Set date and period to now on first use, then re-read the sheet."""
        if not self.period.count():
            # The school's code table decides the keys (a district may add codes).
            codes = queries.attendance_codes(self.store)
            self.code_keys = {c["key"].upper(): c["code"] for c in codes if c["key"]}
            self.legend.setText("Keys:  " + "   ".join(
                f"<b>{c['key']}</b> {c['label']}" for c in codes if c["key"])
                + "   ·   <b>Space</b> present   <b>Enter</b> next   <b>digits</b> minutes late"
                "   <b>N</b> note   <b>Del</b> undo")
            now = self.today()
            self.date.blockSignals(True)
            self.date.setDate(QDate(now.year, now.month, now.day))
            self.date.blockSignals(False)
            self._fill_periods(queries.period_at(self.store, now))
        self._fill_sections()
        self.load_sheet()

    def _fill_periods(self, current: int | None) -> None:
        self.period.blockSignals(True)
        self.period.clear()
        for p in queries.bell_schedule(self.store):
            self.period.addItem(f"{p['label']}  ({p['start_time']}–{p['end_time']})",
                                p["number"])
        self.period.setCurrentIndex(max(0, self.period.findData(current)))
        self.period.blockSignals(False)

    def current_date(self) -> str:
        return self.date.date().toString("yyyy-MM-dd")

    def current_period(self) -> int:
        return self.period.currentData() or 0

    def submitted_period(self) -> int:
        """Daily schools record attendance for the day: period 0."""
        return 0 if self.daily else self.current_period()

    def _fill_sections(self) -> None:
        self._show_sections(queries.sections_meeting(
            self.store, date=self.current_date(), period=self.current_period(),
            daily=self.daily))

    def _show_sections(self, sections: list[dict]) -> None:
        chosen = self.section.currentData()
        self._sections = {s["id"]: s for s in sections}
        self.section.blockSignals(True)
        self.section.clear()
        self.section.addItem(f"All sections this period ({len(sections)})", ALL_SECTIONS)
        for s in sections:
            done = " ✓" if s["submitted_at"] else ""
            self.section.addItem(f"{s['section_number']}  {s['course_title']} — {s['teacher']}, "
                                 f"room {s['room']}{done}", s["id"])
        index = self.section.findData(chosen)
        self.section.setCurrentIndex(index if index >= 0 else (1 if sections else 0))
        self.section.blockSignals(False)
        self._fill_missing(sections)

    def _fill_missing(self, sections: list[dict]) -> None:
        waiting = [s for s in sections if not s["submitted_at"]]
        self.missing_title.setText(f"<b>Not yet submitted</b> — {len(waiting)} of "
                                   f"{len(sections)} sections")
        self.missing.clear()
        for s in waiting:
            item = QListWidgetItem(f"{s['section_number']} {s['course_title']}\n"
                                   f"{s['teacher']} · room {s['room']} · {s['students']} students")
            item.setData(Qt.ItemDataRole.UserRole, s["id"])
            self.missing.addItem(item)

    def load_sheet(self) -> None:
        section_id = self.section.currentData()
        if section_id in (None, ALL_SECTIONS):
            rows = queries.attendance_sheet(self.store, date=self.current_date(),
                                            period=self.current_period(), daily=self.daily)
        else:
            rows = queries.attendance_sheet(self.store, date=self.current_date(),
                                            section_id=section_id, daily=self.daily)
        numbers = {sid: s["section_number"] for sid, s in self._sections.items()}
        # Marks set but not yet saved survive a refresh from a sync.
        self.model.load(rows, numbers, self.model.staged, date=self.current_date(),
                        daily=self.daily)
        self.table.setColumnHidden(SECTION, section_id not in (None, ALL_SECTIONS))
        if rows:
            self.table.selectRow(0)
        self._student_shown()

    def _read_rows(self) -> list:
        section_id = self.section.currentData()
        if section_id in (None, ALL_SECTIONS):
            return queries.attendance_sheet(self.store, date=self.current_date(),
                                            period=self.current_period(), daily=self.daily)
        return queries.attendance_sheet(self.store, date=self.current_date(),
                                        section_id=section_id, daily=self.daily)

    def refresh(self, changes: Changes) -> None:
        """Re-read the sheet only when a write touched a mark on it, a roll of
        this period or who is in its sections; rows that didn't change don't
        repaint, and the clerk's place on the sheet stays."""
        if not self.period.count():
            self.reload()
            return
        if changes.everything:  # a new copy of the school: read it off the GUI thread
            self._refresh_in_background()
            return
        if changes.touches("bell_periods", "attendance_codes"):
            self.reload()
            return
        if changes.touches("attendance_submissions", "sections"):
            self._fill_sections()
        marks = changes.ids("attendance_marks")
        if changes.touches("section_enrollments", "students", "sections") or marks is None \
                or marks & self.model.mark_ids():
            self.model.update_rows(self._read_rows(), marks)
            self._show_state()

    def _refresh_in_background(self) -> None:
        store, daily = self.store, self.daily
        where = (self.current_date(), self.current_period(), self.section.currentData())
        date, period, section = where

        def read(_task) -> tuple[list[dict], list[dict], list]:
            bells = queries.bell_schedule(store)
            sections = queries.sections_meeting(store, date=date, period=period, daily=daily)
            if section in (None, ALL_SECTIONS):
                rows = queries.attendance_sheet(store, date=date, period=period, daily=daily)
            else:
                rows = queries.attendance_sheet(store, date=date, section_id=section,
                                                daily=daily)
            return bells, sections, rows

        def show(read_: tuple[list[dict], list[dict], list]) -> None:
            bells, sections, rows = read_
            moved = where != (self.current_date(), self.current_period(),
                              self.section.currentData())
            shown = [self.period.itemData(i) for i in range(self.period.count())]
            still = section in (None, ALL_SECTIONS) or any(s["id"] == section
                                                            for s in sections)
            if moved:
                return  # the clerk chose another sheet meanwhile: it was read then
            if shown != [b["number"] for b in bells] or not still:
                self.reload()
                return
            self._show_sections(sections)
            self.model.update_rows(rows, frozenset())  # edits still being written stay drawn
            self._show_state()
        self.reader.run(read, success=show)

    def show_pending(self, edit: PendingEdit) -> None:
        """Marks edited anywhere (this sheet, "rest of the day", a correction)
        show on the sheet at once, before the writer lane has written them."""
        if edit.op == "attendance.mark":
            marks = [edit.payload]
        elif edit.op == "attendance.submit":
            marks = submission_marks(edit.payload)
        else:
            return
        self.model.show_saving({mark_record(m, recorded_by=None, recorded_at="",
                                            workstation=None)["id"]: m for m in marks})


    # --- slots

    def on_date_changed(self, _date) -> None:
        self.model.staged.clear()  # marks belong to a date and period
        self._fill_sections()
        self.load_sheet()

    def on_period_changed(self, _index) -> None:
        self.model.staged.clear()
        self._fill_sections()
        self.load_sheet()

    def on_section_changed(self, _index) -> None:
        self.load_sheet()
        self.table.setFocus()

    def on_missing_activated(self, item: QListWidgetItem) -> None:
        index = self.section.findData(item.data(Qt.ItemDataRole.UserRole))
        if index >= 0:
            self.section.setCurrentIndex(index)

    def on_mark_all_present(self) -> None:
        self.model.mark_all_present()

    # --- the sheet's state

    def shown_sections(self) -> list[str]:
        section_id = self.section.currentData()
        if section_id in (None, ALL_SECTIONS):
            return sorted({r.section_id for r in self.model.rows})
        return [section_id]

    def is_submitted(self) -> bool:
        shown = self.shown_sections()
        return bool(shown) and all(self._sections.get(s, {}).get("submitted_at") for s in shown)

    def _show_state(self, *_args) -> None:
        changes = self.model.pending_count()
        single = self.section.currentData() not in (None, ALL_SECTIONS)
        info = self._sections.get(self.section.currentData() or "", {})
        if single and info.get("submitted_at"):
            when = _local_time(info["submitted_at"])
            text = f"Submitted {when} by {info['submitted_by']}"
            if info.get("late"):
                text += " — late"
        elif single:
            text = "Not submitted yet"
        else:
            text = "All sections meeting this period"
        if changes:
            text += f"  ·  {changes} change{'s' if changes != 1 else ''} not saved yet"
        self.state.setText(text)
        correcting = self.is_submitted() or not single
        self.reason.setEnabled(correcting)
        if correcting:
            self.submit.setText("Save corrections  (Ctrl+Enter)" if single
                                else "Save marks  (Ctrl+Enter)")
        else:
            self.submit.setText("Submit  (Ctrl+Enter)")
        self.submit.setEnabled(bool(self.model.rows) and (changes > 0 or not correcting))

    # --- keyboard

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.table and event.type() == event.Type.KeyPress \
                and self.table.state() != QAbstractItemView.State.EditingState:
            return self._on_sheet_key(event)
        return super().eventFilter(obj, event)

    def _on_sheet_key(self, event) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.on_submit()
            return True
        row = self.table.currentIndex().row()
        if row < 0 or event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                           | Qt.KeyboardModifier.AltModifier):
            return False
        key, text = event.key(), event.text().upper()
        if text in self.code_keys:
            self.model.set_mark(row, self.code_keys[text])
            self._move(row + 1)
            return True
        if key == Qt.Key.Key_Space:
            self.model.set_mark(row, "P")
            self._move(row + 1)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._move(row + 1)
            return True
        if text.isdigit():
            # Minutes late, typed straight onto a tardy row ("4", "5" → 45).
            self._digits = (self._digits if self._digits_row == row else "") + text
            self._digits_row = row
            self.model.set_minutes_late(row, int(self._digits[-3:]))
            return True
        if key == Qt.Key.Key_N:
            self.table.edit(self.model.index(row, NOTE))
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.model.staged.pop(self.model.key(self.model.rows[row]), None)
            self.model.dataChanged.emit(self.model.index(row, 0), self.model.index(row, NOTE))
            return True
        return False

    _digits, _digits_row = "", -1

    def _move(self, row: int) -> None:
        self._digits, self._digits_row = "", -1
        row = min(row, self.model.rowCount() - 1)
        self.table.setCurrentIndex(self.model.index(row, MARK))
        self.table.selectRow(row)

    # --- saving

    def on_submit(self) -> None:
        if not self.model.rows:
            return
        date, period = self.current_date(), self.submitted_period()
        changes = self.model.changes()
        correcting = self.is_submitted() or self.section.currentData() in (None, ALL_SECTIONS)
        saved: list[str | None] = []
        if correcting:
            reason = self.reason.currentText()
            for marks in changes.values():
                for row, staged in marks:
                    saved.append(self.queue_edit("attendance.mark", self._mark_payload(
                        row, staged, date, reason=reason)))
        else:
            section_id = self.shown_sections()[0]
            marks = changes.get(section_id, [])
            if self.daily:
                for row, staged in marks:
                    saved.append(self.queue_edit("attendance.mark",
                                                 self._mark_payload(row, staged, date)))
                saved.append(self.queue_edit("attendance.submit", {
                    "section_id": section_id, "date": date, "period": 0}))
            else:
                saved.append(self.queue_edit("attendance.submit", {
                    "section_id": section_id, "date": date, "period": period,
                    "marks": [_submitted_mark(row, staged) for row, staged in marks]}))
        if None in saved:  # refused (the clerk was told why): the sheet shows the cache
            self.load_sheet()
            return
        # Shown as saved at once; the cache's rows replace these when written.
        self.model.save_staged({self.model.key(row) for marks in changes.values()
                                for row, _staged in marks})
        if not correcting:
            self._submitted_here(self.shown_sections()[0])
        self._show_state()

    def _submitted_here(self, section_id: str) -> None:
        """The roll shows as submitted at once; the cache's own record (time,
        who, late or not) replaces this when it is written."""
        info = self._sections.get(section_id)
        if info is None:
            return
        info.update(submitted_at=clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
                    submitted_by="you", late=False)
        index = self.section.findData(section_id)
        if index >= 0 and not self.section.itemText(index).endswith(" ✓"):
            self.section.setItemText(index, self.section.itemText(index) + " ✓")
        self._fill_missing(list(self._sections.values()))

    def _mark_payload(self, row, staged: Staged, date: str, *, reason: str | None = None
                      ) -> dict[str, Any]:
        payload = {"student_id": row.student_id, "date": date, "code": staged.code,
                   "section_id": None if self.daily else row.section_id,
                   "period": 0 if self.daily else row.period,
                   "minutes_late": staged.minutes_late, "note": staged.note or None}
        if reason:
            payload["reason"] = reason
        return payload

    # --- history and whole-day changes

    def current_student_id(self) -> str:
        row = self.current_row()
        return row.student_id if row is not None else ""

    def _student_shown(self, *_args) -> None:
        self.student_changed.emit(self.current_student_id())

    def current_row(self):
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() else None

    def on_history(self) -> None:
        from domain.records import attendance_mark_id
        row = self.current_row()
        if row is None:
            return
        section = None if self.daily else row.section_id
        period = 0 if self.daily else row.period
        self.history_requested.emit(attendance_mark_id(row.student_id, section,
                                                       self.current_date(), period),
                                    f"{row.name} — {self.current_date()}, period {period}")

    def on_from_period(self) -> None:
        row = self.current_row()
        if row is not None:
            self.from_period_requested.emit(row.student_id, self.current_date(),
                                            self.current_period())

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        QTimer.singleShot(0, self, self.table.setFocus)


def _submitted_mark(row, staged: Staged) -> dict[str, Any]:
    mark = {"student_id": row.student_id, "code": staged.code}
    if staged.minutes_late is not None:
        mark["minutes_late"] = staged.minutes_late
    if staged.note:
        mark["note"] = staged.note
    return mark


def _local_time(iso_utc: str) -> str:
    moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%H:%M") if moment.date() == clock.today() \
        else moment.strftime("%b %d %H:%M")
