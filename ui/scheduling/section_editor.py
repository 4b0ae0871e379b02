"""The section editor: a new section of the master schedule, or a change to one.

Checked on the form as the person types, against the cache: a teacher can't
teach two sections in the same period of a term (the server refuses that
too), and a capacity below the students already enrolled is said before it
is saved. The screen queues what the form submits as `section.save`.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.scheduling import Catalog, Section, Term
from local_store import queries
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.master_schedule import section_enrolled_on, teachers_with_rooms
from local_store.store import LocalStore
from ui.common.edit_form import EditForm
from widgets.naming import named

log = logging.getLogger(__name__)

DEFAULT_CAPACITY = 38
MAX_CAPACITY = 60
WARNING_STYLE = ("background: #fff4d6; border: 1px solid #e0b44c; border-radius: 3px; "
                 "padding: 6px;")


def term_on(terms: list[Term], day: str) -> Term | None:
    """The term a day falls in, else the next one to begin, else the last."""
    for t in terms:
        if t.start_date <= day <= t.end_date:
            return t
    upcoming = [t for t in terms if t.start_date > day]
    return upcoming[0] if upcoming else (terms[-1] if terms else None)


def _overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def next_section_number(sections: list[Section]) -> str:
    """One more than the highest section number, as wide as the school writes them."""
    numbers = [s.section_number for s in sections if s.section_number.isdigit()]
    if not numbers:
        return "0001"
    width = max(len(n) for n in numbers)
    return str(max(int(n) for n in numbers) + 1).zfill(width)


class SectionEditorDialog(EditForm):
    """A section's course, term, number, period, teacher, room and capacity.

    `section_id` None makes a new section (a new id, the next free number,
    capacity 38); `term_id` chooses the term of a new one (default: the term
    containing `today`).

    Signals:
        submitted(dict): a `section.save` payload; the form closes right after
    """

    op = "section.save"

    def __init__(self, store: LocalStore, section_id: str | None = None,
                 parent: QWidget | None = None, *, term_id: str | None = None,
                 today: dt.date | None = None):
        super().__init__(store, parent)
        self.today = (today or clock.today()).isoformat()
        self.catalog: Catalog = load_catalog(store)
        self.section = self.catalog.sections.get(section_id) if section_id else None
        self.section_id: str = self.section.id if self.section else f"sec-{uuid.uuid4()}"
        self.enrolled = section_enrolled_on(store, self.section.id, on=self.today) \
            if self.section else 0
        self.teachers = {t.id: t for t in teachers_with_rooms(store)}
        self.setWindowTitle("Edit section" if self.section else "New section")

        self.course = named(QComboBox(), "sectionCourse")
        self.course.setPlaceholderText("Choose a course…")
        for c in sorted(self.catalog.courses.values(), key=lambda c: c.code):
            self.course.addItem(f"{c.code} — {c.title}", c.id)
        self.term = named(QComboBox(), "sectionTerm")
        terms = sorted(self.catalog.terms.values(), key=lambda t: t.start_date)
        for term in terms:
            self.term.addItem(term.name, term.id)
        self.number = named(QLineEdit(), "sectionNumber")
        self.number.setMaximumWidth(120)
        self.period = named(QComboBox(), "sectionPeriod")
        for p in queries.bell_schedule(store):
            self.period.addItem(f"{p['label']}  ({p['start_time']}–{p['end_time']})",
                                p["number"])
        self.teacher = named(QComboBox(), "sectionTeacher")
        self.teacher.setPlaceholderText("Choose a teacher…")
        for t in self.teachers.values():
            self.teacher.addItem(
                f"{t.last_name}, {t.first_name} — {t.department or 'no department'}", t.id)
        self.room = named(QLineEdit(), "sectionRoom")
        self.room.setMaximumWidth(160)
        self.capacity = named(QSpinBox(), "sectionCapacity")
        self.capacity.setRange(1, MAX_CAPACITY)
        self.capacity.setMaximumWidth(100)
        self.enrolled_note = named(QLabel(), "enrolledNote")
        self.warnings = named(QLabel(), "sectionWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setVisible(False)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self._fill(terms, term_id)
        self._build()
        self._connect_signals()
        self.on_field_changed()

    def _fill(self, terms: list[Term], term_id: str | None) -> None:
        s = self.section
        if s is None:
            chosen = term_id if term_id in self.catalog.terms else None
            if chosen is None:
                found = term_on(terms, self.today)
                chosen = found.id if found else None
            self.term.setCurrentIndex(max(0, self.term.findData(chosen)))
            self.course.setCurrentIndex(-1)
            self.teacher.setCurrentIndex(-1)
            self.number.setText(next_section_number(list(self.catalog.sections.values())))
            self.capacity.setValue(DEFAULT_CAPACITY)
            self.enrolled_note.setText("New section: nobody enrolled yet")
            return
        self.course.setCurrentIndex(self.course.findData(s.course_id))
        self.term.setCurrentIndex(self.term.findData(s.term_id))
        self.number.setText(s.section_number)
        if self.period.findData(s.period) < 0:
            self.period.addItem(f"Period {s.period}", s.period)
        self.period.setCurrentIndex(self.period.findData(s.period))
        if self.teacher.findData(s.teacher_id) < 0:  # taught by someone not titled Teacher
            self.teacher.addItem(s.teacher_id, s.teacher_id)
        self.teacher.setCurrentIndex(self.teacher.findData(s.teacher_id))
        self.room.setText(s.room)
        self.capacity.setMaximum(max(MAX_CAPACITY, s.capacity))
        self.capacity.setValue(s.capacity)
        self.enrolled_note.setText(f"{self.enrolled} enrolled on {self.today}")

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("&Course:", self.course)
        form.addRow("&Term:", self.term)
        form.addRow("Section &number:", self.number)
        form.addRow("&Period:", self.period)
        form.addRow("T&eacher:", self.teacher)
        form.addRow("&Room:", self.room)
        form.addRow("C&apacity:", self.capacity)
        form.addRow("", self.enrolled_note)
        layout = QVBoxLayout()
        layout.addLayout(form)
        layout.addWidget(self.warnings)
        submit = named(QPushButton("&Save section" if self.section else "&Add section"),
                        "saveSection")
        self._finish(layout, submit, [self.course, self.term, self.number, self.period,
                                      self.teacher, self.room, self.capacity], 600)

    def _connect_signals(self) -> None:
        super()._connect_signals()
        self.teacher.currentIndexChanged.connect(self.on_teacher_changed)
        for combo in (self.course, self.term, self.period):
            combo.currentIndexChanged.connect(self.on_field_changed)
        for edit in (self.number, self.room):
            edit.textChanged.connect(self.on_field_changed)
        self.capacity.valueChanged.connect(self.on_field_changed)

    # --- defaults that follow the choices

    def on_teacher_changed(self, *_args: Any) -> None:
        """The room follows the teacher, unless someone typed another one."""
        room = self.room.text().strip()
        usual = {t.usual_room for t in self.teachers.values()}
        chosen = self.teachers.get(self.teacher.currentData() or "")
        if chosen and chosen.usual_room and (not room or room in usual):
            self.room.setText(chosen.usual_room)
        self.on_field_changed()

    # --- checking, as the person types

    def on_field_changed(self, *_args: Any) -> None:
        clash = self.teacher_clash()
        if self._tried or clash:
            self._show_problems(self.problems_found())
        else:
            self._show_problems([])
        warnings = self.warnings_found()
        self.warnings.setText("\n".join(f"• {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    def _draft(self) -> Section | None:
        course, term, teacher = (self.course.currentData(), self.term.currentData(),
                                 self.teacher.currentData())
        period = self.period.currentData()
        if not (course and term and teacher and period is not None):
            return None
        return Section(self.section_id, course, term, self.number.text().strip(), period,
                       self.room.text().strip(), teacher, self.capacity.value())

    def _teacher_name(self, teacher_id: str) -> str:
        t = self.teachers.get(teacher_id)
        return f"{t.first_name} {t.last_name}" if t else teacher_id

    def _others(self) -> list[Section]:
        return [s for s in self.catalog.sections.values() if s.id != self.section_id]

    def teacher_clash(self) -> str | None:
        """Another section this teacher has at the same time: in the same period
        of the same term (the server's rule), or of another term whose dates
        overlap (a year-long section meets in the spring too)."""
        draft = self._draft()
        if draft is None or draft.term_id not in self.catalog.terms:
            return None
        name = self._teacher_name(draft.teacher_id)
        mine = sorted((s for s in self._others() if s.teacher_id == draft.teacher_id
                       and s.period == draft.period), key=lambda s: s.section_number)
        for s in mine:
            if s.term_id == draft.term_id:
                return (f"{name} already teaches {self.catalog.describe(s)} in period "
                        f"{s.period} of {self.catalog.terms[s.term_id].name}. Choose another "
                        f"period or teacher.")
        span = self._span(draft)
        for s in mine:
            start, end = self.catalog.span(s)
            if _overlap(span, (start, end)):
                return (f"{name} already teaches {self.catalog.describe(s)} in period "
                        f"{s.period} from {start} to {end} "
                        f"({self.catalog.terms[s.term_id].name}, "
                        f"{self.catalog.course_of(s).duration}-long). Choose another period "
                        f"or teacher.")
        return None

    def problems_found(self) -> list[str]:
        problems = []
        if self.course.currentData() is None:
            problems.append("Choose the course.")
        if self.teacher.currentData() is None:
            problems.append("Choose the teacher.")
        if not self.number.text().strip():
            problems.append("Enter a section number.")
        if not self.room.text().strip():
            problems.append("Enter the room.")
        clash = self.teacher_clash()
        if clash:
            problems.append(clash)
        return problems

    def warnings_found(self) -> list[str]:
        """What can be saved but should be known first."""
        out = []
        capacity = self.capacity.value()
        if self.enrolled > capacity:
            out.append(f"{self.enrolled} students are enrolled; capacity {capacity} would "
                       f"leave it over.")
        draft = self._draft()
        if draft is None or draft.term_id not in self.catalog.terms:
            return out
        span = self._span(draft)
        for s in sorted(self._others(), key=lambda s: s.section_number):
            if draft.room and s.room == draft.room and s.period == draft.period and \
                    s.teacher_id != draft.teacher_id and _overlap(span, self.catalog.span(s)):
                out.append(f"Room {s.room} is already used in period {s.period} by "
                           f"{self._teacher_name(s.teacher_id)}'s {self.catalog.describe(s)}.")
        number = self.number.text().strip()
        same = next((s for s in self._others() if s.section_number == number), None)
        if number and same:
            out.append(f"Section number {number} is already used by "
                       f"{self.catalog.course_of(same).title} in "
                       f"{self.catalog.terms[same.term_id].name}.")
        return out

    def _span(self, draft: Section) -> tuple[str, str]:
        if draft.course_id not in self.catalog.courses:
            term = self.catalog.terms[draft.term_id]
            return term.start_date, term.end_date
        probe = Catalog(self.catalog.terms, self.catalog.courses, {draft.id: draft})
        return probe.span(draft)

    def payload(self) -> dict[str, Any]:
        return {"section_id": self.section_id, "course_id": self.course.currentData(),
                "term_id": self.term.currentData(), "section_number": self.number.text().strip(),
                "period": self.period.currentData(), "room": self.room.text().strip(),
                "teacher_id": self.teacher.currentData(), "capacity": self.capacity.value()}
