"""A demo school's sections and this year's programs: homerooms at an
elementary school; at a middle or high school, sections enough for what
students ask for, taught by teachers of the department, and each student
placed one section a period."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from district_server.demo.choices import pick
from district_server.demo.courses import (
    BUILDING,
    CAPACITY,
    FIRST_ELECTIVE,
    HIGH_COURSES,
    HIGH_ELECTIVES,
    MATH,
    MIDDLE_COURSES,
    MIDDLE_ELECTIVE,
    MIDDLE_ELECTIVES,
    MIDDLE_SPRING_PAIR,
    SCIENCE,
    SPRING_PAIR,
    group,
)

if TYPE_CHECKING:
    from district_server.demo.school import SchoolBuilder


def _add_section(school: SchoolBuilder, course: str, term: int, period: int, teacher: int,
                 room: str, capacity: int) -> int:
    rows = school.rows["sections"]
    k = len(rows)
    sec_id = f"sec-{school.code}-{k + 1:04d}"
    rows.append((sec_id, school.course_ids[course], school.term_ids[term - 1], f"{k + 1:04d}",
                 period, room, school.rows["staff"][teacher][0], capacity))
    school.sec_course.append(course)
    school.sec_period.append(period)
    school.sec_cap.append(capacity)
    school.sec_count.append(0)
    school.sec_teacher.append(school.staff_users[teacher])
    school.sec_term.append(term)
    return k


def _init_sections(school: SchoolBuilder, catalog: tuple[tuple[Any, ...], ...]) -> None:
    school.course_ids, school.course_info = {}, {}
    for code, title, dept, ag, duration, gmin, gmax in catalog:
        cid = f"crs-{school.code}-{code}"
        school.course_ids[code] = cid
        school.course_info[code] = (dept, duration, gmin, gmax)
        credits = 0.0 if school.level == "elementary" else (10.0 if duration == "year" else 5.0)
        school.rows["courses"].append((cid, code, title, credits, dept, ag, duration, gmin, gmax))
    school.sec_course = []
    school.sec_period = []
    school.sec_cap = []
    school.sec_count = []
    school.sec_teacher = []
    school.sec_term = []
    school.schedule = [[] for _ in range(school.n)]  # current sections
    school.spring_of = {}  # fall semester section -> its spring twin


def homerooms(school: SchoolBuilder) -> None:
    _init_sections(school, tuple((f"HR-{'K' if g == 0 else g}", f"Grade {'K' if g == 0 else g}",
                                  "Elementary", None, "year", g, g) for g in range(0, 6)))
    rng = school.rng
    for g in range(school.grade_low, school.grade_high + 1):
        kids = [i for i in range(school.n) if school.grade[i] == g]
        if not kids:
            continue
        rng.shuffle(kids)
        rooms = math.ceil(len(kids) / 24)
        for h in range(rooms):
            teacher = school.add_staff("Teacher", "Elementary")
            sec = _add_section(school, f"HR-{'K' if g == 0 else g}", 1, 1, teacher,
                                    f"{'KABCDE'[g]}-1{h + 1:02d}", 26)
            for i in kids[h::rooms]:
                school.schedule[i].append(sec)
                school.sec_count[sec] += 1


def requests_for(school: SchoolBuilder, g: int) -> list[str]:
    rng = school.rng
    if school.level == "middle":
        math_ = "ALG1" if g == 8 and rng.random() < 0.25 else f"MATH{g}"
        want = [f"ENG{g}", math_, f"SCI{g}", f"HIST{g}", "PE"]
        elective = pick(rng, MIDDLE_ELECTIVE)
        return want + [elective if not (elective == "SPAN1" and g == 6) else "ART"]
    want = [f"ENG{g}"]
    if g == 9:
        want += [pick(rng, MATH[9]), "BIO", "PE", rng.choice(("HLTH", "ETHST"))]
    elif g == 10:
        want += [pick(rng, MATH[10]), pick(rng, SCIENCE[10]), "WHIST", "PE"]
    elif g == 11:
        want += [pick(rng, MATH[11]), pick(rng, SCIENCE[11]), "USHIST"]
    else:
        want += [rng.choice(("PAD", "ECON"))]
        if rng.random() < 0.75:
            want.append(pick(rng, MATH[12]))
        if rng.random() < 0.45:
            want.append(pick(rng, SCIENCE[12]))
    want.append(pick(rng, FIRST_ELECTIVE[g]))
    target = 7 if rng.random() < 0.3 else 6
    while len(want) < target:
        groups = {group(c) for c in want} | {group(SPRING_PAIR.get(c, c)) for c in want}
        want.append(rng.choice([c for c in school.electives_by_grade[g]
                                if group(c) not in groups]))
    return want


def secondary_schedule(school: SchoolBuilder) -> None:
    rng, high = school.rng, school.level == "high"
    catalog = HIGH_COURSES if high else MIDDLE_COURSES
    electives = HIGH_ELECTIVES if high else MIDDLE_ELECTIVES
    _init_sections(school, catalog)
    school.electives_by_grade = {
        g: [c for c in electives if school.course_info[c][2] <= g <= school.course_info[c][3]]
        for g in range(school.grade_low, school.grade_high + 1)}
    wants = [requests_for(school, g) for g in school.grade]
    demand: dict[str, dict[int, int]] = {}  # course -> grade -> students
    for g, want in zip(school.grade, wants, strict=True):
        for c in want:
            by_grade = demand.setdefault(c, {})
            by_grade[g] = by_grade.get(g, 0) + 1
    # Sections: enough seats for the demand, spread over the day so every
    # period has room; period 7 (high school) holds electives only.
    weight = dict.fromkeys(range(1, school.required + 1), 1.0)
    if school.periods > school.required:
        weight[school.periods] = 0.3
    load = dict.fromkeys(weight, 0.0)
    # Seats per period for each grade, shared out by who asked for a
    # course, so one grade's courses don't crowd into the same periods.
    grade_load = {g: dict.fromkeys(weight, 0.0) for g in school.electives_by_grade}
    planned: list[tuple[str, int, int]] = []
    total = {c: sum(by_grade.values()) for c, by_grade in demand.items()}
    for c in sorted(demand, key=lambda c: (-total[c], c)):
        base = CAPACITY.get(school.course_info[c][0], 38)
        allowed = list(weight) if c in electives else list(range(1, school.required + 1))
        shares = [(grade_load[g], n / total[c]) for g, n in sorted(demand[c].items())]
        used: set[int] = set()
        for _ in range(max(1, math.ceil(total[c] / (base * 0.92)))):
            free = [p for p in allowed if p not in used] or allowed
            p = min(free, key=lambda p: (sum(gl[p] * share for gl, share in shares)
                                         / weight[p], load[p] / weight[p], rng.random()))
            used.add(p)
            cap = min(40, max(30, base + rng.choice((-2, 0, 0, 2))))
            load[p] += cap
            for gl, share in shares:
                gl[p] += cap * share
            planned.append((c, p, cap))
    # Teachers: about five sections each, within a department, one per
    # period; as many as the department's busiest period needs.
    fall_semester: list[int] = []
    by_dept: dict[str, list[tuple[str, int, int]]] = {}
    for c, p, cap in planned:
        by_dept.setdefault(school.course_info[c][0], []).append((c, p, cap))
    for dept in sorted(by_dept):
        in_period = {p: sorted(t for t in by_dept[dept] if t[1] == p) for p in weight}
        b = BUILDING[dept]
        teachers = [_Teacher(school.add_staff("Teacher", dept),
                             f"GYM-{k}" if b == "GYM" else
                             f"{b}-{1 + k // 12 % 3}{k % 12 + 1:02d}")
                    for k in range(max(max(map(len, in_period.values())),
                                       math.ceil(len(by_dept[dept]) / 5)))]
        # Each period's sections go to the least busy teachers, so loads
        # differ by one at most; a teacher keeps to the courses they know.
        for p, plan in sorted(in_period.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            idle = sorted(teachers, key=lambda t: (t.load, t.staff))[:len(plan)]
            for c, _, cap in plan:
                t = next((t for t in idle if c in t.courses), idle[0])
                idle.remove(t)
                t.load += 1
                t.courses.add(c)
                sec = _add_section(school, c, 1, p, t.staff, t.room, cap)
                if school.course_info[c][1] == "semester":
                    fall_semester.append(sec)
    # Spring: each fall semester section's period and teacher take the
    # paired course (Health <-> Ethnic Studies); they fill at rollover.
    pairs = SPRING_PAIR if high else MIDDLE_SPRING_PAIR
    staff_index = {row[0]: k for k, row in enumerate(school.rows["staff"])}
    sections = school.rows["sections"]
    for sec in fall_semester:
        row = sections[sec]
        school.spring_of[sec] = _add_section(
            school, pairs.get(school.sec_course[sec], school.sec_course[sec]), 2, row[4],
            staff_index[row[6]], row[5], row[7])
    school.by_course = {}
    school.by_period = {}
    for sec, c in enumerate(school.sec_course):
        if school.sec_term[sec] == 1:
            school.by_course.setdefault(c, []).append(sec)
            school.by_period.setdefault(school.sec_period[sec], []).append(sec)
    order = list(range(school.n))
    rng.shuffle(order)
    for i in order:
        school.schedule[i] = _place(school, i, wants[i])
    _leave_some_incomplete(school)


def _place(school: SchoolBuilder, i: int, want: list[str]) -> list[int]:
    """One section per requested course, each in its own period (a matching)."""
    count, cap, period = school.sec_count, school.sec_cap, school.sec_period
    periods = range(1, len(want) + 1)
    options = []
    for c in want:
        best: dict[int, int] = {}
        for s in school.by_course.get(c, ()):
            p = period[s]
            if p in periods and count[s] < cap[s]:
                b = best.get(p)
                if b is None or count[s] * cap[b] < count[b] * cap[s]:
                    best[p] = s
        options.append(sorted(best.items(), key=lambda ps: count[ps[1]] / cap[ps[1]]))
    owner: dict[int, int] = {}

    def assign(ci: int, seen: set[int]) -> bool:
        for p, _ in options[ci]:
            if p not in seen:
                seen.add(p)
                if p not in owner or assign(owner[p], seen):
                    owner[p] = ci
                    return True
        return False

    for ci in sorted(range(len(want)), key=lambda ci: len(options[ci])):
        assign(ci, set())
    chosen = {p: dict(options[ci])[p] for p, ci in owner.items()}
    # A course that didn't fit is replaced, as a counselor would, by a
    # course open in a free period; electives first.
    if len(chosen) < len(want):
        g = school.grade[i]
        groups = {group(school.sec_course[s]) for s in chosen.values()}
        electives = set(school.electives_by_grade[g])
        for p in periods:
            if p in chosen:
                continue
            open_ = [s for s in school.by_period.get(p, ())
                     if count[s] < cap[s] and group(school.sec_course[s]) not in groups
                     and school.course_info[school.sec_course[s]][2] <= g
                     <= school.course_info[school.sec_course[s]][3]]
            if open_:
                s = min(open_, key=lambda s: (school.sec_course[s] not in electives,
                                              count[s] / cap[s]))
                chosen[p] = s
                groups.add(group(school.sec_course[s]))
    for s in chosen.values():
        count[s] += 1
    return [chosen[p] for p in sorted(chosen)]


def _leave_some_incomplete(school: SchoolBuilder) -> None:
    """About 3% of schedules are missing a period or two, late entrants most."""
    rng = school.rng
    for i in range(school.n):
        if rng.random() < (0.35 if i in school.late else 0.02) and len(school.schedule[i]) > 2:
            for _ in range(1 if rng.random() < 0.7 else 2):
                s = school.schedule[i].pop(rng.randrange(len(school.schedule[i])))
                school.sec_count[s] -= 1


@dataclass
class _Teacher:
    staff: int  # index into the staff rows
    room: str
    load: int = 0
    courses: set[str] = field(default_factory=set)
