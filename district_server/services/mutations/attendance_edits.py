"""Attendance edits: a mark, or a section's roll. The last write to reach
the server wins and every write is audited. Both handlers check everything
before their first write, against a `facts` object: `DbFacts` on the
generic path, `attendance_pg.Prefetched` on PostgreSQL's attendance path."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa

from district_server.services.attendance_status import is_late
from district_server.services.clock import now_iso, now_utc
from district_server.services.edit_context import Context, Outcome, Rejected
from district_server.store.tables import SYNCED, schools
from domain.attendance import DAILY_LEVELS
from domain.edits import mark_record, submission_marks, submission_record
from domain.mutations import APPLIED
from domain.records import attendance_mark_id, attendance_submission_id
from domain.records import kind as kind_of


class Roll(NamedTuple):
    """What checking a section's roll needs to know about the section."""
    period: int  # the period the section meets in
    number: str  # its section number, for messages
    daily: bool  # its school keeps one roll a day (submitted for period 0)
    end_time: str | None  # when its period ends ("HH:MM"), for lateness
    submitted: bool  # the roll for this date and period came in before


class DbFacts:
    """The facts attendance edits are checked against, read when asked, one
    query each (the generic path; `attendance_pg.Prefetched` is the PostgreSQL path's)."""

    def __init__(self, conn, school_id: str):
        self.conn, self.school_id = conn, school_id

    def roll(self, section_id: str, submission_id: str) -> Roll | None:
        sec, bp = SYNCED["sections"], SYNCED["bell_periods"]
        sub = SYNCED["attendance_submissions"]
        ends = (sa.select(sa.func.max(bp.c.end_time)).where(bp.c.school_id == sec.c.school_id)
                .where(bp.c.number == sec.c.period).scalar_subquery())
        submitted = (sa.select(sub.c.id).where(sub.c.school_id == self.school_id)
                     .where(sub.c.id == submission_id).exists())
        row = self.conn.execute(
            sa.select(sec.c.period, sec.c.section_number, schools.c.level, ends, submitted)
            .join(schools, schools.c.id == sec.c.school_id)
            .where(sec.c.school_id == self.school_id).where(sec.c.id == section_id)).first()
        if row is None:
            return None
        return Roll(row[0], row[1], row[2] in DAILY_LEVELS, row[3], bool(row[4]))

    def known(self, *, students: Iterable[str] = (), codes: Iterable[str] = (),
              sections: Iterable[str] = ()) -> dict[str, set[str]]:
        """Which of these ids exist at the school: one query."""
        parts = [sa.select(sa.literal(what), SYNCED[what].c.id)
                 .where(SYNCED[what].c.school_id == self.school_id)
                 .where(SYNCED[what].c.id.in_(sorted(ids)))
                 for what, ids in (("students", set(students)), ("attendance_codes", set(codes)),
                                   ("sections", set(sections))) if ids]
        found: dict[str, set[str]] = {"students": set(), "attendance_codes": set(),
                                      "sections": set()}
        if parts:
            for what, record_id in self.conn.execute(sa.union_all(*parts)):
                found[what].add(record_id)
        return found


def mark(ctx: Context) -> Outcome:
    p = ctx.payload
    record = mark_record(p, recorded_by=ctx.user.username, recorded_at=now_iso(),
                         workstation=ctx.changes.workstation)
    ctx.keys = [("attendance_marks", record["id"])]
    found = ctx.facts.known(students=[p["student_id"]], codes=[p["code"]],
                            sections=[p["section_id"]] if p["section_id"] else [])
    for what, kind, record_id in (("student", "students", p["student_id"]),
                                  ("section", "sections", p["section_id"]),
                                  ("attendance code", "attendance_codes", p["code"])):
        if record_id and record_id not in found[kind]:
            raise Rejected(f"{what} {record_id!r} does not exist at this school")
    written = ctx.changes.put("attendance_marks", record, reason=p["reason"])
    return Outcome(APPLIED, ctx.keys, known=wire("attendance_marks", [written]))


def submit(ctx: Context) -> Outcome:
    """A section's roll: its marks (each its own version, each audited, the
    last to reach the server wins) and the submission. A roll submitted again
    writes its marks; the first submission (who, when, late or not) stands."""
    p = ctx.payload
    marks = submission_marks(p)
    sub_id = attendance_submission_id(p["section_id"], p["date"], p["period"])
    ctx.keys = [("attendance_submissions", sub_id)] + [
        ("attendance_marks", attendance_mark_id(m["student_id"], m["section_id"], m["date"],
                                                m["period"])) for m in marks]
    roll = ctx.facts.roll(p["section_id"], sub_id)
    check_roll(p, roll)
    if marks:
        check_marks(marks, ctx.facts.known(students=[m["student_id"] for m in marks],
                                           codes=[m["code"] for m in marks]))
    now = now_utc()
    at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    known = wire("attendance_marks", ctx.changes.put_many(
        "attendance_marks",
        [mark_record(m, recorded_by=ctx.user.username, recorded_at=at,
                     workstation=ctx.changes.workstation) for m in marks],
        reasons=[m["reason"] for m in marks]))
    if not roll.submitted:
        record = submission_record(p, submitted_by=ctx.user.username, submitted_at=at,
                                   late=is_late(p["date"], roll.end_time, now))
        known.update(wire("attendance_submissions",
                          ctx.changes.put_many("attendance_submissions", [record])))
    return Outcome(APPLIED, ctx.keys, known=known)


def check_roll(p: dict[str, Any], roll: Roll | None) -> Roll:
    """The section is this school's and meets in the period (period 0 at a
    daily school)."""
    if roll is None:
        raise Rejected(f"section {p['section_id']!r} does not exist at this school")
    if roll.daily:
        if p["period"] != 0:
            raise Rejected(f"this school takes attendance for the whole day: submit section "
                           f"{roll.number} for period 0, not period {p['period']}")
    elif p["period"] != roll.period:
        raise Rejected(f"section {roll.number} meets in period {roll.period}, "
                       f"not period {p['period']}")
    return roll


def check_marks(marks: list[dict[str, Any]], found: dict[str, set[str]]) -> None:
    """Every student is this school's and every code exists."""
    missing = sorted({m["student_id"] for m in marks} - found["students"])
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise Rejected(f"student {missing[0]!r}{more} is not a student of this school")
    bad = sorted({m["code"] for m in marks} - found["attendance_codes"])
    if bad:
        raise Rejected(f"unknown attendance code {bad[0]!r}")


def wire(kind: str, records: list[dict[str, Any]]) -> dict[tuple[str, str], list[Any]]:
    columns = kind_of(kind).wire_columns
    return {(kind, r["id"]): [r[c] for c in columns] for r in records}
