"""Which sections have taken attendance: per school and period, for the
school's office and for the district (DESIGN.md: "the district server keeps
per-school, per-period submission status, so the district can see which
schools are behind").

A section is expected to submit for a period on a date when it meets that
day: it belongs to the term containing the date (a year-long course's
section, to the school year containing it) and at least one student's
schedule has it on that date. The server keeps no holiday calendar, so on a
weekend or holiday every meeting section still shows as expected; the date
asked about is the caller's to choose.

Time: the schools keep Los Angeles time. "Today", whether a period has
ended and whether a roll came in late are read from the server's clock in
that zone (`SCHOOL_TZ`), never from a workstation's clock.
"""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from district_server.services.clock import now_utc
from district_server.store.db import reader
from district_server.store.tables import SYNCED, schools
from domain.attendance import DAILY_LEVELS

SCHOOL_TZ = ZoneInfo("America/Los_Angeles")


def school_now(now: dt.datetime | None = None) -> dt.datetime:
    return (now or now_utc()).astimezone(SCHOOL_TZ)


def school_today(now: dt.datetime | None = None) -> str:
    return school_now(now).date().isoformat()


def is_late(date: str, end_time: str | None, now: dt.datetime | None = None) -> bool:
    """A roll is late when it reaches the server after its period ended
    (bell schedule `end_time`, "HH:MM") on its date, or on a later date."""
    local = school_now(now)
    today = local.date().isoformat()
    if today != date:
        return today > date
    return end_time is not None and local.strftime("%H:%M:%S") > f"{end_time}:00"


def _meeting(date: str, school_id: str | None):
    """Sections meeting on `date`, with their school's daily flag and the
    submission (if any) of their roll that day; a FROM clause to aggregate.
    (12-25 ms for the district's 1,500 sections on PostgreSQL once the
    planner has statistics; a freshly bulk-loaded database wants ANALYZE.)"""
    sec, terms, years = SYNCED["sections"], SYNCED["terms"], SYNCED["school_years"]
    courses, enr = SYNCED["courses"], SYNCED["section_enrollments"]
    sub = SYNCED["attendance_submissions"]
    daily = schools.c.level.in_(sorted(DAILY_LEVELS))
    active = (sa.select(enr.c.id).where(enr.c.school_id == sec.c.school_id)
              .where(enr.c.section_id == sec.c.id).where(enr.c.begin_date <= date)
              .where(sa.or_(enr.c.end_date.is_(None), enr.c.end_date >= date)).exists())
    in_session = sa.or_(
        sa.and_(terms.c.start_date <= date, terms.c.end_date >= date),
        sa.and_(courses.c.duration == "year", years.c.start_date <= date,
                years.c.end_date >= date))
    joined = (
        sec.join(schools, schools.c.id == sec.c.school_id)
        .join(terms, sa.and_(terms.c.school_id == sec.c.school_id, terms.c.id == sec.c.term_id))
        .join(years, sa.and_(years.c.school_id == terms.c.school_id,
                             years.c.id == terms.c.school_year_id))
        .join(courses, sa.and_(courses.c.school_id == sec.c.school_id,
                               courses.c.id == sec.c.course_id))
        # A daily school's homerooms submit their roll for period 0.
        .outerjoin(sub, sa.and_(sub.c.school_id == sec.c.school_id,
                                sub.c.section_id == sec.c.id, sub.c.date == date,
                                sub.c.period == sa.case((daily, 0), else_=sec.c.period))))
    where = [in_session, active]
    if school_id is not None:
        where.append(sec.c.school_id == school_id)
    return joined, where, sub


def _counts(sub):
    return (sa.func.count().label("expected"),
            sa.func.count(sub.c.id).label("submitted"),
            sa.func.coalesce(sa.func.sum(sa.case((sub.c.late, 1), else_=0)), 0).label("late"))


def _overdue(date: str, end_time: str | None, now: dt.datetime) -> bool:
    """Has the period ended (so a missing roll is behind, not just not yet due)?"""
    return is_late(date, end_time, now)


def _bell(conn: Connection, school_ids: list[str]) -> dict[tuple[str, int], dict[str, Any]]:
    bp = SYNCED["bell_periods"]
    rows = conn.execute(sa.select(bp.c.school_id, bp.c.number, bp.c.label, bp.c.start_time,
                                  bp.c.end_time).where(bp.c.school_id.in_(school_ids)))
    return {(r.school_id, r.number): dict(r._mapping) for r in rows}


def school_status(engine: Engine, *, school_id: str, date: str,
                  now: dt.datetime | None = None) -> dict[str, Any]:
    """Per period: sections expected, submitted, late, and the ones missing."""
    now = now or now_utc()
    sec, courses, staff = SYNCED["sections"], SYNCED["courses"], SYNCED["staff"]
    with reader(engine) as conn:
        joined, where, sub = _meeting(date, school_id)
        counts = conn.execute(sa.select(sec.c.period, *_counts(sub)).select_from(joined)
                              .where(*where).group_by(sec.c.period)
                              .order_by(sec.c.period)).all()
        teacher = sa.func.coalesce(staff.c.last_name + ", " + staff.c.first_name, "")
        missing = conn.execute(
            sa.select(sec.c.period, sec.c.id, sec.c.section_number, courses.c.title,
                      teacher.label("teacher"), sec.c.room)
            .select_from(joined.outerjoin(staff, sa.and_(staff.c.school_id == sec.c.school_id,
                                                         staff.c.id == sec.c.teacher_id)))
            .where(*where).where(sub.c.id.is_(None))
            .order_by(sec.c.period, courses.c.title, sec.c.section_number)).all()
        bell = _bell(conn, [school_id])
    by_period: dict[int, list[dict[str, Any]]] = {}
    for r in missing:
        by_period.setdefault(r.period, []).append(
            {"section_id": r.id, "section_number": r.section_number, "course_title": r.title,
             "teacher": r.teacher, "room": r.room})
    periods = []
    for r in counts:
        b = bell.get((school_id, r.period), {})
        left = r.expected - r.submitted
        periods.append({
            "period": r.period, "label": b.get("label"), "start_time": b.get("start_time"),
            "end_time": b.get("end_time"), "expected": r.expected, "submitted": r.submitted,
            "late": int(r.late), "missing": left,
            "overdue": left if _overdue(date, b.get("end_time"), now) else 0,
            "not_submitted": by_period.get(r.period, [])})
    return {"school_id": school_id, "date": date, "server_time": _iso(now),
            "expected": sum(p["expected"] for p in periods),
            "submitted": sum(p["submitted"] for p in periods),
            "late": sum(p["late"] for p in periods),
            "missing": sum(p["missing"] for p in periods),
            "overdue": sum(p["overdue"] for p in periods),
            "periods": periods}


def district_status(engine: Engine, *, date: str,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    """One row per school and period; schools most behind first (missing rolls
    of periods already over, then missing rolls, then by school code)."""
    now = now or now_utc()
    sec = SYNCED["sections"]
    with reader(engine) as conn:
        joined, where, sub = _meeting(date, None)
        counts = conn.execute(sa.select(sec.c.school_id, sec.c.period, *_counts(sub))
                              .select_from(joined).where(*where)
                              .group_by(sec.c.school_id, sec.c.period)).all()
        names = {r.id: r for r in conn.execute(sa.select(schools.c.id, schools.c.code,
                                                         schools.c.name, schools.c.level))}
        bell = _bell(conn, sorted(names))
    totals: dict[str, dict[str, Any]] = {
        sid: {"school_id": sid, "code": s.code, "name": s.name, "level": s.level,
              "expected": 0, "submitted": 0, "late": 0, "missing": 0, "overdue": 0}
        for sid, s in names.items()}
    rows = []
    for r in counts:
        b = bell.get((r.school_id, r.period), {})
        left = r.expected - r.submitted
        row = {"school_id": r.school_id, "code": names[r.school_id].code,
               "name": names[r.school_id].name, "period": r.period, "label": b.get("label"),
               "end_time": b.get("end_time"), "expected": r.expected,
               "submitted": r.submitted, "late": int(r.late), "missing": left,
               "overdue": left if _overdue(date, b.get("end_time"), now) else 0}
        rows.append(row)
        t = totals[r.school_id]
        for key in ("expected", "submitted", "late", "missing", "overdue"):
            t[key] += row[key]

    def behind(t: dict[str, Any]) -> tuple:
        return (-t["overdue"], -t["missing"], t["code"])

    order = {t["school_id"]: i for i, t in enumerate(sorted(totals.values(), key=behind))}
    rows.sort(key=lambda row: (order[row["school_id"]], row["period"]))
    return {"date": date, "server_time": _iso(now),
            "schools": sorted(totals.values(), key=behind), "rows": rows}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
