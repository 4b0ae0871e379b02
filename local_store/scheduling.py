"""What the counselor's screens read from the cache: the master schedule,
a student's program and the checks on a change to it, the students without
a complete schedule, next year's requests, and the rollover's dry run.

The rules themselves are `domain.scheduling`'s; this module only gathers
their facts from the cache, so the workstation checks exactly as the
server does, offline and at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from domain import clock
from domain.edits import program_id
from domain.scheduling import (
    Catalog,
    Course,
    Entry,
    Finding,
    Incomplete,
    PastMark,
    Requirement,
    RolloverPlan,
    Section,
    Term,
    check_change,
    incomplete_after,
    next_term,
    plan_rollover,
    students_without_complete_schedule,
)
from local_store.store import LocalStore


def _today() -> str:
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
        return _requirements(conn)


def _requirements(conn: Connection) -> dict[int, Requirement]:
    return {g: Requirement.parse(g, n, text) for g, n, text in conn.exec_driver_sql(
        "SELECT grade_level, required_periods, required_courses FROM grade_requirements")}


def _entries(conn: Connection, student_id: str | None = None) -> list[Entry]:
    sql = "SELECT id, student_id, section_id, begin_date, end_date FROM section_enrollments"
    if student_id is None:
        return [Entry(*r) for r in conn.exec_driver_sql(sql)]
    return [Entry(*r) for r in conn.exec_driver_sql(sql + " WHERE student_id = ?",
                                                    (student_id,))]


def _enrolled(conn: Connection, day: str) -> dict[str, int]:
    """Students enrolled on a day, with their grade."""
    return dict(conn.exec_driver_sql(
        "SELECT student_id, grade_level FROM school_enrollments WHERE entry_date <= ? "
        "AND (exit_date IS NULL OR exit_date >= ?) ORDER BY student_id", (day, day)).all())


def enrolled_count(conn: Connection, section_id: str, day: str) -> int:
    return conn.exec_driver_sql(
        "SELECT count(*) FROM section_enrollments WHERE section_id = ? AND begin_date <= ? "
        "AND (end_date IS NULL OR end_date >= ?)", (section_id, day, day)).scalar_one()


# ------------------------------------------------------------ the program


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
    reqs = _requirements(conn)
    return ProgramFacts(student_id, grade or 0, version, _entries(conn, student_id), history,
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
    day = on or _today()
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


# ------------------------------------------------------ the master schedule


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
    day = on or _today()
    with store.read() as conn:
        cat = catalog_in(conn)
        counts: dict[str, int] = {}
        for e in _entries(conn):
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
    day = on or _today()
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


def terms(store: LocalStore) -> list[Term]:
    with store.read() as conn:
        return sorted(catalog_in(conn, []).terms.values(), key=lambda t: t.start_date)


# ------------------------------------------------------ incomplete schedules


@dataclass(frozen=True)
class IncompleteRow:
    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    grade_level: int
    missing: tuple[int, ...]
    counselor: str


def students_without_complete_schedule_on(store: LocalStore, *, on: str | None = None
                                          ) -> list[IncompleteRow]:
    """Enrolled students whose program misses a period their grade needs."""
    day = on or _today()
    with store.read() as conn:
        found = _incomplete(conn, day)
        people = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name, "
            "coalesce(c.first_name || ' ' || c.last_name, '') FROM students s "
            "LEFT JOIN staff c ON c.id = s.counselor_id")}
    rows = []
    for i in found:
        if i.student_id in people:
            district_id, last, first, counselor = people[i.student_id]
            rows.append(IncompleteRow(i.student_id, district_id, last, first, i.grade_level,
                                      i.missing, counselor))
    rows.sort(key=lambda r: (r.grade_level, r.last_name.lower(), r.first_name.lower()))
    return rows


def _incomplete(conn: Connection, day: str) -> list[Incomplete]:
    return students_without_complete_schedule(
        catalog=catalog_in(conn), students=_enrolled(conn, day), entries=_entries(conn), day=day,
        requirements=_requirements(conn))


# ------------------------------------------------------------- rollover


def rollover_dry_run(store: LocalStore, *, from_term_id: str | None = None,
                     on: str | None = None) -> tuple[RolloverPlan, list[Incomplete]] | None:
    """What the rollover from the current (or given) term would change, and
    who would start the next term without a complete schedule; None when
    the term is the last of its year."""
    day = on or _today()
    with store.read() as conn:
        cat = catalog_in(conn)
        term = (cat.terms.get(from_term_id) if from_term_id else cat.term_on(day))
        if term is None:
            return None
        to = next_term(cat, term)
        if to is None:
            return None
        students = _enrolled(conn, term.end_date)
        entries = _entries(conn)
        reqs = _requirements(conn)
    plan = plan_rollover(catalog=cat, entries=entries, from_term=term, to_term=to,
                         enrolled_students=students)
    return plan, incomplete_after(plan, catalog=cat, entries=entries, students=students,
                                  requirements=reqs)


# ------------------------------------------- next year's course requests


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
    current = _current_year_start(years, on or _today())
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
        step = 1 if year.start_date > _current_year_start(years, on or _today()) else 0
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
        step = 1 if year.start_date > _current_year_start(years, on or _today()) else 0
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


# ------------------------------------------------ rollover: who is left short


@dataclass(frozen=True)
class RolloverGap:
    """A student who would start the next term without a complete schedule, and why."""

    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    grade_level: int
    missing: tuple[int, ...]
    why: str


def rollover_gaps(store: LocalStore, plan: RolloverPlan, incomplete: list[Incomplete], *,
                  on: str | None = None) -> list[RolloverGap]:
    """The dry run's incomplete schedules with names and, per missing period,
    the reason: the plan could not place them, or they have no class in that
    period now either."""
    term = plan.from_term
    day = min(max(on or _today(), term.start_date), term.end_date)
    wanted = {i.student_id for i in incomplete}
    unplaced = {(s, p): why for s, p, why in plan.unplaced}
    with store.read() as conn:
        cat = catalog_in(conn)
        now: dict[str, set[int]] = {}
        for e in _entries(conn):
            if e.student_id in wanted and e.section_id in cat.sections:
                start, last = cat.entry_span(e)
                if start <= day <= last:
                    now.setdefault(e.student_id, set()).add(cat.sections[e.section_id].period)
        people = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name FROM students")}
    out = []
    for i in incomplete:
        reasons = []
        for p in i.missing:
            if (i.student_id, p) in unplaced:
                reasons.append(f"period {p}: {unplaced[(i.student_id, p)]}")
            elif p not in now.get(i.student_id, set()):
                reasons.append(f"period {p}: no class in {term.name} either")
            else:
                reasons.append(f"period {p}: the {term.name} class ends with the term")
        district, last, first = people.get(i.student_id, ("", "", ""))
        out.append(RolloverGap(i.student_id, district or "", last, first, i.grade_level,
                               i.missing, "; ".join(reasons)))
    out.sort(key=lambda g: (g.grade_level, g.last_name.lower(), g.first_name.lower()))
    return out


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
    day = on or _today()
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


# ------------------------------------------------ entering next year's course requests


def request_students(store: LocalStore, school_year_id: str, *,
                     on: str | None = None) -> list[Requester]:
    """Everyone a counselor may enter requests for that year, by name: whoever
    has some, and the students enrolled today who will still be in the
    school's grades then (none entered yet: a new arrival, say)."""
    day = on or _today()
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
