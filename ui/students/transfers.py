"""Students moving between schools of the district: asking, and answering.

Students → Transfer in (Ctrl+T) asks for a student of another school by
district id and birth date, as the family gives them; the request waits in
the outbox when offline. A student who was at this school before is simply
enrolled again. The Transfers screen lists the requests this school made
and those made of it: the student's school approves (the record, guardians,
history and transcript then move) or refuses with a reason the other school
reads; the asking school may take a waiting request back.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import ENTRY_CODES, grade_label
from domain.mutations import OPS
from local_store.store import LocalStore
from ui.common import messages
from ui.common.edit_form import EditForm, coded_combo, date_edit, iso_date
from ui.common.screen import Offers, Screen
from ui.students.enrollment import grade_combo
from ui.students.record import enrollment_status
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)

DISTRICT_ID = re.compile(r"^\d{10}$")
# Roles that answer a request at the student's school: the server's own rule.
ANSWERING_ROLES = OPS["transfer.approve"].roles
INFO_STYLE = "background: #eef6ff; border: 1px solid #93c5fd; border-radius: 3px; padding: 6px;"





def us_day(iso: str | None) -> str:
    return dt.date.fromisoformat(iso[:10]).strftime("%m/%d/%Y") if iso else ""


def us_moment(iso_utc: str | None) -> str:
    """A server time (ISO, UTC) in this workstation's time zone, as staff read it."""
    if not iso_utc:
        return ""
    moment = dt.datetime.fromisoformat(iso_utc.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%m/%d/%Y %I:%M %p").replace(" 0", " ")


class TransferInDialog(EditForm):
    """A student of another school: a request; a returning student: enrolled again.

    Signals:
        submitted(dict): a `transfer.request` or `enrollment.transfer_in` payload
    """

    def __init__(self, store: LocalStore, parent: QWidget | None = None, *,
                 today: dt.date | None = None):
        super().__init__(store, parent)
        self.today = today or clock.today()
        self.setWindowTitle("Transfer in from another school")
        self.explanation = named(QLabel(wordWrap=True), "explanation")
        self.explanation.setStyleSheet(INFO_STYLE)
        self.district_id = named(QLineEdit(placeholderText="10 digits",
                                           maxLength=12), "districtId")
        self.birth_date = date_edit("birthDate", self.today.replace(year=self.today.year - 10))
        self.grade = grade_combo(store)
        self.entry_date = date_edit("entryDate", self.today)
        self.entry_code = coded_combo("entryCode", ENTRY_CODES, "E2")
        self.note = named(QLineEdit(maxLength=500,
                                    placeholderText="optional, for the student's school"), "note")
        body = QVBoxLayout()
        body.addWidget(self.explanation)
        body.addSpacing(6)
        form = QFormLayout()
        form.addRow("District &student ID:", self.district_id)
        form.addRow("&Birth date:", self.birth_date)
        form.addRow("Gra&de:", self.grade)
        form.addRow("En&try date:", self.entry_date)
        form.addRow("Entry &code:", self.entry_code)
        form.addRow("&Note:", self.note)
        body.addLayout(form)
        self._finish(body, named(QPushButton("&Send request"), "transferButton"),
                     [self.district_id, self.birth_date, self.grade, self.entry_date,
                      self.entry_code, self.note], 560)
        self._connect_signals()
        self.on_id_changed("")

    @property
    def op(self) -> str:  # type: ignore[override]
        return "enrollment.transfer_in" if self.returning() else "transfer.request"

    def _connect_signals(self) -> None:
        super()._connect_signals()
        self.district_id.textChanged.connect(self.on_id_changed)
        self.entry_date.dateChanged.connect(self.on_field_changed)
        self.birth_date.dateChanged.connect(self.on_field_changed)

    def returning(self) -> dict[str, Any] | None:
        """This school's own record of the student, when they were here before."""
        district_id = self.district_id.text().strip()
        if not DISTRICT_ID.match(district_id):
            return None
        found = self.store.records("students", district_student_id=district_id)
        return found[0] if found else None

    def on_id_changed(self, _text: str) -> None:
        student = self.returning()
        if student is None:
            self.explanation.setText(
                "For a student of another school of the district. Their school (or the "
                "district office) is asked to approve; nothing of the student arrives here "
                "before it does. Offline, the request waits and goes with the next sync.")
            self.submit.setText("&Send request")
        else:
            self.explanation.setText(
                f"<b>{student['legal_first_name']} {student['legal_last_name']}</b> was at "
                f"this school before: they are enrolled here again.")
            self.submit.setText("&Enroll again")
        self.on_field_changed()

    def problems_found(self) -> list[str]:
        problems = []
        district_id = self.district_id.text().strip()
        if not DISTRICT_ID.match(district_id):
            digits = len(re.sub(r"\D", "", district_id))
            problems.append("A district student ID has 10 digits"
                            + (f"; this one has {digits}." if digits else "."))
        student = self.returning()
        if student is not None:
            enrollments = sorted(self.store.records("school_enrollments",
                                                    student_id=student["id"]),
                                 key=lambda e: e["entry_date"], reverse=True)
            if enrollment_status(enrollments, self.today)[1]:
                problems.append(f"{student['legal_first_name']} {student['legal_last_name']} "
                                f"({district_id}) is already enrolled at this school.")
            if student["birth_date"] != iso_date(self.birth_date):
                problems.append(f"The birth date doesn't match this school's record of "
                                f"{student['legal_first_name']} {student['legal_last_name']}.")
        if iso_date(self.birth_date) >= iso_date(self.entry_date):
            problems.append("The birth date must come before the entry date.")
        return problems

    def payload(self) -> dict[str, Any]:
        common = {"district_student_id": self.district_id.text().strip(),
                  "school_enrollment_id": str(uuid.uuid4()),
                  "entry_date": iso_date(self.entry_date),
                  "entry_code": self.entry_code.currentData(),
                  "grade_level": self.grade.currentData()}
        if self.returning():
            return common
        return {**common, "request_id": str(uuid.uuid4()), "birth_date": iso_date(self.birth_date),
                "note": self.note.text().strip() or None}


HEADERS = ["Student", "Grade", "Direction", "Other school", "Status", "Asked by", "Asked on",
           "Answered by", "Answered on", "Note or reason"]
WIDTHS = [300, 55, 95, 190, 250, 130, 160, 130, 160]


class TransferRequestsScreen(Screen):
    """Requests made by this school and of it, newest first.

    Signals:
        waiting_changed(int): how many requests wait for this school's answer
    """

    waiting_changed = Signal(int)

    title = "Transfers"
    offers = Offers(export=True, print=True)
    shows = frozenset({"transfer_requests", "students"})

    def __init__(self, store: LocalStore, queue_edit, *, role: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.may_answer = role in ANSWERING_ROLES
        self.requests: list[dict[str, Any]] = []
        self.model = RowsModel(self)
        self.show_all = named(QComboBox(), "transferFilter")
        self.show_all.addItem("Waiting for an answer", False)
        self.show_all.addItem("All requests", True)
        self.table = named(QTableView(), "transferTable")
        self.approve = named(QPushButton("&Approve…"), "approveButton")
        self.refuse = named(QPushButton("&Refuse…"), "refuseButton")
        self.take_back = named(QPushButton("&Take back"), "takeBackButton")
        self.count = named(QLabel(), "transferCount")
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        self.table.setModel(self.model)
        set_up_list_view(self.table)
        self.model.set_rows(HEADERS, [])
        for i, width in enumerate(WIDTHS):
            self.table.setColumnWidth(i, width)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Transfer requests</b> — students moving between schools of "
                             "the district"), 1)
        top.addWidget(self.show_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count, 1)
        for b in (self.approve, self.refuse, self.take_back):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def _connect_signals(self) -> None:
        self.show_all.currentIndexChanged.connect(lambda _i: self.reload())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self.approve.clicked.connect(self.on_approve)
        self.refuse.clicked.connect(self.on_refuse)
        self.take_back.clicked.connect(self.on_take_back)

    # --- reading

    def reload(self) -> None:
        here = self.store.get("school_id")
        everything = sorted(self.store.records("transfer_requests"),
                            key=lambda r: r["requested_at"] or "", reverse=True)
        for r in everything:
            r["incoming"] = r["from_school_id"] == here
            r["unsent"] = self.store.pending_for("transfer_requests", r["id"]) > 0
        waiting = sum(1 for r in everything if r["incoming"] and r["status"] == "requested")
        shown = everything if self.show_all.currentData() else [
            r for r in everything if r["status"] == "requested"]
        self.requests = shown
        self.model.set_rows(HEADERS, [self._row(r) for r in shown])
        self.count.setText(("1 request waits" if waiting == 1 else f"{waiting} requests wait")
                           + " for this school's answer" if waiting
                           else "No request waits for this school's answer")
        self.waiting_changed.emit(waiting)
        self._enable()

    def _row(self, r: dict[str, Any]) -> tuple[str, ...]:
        who = r["student_name"] or (f"Student {r['district_student_id']}, born "
                                    f"{us_day(r['birth_date'])}")
        if r["incoming"]:
            direction, other = "Asked of us", r["to_school_name"]
        else:
            direction, other = "We asked", r["from_school_name"] or "—"
        status = {"requested": "Waiting for us" if r["incoming"] else
                  f"Waiting for {r['from_school_name'] or 'the student’s school'}",
                  "approved": "Approved", "refused": "Refused",
                  "cancelled": "Taken back"}.get(r["status"], r["status"])
        if r["unsent"]:
            status += " (not sent yet)"
        return (who, grade_label(r["grade_level"]), direction, other, status,
                r["requested_by"], us_moment(r["requested_at"]), r["decided_by"] or "",
                us_moment(r["decided_at"]), r["decision_note"] or r["note"] or "")

    def current(self) -> dict[str, Any] | None:
        row = self.table.currentIndex().row()
        return self.requests[row] if 0 <= row < len(self.requests) else None

    def _enable(self) -> None:
        r = self.current()
        waiting = r is not None and r["status"] == "requested" and not r["unsent"]
        incoming = r is not None and r["incoming"]
        self.approve.setEnabled(waiting and incoming and self.may_answer)
        self.refuse.setEnabled(waiting and incoming and self.may_answer)
        self.take_back.setEnabled(waiting and not incoming)

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        return "Transfer requests", HEADERS, list(self.model.rows)

    # --- answering

    def on_approve(self) -> None:
        r = self.current()
        if r is None or not self.approve.isEnabled():
            return
        if not messages.confirm(
                self, "Approve the transfer",
                f"Transfer {r['student_name']} to {r['to_school_name']} in grade "
                f"{grade_label(r['grade_level'])} from {us_day(r['entry_date'])}?\n\n"
                f"Their record, guardians, enrollment history and transcript move there and "
                f"leave this school's workstations.", default=True):
            return
        self.queue_edit("transfer.approve", {"request_id": r["id"]})
        self.reload()

    def on_refuse(self) -> None:
        r = self.current()
        if r is None or not self.refuse.isEnabled():
            return
        reason, ok = QInputDialog.getMultiLineText(
            self, "Refuse the transfer",
            f"Why is {r['student_name']} not transferred to {r['to_school_name']}? "
            f"They will read this.")
        if not ok:
            return
        if not reason.strip():
            messages.show(self, "warning", "Refuse the transfer",
                          "Say why: the other school reads the reason.")
            return
        self.queue_edit("transfer.refuse", {"request_id": r["id"], "reason": reason.strip()})
        self.reload()

    def on_take_back(self) -> None:
        r = self.current()
        if r is None or not self.take_back.isEnabled():
            return
        if messages.confirm(self, "Take the request back",
                            f"Take back the request for student {r['district_student_id']}?",
                            default=True):
            self.queue_edit("transfer.cancel", {"request_id": r["id"]})
            self.reload()

