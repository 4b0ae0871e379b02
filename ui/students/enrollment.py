"""Enroll and withdraw: the registrar's forms (transfers: ui/students/transfers.py).

Each is an `EditForm` (ui/common/edit_form.py): problems in red on the form, and a
payload checked for its operation. The main window queues what they submit
and the next sync takes it to the server.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.codes import (
    ENGLISH_LEARNER_STATUSES,
    ENTRY_CODES,
    GENDERS,
    GRADE_LEVELS,
    LANGUAGES,
    WITHDRAWAL_CODES,
    grade_label,
)
from local_store import queries
from local_store.store import LocalStore
from ui.common.edit_form import EditForm, coded_combo, date_edit, iso_date
from ui.students.record import enrollment_status
from widgets.naming import named

log = logging.getLogger(__name__)

WARNING_STYLE = ("background: #fff4d6; border: 1px solid #e0b44c; border-radius: 3px; "
                 "padding: 6px;")
RELATIONSHIPS = ("Mother", "Father", "Grandmother", "Grandfather", "Aunt", "Uncle",
                 "Foster parent", "Guardian", "Other")
DISTRICT_ID = re.compile(r"^\d{10}$")


def grade_combo(store: LocalStore, name: str = "grade") -> QComboBox:
    """Every grade, the school's lowest one (where most new students start) chosen."""
    combo = named(QComboBox(), name)
    for level in GRADE_LEVELS:
        combo.addItem("Kindergarten" if level == 0 else f"Grade {grade_label(level)}", level)
    grades = queries.grade_levels(store)
    combo.setCurrentIndex(combo.findData(min(grades)) if grades else 0)
    return combo


def _year_problem(store: LocalStore, day: str, what: str) -> str | None:
    bounds = queries.school_day_bounds(store)
    if bounds and not bounds[0] <= day <= bounds[1]:
        return f"{what} must fall in the school year ({bounds[0]} to {bounds[1]})."
    return None


class EnrollDialog(EditForm):
    """A new student, their first enrollment at this school and their primary guardian.

    Signals:
        submitted(dict): an `enrollment.enroll` payload
    """

    op = "enrollment.enroll"

    def __init__(self, store: LocalStore, parent: QWidget | None = None, *,
                 today: dt.date | None = None):
        super().__init__(store, parent)
        self.setWindowTitle("Enroll a new student")
        self.today = today = today or clock.today()
        self.first_name = named(QLineEdit(), "firstName")
        self.last_name = named(QLineEdit(), "lastName")
        self.preferred_name = named(QLineEdit(placeholderText="optional"), "preferredName")
        self.birth_date = date_edit("birthDate", today.replace(year=today.year - 10))
        self.grade = grade_combo(store)
        self.gender = named(QComboBox(placeholderText="Choose…"), "gender")
        for code, label in GENDERS.items():
            self.gender.addItem(label, code)
        self.gender.setCurrentIndex(-1)
        self.language = named(QComboBox(), "homeLanguage")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.el_status = named(QComboBox(), "elStatus")
        for code, label in ENGLISH_LEARNER_STATUSES.items():
            self.el_status.addItem(f"{label} ({code})", code)
        self.counselor = named(QComboBox(), "counselor")
        self.counselor.addItem("Not assigned yet", None)
        for c in queries.staff_by_title(store, "Counselor"):
            self.counselor.addItem(f"{c['first_name']} {c['last_name']}", c["id"])
        self.entry_date = date_edit("entryDate", today)
        self.entry_code = coded_combo("entryCode", ENTRY_CODES, "E1")
        self.guardian_first = named(QLineEdit(), "guardianFirstName")
        self.guardian_last = named(QLineEdit(), "guardianLastName")
        self.relationship = named(QComboBox(editable=True), "guardianRelationship")
        self.relationship.addItems(RELATIONSHIPS)
        self.guardian_phone = named(QLineEdit(placeholderText="(213) 555-0100"), "guardianPhone")
        self.duplicates = named(QLabel(wordWrap=True), "duplicates")
        self.duplicates.hide()
        self.duplicates.setStyleSheet(WARNING_STYLE)
        self.not_duplicate = named(QCheckBox("This is a different child"), "notDuplicate")
        self.not_duplicate.hide()
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        student = QGroupBox("Student")
        form = QFormLayout(student)
        form.addRow("&Legal first name:", self.first_name)
        form.addRow("Legal l&ast name:", self.last_name)
        form.addRow("&Preferred name:", self.preferred_name)
        form.addRow("&Birth date:", self.birth_date)
        form.addRow("&Gender:", self.gender)
        form.addRow("Home la&nguage:", self.language)
        form.addRow("English learner &status:", self.el_status)
        enrollment = QGroupBox("Enrollment")
        form = QFormLayout(enrollment)
        form.addRow("Gra&de:", self.grade)
        form.addRow("En&try date:", self.entry_date)
        form.addRow("Entry &code:", self.entry_code)
        form.addRow("Co&unselor:", self.counselor)
        guardian = QGroupBox("Primary guardian")
        form = QFormLayout(guardian)
        form.addRow("&First name:", self.guardian_first)
        form.addRow("Last na&me:", self.guardian_last)
        form.addRow("&Relationship:", self.relationship)
        form.addRow("P&hone:", self.guardian_phone)
        grid = QGridLayout()
        grid.addWidget(student, 0, 0, 2, 1)
        grid.addWidget(enrollment, 0, 1)
        grid.addWidget(guardian, 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout()
        layout.addLayout(grid)
        layout.addWidget(self.duplicates)
        layout.addWidget(self.not_duplicate)
        self._finish(layout, named(QPushButton("&Enroll"), "enrollButton"), [
            self.first_name, self.last_name, self.preferred_name, self.birth_date, self.gender,
            self.language, self.el_status, self.grade, self.entry_date, self.entry_code,
            self.counselor, self.guardian_first, self.guardian_last, self.relationship,
            self.guardian_phone, self.not_duplicate], 780)

    def _connect_signals(self) -> None:
        super()._connect_signals()
        for edit in (self.first_name, self.last_name):
            edit.textChanged.connect(self.on_identity_changed)
        self.birth_date.dateChanged.connect(self.on_identity_changed)
        self.not_duplicate.toggled.connect(self.on_not_duplicate_toggled)
        for edit in (self.preferred_name, self.guardian_first, self.guardian_last,
                     self.guardian_phone):
            edit.textChanged.connect(self.on_field_changed)
        for combo in (self.gender, self.language, self.el_status, self.grade):
            combo.currentIndexChanged.connect(self.on_field_changed)
        self.entry_date.dateChanged.connect(self.on_field_changed)

    # --- duplicates: the same child must not be enrolled twice

    def on_identity_changed(self, *_args: Any) -> None:
        first, last = self.first_name.text().strip(), self.last_name.text().strip()
        matches = (queries.possible_duplicates(self.store, first, last, iso_date(self.birth_date))
                   if first and last else [])
        if matches:
            lines = [f"{m['district_student_id'] or '(not yet confirmed)'} — "
                     f"{m['legal_first_name']} {m['legal_last_name']}, "
                     f"grade {grade_label(m['grade_level'])}" for m in matches]
            self.duplicates.setText(
                "<b>Already at this school with the same name and birth date:</b><br>"
                + "<br>".join(lines) + "<br>Open that record instead, unless this is a "
                "different child.")
        else:
            self.not_duplicate.setChecked(False)
        self.duplicates.setVisible(bool(matches))
        self.not_duplicate.setVisible(bool(matches))
        self.submit.setEnabled(not matches or self.not_duplicate.isChecked())
        self.on_field_changed()

    def on_not_duplicate_toggled(self, checked: bool) -> None:
        self.submit.setEnabled(checked or not self.not_duplicate.isVisible())

    # --- checking

    def problems_found(self) -> list[str]:
        problems = []
        if not self.first_name.text().strip():
            problems.append("Enter the student's legal first name.")
        if not self.last_name.text().strip():
            problems.append("Enter the student's legal last name.")
        birth, entry = iso_date(self.birth_date), iso_date(self.entry_date)
        if birth > self.today.isoformat():
            problems.append("The birth date is in the future.")
        elif birth >= entry:
            problems.append("The birth date must come before the entry date.")
        if self.gender.currentIndex() < 0:
            problems.append("Choose the student's gender.")
        if self.language.currentData() != "en" and self.el_status.currentData() == "EO":
            problems.append(f"A student whose home language is {self.language.currentText()} "
                            f"can't be “English only”: choose their English learner status.")
        if problem := _year_problem(self.store, entry, "The entry date"):
            problems.append(problem)
        guardian_given = any(w.text().strip() for w in (self.guardian_first, self.guardian_last,
                                                         self.guardian_phone))
        if guardian_given and not self.guardian_last.text().strip():
            problems.append("Enter the guardian's last name (or leave the guardian empty).")
        phone = self.guardian_phone.text().strip()
        if phone and not 7 <= len(re.sub(r"\D", "", phone)) <= 15:
            problems.append("The guardian's phone number needs 7 to 15 digits.")
        return problems

    def payload(self) -> dict[str, Any]:
        def text(edit: QLineEdit) -> str | None:
            return edit.text().strip() or None

        payload: dict[str, Any] = {
            "student_id": str(uuid.uuid4()), "school_enrollment_id": str(uuid.uuid4()),
            "entry_date": iso_date(self.entry_date), "entry_code": self.entry_code.currentData(),
            "legal_first_name": text(self.first_name), "legal_last_name": text(self.last_name),
            "preferred_name": text(self.preferred_name), "birth_date": iso_date(self.birth_date),
            "grade_level": self.grade.currentData(), "gender": self.gender.currentData(),
            "home_language": self.language.currentData(),
            "english_learner_status": self.el_status.currentData(),
            "counselor_id": self.counselor.currentData(),
        }
        if text(self.guardian_last):
            payload.update(guardian_first_name=text(self.guardian_first),
                           guardian_last_name=text(self.guardian_last),
                           guardian_relationship=self.relationship.currentText().strip() or None,
                           guardian_phone=text(self.guardian_phone))
        if self.not_duplicate.isVisible() and self.not_duplicate.isChecked():
            payload["confirmed_not_duplicate"] = True
        return payload


class WithdrawDialog(EditForm):
    """End a student's enrollment at this school.

    Signals:
        submitted(dict): an `enrollment.withdraw` payload
    """

    op = "enrollment.withdraw"

    def __init__(self, store: LocalStore, student_id: str, parent: QWidget | None = None,
                 *, today: dt.date | None = None):
        super().__init__(store, parent)
        self.student_id = student_id
        self.today = today or clock.today()
        self.setWindowTitle("Withdraw a student")
        self.who = named(QLabel(wordWrap=True), "who")
        self.exit_date = date_edit("exitDate", self.today)
        self.code = coded_combo("withdrawalCode", WITHDRAWAL_CODES, "W1")
        self.entry_date = ""
        body = QVBoxLayout()
        body.addWidget(self.who)
        body.addSpacing(6)
        form = QFormLayout()
        form.addRow("&Last day attended:", self.exit_date)
        form.addRow("&Reason:", self.code)
        body.addLayout(form)
        self._finish(body, named(QPushButton("&Withdraw"), "withdrawButton"),
                     [self.exit_date, self.code], 540)
        self._show_student()
        self._connect_signals()

    def _connect_signals(self) -> None:
        super()._connect_signals()
        self.exit_date.dateChanged.connect(self.on_field_changed)

    def _show_student(self) -> None:
        record = queries.student_record(self.store, self.student_id, today=self.today)
        if record is None:
            self.who.setText("This student is no longer in this school's records on this "
                             "workstation.")
            self.submit.setEnabled(False)
            return
        s = record["student"]
        status, enrolled = enrollment_status(record["enrollments"], self.today)
        self.entry_date = record["enrollments"][0]["entry_date"] if record["enrollments"] else ""
        self.setWindowTitle(f"Withdraw {s['legal_first_name']} {s['legal_last_name']}")
        self.who.setText(
            f"<b>{s['legal_first_name']} {s['legal_last_name']}</b><br>"
            f"Student ID {s['district_student_id'] or '(not yet confirmed)'} · "
            f"grade {grade_label(s['grade_level'])} · {status}"
            + (f" since {self.entry_date}" if enrolled else ""))
        if not enrolled:
            self.problems.setText("Only a student who is currently enrolled can be withdrawn.")
            self.problems.setVisible(True)
            self.submit.setEnabled(False)

    def problems_found(self) -> list[str]:
        exit_date = iso_date(self.exit_date)
        if self.entry_date and exit_date < self.entry_date:
            return [f"The last day attended can't be before the student entered this school "
                    f"({self.entry_date})."]
        problem = _year_problem(self.store, exit_date, "The last day attended")
        return [problem] if problem else []

    def payload(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "exit_date": iso_date(self.exit_date),
                "withdrawal_code": self.code.currentData()}
