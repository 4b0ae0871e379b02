"""One student's program, as the program editor reads it (ui/scheduling/
program_editor.py and its change panel, program_change.py): the classes by
period, the facts the checks need, and the checks on an add, drop or swap,
shown to the counselor before anything is saved.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from domain.edits import program_id
from domain.scheduling import Entry, Finding, PastMark, Requirement, check_change
from local_store.scheduling.catalog import (
    catalog_in,
    enrolled_count,
    entries_in,
    requirements_in,
    today,
)
from local_store.store import LocalStore


@dataclass(frozen=True)
class ProgramFacts:
    """Everything the checks on one student's program need."""

    student_id: str
    grade_level: int
    program_version: int
    entries: list[Entry]
    history: list[PastMark]
    requirement: Requirement | None


def program_facts(store: LocalStore, student_id: str) -> ProgramFacts:
    with store.read() as conn:
        return program_facts_in(conn, student_id)


def program_facts_in(conn: Connection, student_id: str) -> ProgramFacts:
    grade = conn.exec_driver_sql(
        "SELECT coalesce((SELECT grade_level FROM school_enrollments WHERE student_id = ? "
        "ORDER BY entry_date DESC LIMIT 1), (SELECT grade_level FROM students WHERE id = ?))",
        (student_id, student_id)).scalar()
    version = conn.exec_driver_sql("SELECT version FROM programs WHERE id = ?",
                                   (program_id(student_id),)).scalar() or 0
    history = [PastMark(*r) for r in conn.exec_driver_sql(
        "SELECT school_year, course_code, mark FROM transcript_entries WHERE student_id = ?",
        (student_id,))]
    reqs = requirements_in(conn)
    return ProgramFacts(student_id, grade or 0, version, entries_in(conn, student_id), history,
                        reqs.get(grade or 0))


def check_program_change(store: LocalStore, student_id: str, *, on: str,
                         add_section_id: str | None = None,
                         drop_entry_id: str | None = None) -> list[Finding]:
    """The checks on adding a section, dropping an entry, or both (a swap),
    read from the cache: what the counselor sees before saving."""
    with store.read() as conn:
        facts = program_facts_in(conn, student_id)
        ids = [e.section_id for e in facts.entries] + ([add_section_id] if add_section_id else [])
        cat = catalog_in(conn, ids)
        enrolled = enrolled_count(conn, add_section_id, on) if add_section_id else 0
    drop = next((e for e in facts.entries if e.id == drop_entry_id), None)
    return check_change(catalog=cat, program=facts.entries, grade_level=facts.grade_level, on=on,
                        add=cat.sections.get(add_section_id) if add_section_id else None,
                        drop=drop, enrolled_in_add=enrolled, history=facts.history,
                        requirement=facts.requirement)


@dataclass(frozen=True)
class ProgramRow:
    entry_id: str
    section_id: str
    period: int
    course_code: str
    course_title: str
    section_number: str
    teacher: str
    room: str
    term: str
    begin_date: str
    end_date: str | None


_PROGRAM_SQL = """
SELECT e.id, sec.id, sec.period, c.code, c.title, sec.section_number,
       coalesce(st.first_name || ' ' || st.last_name, ''), sec.room,
       coalesce(t.name, ''), e.begin_date, e.end_date
FROM section_enrollments e
JOIN sections sec ON sec.id = e.section_id
JOIN courses c ON c.id = sec.course_id
LEFT JOIN staff st ON st.id = sec.teacher_id
LEFT JOIN terms t ON t.id = sec.term_id
WHERE e.student_id = ?
ORDER BY sec.period, e.begin_date, c.code
"""


def program_rows(store: LocalStore, student_id: str, *, on: str | None = None,
                 include_ended: bool = False) -> list[ProgramRow]:
    """The student's classes on a day by period (with `include_ended`, every
    entry of the year: dropped classes keep their history)."""
    day = on or today()
    with store.read() as conn:
        rows = [ProgramRow(*r) for r in conn.exec_driver_sql(_PROGRAM_SQL, (student_id,))]
        cat = catalog_in(conn, sorted({r.section_id for r in rows}))
    out = []
    for r in rows:
        start, last = cat.entry_span(Entry(r.entry_id, student_id, r.section_id, r.begin_date,
                                           r.end_date))
        if include_ended or start <= day <= last:
            out.append(r)
    return out
