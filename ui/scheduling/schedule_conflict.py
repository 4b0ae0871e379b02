"""A schedule edit that came back as a conflict: both versions side by side,
and the counselor decides (DESIGN.md, "Sync": nothing is dropped silently).

Your version (the server's program with the edits made here) and the
server's are shown by period, each difference marked in colour and in text
("+", "−") so it reads the same printed or in grey. The combined checklist
holds every class of either version; "Keep mine", "Keep the server's" or
"Combine the ticked classes" settle it. Settling sends the edits that turn
the server's program into the chosen one (`queue_edit`, so they carry the
current version) and removes the conflicted edits from the outbox.
"""
from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import grade_label
from domain.mutations import check_mutation, new_mutation_id
from domain.scheduling import OVERRIDE
from local_store import queries
from local_store.scheduling.conflicts import (
    BOTH,
    DROPPED_ON_SERVER,
    ONLY_SERVER,
    ONLY_YOURS,
    ConflictView,
    MergedClass,
    check_resolution,
    chosen_problems,
    conflict_view,
    refusing,
    resolution_edits,
)
from local_store.store import LocalStore
from ui.common import messages
from ui.common.edits import QueueEdit
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

VERSION_COLUMNS = ("Period", "Class", "Teacher", "Difference")
CHECK_COLUMNS = ("Keep", "Period", "Class", "Teacher", "Room", "Where it is")
NO_CLASS = "— no class —"
ADDED, REMOVED, SAME, EMPTY = "added", "removed", "same", "empty"
_BACKGROUND = {ADDED: QBrush(QColor("#dcfce7")), REMOVED: QBrush(QColor("#fee2e2"))}
_FOREGROUND = {ADDED: QBrush(QColor("#14532d")), REMOVED: QBrush(QColor("#7f1d1d")),
               EMPTY: QBrush(QColor("#6b7280"))}
LEGEND = ("<b>+</b> in this version, not in the other (green) &nbsp;&nbsp; "
          "<b>−</b> in the other version, not in this one (red, struck through)")


def _item(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    item = table.item(row, column)
    assert item is not None
    return item


def _font(strike: bool = False, bold: bool = False) -> QFont:
    font = QFont()
    font.setStrikeOut(strike)
    font.setBold(bold)
    return font


class ScheduleConflictDialog(QDialog):
    """Both versions of one student's conflicted schedule, and the decision.

    ``ScheduleConflictDialog(store, student_id, queue_edit, parent=None, *, today=None)``:
    `queue_edit(op, payload)` saves an edit on this workstation (the main
    window's, which syncs soon after) and returns its id, or None when it
    could not be saved; `today` (ISO date) is for tests.

    Signals:
        resolved(str): the student's conflict was settled (their id); the
            outbox and the cache changed
    """

    resolved = Signal(str)

    title = "Schedule conflict"

    def __init__(self, store: LocalStore, student_id: str, queue_edit: QueueEdit | None,
                 parent: QWidget | None = None, *, today: str | None = None):
        super().__init__(parent)
        self.store = store
        self.student_id = student_id
        self.queue_edit = queue_edit
        self.today = today or clock.today().isoformat()
        self.view: ConflictView | None = None
        self.setWindowTitle("Schedule conflict: compare and decide")
        self.setObjectName("scheduleConflictDialog")
        self.heading = named(QLabel(wordWrap=True), "conflictHeading")
        self.intro = named(QLabel(wordWrap=True), "conflictIntro")
        self.your_changes = named(QLabel(wordWrap=True), "yourChanges")
        self.yours_box = named(QGroupBox("Your version (not saved)"), "yoursBox")
        self.server_box = named(QGroupBox("On the server now"), "serverBox")
        self.yours = self._version_table("yourVersion")
        self.server = self._version_table("serverVersion")
        self.legend = named(QLabel(LEGEND), "legend")
        self.checklist = named(QTableWidget(0, len(CHECK_COLUMNS)), "combinedList")
        self.reason = named(QLineEdit(placeholderText=(
            "Needed only for an exception: a full class, another grade, a course passed")),
            "overrideReason")
        self.keep_mine = named(QPushButton("Keep &mine"), "keepMineButton")
        self.keep_server = named(QPushButton("Keep the &server's"), "keepServerButton")
        self.combine = named(QPushButton("&Combine the ticked classes"), "combineButton")
        self.later = named(QPushButton("Decide &later"), "decideLaterButton")
        self._build()
        self._connect_signals()
        self.reload()
        self.resize(1240, 760)

    # --- layout

    def _version_table(self, name: str) -> QTableWidget:
        table = named(QTableWidget(0, len(VERSION_COLUMNS)), name)
        table.setHorizontalHeaderLabels(VERSION_COLUMNS)
        set_up_list_view(table)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for column, width in enumerate((64, 210, 112)):
            table.setColumnWidth(column, width)
        return table

    def _build(self) -> None:
        self.heading.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.keep_mine.setToolTip("Send your version: your changes on the server's schedule")
        self.keep_server.setToolTip("Leave the server's version as it is; your changes are "
                                    "not sent")
        self.combine.setToolTip("Send a schedule of exactly the ticked classes")
        self.later.setToolTip("Close; the conflict stays until you decide")
        t = self.checklist
        t.setHorizontalHeaderLabels(CHECK_COLUMNS)
        set_up_list_view(t)
        for column, width in enumerate((56, 64, 250, 140, 70)):
            t.setColumnWidth(column, width)
        for b in (self.keep_mine, self.keep_server, self.combine, self.later):
            b.setAutoDefault(False)
        sides = QHBoxLayout()
        for box, table in ((self.yours_box, self.yours), (self.server_box, self.server)):
            inner = QVBoxLayout(box)
            inner.addWidget(table)
            sides.addWidget(box, 1)
        combined = named(QGroupBox("Classes in either version: tick the ones to keep"),
                          "combinedBox")
        inner = QVBoxLayout(combined)
        inner.addWidget(t)
        reason_row = QHBoxLayout()
        reason_row.addWidget(QLabel("Reason for an exception:"))
        reason_row.addWidget(self.reason, 1)
        inner.addLayout(reason_row)
        buttons = QHBoxLayout()
        buttons.addWidget(self.later)
        buttons.addStretch(1)
        for b in (self.keep_server, self.keep_mine, self.combine):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addWidget(self.your_changes)
        layout.addLayout(sides, 1)
        layout.addWidget(self.legend)
        layout.addWidget(combined, 1)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self.keep_mine.clicked.connect(self.on_keep_mine)
        self.keep_server.clicked.connect(self.on_keep_server)
        self.combine.clicked.connect(self.on_combine)
        self.later.clicked.connect(self.reject)

    # --- content

    def reload(self) -> None:
        self.view = view = conflict_view(self.store, self.student_id, on=self.today)
        self.heading.setText(self._student_text())
        who = view.updated_by or "someone else"
        self.server_box.setTitle(f"On the server now — changed by {who}")
        open_ = bool(view.conflicts)
        if not open_:
            self.intro.setText("Nothing to decide: this student's schedule has no conflict "
                               "waiting on this workstation.")
        else:
            same = "" if view.merge.differs else (
                " Both versions have the same classes: keeping the server's loses nothing.")
            self.intro.setText(
                f"This schedule was changed on the server by {who} after your changes were "
                f"made here, so yours were not saved. Compare both versions and decide; "
                f"until you do, your changes are kept on this workstation.{same}")
        self.your_changes.setText(self._your_changes_text())
        for b in (self.keep_mine, self.keep_server, self.combine):
            b.setEnabled(open_)
        if self.queue_edit is None:
            for b in (self.keep_mine, self.combine):
                b.setEnabled(False)
                b.setToolTip("Open this from the main window to send a schedule")
        self._fill_version(self.yours, mine=True)
        self._fill_version(self.server, mine=False)
        self._fill_checklist()

    def _student_text(self) -> str:
        s = self.store.record("students", self.student_id)
        if s is None:
            return "A student no longer on this workstation"
        name = f"{s['legal_first_name']} {s['legal_last_name']}"
        district_id = f" ({s['district_student_id']})" if s["district_student_id"] else ""
        grade = self.view.grade_level if self.view else s["grade_level"]
        return f"Schedule of {name}{district_id}, grade {grade_label(grade)}"

    def _your_changes_text(self) -> str:
        assert self.view is not None
        lines = [self._describe_edit(c["op"], c["payload"]) for c in self.view.conflicts]
        if not lines:
            return ""
        return "<b>Your changes:</b> " + "; ".join(lines) + "."

    def _class_name(self, section_id: str) -> str:
        assert self.view is not None
        section = self.view.catalog.sections.get(section_id)
        if section is None:
            return "a section no longer on this workstation"
        return self.view.catalog.describe(section)

    def _entry_section(self, entry_id: str) -> str | None:
        entry = self.store.record("section_enrollments", entry_id)
        return entry["section_id"] if entry else None

    def _describe_edit(self, op: str, p: dict[str, Any]) -> str:
        if op == "schedule.add":
            return f"add {self._class_name(p['section_id'])} from {p['begin_date']}"
        old = self._entry_section(p["section_enrollment_id"])
        old_name = self._class_name(old) if old else "a class"
        if op == "schedule.drop":
            return f"drop {old_name} after {p['end_date']}"
        return (f"swap {old_name} for {self._class_name(p['section_id'])} from "
                f"{p['begin_date']}")

    def _cells(self, c: MergedClass) -> tuple[str, str, str, str]:
        """(period, class, teacher, room)."""
        assert self.view is not None
        section = self.view.catalog.sections[c.section_id]
        teacher = self.store.record("staff", section.teacher_id)
        name = f"{teacher['first_name']} {teacher['last_name']}" if teacher else ""
        return (str(c.period), self._class_name(c.section_id), name, section.room)

    def _periods(self) -> list[int]:
        assert self.view is not None
        numbers = {p["number"] for p in queries.bell_schedule(self.store)}
        numbers |= {c.period for c in self.view.merge.classes}
        return sorted(n for n in numbers if n > 0)

    def _difference(self, c: MergedClass, mine: bool) -> tuple[str, str] | None:
        """How a class shows in one version: (its look, its marker), or None
        when it has no place in that version's table."""
        here, there = (c.in_yours, c.in_server) if mine else (c.in_server, c.in_yours)
        if here and there:
            return SAME, "changed on the server" if c.changed_on_server else ""
        if here:
            if mine:
                return ADDED, "+ added by you"
            return ADDED, "+ added on the server" if c.changed_on_server else "+ not in yours"
        if there:
            if mine:
                return REMOVED, "− dropped by you" if c.your_change == "dropped" \
                    else "− not in yours"
            return REMOVED, "− not on the server"
        if c.origin == DROPPED_ON_SERVER:
            return REMOVED, "− dropped on the server" + (
                " (and by you)" if c.your_change == "dropped" else "")
        return None

    def _details(self, c: MergedClass) -> str:
        """The longer story of a class, for its tooltip."""
        who = (self.view.updated_by if self.view else None) or "someone else"
        parts = [f"began {c.begin_date}" if c.in_server else f"begins {c.begin_date}"]
        if c.origin == DROPPED_ON_SERVER:
            parts.append(f"dropped on the server by {who}"
                         + (f", last day {c.end_date}" if c.end_date else ""))
        elif c.changed_on_server:
            parts.append(f"changed on the server by {who} after your changes")
        if c.your_change == "dropped" and c.your_end_date:
            parts.append(f"you dropped it, last day {c.your_end_date}")
        elif c.your_change == "added":
            parts.append("you added it")
        return "; ".join(parts)

    def _fill_version(self, table: QTableWidget, *, mine: bool) -> None:
        assert self.view is not None
        rows: list[tuple[str, tuple[str, ...], str]] = []
        for period in self._periods():
            shown: list[tuple[str, tuple[str, ...], str]] = []
            for c in self.view.merge.classes:
                difference = self._difference(c, mine) if c.period == period else None
                if difference is not None:
                    period_text, name, teacher, _room = self._cells(c)
                    shown.append((difference[0], (period_text, name, teacher, difference[1]),
                                  self._details(c)))
            if all(look == REMOVED for look, _cells, _tip in shown):
                shown.insert(0, (EMPTY, (str(period), NO_CLASS, "", ""), ""))
            rows += shown
        table.setRowCount(len(rows))
        for r, (look, cells, details) in enumerate(rows):
            for column, text in enumerate(cells):
                if column == 1 and look in (ADDED, REMOVED):
                    text = ("+ " if look == ADDED else "− ") + text
                item = QTableWidgetItem(text)
                item.setToolTip(f"{cells[1]}: {details}" if details else text)
                item.setData(Qt.ItemDataRole.UserRole, look)
                if look in _BACKGROUND:
                    item.setBackground(_BACKGROUND[look])
                if look in _FOREGROUND:
                    item.setForeground(_FOREGROUND[look])
                if column == 1 and look == REMOVED:
                    item.setFont(_font(strike=True))
                elif column == 3 and look in (ADDED, REMOVED):
                    item.setFont(_font(bold=True))
                table.setItem(r, column, item)

    def _where(self, c: MergedClass) -> str:
        who = (self.view.updated_by if self.view else None) or "someone else"
        if c.origin == BOTH:
            return "in both"
        if c.origin == ONLY_YOURS:
            return "only in yours (added by you)"
        if c.origin == ONLY_SERVER:
            return (f"only on the server (added by {who})" if c.changed_on_server
                    else "only on the server (you dropped it)")
        return f"in neither (dropped on the server by {who}); tick to keep it"

    def _fill_checklist(self) -> None:
        assert self.view is not None
        classes = self.view.merge.classes
        t = self.checklist
        t.setRowCount(len(classes))
        for r, c in enumerate(classes):
            keep = QTableWidgetItem()
            keep.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            keep.setCheckState(Qt.CheckState.Checked if c.in_yours else Qt.CheckState.Unchecked)
            keep.setData(Qt.ItemDataRole.UserRole, c.entry_id)
            t.setItem(r, 0, keep)
            for column, text in enumerate((*self._cells(c), self._where(c)), start=1):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{self._cells(c)[1]}: {self._details(c)}")
                if c.origin != BOTH:
                    item.setBackground(_BACKGROUND[ADDED if c.in_yours else REMOVED])
                t.setItem(r, column, item)

    # --- what a test or a person reads

    def version_texts(self, mine: bool) -> list[tuple[str, ...]]:
        """The rows of one version as shown: (period, class, teacher, difference)."""
        table = self.yours if mine else self.server
        return [tuple(_item(table, r, c).text() for c in range(table.columnCount()))
                for r in range(table.rowCount())]

    def ticked(self) -> list[MergedClass]:
        assert self.view is not None
        by_id = {c.entry_id: c for c in self.view.merge.classes}
        out = []
        for r in range(self.checklist.rowCount()):
            item = _item(self.checklist, r, 0)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(by_id[item.data(Qt.ItemDataRole.UserRole)])
        return out

    def set_ticked(self, section_ids: set[str]) -> None:
        """Tick exactly the classes of these sections (for tests and scripts)."""
        assert self.view is not None
        for r, c in enumerate(self.view.merge.classes):
            _item(self.checklist, r, 0).setCheckState(
                Qt.CheckState.Checked if c.section_id in section_ids else Qt.CheckState.Unchecked)

    # --- deciding

    def on_keep_mine(self) -> None:
        if self.view is not None:
            self._settle(self.view.merge.kept_by_yours(), "kept mine")

    def on_combine(self) -> None:
        self._settle(self.ticked(), "combined")

    def on_keep_server(self) -> None:
        if not self._still_current():
            return
        self._discard_conflicts()
        log.info("schedule conflict settled: kept the server's version")
        self._done()

    def _still_current(self) -> bool:
        """The server's version may have moved on (a sync while this was
        open): then show it again rather than settle on an old picture."""
        assert self.view is not None
        shown = (self.view.program_version, [c["mutation_id"] for c in self.view.conflicts])
        now = conflict_view(self.store, self.student_id, on=self.today)
        if (now.program_version, [c["mutation_id"] for c in now.conflicts]) == shown:
            return True
        self.reload()
        messages.info(self, "The schedule changed meanwhile",
                      "This student's schedule changed on the server while you were comparing; "
                      "both versions are shown again as they are now. Please check and decide "
                      "again.")
        return False

    def _settle(self, chosen: list[MergedClass], how: str) -> None:
        view = self.view
        if view is None or self.queue_edit is None or not self._still_current():
            return
        if view.pending:
            messages.show(self, "warning", "Send the waiting changes first",
                          "This student has schedule changes on this workstation not sent to "
                          "the server yet. Sync first (Sync now); if they come back in "
                          "conflict too, they are shown here with the others.")
            return
        problems = chosen_problems(view.catalog, chosen, today=self.today)
        if problems:
            messages.show(self, "warning", "These classes can't all be kept",
                          "\n".join(problems))
            return
        edits = resolution_edits(view.entries, chosen, self.today, catalog=view.catalog,
                                 student_id=self.student_id,
                                 your_end_dates=view.merge.your_end_dates)
        reason = self.reason.text().strip() or None
        added = [p["section_id"] for op, p in edits if op != "schedule.drop"]
        findings = check_resolution(view.catalog, view.entries, edits,
                                    grade_level=view.grade_level,
                                    enrolled=view.enrolled(self.store, added),
                                    history=view.history)
        refused = refusing(findings, reason=reason)
        if refused:
            needs_reason = all(f.finding.severity == OVERRIDE for f in refused)
            text = "\n".join(dict.fromkeys(f.finding.message for f in refused))
            if needs_reason:
                text += "\n\nWrite the reason for the exception, then decide again."
                self.reason.setFocus()
            messages.show(self, "warning", "This schedule can't be sent as it is", text)
            return
        if reason:
            needing = [f.edit[1] for f in findings if f.finding.severity == OVERRIDE]
            edits = [(op, {**p, "override_reason": p.get("override_reason") or reason}
                      if any(p is n for n in needing) else p) for op, p in edits]
        try:
            for op, p in edits:  # a malformed edit stops here, before anything changes
                check_mutation({"mutation_id": new_mutation_id(), "op": op, "payload": p,
                                "base_version": view.program_version})
        except Exception as exc:
            messages.problem(self, "The schedule was not sent", exc)
            return
        # The conflicted edits go first: a new edit of this student would
        # otherwise follow them, and come back in conflict too.
        self._discard_conflicts()
        unsaved = [op for op, p in edits if not self._queue(op, p)]
        log.info("schedule conflict settled (%s): %d edits queued, %d not saved", how,
                 len(edits) - len(unsaved), len(unsaved))
        if unsaved:
            messages.show(self, "warning", "Part of the schedule was not saved",
                          f"{len(unsaved)} of {len(edits)} changes could not be saved on this "
                          "workstation; open the student's schedule and make them again.")
        self._done()

    def _queue(self, op: str, payload: dict[str, Any]) -> bool:
        assert self.queue_edit is not None
        return bool(self.queue_edit(op, payload))

    def _discard_conflicts(self) -> None:
        assert self.view is not None
        for c in self.view.conflicts:
            self.store.discard(c["mutation_id"])

    def _done(self) -> None:
        self.resolved.emit(self.student_id)
        self.accept()

