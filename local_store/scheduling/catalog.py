"""The facts every scheduling screen reads from the cache: the catalog (terms,
courses, sections), the grade requirements, the students' section entries,
who is enrolled on a day and how many sit in a section, and the terms in order.

The rules themselves are `domain.scheduling`'s; this package only gathers
their facts from the cache, so the workstation checks exactly as the server
does, offline and at once.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from domain import clock
from domain.scheduling import Catalog, Course, Entry, Requirement, Section, Term
from local_store.store import LocalStore


def today() -> str:
    """The day a caller that named none means, as the cache writes dates."""
    return clock.today().isoformat()


def catalog(store: LocalStore) -> Catalog:
    with store.read() as conn:
        return catalog_in(conn)


def catalog_in(conn: Connection, section_ids: list[str] | None = None) -> Catalog:
    sql = ("SELECT id, course_id, term_id, section_number, period, room, teacher_id, capacity "
           "FROM sections")
    params: tuple[Any, ...] = ()
    if section_ids is not None:
        sql += f" WHERE id IN ({', '.join('?' * len(section_ids))})"
        params = tuple(section_ids)
    return Catalog(
        terms={r[0]: Term(*r) for r in conn.exec_driver_sql(
            "SELECT id, school_year_id, name, sequence, start_date, end_date FROM terms")},
        courses={r[0]: Course(*r) for r in conn.exec_driver_sql(
            "SELECT id, code, title, department, duration, grade_min, grade_max FROM courses")},
        sections={r[0]: Section(*r) for r in conn.exec_driver_sql(sql, params)})


def requirements(store: LocalStore) -> dict[int, Requirement]:
    with store.read() as conn:
        return requirements_in(conn)


def requirements_in(conn: Connection) -> dict[int, Requirement]:
    return {g: Requirement.parse(g, n, text) for g, n, text in conn.exec_driver_sql(
        "SELECT grade_level, required_periods, required_courses FROM grade_requirements")}


def entries_in(conn: Connection, student_id: str | None = None) -> list[Entry]:
    sql = "SELECT id, student_id, section_id, begin_date, end_date FROM section_enrollments"
    if student_id is None:
        return [Entry(*r) for r in conn.exec_driver_sql(sql)]
    return [Entry(*r) for r in conn.exec_driver_sql(sql + " WHERE student_id = ?",
                                                    (student_id,))]


def enrolled_students_in(conn: Connection, day: str) -> dict[str, int]:
    """Students enrolled on a day, with their grade."""
    return dict(conn.exec_driver_sql(
        "SELECT student_id, grade_level FROM school_enrollments WHERE entry_date <= ? "
        "AND (exit_date IS NULL OR exit_date >= ?) ORDER BY student_id", (day, day)).all())


def enrolled_count(conn: Connection, section_id: str, day: str) -> int:
    return conn.exec_driver_sql(
        "SELECT count(*) FROM section_enrollments WHERE section_id = ? AND begin_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?)", (section_id, day, day)).scalar_one()


def terms(store: LocalStore) -> list[Term]:
    with store.read() as conn:
        return sorted(catalog_in(conn, []).terms.values(), key=lambda t: t.start_date)
