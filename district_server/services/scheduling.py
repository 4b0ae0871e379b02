"""Scheduling on the server: the facts schedule edits are checked against,
the semester rollover, the request loader, and the district's record of
schools with students still lacking a complete schedule."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from district_server.services.changes import SchoolChanges
from district_server.services.clock import now_utc
from district_server.store.db import reader, writer
from district_server.store.tables import SYNCED, schedule_escalations, schools
from domain.edits import program_id
from domain.scheduling import (
    Catalog,
    Course,
    Entry,
    PastMark,
    Requirement,
    Section,
    Term,
    incomplete_after,
    next_term,
    plan_rollover,
    students_without_complete_schedule,
)

SCHOOL_TZ = ZoneInfo("America/Los_Angeles")
# DESIGN.md: a school with more than 10 students without a schedule after
# 10:00 AM is escalated to the district.
ESCALATION_LIMIT = 10
ESCALATION_TIME = dt.time(10, 0)


def _rows(conn, kind: str, school_id: str, *where) -> list[Any]:
    t = SYNCED[kind]
    return list(conn.execute(sa.select(t).where(t.c.school_id == school_id, *where)))


def load_catalog(conn, school_id: str, section_ids: Iterable[str] | None = None) -> Catalog:
    """Terms, courses and sections (all, or just these) of a school."""
    sec = SYNCED["sections"]
    where = [] if section_ids is None else [sec.c.id.in_(sorted(set(section_ids)))]
    return Catalog(
        terms={r.id: Term(r.id, r.school_year_id, r.name, r.sequence, r.start_date, r.end_date)
               for r in _rows(conn, "terms", school_id)},
        courses={r.id: Course(r.id, r.code, r.title, r.department, r.duration, r.grade_min,
                              r.grade_max) for r in _rows(conn, "courses", school_id)},
        sections={r.id: Section(r.id, r.course_id, r.term_id, r.section_number, r.period,
                                r.room, r.teacher_id, r.capacity)
                  for r in _rows(conn, "sections", school_id, *where)})


def entries_of(conn, school_id: str, student_id: str | None = None) -> list[Entry]:
    t = SYNCED["section_enrollments"]
    where = [] if student_id is None else [t.c.student_id == student_id]
    return [Entry(r.id, r.student_id, r.section_id, r.begin_date, r.end_date)
            for r in _rows(conn, "section_enrollments", school_id, *where)]


def history_of(conn, school_id: str, student_id: str) -> list[PastMark]:
    t = SYNCED["transcript_entries"]
    return [PastMark(r.school_year, r.course_code, r.mark)
            for r in _rows(conn, "transcript_entries", school_id, t.c.student_id == student_id)]


def requirements(conn, school_id: str) -> dict[int, Requirement]:
    return {r.grade_level: Requirement.parse(r.grade_level, r.required_periods,
                                             r.required_courses)
            for r in _rows(conn, "grade_requirements", school_id)}


def enrolled_in_section(conn, school_id: str, section_id: str, day: str) -> int:
    t = SYNCED["section_enrollments"]
    return conn.execute(sa.select(sa.func.count()).select_from(t).where(
        t.c.school_id == school_id, t.c.section_id == section_id, t.c.begin_date <= day,
        sa.or_(t.c.end_date.is_(None), t.c.end_date >= day))).scalar_one()


def enrolled_students(conn, school_id: str, day: str) -> dict[str, int]:
    """Students enrolled at the school on a day, with their grade."""
    t = SYNCED["school_enrollments"]
    rows = conn.execute(sa.select(t.c.student_id, t.c.grade_level).where(
        t.c.school_id == school_id, t.c.entry_date <= day,
        sa.or_(t.c.exit_date.is_(None), t.c.exit_date >= day)).order_by(t.c.student_id))
    return {r.student_id: r.grade_level for r in rows}


# ------------------------------------------------------------- rollover


class SchedulingError(ValueError):
    """A request that can't be carried out as asked; the text says why."""


def rollover(engine, *, school_id: str, from_term_id: str | None, apply: bool,
             user_id: int | None, username: str | None,
             workstation: str | None) -> dict[str, Any]:
    """Plan (and with `apply`, carry out) the move to the next term."""
    with (writer(engine) if apply else reader(engine)) as conn:
        # A writer takes the school's sequence row before it reads: a push
        # still being written (a counselor's drop) is in the plan, not
        # overwritten by it.
        changes = SchoolChanges(conn, school_id, user_id=user_id, username=username,
                                workstation=workstation) if apply else None
        catalog = load_catalog(conn, school_id)
        from_term = _pick_term(catalog, from_term_id)
        to_term = next_term(catalog, from_term)
        if to_term is None:
            raise SchedulingError(f"{from_term.name} is the last term of its school year; "
                                  "next year's programs come from course requests")
        students = enrolled_students(conn, school_id, from_term.end_date)
        entries = entries_of(conn, school_id)
        plan = plan_rollover(catalog=catalog, entries=entries, from_term=from_term,
                             to_term=to_term, enrolled_students=students)
        incomplete = incomplete_after(plan, catalog=catalog, entries=entries,
                                      students=students,
                                      requirements=requirements(conn, school_id))
        summary = {"from_term": from_term.name, "to_term": to_term.name,
                   "ended": len(plan.ends), "added": len(plan.adds), "carried": plan.carried,
                   "students": len(plan.students), "applied": False,
                   "unplaced": [{"student_id": s, "period": p, "reason": why}
                                for s, p, why in plan.unplaced],
                   "incomplete_after": len(incomplete)}
        if changes is not None and plan.changes:
            reason = f"semester rollover to {to_term.name}"
            changes.put_many("section_enrollments", [_entry_record(e) for e in plan.ends],
                             reason=reason)
            changes.put_many("section_enrollments", [_entry_record(e) for e in plan.adds],
                             reason=reason)
            changes.put_many("programs", [{"id": program_id(s), "student_id": s,
                                           "updated_by": username, "last_mutation_id": None}
                                          for s in sorted(plan.students)], reason=reason)
            changes.close()
            summary["applied"] = True
        return summary


def _pick_term(catalog: Catalog, term_id: str | None) -> Term:
    if term_id is not None:
        term = catalog.terms.get(term_id)
        if term is None:
            raise SchedulingError(f"term {term_id!r} does not exist at this school")
        return term
    today = now_utc().astimezone(SCHOOL_TZ).date().isoformat()
    current = catalog.term_on(today) or max(
        (t for t in catalog.terms.values() if t.end_date < today),
        key=lambda t: t.end_date, default=None)
    if current is None:
        raise SchedulingError("no term has begun yet at this school")
    return current


def _entry_record(e: Entry) -> dict[str, Any]:
    return {"id": e.id, "student_id": e.student_id, "section_id": e.section_id,
            "begin_date": e.begin_date, "end_date": e.end_date}


# ------------------------------------------------------ incomplete schedules


def incomplete_on(conn, school_id: str, day: str) -> list:
    catalog = load_catalog(conn, school_id)
    return students_without_complete_schedule(
        catalog=catalog, students=enrolled_students(conn, school_id, day),
        entries=entries_of(conn, school_id), day=day, requirements=requirements(conn, school_id))


def report_incomplete(engine, *, school_id: str, username: str | None,
                      now: dt.datetime | None = None) -> dict[str, Any]:
    """Count the school's incomplete schedules now; after 10:00 AM on a
    school day with more than ten, record the escalation for the district
    (once a day: a later report updates the count). A school day is a
    weekday in one of the school's terms: in the summer nobody has classes."""
    when = now or now_utc()
    local = when.astimezone(SCHOOL_TZ)
    day = local.date().isoformat()
    with reader(engine) as conn:  # counting takes the writer's slot from nobody
        count = len(incomplete_on(conn, school_id, day))
        in_term = any(r.start_date <= day <= r.end_date for r in _rows(conn, "terms", school_id))
    escalate = (count > ESCALATION_LIMIT and local.time() >= ESCALATION_TIME
                and local.weekday() < 5 and in_term)
    if escalate:
        with writer(engine) as conn:
            t = schedule_escalations
            values = {"incomplete": count, "reported_by": username,
                      "recorded_at": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            # An upsert: two counselors reporting at once make one row, not an error.
            insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)
            conn.execute(insert(t).values(school_id=school_id, date=day, **values)
                         .on_conflict_do_update(index_elements=[t.c.school_id, t.c.date],
                                                set_=values))
    return {"date": day, "incomplete": count, "limit": ESCALATION_LIMIT, "escalated": escalate}


def escalations(engine, *, day: str) -> list[dict[str, Any]]:
    t = schedule_escalations
    with reader(engine) as conn:
        rows = conn.execute(
            sa.select(t, schools.c.name).join(schools, schools.c.id == t.c.school_id)
            .where(t.c.date == day).order_by(t.c.incomplete.desc()))
        return [{"school_id": r.school_id, "school": r.name, "date": r.date,
                 "incomplete": r.incomplete, "recorded_at": r.recorded_at,
                 "reported_by": r.reported_by} for r in rows]
