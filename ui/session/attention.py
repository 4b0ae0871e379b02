"""Changes waiting for a person: the ones the server refused or found in conflict.

Nothing the server didn't take is dropped silently (DESIGN.md, "Sync"): each
such edit stays in the outbox, listed here with the server's reason, until
someone has read it and dismisses it. A schedule conflict is not just
dismissed: it is compared and decided (`ui.scheduling.schedule_conflict`), and
dismissing one means keeping the server's version, after a confirmation.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from domain.codes import ATTENDANCE_CODE_BY_CODE, grade_label
from local_store.store import LocalStore
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.scheduling.schedule_conflict import ScheduleConflictDialog
from ui.session.school_session import SchoolSession
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

STATES = {"rejected": "Refused by the server", "conflict": "Conflict: changed by someone else",
          "pending": "Waiting to be sent"}
COLUMNS = ("Made", "By", "Change", "What happened", "The server's reason")
EMPTY = "Nothing is waiting for you."


def is_schedule_conflict(entry: dict[str, Any]) -> bool:
    return entry["state"] == "conflict" and entry["op"].startswith("schedule.")


def local_time(iso_utc: str | None) -> str:
    """An instant stored as UTC text, as this workstation's local time."""
    if not iso_utc:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    except ValueError:
        return iso_utc
    return moment.astimezone().strftime("%m/%d/%Y %I:%M %p").replace(" 0", " ")


def us_date(iso: str | None) -> str:
    """An ISO date as staff read it: 12/04/2026."""
    try:
        return dt.date.fromisoformat(iso or "").strftime("%m/%d/%Y")
    except ValueError:
        return iso or ""


class ChangeDescriber:
    """Says what an outbox entry was in a clerk's words, from its payload and the cache."""

    def __init__(self, store: LocalStore):
        self.store = store

    def student(self, student_id: str) -> str:
        s = self.store.record("students", student_id)
        if s is None:
            return "a student no longer on this workstation"
        name = f"{s['legal_first_name']} {s['legal_last_name']}"
        return f"{name} ({s['district_student_id']})" if s["district_student_id"] else name

    def section(self, section_id: str | None) -> str:
        section = self.store.record("sections", section_id) if section_id else None
        if section is None:
            return "a section no longer on this workstation" if section_id else "the day"
        course = self.store.record("courses", section["course_id"])
        title = f"{course['code']} {course['title']}" if course else "section"
        return f"{title}, period {section['period']}"

    def transfer(self, request_id: str | None) -> str:
        r = self.store.record("transfer_requests", request_id) if request_id else None
        if r is None:
            return "a student"
        return r["student_name"] or f"student {r['district_student_id']}"

    def describe(self, op: str, p: dict[str, Any]) -> str:
        if op == "enrollment.enroll":
            return (f"Enroll {p.get('legal_first_name', '')} {p.get('legal_last_name', '')} "
                    f"in grade {grade_label(p.get('grade_level') or 0)} "
                    f"from {us_date(p.get('entry_date'))}")
        if op == "enrollment.withdraw":
            return (f"Withdraw {self.student(p['student_id'])}, last day "
                    f"{us_date(p.get('exit_date'))} ({p.get('withdrawal_code')})")
        if op == "enrollment.transfer_in":
            return (f"Re-enroll student {p.get('district_student_id')} in grade "
                    f"{grade_label(p.get('grade_level') or 0)} from {us_date(p.get('entry_date'))}")
        if op == "transfer.request":
            return (f"Ask for the transfer of student {p.get('district_student_id')} into "
                    f"grade {grade_label(p.get('grade_level') or 0)} from "
                    f"{us_date(p.get('entry_date'))}")
        if op in ("transfer.approve", "transfer.refuse", "transfer.cancel"):
            verb = {"transfer.approve": "Approve", "transfer.refuse": "Refuse",
                    "transfer.cancel": "Take back"}[op]
            return f"{verb} the transfer request for {self.transfer(p.get('request_id'))}"
        if op == "attendance.mark":
            code = ATTENDANCE_CODE_BY_CODE.get(p.get("code", ""))
            mark = f"{p.get('code')} ({code.label})" if code else str(p.get("code"))
            where = self.section(p.get("section_id"))
            return (f"Attendance mark {mark} for {self.student(p['student_id'])} on "
                    f"{us_date(p.get('date'))}, {where}")
        if op == "attendance.submit":
            return (f"Attendance taken for {self.section(p.get('section_id'))} "
                    f"on {us_date(p.get('date'))}")
        if op == "schedule.add":
            return (f"Schedule change for {self.student(p['student_id'])}: add "
                    f"{self.section(p.get('section_id'))} from {us_date(p.get('begin_date'))}")
        if op == "schedule.drop":
            return (f"Schedule change for {self.student(p['student_id'])}: drop "
                    f"{self.entry(p.get('section_enrollment_id'))} "
                    f"after {us_date(p.get('end_date'))}")
        if op == "schedule.swap":
            return (f"Schedule change for {self.student(p['student_id'])}: swap "
                    f"{self.entry(p.get('section_enrollment_id'))} for "
                    f"{self.section(p.get('section_id'))} from {us_date(p.get('begin_date'))}")
        if op == "section.save":
            course = self.store.record("courses", p.get("course_id") or "")
            title = f"{course['code']} {course['title']}" if course else "a course"
            return (f"Section {p.get('section_number')} of {title}, period {p.get('period')}, "
                    f"room {p.get('room')}, {p.get('capacity')} seats")
        if op in ("request.add", "request.remove"):
            course = self.store.record("courses", p.get("course_id") or "")
            what = (f"request {course['title']}" if op == "request.add" and course
                    else "add a course request" if op == "request.add"
                    else "remove a course request")
            return f"Next year's courses for {self.student(p['student_id'])}: {what}"
        if op == "grade.mark":
            period = self.store.record("marking_periods", p.get("marking_period_id") or "")
            return (f"Mark {p.get('mark')} for {self.student(p['student_id'])} in "
                    f"{self.section(p.get('section_id'))}"
                    + (f", {period['name']}" if period else ""))
        if op == "report_card.printed":
            return f"Report card printed for {self.student(p['student_id'])}"
        return op

    def entry(self, entry_id: str | None) -> str:
        """The class a schedule entry is of (the server's record of it, after a conflict)."""
        entry = self.store.record("section_enrollments", entry_id) if entry_id else None
        return self.section(entry["section_id"]) if entry else "a class"


class AttentionDialog(QDialog):
    """The outbox entries answered "conflict" or "rejected", to read and dismiss,
    schedule conflicts to compare and decide, and the person's changes still
    waiting to be sent, which they can take back (a mistaken withdrawal):
    the cache returns to the server's version and nothing is sent.

    ``AttentionDialog(store, parent=None, *, queue_edit=None, today=None)``:
    with `queue_edit` (the main window's), a schedule conflict can be settled
    with a schedule of both versions; without it, only the server's version
    can be kept. `today` (ISO date) is the day the comparison is made for.

    Signals:
        changed(): an entry was dismissed or a conflict settled (counts and
            screens may change)
    """

    changed = Signal()

    title = "Changes waiting for you"

    def __init__(self, store: LocalStore, parent: QWidget | None = None, *,
                 queue_edit: QueueEdit | None = None, session: SchoolSession | None = None,
                 today: str | None = None):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.session = session
        self.today = today
        self.entries: list[dict[str, Any]] = []
        self.conflict_dialog: ScheduleConflictDialog | None = None
        self.setWindowTitle(self.title)
        self.setObjectName("attentionDialog")
        self.setModal(False)
        self.explanation = QLabel(
            "The server did not take these changes made on this workstation. They are kept "
            "here until you decide, so nothing is lost without you knowing. A refused change "
            "can be made again once its reason is dealt with; then dismiss it. A schedule "
            "conflict means someone else changed the student's schedule meanwhile: compare "
            "both versions and decide which classes to keep.", wordWrap=True)
        self.table = named(QTableWidget(0, len(COLUMNS)), "attentionTable")
        self.details = named(QLabel(
            wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse),
            "details")
        self.empty = named(QLabel(
            f"<p style='font-size: large'>{EMPTY}</p><p>Changes the server refuses, or finds "
            f"in conflict with someone else's, are listed here until you decide.</p>",
            alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True), "emptyState")
        self.pages = QStackedWidget()
        self.compare = named(QPushButton("&Compare and decide…"), "compareButton")
        self.dismiss = named(QPushButton("&Dismiss"), "dismissButton")
        self.take_back = named(QPushButton("&Take back…"), "takeBackButton")
        self.take_back.setToolTip("Cancel this change before it is sent: this workstation "
                                  "returns to the server's version")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._build()
        self._connect_signals()
        self.reload()
        self.resize(1040, 480)

    def _build(self) -> None:
        t = self.table
        t.setHorizontalHeaderLabels(COLUMNS)
        set_up_list_view(t)
        for column, width in enumerate((130, 100, 380, 230)):
            t.setColumnWidth(column, width)
        self.listing = QWidget()
        listing = QVBoxLayout(self.listing)
        listing.setContentsMargins(0, 0, 0, 0)
        listing.addWidget(t, 1)
        listing.addWidget(self.details)
        self.pages.addWidget(self.listing)
        self.pages.addWidget(self.empty)
        self.buttons.addButton(self.compare, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.dismiss, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.take_back, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explanation)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.table.itemSelectionChanged.connect(self.on_selection_changed)
        self.table.itemDoubleClicked.connect(self.on_double_clicked)
        self.compare.clicked.connect(self.on_compare)
        self.dismiss.clicked.connect(self.on_dismiss)
        self.take_back.clicked.connect(self.on_take_back)
        self.buttons.rejected.connect(self.reject)

    # --- content

    def reload(self) -> None:
        entries = self.store.outbox_entries("conflict") + self.store.outbox_entries("rejected")
        waiting = [e for e in self.store.outbox_entries("pending") if self._mine(e)]
        self.entries = sorted(entries, key=lambda e: e["seq"]) + waiting
        describe = ChangeDescriber(self.store).describe
        self.table.setRowCount(len(self.entries))
        for row, e in enumerate(self.entries):
            answer = e["answer"] or {}
            reason = ("Not sent yet: it goes with the next sync" if e["state"] == "pending"
                      else answer.get("reason") or "The server gave no reason.")
            cells = (local_time(e["created_at"]), e["created_by"] or "—",
                     describe(e["op"], e["payload"]), STATES.get(e["state"], e["state"]), reason)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.pages.setCurrentWidget(self.listing if self.entries else self.empty)
        self.explanation.setVisible(bool(self.entries))
        answered = any(e["state"] != "pending" for e in self.entries)
        self.dismiss.setVisible(answered)
        self.take_back.setVisible(any(e["state"] == "pending" for e in self.entries))
        self.compare.setVisible(any(is_schedule_conflict(e) for e in self.entries))
        if self.entries:
            self.table.selectRow(0)
        self.on_selection_changed()

    def selected_entry(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _mine(self, entry: dict[str, Any]) -> bool:
        """A person takes back their own waiting changes only."""
        user = self.session.workstation.user if self.session is not None else None
        return entry["created_by"] in (None, user) if user else entry["created_by"] is None

    def on_selection_changed(self) -> None:
        entry = self.selected_entry()
        self.dismiss.setEnabled(entry is not None and entry["state"] != "pending")
        self.take_back.setEnabled(entry is not None and entry["state"] == "pending")
        conflict = entry is not None and is_schedule_conflict(entry)
        self.compare.setEnabled(conflict)
        self.dismiss.setText("Keep the server's…" if conflict else "&Dismiss")
        self.dismiss.setToolTip("Keep the server's version of this schedule; your changes to "
                                "it are not sent" if conflict else "Remove this change from "
                                "the list; it is not sent again")
        if entry is None:
            self.details.setText("")
            return
        row = self.entries.index(entry)
        answered = local_time(entry.get("answered_at"))
        what, state, reason = (self._text(row, column) for column in (2, 3, 4))
        self.details.setText(f"<b>{what}</b><br>{state}"
                             + (f" (answered {answered})" if answered else "") + f": {reason}")

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item else ""

    def on_double_clicked(self, _item: QTableWidgetItem) -> None:
        entry = self.selected_entry()
        if entry is not None and is_schedule_conflict(entry):
            self.on_compare()

    def on_compare(self) -> ScheduleConflictDialog | None:
        """Open both versions of the selected entry's schedule, to decide."""
        entry = self.selected_entry()
        if entry is None or not is_schedule_conflict(entry):
            return None
        dialog = ScheduleConflictDialog(self.store, entry["payload"]["student_id"],
                                        self.queue_edit, parent=self, today=self.today)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resolved.connect(self.on_conflict_resolved)
        dialog.destroyed.connect(self.on_conflict_dialog_closed)
        self.conflict_dialog = dialog
        dialog.open()
        return dialog

    def on_conflict_dialog_closed(self, *_args) -> None:
        self.conflict_dialog = None

    def on_conflict_resolved(self, _student_id: str) -> None:
        self.reload()
        self.changed.emit()

    def on_dismiss(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        if is_schedule_conflict(entry):
            self._keep_servers_schedule(entry["payload"]["student_id"])
            return
        what = ChangeDescriber(self.store).describe(entry["op"], entry["payload"])
        if not messages.confirm(self, "Dismiss this change",
                                f"Dismiss “{what}”? It will not be sent again and this "
                                f"workstation keeps no copy of it."):
            return
        self.store.discard(entry["mutation_id"])
        log.info("outbox entry %s (%s, %s) dismissed", entry["mutation_id"], entry["op"],
                 entry["state"])
        self.reload()
        self.changed.emit()

    def on_take_back(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry["state"] != "pending":
            return
        what = ChangeDescriber(self.store).describe(entry["op"], entry["payload"])
        messages.ask(self, "Take back this change",
                     f"Take back “{what}”? It has not been sent; this workstation returns to "
                     f"the server's version and nothing is sent.",
                     lambda yes: self._take_back(entry) if yes else None)

    def _take_back(self, entry: dict[str, Any]) -> None:
        def done(_changes: object = None) -> None:
            log.info("waiting change %s (%s) taken back", entry["mutation_id"], entry["op"])
            self.reload()
            self.changed.emit()
        if self.session is not None:
            self.session.cancel_edit(entry["mutation_id"], done=done)
            return
        try:
            self.store.cancel(entry["mutation_id"])
        except Exception as exc:
            messages.problem(self, "The change could not be taken back", exc)
            return
        done()

    def _keep_servers_schedule(self, student_id: str) -> None:
        """Dismissing a schedule conflict is deciding for the server's version:
        every conflicted change of that student goes, once confirmed."""
        describer = ChangeDescriber(self.store)
        conflicts = self.store.schedule_edits(student_id, state="conflict")
        listed = "\n".join(f"• {describer.describe(c['op'], c['payload'])}" for c in conflicts)
        if not messages.confirm(
                self, "Keep the server's schedule",
                f"Keep the server's version of {describer.student(student_id)}'s schedule? "
                f"Your changes to it will not be sent, and this workstation keeps no copy:\n"
                f"{listed}\n\nTo keep some of them, choose Compare and decide… instead."):
            return
        for c in conflicts:
            self.store.discard(c["mutation_id"])
        log.info("schedule conflict dismissed: kept the server's version (%d edits)",
                 len(conflicts))
        self.reload()
        self.changed.emit()
