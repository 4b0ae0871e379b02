"""The change panel of the program editor: one add, drop or swap being made,
with the checks shown before it can be saved.

The checks are `domain.scheduling`'s, read from the cache
(`local_store.scheduling.program.check_program_change`): a blocking finding can't be
saved, one that needs a reason is saved only with it, a warning is for the
counselor to know.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain.scheduling import BLOCK, OVERRIDE, Catalog, Finding
from local_store.scheduling.master_schedule import MasterRow, master_schedule
from local_store.scheduling.program import check_program_change
from local_store.store import LocalStore
from ui.common.edit_form import date_edit, iso_date
from ui.scheduling.program_lines import (
    FindingsPanel,
    Line,
    LinesModel,
    candidate_lines,
    stretch_column,
)
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

ADD, DROP, SWAP = "add", "drop", "swap"


def _qdate(day: str) -> QDate:
    return QDate.fromString(day, "yyyy-MM-dd")


def _day_before(day: str) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=1)).isoformat()


class ProgramChangePanel(QGroupBox):
    """The change being made: the day it takes effect, the section to add (a
    list to filter), the checks, and the reason an override needs.

    ProgramChangePanel(store, student_id, today, parent=None): hidden until
    `open_change()`; `end_change()` hides it again. The dialog that embeds it
    saves `payload()` (its own Save shortcut and queue) and calls `refresh()`
    after reading the cache again. `save_button` and `cancel_button` are for
    it to connect.
    """

    ADD, DROP, SWAP = ADD, DROP, SWAP
    CANDIDATE_HEADERS = ("Course", "Section", "Teacher", "Room", "Enrolled")

    def __init__(self, store: LocalStore, student_id: str, today: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.student_id, self.today = store, student_id, today
        self.mode: str | None = None
        self.target: Line | None = None  # the program line a drop or swap is about
        self.findings: list[Finding] = []
        self.catalog: Catalog = Catalog({}, {}, {})  # the dialog's, kept current by it
        self._master: list[MasterRow] = []
        self._master_day = ""
        self._candidates: list[Line] = []
        self.setObjectName("changePanel")
        self.change_title = named(QLabel(), "changeTitle")
        self.period = named(QComboBox(), "changePeriod")
        self.period_label = QLabel("P&eriod:")
        self.date_label = QLabel()
        self.date = date_edit("changeDate", dt.date.fromisoformat(today))
        self.filter = named(QLineEdit(), "candidateFilter")
        self.candidate_model = LinesModel(self.CANDIDATE_HEADERS, self)
        self.candidates = named(QTableView(), "candidateTable")
        self.findings_panel = FindingsPanel()
        self.reason_label = QLabel("Reason for the &override:")
        self.reason = named(QLineEdit(), "overrideReason")
        self.save_button = named(QPushButton("&Save change"), "saveChange")
        self.cancel_button = named(QPushButton("Cancel"), "cancelChange")
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        self.change_title.setWordWrap(True)
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText("Type to filter: course, teacher, room…")
        self.reason.setPlaceholderText("Required: why this is the right placement")
        self.period_label.setBuddy(self.period)
        self.date_label.setBuddy(self.date)
        self.candidates.setModel(self.candidate_model)
        set_up_list_view(self.candidates)
        self.candidates.setMinimumHeight(120)
        stretch_column(self.candidates, 0)
        self.findings_panel.setSizePolicy(QSizePolicy.Policy.Preferred,
                                          QSizePolicy.Policy.Maximum)
        self.reason_label.setBuddy(self.reason)
        for b in (self.save_button, self.cancel_button):
            b.setAutoDefault(False)
        self.save_button.setToolTip("Save the change (Ctrl+S)")
        self.cancel_button.setToolTip("Leave the program as it is (Esc)")

        panel = QVBoxLayout(self)
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
        self.setMinimumWidth(500)
        self.hide()

    def _connect_signals(self) -> None:
        self.period.currentIndexChanged.connect(self.on_period_changed)
        self.date.dateChanged.connect(self.on_date_changed)
        self.filter.textEdited.connect(self.on_filter_edited)
        self.filter.returnPressed.connect(self.on_filter_return)
        self.candidates.selectionModel().currentRowChanged.connect(self.on_candidate_changed)
        self.reason.textChanged.connect(self.on_reason_changed)

    # --- opening and ending a change

    def open_change(self, mode: str, target: Line | None, *, period: int,
                    periods: Sequence[int], day: str, title: str) -> None:
        """Show the panel for a change to `target` (None: an add) in `period`,
        beginning on `day` unless the class begins later."""
        self.mode, self.target = mode, target
        self.reason.clear()
        picking = mode != self.DROP
        for w in (self.period_label, self.period, self.filter, self.candidates):
            w.setVisible(picking)
        self.setTitle({self.ADD: "Add", self.DROP: "Drop", self.SWAP: "Swap"}[mode])
        self.date_label.setText("&Last day in class:" if mode == self.DROP else "&Begins:")
        default = day
        if target is not None:  # not before the class began (a class starting later)
            base = self.today if mode == self.DROP else default
            default = max(base, target.texts[6])
        self.date.blockSignals(True)
        self.date.setDate(_qdate(default))
        self.date.blockSignals(False)
        self.period.blockSignals(True)
        self.period.clear()
        for p in periods:
            self.period.addItem(str(p), p)
        self.period.setCurrentIndex(max(self.period.findData(period), 0))
        self.period.blockSignals(False)
        self.filter.clear()
        self.show()
        if picking:
            self._fill_candidates(fresh=True)
            self.filter.setFocus()
        else:
            self.date.setFocus()
        self._run_checks()
        self.change_title.setText(title)

    def end_change(self) -> None:
        self.mode, self.target = None, None
        self.findings = []
        self.hide()

    def refresh(self) -> None:
        """The cache was read again (and `catalog` with it): the change being made
        is checked again."""
        if self.mode in (self.ADD, self.SWAP):
            self._fill_candidates(fresh=True)
        if self.mode is not None:
            self._run_checks()

    # --- the sections to pick from

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
            self._master = master_schedule(self.store, on=day)
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
            findings = check_program_change(self.store, self.student_id, on=day,
                                            drop_entry_id=self.target.entry_id)
        elif add is not None:
            findings = check_program_change(
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

    # --- what is saved

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

    def describe(self, op: str) -> str:
        """The saved change in a few words, for the dialog's status line."""
        add, target = self.candidate(), self.target
        if op == "schedule.drop" and target is not None:
            return f"dropped {target.texts[1]} (last day {iso_date(self.date)})"
        if op == "schedule.swap" and target is not None and add is not None:
            return (f"{target.texts[1]} ({target.texts[2]}) swapped for {add.texts[0]} "
                    f"({add.texts[1]}) from {iso_date(self.date)}")
        if add is not None:
            return f"added {add.texts[0]} ({add.texts[1]}) in period {add.period}"
        return op
