"""The request loader on the server: next year's course requests placed into
next year's sections, in one transaction, with the report of what could
not be placed and why. The placing itself is `domain.loader`'s."""
from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa

from district_server.services.attendance_status import school_today
from district_server.services.changes import SchoolChanges
from district_server.services.scheduling import (
    SchedulingError,
    enrolled_students,
    load_catalog,
)
from district_server.store.db import reader, writer
from district_server.store.tables import SYNCED
from domain.edits import program_id
from domain.loader import CourseInfo, OpenSection, Request, load_requests
from domain.scheduling import Catalog


def _year_terms(catalog: Catalog, school_year_id: str) -> dict[str, int]:
    """Term id -> its place in the year (1 fall, 2 spring)."""
    terms = sorted((t for t in catalog.terms.values() if t.school_year_id == school_year_id),
                   key=lambda t: t.sequence)
    return {t.id: k for k, t in enumerate(terms, 1)}


def run_loader(engine, *, school_id: str, school_year_id: str, apply: bool,
               user_id: int | None, username: str | None,
               workstation: str | None) -> dict[str, Any]:
    """Place the requests of students not yet scheduled for that year; with
    `apply`, write their schedule entries. Students who already have a class
    that year keep their programs as they are, so running it again changes
    nothing more."""
    started = time.perf_counter()
    with (writer(engine) if apply else reader(engine)) as conn:
        # A writer takes the school's sequence row before it reads, so a
        # counselor's edit being saved is seen, not overwritten (as rollover).
        changes = SchoolChanges(conn, school_id, user_id=user_id, username=username,
                                workstation=workstation) if apply else None
        catalog = load_catalog(conn, school_id)
        year = conn.execute(sa.select(SYNCED["school_years"]).where(
            SYNCED["school_years"].c.school_id == school_id,
            SYNCED["school_years"].c.id == school_year_id)).first()
        if year is None:
            raise SchedulingError(f"school year {school_year_id!r} does not exist at this school")
        place = _year_terms(catalog, school_year_id)
        if not place:
            raise SchedulingError(f"{year.name} has no terms yet")
        sections = {s.id: s for s in catalog.sections.values() if s.term_id in place}
        if not sections:
            raise SchedulingError(f"{year.name} has no sections yet: build its master schedule "
                                  "from the tallies first")
        se = SYNCED["section_enrollments"]
        taken: dict[str, int] = {}
        scheduled: set[str] = set()
        for student_id, section_id in conn.execute(
                sa.select(se.c.student_id, se.c.section_id).where(
                    se.c.school_id == school_id, se.c.section_id.in_(sorted(sections)),
                    # not an entry undone before its first day
                    sa.or_(se.c.end_date.is_(None), se.c.end_date >= se.c.begin_date))):
            taken[section_id] = taken.get(section_id, 0) + 1
            scheduled.add(student_id)
        # Students still enrolled when the year begins: not those who left.
        enrolled = enrolled_students(conn, school_id, year.start_date)
        students = {r.id: (r.grade_level, f"{r.legal_last_name}, {r.legal_first_name}")
                    for r in conn.execute(sa.select(SYNCED["students"]).where(
                        SYNCED["students"].c.school_id == school_id))
                    if r.id in enrolled}
        req = SYNCED["course_requests"]
        rows = list(conn.execute(sa.select(req).where(
            req.c.school_id == school_id, req.c.school_year_id == school_year_id)))
        grade_step = 1 if year.start_date > _current_start(conn, school_id) else 0
        requests = [Request(r.student_id, students[r.student_id][0] + grade_step, r.course_id,
                            r.rank)
                    for r in rows if r.student_id in students and r.student_id not in scheduled]
        courses = {c.id: CourseInfo(c.id, c.code, c.title, c.department, c.duration, c.grade_min,
                                    c.grade_max) for c in catalog.courses.values()}
        open_sections = [
            OpenSection(s.id, s.course_id, s.period,
                        frozenset({1, 2}) if courses[s.course_id].duration == "year"
                        else frozenset({place[s.term_id]}),
                        s.capacity, taken.get(s.id, 0))
            for s in sorted(sections.values(), key=lambda s: s.id)]
        result = load_requests(requests, open_sections, courses)
        over = sum(1 for s in open_sections if result.section_counts.get(s.id, 0) > s.capacity)
        summary: dict[str, Any] = {
            "school_year": year.name, "requests": len(rows),
            "placed": len(result.placements), "placed_pct": round(result.placed_pct, 2),
            "already_placed": sum(1 for r in rows if r.student_id in scheduled),
            "unfilled": [{"student_id": u.student_id,
                          "student_name": students.get(u.student_id, ("", ""))[1],
                          "course_id": u.course_id,
                          "course_title": courses[u.course_id].title
                          if u.course_id in courses else u.course_id,
                          "reason": u.reason} for u in result.unfilled],
            "sections_over_capacity": over, "conflicts": _conflicts(result, sections, courses,
                                                                  place),
            "applied": False}
        if changes is not None and result.placements:
            request_ids = {(r.student_id, r.course_id): r.id for r in rows}
            reason = f"course request loader, {year.name}"
            changes.put_many("section_enrollments", [
                {"id": f"se-{request_ids[(p.student_id, p.course_id)]}",
                 "student_id": p.student_id, "section_id": p.section_id,
                 "begin_date": catalog.terms[sections[p.section_id].term_id].start_date,
                 "end_date": None} for p in result.placements], reason=reason)
            changes.put_many("programs", [
                {"id": program_id(s), "student_id": s, "updated_by": username,
                 "last_mutation_id": None}
                for s in sorted({p.student_id for p in result.placements})], reason=reason)
            changes.close()
            summary["applied"] = True
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def _current_start(conn, school_id: str) -> str:
    """The start of the school year under way (the earliest, if none has begun)."""
    sy = SYNCED["school_years"]
    today = school_today()
    starts = sorted(r.start_date for r in conn.execute(
        sa.select(sy.c.start_date).where(sy.c.school_id == school_id)))
    begun = [s for s in starts if s <= today]
    return begun[-1] if begun else (starts[0] if starts else today)


def _conflicts(result, sections, courses, place) -> int:
    """Placements that share a student's period and term (0, or the loader is wrong)."""
    seen: set[tuple[str, int, int]] = set()
    clashes = 0
    for p in result.placements:
        s = sections[p.section_id]
        terms = (1, 2) if courses[s.course_id].duration == "year" else (place[s.term_id],)
        for t in terms:
            key = (p.student_id, s.period, t)
            clashes += key in seen
            seen.add(key)
    return clashes
