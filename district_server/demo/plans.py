"""The demo school's scheduling records beyond this year's programs: what a
complete schedule is per grade, past years' final marks, and next year's
course requests with the master schedule built from their tallies.

Each part draws from its own random stream, so adding it leaves the rest
of the demo (names, schedules, attendance) exactly as it was.
"""
from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from district_server.demo.calendar import school_calendar
from district_server.demo.courses import HIGH_REQUIRED, group
from district_server.demo.schedules import requests_for
from domain.loader import CourseInfo, Request
from domain.section_planner import plan_sections

if TYPE_CHECKING:
    from district_server.demo.school import SchoolBuilder

_MARKS = (("A", 24), ("B", 31), ("C", 25), ("D", 12), ("F", 8))
# courses.SPRING_PAIR, with the middle school's Computer Literacy followed by Health.
_SPRING_PAIR = {"HLTH": "ETHST", "ETHST": "HLTH", "PAD": "ECON", "ECON": "PAD",
                "PSYCH": "SOCIO", "SOCIO": "PSYCH", "COMPLIT": "HLTH"}
# A full next-year program: seven courses, or one a period where the day is shorter.
REQUESTS_PER_STUDENT = 7
TARGET_CLASS_SIZE = 33


def add_scheduling_records(b: SchoolBuilder) -> None:
    _grade_requirements(b)
    if b.level != "elementary":
        _transcripts(b)
        _grade_marks(b)
        _next_year(b)


def _required(b: SchoolBuilder, g: int) -> str:
    if b.level == "elementary":
        return f"HR-{'K' if g == 0 else g}"
    if b.level == "middle":
        return f"ENG{g};MATH{g}|ALG1;SCI{g};HIST{g};PE"
    return HIGH_REQUIRED[g]


def _grade_requirements(b: SchoolBuilder) -> None:
    for g in range(b.grade_low, b.grade_high + 1):
        b.rows["grade_requirements"].append(
            (f"greq-{b.code}-{g}", g, b.required, _required(b, g)))


def _with_rng(b: SchoolBuilder, rng: random.Random, fn, *args) -> Any:
    """Run one of the builder's own pickers on another random stream."""
    saved, b.rng = b.rng, rng
    try:
        return fn(*args)
    finally:
        b.rng = saved


def _transcripts(b: SchoolBuilder) -> None:
    """Final marks for every earlier grade at this school, two semesters a
    year-long course, five credits a semester (none for an F)."""
    rng = random.Random(f"{b.id}-transcripts")
    titles = {row[1]: row[2] for row in b.rows["courses"]}
    rows = b.rows["transcript_entries"]
    y = b.cal.start_year
    marks, weights = zip(*_MARKS, strict=True)
    for i, sid in enumerate(b.sid):
        g = b.grade[i]
        strength = rng.gauss(0, 1)
        bias = [w * (1.35 ** (strength * (2 - k))) for k, w in enumerate(weights)]
        n = 0
        for pg in range(b.grade_low, g):
            year = y - (g - pg)
            name = f"{year}-{year + 1}"
            for code in _with_rng(b, rng, requests_for, b, pg):
                info = b.course_info[code]
                halves = ((("Fall", code), ("Spring", code)) if info[1] == "year"
                          else (("Fall", code), ("Spring", _SPRING_PAIR.get(code, code))))
                for term, c in halves:
                    if c not in titles:
                        continue
                    mark = rng.choices(marks, bias)[0]
                    n += 1
                    rows.append((f"tr-{sid[4:]}-{n:02d}", sid, name, pg, term, c, titles[c],
                                 mark, 5.0, 0.0 if mark == "F" else 5.0))


_CONDUCT, _CONDUCT_WEIGHTS = ("E", "S", "U"), (35.0, 55.0, 10.0)
# Comment codes a teacher gives, by how the student is doing (domain.grades).
_GOOD_COMMENTS, _POOR_COMMENTS = ("01", "02", "03", "09"), ("04", "05", "06", "07", "10")


def _grade_marks(b: SchoolBuilder) -> None:
    """Marks for every marking period of this year that has ended: each class
    a student was in at its end, and about half the classes left during it."""
    rng = random.Random(f"{b.id}-grade-marks")
    as_of = b.iso[b.n_past - 1] if b.n_past else ""
    periods = [r for r in b.rows["marking_periods"] if r[1] in b.term_ids and r[5] <= as_of]
    marks, weights = zip(*_MARKS, strict=True)
    sections = b.rows["sections"]
    rows = b.rows["grade_marks"]
    for i, sid in enumerate(b.sid):
        strength = rng.gauss(0, 1)
        bias = [w * (1.35 ** (strength * (2 - k))) for k, w in enumerate(weights)]
        for mp_id, _term, _name, _week, start, end, _card in periods:
            for s, _period, first, last in b.spans[i]:
                begin, finish = b.iso[first], b.iso[last]
                if finish < start or begin > end:
                    continue
                if finish < end and rng.random() < 0.5:
                    continue  # left during the period before the teacher marked
                mark = rng.choices(marks, bias)[0]
                good = mark in ("A", "B")
                comments = rng.sample(_GOOD_COMMENTS if good else _POOR_COMMENTS,
                                      rng.choice((0, 0, 1, 1, 2)))
                rows.append((f"{sid}|{sections[s][0]}|{mp_id}", sid, sections[s][0], mp_id, mark,
                             rng.choices(_CONDUCT, _CONDUCT_WEIGHTS)[0],
                             rng.choices(_CONDUCT, _CONDUCT_WEIGHTS)[0],
                             " ".join(comments) or None,
                             b.sec_teacher[s], f"{end}T23:30:00Z"))


def _next_year(b: SchoolBuilder) -> None:
    """Next school year, its terms, the requests of students coming back,
    and a master schedule with enough sections for them."""
    rng = random.Random(f"{b.id}-next-year")
    c, y = b.code, b.cal.start_year + 1
    cal = school_calendar(dt.date(y, 9, 1))
    year_id = f"sy-{c}-{y}"
    b.rows["school_years"].append((year_id, f"{y}-{y + 1}", cal.first_day.isoformat(),
                                   cal.last_day.isoformat()))
    term_ids = (f"term-{c}-{y}-1", f"term-{c}-{y}-2")
    for seq, (tid, label, start, end) in enumerate(
            ((term_ids[0], f"Fall {y}", cal.first_day, cal.fall_end),
             (term_ids[1], f"Spring {y + 1}", cal.spring_start, cal.last_day)), 1):
        b.rows["terms"].append((tid, year_id, label, seq, start.isoformat(), end.isoformat()))
    courses = {row[0]: CourseInfo(row[0], row[1], row[2], row[4], row[6], row[7], row[8])
               for row in b.rows["courses"]}
    requests: list[Request] = []
    for i, sid in enumerate(b.sid):
        g = b.grade[i] + 1
        if g > b.grade_high or b.exit[i] < b.last:
            continue
        want = _with_rng(b, rng, requests_for, b, g)
        groups = {group(x) for x in want} | {group(_SPRING_PAIR.get(x, x)) for x in want}
        extra = [x for x in b.electives_by_grade[g] if group(x) not in groups]
        rng.shuffle(extra)
        want = (want + extra)[:min(REQUESTS_PER_STUDENT, b.periods)]
        for rank, code in enumerate(want, 1):
            requests.append(Request(sid, g, b.course_ids[code], rank))
            b.rows["course_requests"].append(
                (f"req-{sid[4:]}-{rank}", sid, year_id, b.course_ids[code], rank))
    teachers: dict[str, list[tuple[str, str]]] = {}  # department -> (staff id, room)
    rooms: dict[str, str] = {}
    for row in b.rows["sections"]:
        rooms.setdefault(row[6], row[5])
    for row in b.rows["staff"]:
        if row[3] == "Teacher" and row[0] in rooms:
            teachers.setdefault(row[5], []).append((row[0], rooms[row[0]]))
    busy: set[tuple[str, int, int]] = set()
    load: dict[str, int] = {}
    k = len(b.rows["sections"])
    planned = plan_sections(requests, courses, range(1, b.periods + 1),
                            target_size=TARGET_CLASS_SIZE, capacity=38,
                            seed=rng.randrange(1 << 30))
    for plan in planned:
        dept = courses[plan.course_id].department

        candidates = [t for t in teachers.get(dept, [])
                      if not any((t[0], plan.period, term) in busy for term in plan.terms)]
        if not candidates:  # the department is short a teacher that period: hire one
            staff_row = b.rows["staff"][_with_rng(b, rng, b.add_staff, "Teacher", dept)]
            hired = (staff_row[0], f"{dept[:3].upper()}-{len(load) + 1:03d}")
            teachers.setdefault(dept, []).append(hired)
            candidates = [hired]
        teacher, room = min(candidates, key=lambda t: (load.get(t[0], 0), t[0]))
        load[teacher] = load.get(teacher, 0) + 1
        for term in plan.terms:
            busy.add((teacher, plan.period, term))
        k += 1
        term_id = term_ids[min(plan.terms) - 1]
        b.rows["sections"].append((f"sec-{c}-{k:04d}", plan.course_id, term_id, f"{k:04d}",
                                   plan.period, room, teacher, plan.capacity))
