"""Next year's course requests, as their screen reads them
(ui/scheduling/course_requests.py): the school years ahead that requests are
for, a year's demand as the tallies count it, who asked for what and which
section they were placed in, and the records behind each request (to remove
or re-rank one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from local_store.scheduling.catalog import today
from local_store.store import LocalStore


@dataclass(frozen=True)
class SchoolYear:
    id: str
    name: str
    start_date: str
    end_date: str


def _years(conn: Connection) -> list[SchoolYear]:
    return [SchoolYear(*r) for r in conn.exec_driver_sql(
        "SELECT id, name, start_date, end_date FROM school_years ORDER BY start_date")]


def _current_year_start(years: list[SchoolYear], day: str) -> str:
    """The start of the year under way (the earliest, if none has begun), as the server has it."""
    begun = [y.start_date for y in years if y.start_date <= day]
    return begun[-1] if begun else (years[0].start_date if years else day)


def school_years_ahead(store: LocalStore, *, on: str | None = None) -> list[SchoolYear]:
    """The school years after the one under way: the ones course requests are for."""
    with store.read() as conn:
        years = _years(conn)
    current = _current_year_start(years, on or today())
    return [y for y in years if y.start_date > current]


@dataclass(frozen=True)
class RequestDemand:
    """A school year's course requests as the tally counts them
    (`domain.loader.tally_requests`), and the sections already planned."""

    school_year: SchoolYear
    grades: tuple[int, ...]  # the school's grade span
    requests: list[tuple[str, int, str, int]]  # student, grade that year, course, rank
    courses: list[tuple[str, str, str, str, str, int, int]]  # as domain.loader.CourseInfo
    sections: dict[str, int]  # course id -> sections in that year's master schedule
    rows: int  # course_requests rows of the year, students no longer here included


def request_demand(store: LocalStore, school_year_id: str, *,
                   on: str | None = None) -> RequestDemand:
    """Who asked for what, with the grade each student will be in that year
    (this year's grade plus one for a later year, as the server's loader has it)."""
    with store.read() as conn:
        years = _years(conn)
        year = next(y for y in years if y.id == school_year_id)
        step = 1 if year.start_date > _current_year_start(years, on or today()) else 0
        requests = [(sid, grade + step, cid, rank) for sid, grade, cid, rank in
                    conn.exec_driver_sql(
                        "SELECT r.student_id, s.grade_level, r.course_id, r.rank "
                        "FROM course_requests r JOIN students s ON s.id = r.student_id "
                        "WHERE r.school_year_id = ? ORDER BY r.student_id, r.rank",
                        (school_year_id,))]
        rows = conn.exec_driver_sql("SELECT count(*) FROM course_requests WHERE school_year_id = ?",
                                    (school_year_id,)).scalar_one()
        courses = [(cid, code, title, department, duration, lo, hi)
                   for cid, code, title, department, duration, lo, hi in conn.exec_driver_sql(
                       "SELECT id, code, title, department, duration, grade_min, grade_max "
                       "FROM courses ORDER BY code")]
        sections: dict[str, int] = dict(conn.exec_driver_sql(
            "SELECT s.course_id, count(*) FROM sections s JOIN terms t ON t.id = s.term_id "
            "WHERE t.school_year_id = ? GROUP BY s.course_id", (school_year_id,)).all())
        grades = sorted(g for (g,) in conn.exec_driver_sql(
            "SELECT grade_level FROM grade_requirements"))
        if not grades:
            grades = sorted(g for (g,) in conn.exec_driver_sql(
                "SELECT DISTINCT grade_level FROM students"))
    span = tuple(range(grades[0], grades[-1] + 1)) if grades else ()
    return RequestDemand(year, span, requests, courses, sections, rows)


@dataclass(frozen=True)
class Requester:
    """A student with requests for a year, and how many of them have a section."""

    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    grade_level: int  # the grade that year
    requests: int
    placed: int


_PLACED_SQL = """
SELECT e.student_id, sec.course_id, sec.id, sec.section_number, sec.period,
       coalesce(st.first_name || ' ' || st.last_name, ''), t.name
FROM section_enrollments e
JOIN sections sec ON sec.id = e.section_id
JOIN terms t ON t.id = sec.term_id
LEFT JOIN staff st ON st.id = sec.teacher_id
WHERE t.school_year_id = ? AND (e.end_date IS NULL OR e.end_date >= e.begin_date)
"""


def _placed(conn: Connection, school_year_id: str, student_id: str | None = None
            ) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(student, course) -> the section they are in that year."""
    sql, params = _PLACED_SQL, [school_year_id]
    if student_id is not None:
        sql += " AND e.student_id = ?"
        params.append(student_id)
    return {(r[0], r[1]): tuple(r[2:])
            for r in conn.exec_driver_sql(sql + " ORDER BY e.begin_date", tuple(params))}


def students_with_requests(store: LocalStore, school_year_id: str, *,
                           on: str | None = None) -> list[Requester]:
    """Everyone who asked for courses that year, by name."""
    with store.read() as conn:
        years = _years(conn)
        year = next(y for y in years if y.id == school_year_id)
        step = 1 if year.start_date > _current_year_start(years, on or today()) else 0
        placed = _placed(conn, school_year_id)
        asked: dict[str, list[str]] = {}
        for sid, cid in conn.exec_driver_sql(
                "SELECT student_id, course_id FROM course_requests WHERE school_year_id = ?",
                (school_year_id,)):
            asked.setdefault(sid, []).append(cid)
        people = conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name, grade_level "
            "FROM students ORDER BY legal_last_name COLLATE NOCASE, "
            "legal_first_name COLLATE NOCASE").all()
    return [Requester(sid, district or "", last, first, grade + step, len(asked[sid]),
                      sum((sid, c) in placed for c in set(asked[sid])))
            for sid, district, last, first, grade in people if sid in asked]


@dataclass(frozen=True)
class RequestedCourse:
    """One of a student's requests, and the section they were placed in, if any."""

    rank: int
    course_id: str
    course_code: str
    course_title: str
    duration: str  # "year" or "semester"
    section_id: str | None
    section_number: str
    period: int | None
    teacher: str
    term: str


def student_requests(store: LocalStore, student_id: str,
                     school_year_id: str) -> list[RequestedCourse]:
    """A student's requests for a year in rank order (1 matters most)."""
    with store.read() as conn:
        placed = _placed(conn, school_year_id, student_id)
        rows = conn.exec_driver_sql(
            "SELECT r.rank, r.course_id, coalesce(c.code, r.course_id), coalesce(c.title, ''), "
            "coalesce(c.duration, '') "
            "FROM course_requests r LEFT JOIN courses c ON c.id = r.course_id "
            "WHERE r.student_id = ? AND r.school_year_id = ? ORDER BY r.rank, c.code",
            (student_id, school_year_id)).all()
    out = []
    for rank, cid, code, title, duration in rows:
        section = placed.get((student_id, cid))
        out.append(RequestedCourse(rank, cid, code, title, duration,
                                   *(section or (None, "", None, "", ""))))
    return out


# ------------------------------------------------ entering next year's course requests


def request_students(store: LocalStore, school_year_id: str, *,
                     on: str | None = None) -> list[Requester]:
    """Everyone a counselor may enter requests for that year, by name: whoever
    has some, and the students enrolled today who will still be in the
    school's grades then (none entered yet: a new arrival, say)."""
    day = on or today()
    with store.read() as conn:
        years = _years(conn)
        year = next(y for y in years if y.id == school_year_id)
        step = 1 if year.start_date > _current_year_start(years, day) else 0
        placed = _placed(conn, school_year_id)
        asked: dict[str, list[str]] = {}
        for sid, cid in conn.exec_driver_sql(
                "SELECT student_id, course_id FROM course_requests WHERE school_year_id = ?",
                (school_year_id,)):
            asked.setdefault(sid, []).append(cid)
        top = conn.exec_driver_sql("SELECT max(grade_level) FROM grade_requirements").scalar()
        if top is None:
            top = conn.exec_driver_sql("SELECT max(grade_level) FROM students").scalar() or 0
        people = conn.exec_driver_sql(
            "SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name, "
            "s.grade_level, (SELECT e.exit_date FROM school_enrollments e "
            "WHERE e.student_id = s.id ORDER BY e.entry_date DESC, e.id DESC LIMIT 1) "
            "FROM students s ORDER BY s.legal_last_name COLLATE NOCASE, "
            "s.legal_first_name COLLATE NOCASE").all()
    out = []
    for sid, district, last, first, grade, exit_date in people:
        courses = asked.get(sid, [])
        here = (exit_date is None or exit_date > day) and grade + step <= top
        if courses or here:
            out.append(Requester(sid, district or "", last, first, grade + step, len(courses),
                                 sum((sid, c) in placed for c in set(courses))))
    return out


def request_ids(store: LocalStore, student_id: str,
                school_year_id: str) -> dict[tuple[int, str], str]:
    """(rank, course id) -> the course_requests record, to remove or re-rank a request."""
    with store.read() as conn:
        return {(rank, cid): rid for rid, rank, cid in conn.exec_driver_sql(
            "SELECT id, rank, course_id FROM course_requests "
            "WHERE student_id = ? AND school_year_id = ?", (student_id, school_year_id))}
