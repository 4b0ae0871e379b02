"""The master schedule, as its screen reads it (ui/scheduling/master_schedule.py):
every section of a term with its seats taken on a day, a section's class list,
and what the section editor (ui/scheduling/section_editor.py) checks a section
against: the teachers with the rooms they usually teach in, and the students
already in it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.scheduling import Entry
from local_store.scheduling.catalog import catalog_in, entries_in, today
from local_store.store import LocalStore


@dataclass(frozen=True)
class MasterRow:
    section_id: str
    course_id: str
    course_code: str
    course_title: str
    department: str
    section_number: str
    period: int
    term_id: str
    term: str
    teacher_id: str
    teacher: str
    room: str
    capacity: int
    enrolled: int  # students in it on the day asked


def master_schedule(store: LocalStore, *, on: str | None = None,
                    term_id: str | None = None) -> list[MasterRow]:
    """Every section (of one term, if asked) with its enrollment on a day
    (for a term not yet begun, on its first day)."""
    day = on or today()
    with store.read() as conn:
        cat = catalog_in(conn)
        counts: dict[str, int] = {}
        for e in entries_in(conn):
            section = cat.sections.get(e.section_id)
            if section is None:
                continue
            start, last = cat.entry_span(e)
            when = max(day, cat.span(section)[0])
            if start <= when <= last:
                counts[e.section_id] = counts.get(e.section_id, 0) + 1
        teachers: dict[str, str] = dict(conn.exec_driver_sql(
            "SELECT id, first_name || ' ' || last_name FROM staff").all())
    rows = []
    for s in cat.sections.values():
        if term_id is not None and s.term_id != term_id:
            continue
        c, t = cat.courses[s.course_id], cat.terms[s.term_id]
        rows.append(MasterRow(s.id, c.id, c.code, c.title, c.department, s.section_number,
                              s.period, t.id, t.name, s.teacher_id, teachers.get(s.teacher_id, ""),
                              s.room, s.capacity, counts.get(s.id, 0)))
    rows.sort(key=lambda r: (r.period, r.course_code, r.section_number))
    return rows


def class_list(store: LocalStore, section_id: str, *, on: str | None = None
               ) -> list[dict[str, Any]]:
    """A section's students on a day, by name (a teacher's class list)."""
    day = on or today()
    with store.read() as conn:
        return [dict(zip(("student_id", "district_student_id", "last_name", "first_name",
                          "grade_level", "begin_date"), r, strict=True))
                for r in conn.exec_driver_sql(
                    "SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name, "
                    "s.grade_level, e.begin_date FROM section_enrollments e "
                    "JOIN students s ON s.id = e.student_id WHERE e.section_id = ? "
                    "AND e.begin_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?) "
                    "ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE",
                    (section_id, day, day))]


# ------------------------------------------------------ the section editor


@dataclass(frozen=True)
class TeacherRow:
    id: str
    first_name: str
    last_name: str
    department: str
    usual_room: str  # the room most of their sections meet in; "" for none yet


def teachers_with_rooms(store: LocalStore) -> list[TeacherRow]:
    """The school's teachers by name, each with the room they usually teach in."""
    with store.read() as conn:
        staff = conn.exec_driver_sql(
            "SELECT id, first_name, last_name, coalesce(department, '') FROM staff "
            "WHERE title = 'Teacher' "
            "ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE").all()
        rooms = conn.exec_driver_sql(
            "SELECT teacher_id, room, count(*) FROM sections WHERE coalesce(room, '') <> '' "
            "GROUP BY teacher_id, room ORDER BY teacher_id, count(*) DESC, room").all()
    usual: dict[str, str] = {}
    for teacher_id, room, _n in rooms:
        usual.setdefault(teacher_id, room)
    return [TeacherRow(i, first, last, dept, usual.get(i, "")) for i, first, last, dept in staff]


def section_enrolled_on(store: LocalStore, section_id: str, *, on: str | None = None) -> int:
    """Students in one section on a day (for a section not yet begun, on its
    first day), counted as `master_schedule` counts them."""
    day = on or today()
    with store.read() as conn:
        cat = catalog_in(conn, [section_id])
        section = cat.sections.get(section_id)
        if section is None:
            return 0
        when = max(day, cat.span(section)[0])
        entries = [Entry(*r) for r in conn.exec_driver_sql(
            "SELECT id, student_id, section_id, begin_date, end_date FROM section_enrollments "
            "WHERE section_id = ?", (section_id,))]
    return sum(1 for e in entries if cat.entry_span(e)[0] <= when <= cat.entry_span(e)[1])
