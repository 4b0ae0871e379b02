"""Applying a workstation's pushed edits, each at most once.

A push is one transaction holding the school's sequence row. Each mutation
runs in a savepoint: a rejected one leaves no trace but its answer, and never
blocks the ones behind it. Every answer is stored with the mutation id, so a
retried push returns the same answers and changes nothing.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from district_server.services.auth import CurrentUser
from district_server.services.changes import SchoolChanges, current_records
from district_server.services.clock import now_iso, now_utc
from district_server.store.db import writer
from district_server.store.tables import SYNCED, mutations, schools
from domain.codes import ENTRY_CODES, WITHDRAWAL_CODES
from domain.edits import mark_record, new_student_records, program_id, submission_record
from domain.mutations import APPLIED, CONFLICT, OPS, REJECTED, check_batch

log = logging.getLogger(__name__)

# Which roles may send which operations.
OP_ROLES: dict[str, frozenset[str]] = {
    "attendance.mark": frozenset({"clerk", "counselor", "school_admin", "district_admin"}),
    "attendance.submit": frozenset({"clerk", "counselor", "school_admin", "district_admin"}),
    "schedule.add": frozenset({"counselor", "school_admin", "district_admin"}),
    "schedule.drop": frozenset({"counselor", "school_admin", "district_admin"}),
    "enrollment.enroll": frozenset({"clerk", "counselor", "school_admin", "district_admin"}),
    "enrollment.withdraw": frozenset({"clerk", "counselor", "school_admin", "district_admin"}),
    "enrollment.transfer_in": frozenset({"clerk", "counselor", "school_admin", "district_admin"}),
}
assert set(OP_ROLES) == set(OPS)


class Rejected(Exception):
    """An edit the server won't apply; the message is for the person who made it."""


@dataclass
class Outcome:
    status: str
    keys: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None


@dataclass
class Context:
    changes: SchoolChanges
    user: CurrentUser
    payload: dict[str, Any]
    base_version: int | None
    # Records the client may hold a local edit of: the answer carries their
    # server state so the workstation can put its cache right.
    keys: list[tuple[str, str]] = field(default_factory=list)

    @property
    def conn(self):
        return self.changes.conn

    def need(self, kind: str, record_id: str | None, what: str) -> dict[str, Any]:
        record = self.changes.get(kind, record_id) if record_id else None
        if record is None:
            raise Rejected(f"{what} {record_id!r} does not exist at this school")
        return record


def push(engine, *, user: CurrentUser, school_id: str, workstation: str | None,
         batch: Any) -> list[dict[str, Any]]:
    """Apply a batch in order; one answer per mutation, in the same order."""
    checked = check_batch(batch)
    for m in checked:
        if user.role not in OP_ROLES[m["op"]]:
            raise PermissionError(f"a {user.role} may not send {m['op']}")
    with writer(engine) as conn:
        changes = SchoolChanges(conn, school_id, user_id=user.id, username=user.username,
                                workstation=workstation)
        ids = [m["mutation_id"] for m in checked]
        stored = {r.mutation_id: r for r in conn.execute(
            sa.select(mutations.c.mutation_id, mutations.c.school_id, mutations.c.answer)
            .where(mutations.c.mutation_id.in_(ids)))}
        answers = []
        for m in checked:
            if m["mutation_id"] in stored:
                answers.append(_stored_answer(stored[m["mutation_id"]], school_id))
                continue
            answers.append(_apply_one(changes, user, m, workstation))
        changes.close()
    return answers


def _stored_answer(row, school_id: str) -> dict[str, Any]:
    if row.school_id != school_id:
        return {"mutation_id": row.mutation_id, "status": REJECTED,
                "reason": "this change was already sent for another school"}
    answer = json.loads(row.answer)
    answer["replayed"] = True
    return answer


def _apply_one(changes: SchoolChanges, user: CurrentUser, m: dict[str, Any],
               workstation: str | None) -> dict[str, Any]:
    conn = changes.conn
    changes.mutation_id = m["mutation_id"]
    ctx = Context(changes, user, m["payload"], m["base_version"])
    savepoint = conn.begin_nested()
    saved_seq = changes.seq
    try:
        outcome = HANDLERS[m["op"]](ctx)
        savepoint.commit()
    except Rejected as exc:
        savepoint.rollback()
        changes.seq = saved_seq
        outcome = Outcome(REJECTED, ctx.keys, str(exc))
    answer: dict[str, Any] = {"mutation_id": m["mutation_id"], "status": outcome.status}
    if outcome.reason:
        answer["reason"] = outcome.reason
    answer["records"] = current_records(conn, changes.school_id, outcome.keys)
    conn.execute(mutations.insert().values(
        mutation_id=m["mutation_id"], school_id=changes.school_id, user_id=user.id,
        workstation=workstation, op=m["op"], received_at=now_iso(), status=outcome.status,
        answer=json.dumps(answer)))
    return answer


# --- attendance: the last write to reach the server wins, every write audited


def _mark(ctx: Context) -> Outcome:
    p = ctx.payload
    record = mark_record(p, recorded_by=ctx.user.username, recorded_at=now_iso(),
                         workstation=ctx.changes.workstation)
    ctx.keys = [("attendance_marks", record["id"])]
    ctx.need("students", p["student_id"], "student")
    if p["section_id"]:
        ctx.need("sections", p["section_id"], "section")
    ctx.need("attendance_codes", p["code"], "attendance code")
    ctx.changes.put("attendance_marks", record, reason=p["reason"])
    return Outcome(APPLIED, ctx.keys)


def _submit(ctx: Context) -> Outcome:
    p = ctx.payload
    record = submission_record(p, submitted_by=ctx.user.username, submitted_at=now_iso(),
                               late=p["date"] < now_utc().date().isoformat())
    ctx.keys = [("attendance_submissions", record["id"])]
    ctx.need("sections", p["section_id"], "section")
    ctx.changes.put("attendance_submissions", record)
    return Outcome(APPLIED, ctx.keys)


# --- schedules: an edit made against a stale program is a conflict, kept


def _program_keys(ctx: Context, student_id: str) -> list[tuple[str, str]]:
    keys = [("programs", program_id(student_id))]
    keys += [("section_enrollments", r["id"])
             for r in ctx.changes.find("section_enrollments", student_id=student_id)]
    return keys


def _check_program_version(ctx: Context, student_id: str) -> Outcome | None:
    ctx.need("students", student_id, "student")
    program = ctx.changes.get("programs", program_id(student_id))
    current = program["version"] if program else 0
    if ctx.base_version is not None and current > ctx.base_version:
        # The edit's own records too: the workstation drops what the server lacks.
        keys = list(dict.fromkeys(ctx.keys + _program_keys(ctx, student_id)))
        return Outcome(CONFLICT, keys,
                       "This student's schedule was changed by someone else since you "
                       "made this edit. Compare both versions and decide.")
    return None


def _touch_program(ctx: Context, student_id: str) -> None:
    ctx.changes.put("programs", {"id": program_id(student_id), "student_id": student_id,
                                 "updated_by": ctx.user.username})


def _schedule_add(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    ctx.need("sections", p["section_id"], "section")
    if ctx.conn.execute(sa.select(SYNCED["section_enrollments"].c.id).where(
            SYNCED["section_enrollments"].c.id == p["section_enrollment_id"])).first():
        raise Rejected("this schedule entry already exists")
    ctx.changes.put("section_enrollments", {
        "id": p["section_enrollment_id"], "student_id": p["student_id"],
        "section_id": p["section_id"], "begin_date": p["begin_date"], "end_date": None},
        reason=p["override_reason"])
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, _program_keys(ctx, p["student_id"]))


def _schedule_drop(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    entry = ctx.need("section_enrollments", p["section_enrollment_id"], "schedule entry")
    if entry["student_id"] != p["student_id"]:
        raise Rejected("that schedule entry belongs to another student")
    if p["end_date"] < entry["begin_date"]:
        raise Rejected(f"the drop date {p['end_date']} is before the class began "
                       f"({entry['begin_date']})")
    ctx.changes.put("section_enrollments", {**entry, "end_date": p["end_date"]})
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, _program_keys(ctx, p["student_id"]))


# --- enrollment: the server is authoritative


def _active_enrollment(changes: SchoolChanges, student_id: str) -> dict | None:
    rows = [r for r in changes.find("school_enrollments", student_id=student_id)
            if not r["exit_date"]]
    return rows[0] if rows else None


def _enroll(ctx: Context) -> Outcome:
    p = ctx.payload
    planned = new_student_records(p, district_student_id=p["district_student_id"] or "",
                                  updated_by=ctx.user.username)
    ctx.keys = [(kind, record["id"]) for kind, record in planned]
    if p["entry_code"] not in ENTRY_CODES:
        raise Rejected(f"unknown entry code {p['entry_code']!r}")
    students = SYNCED["students"]
    if ctx.conn.execute(sa.select(students.c.id).where(students.c.id == p["student_id"])).first():
        raise Rejected("this student was already enrolled")
    if p["district_student_id"]:
        other = ctx.conn.execute(sa.select(students.c.school_id).where(
            students.c.district_student_id == p["district_student_id"])).first()
        if other:
            raise Rejected(f"student id {p['district_student_id']} already belongs to another "
                           f"student; use Transfer in for a student of the district")
    if not p["confirmed_not_duplicate"]:
        twin = ctx.conn.execute(
            sa.select(students.c.district_student_id, schools.c.name)
            .join(schools, schools.c.id == students.c.school_id)
            .where(sa.func.lower(students.c.legal_first_name) == p["legal_first_name"].lower())
            .where(sa.func.lower(students.c.legal_last_name) == p["legal_last_name"].lower())
            .where(students.c.birth_date == p["birth_date"])).first()
        if twin:
            raise Rejected(
                f"possible duplicate: student {twin.district_student_id} at {twin.name} has the "
                f"same name and birth date. Transfer that student in, or confirm this is a "
                f"different child and enroll again")
    district_id = p["district_student_id"] or _next_district_student_id(ctx.conn)
    for kind, record in new_student_records(p, district_student_id=district_id,
                                            updated_by=ctx.user.username):
        ctx.changes.put(kind, record)
    return Outcome(APPLIED, ctx.keys)


def _next_district_student_id(conn) -> str:
    students = SYNCED["students"]
    top = conn.execute(sa.select(sa.func.max(students.c.district_student_id))
                       .where(students.c.district_student_id.like("9%"))).scalar()
    return str(int(top) + 1) if top else "9000000001"


def _end_schedule(changes: SchoolChanges, user: CurrentUser, student_id: str, day: str) -> None:
    ended = False
    for entry in changes.find("section_enrollments", student_id=student_id):
        if not entry["end_date"] or entry["end_date"] > day:
            changes.put("section_enrollments", {**entry, "end_date": max(day, entry["begin_date"])})
            ended = True
    if ended:
        changes.put("programs", {"id": program_id(student_id), "student_id": student_id,
                                 "updated_by": user.username})


def _withdraw(ctx: Context) -> Outcome:
    p = ctx.payload
    sid = p["student_id"]
    ctx.keys = [("students", sid)]
    ctx.need("students", sid, "student")
    if p["withdrawal_code"] not in WITHDRAWAL_CODES:
        raise Rejected(f"unknown withdrawal code {p['withdrawal_code']!r}")
    current = _active_enrollment(ctx.changes, sid)
    if current is None:
        raise Rejected("this student is not currently enrolled here")
    if p["exit_date"] < current["entry_date"]:
        raise Rejected(f"the withdrawal date {p['exit_date']} is before the student entered "
                       f"({current['entry_date']})")
    ctx.changes.put("school_enrollments", {**current, "exit_date": p["exit_date"],
                                           "withdrawal_code": p["withdrawal_code"]})
    _end_schedule(ctx.changes, ctx.user, sid, p["exit_date"])
    ctx.keys += [("school_enrollments", current["id"])] + _program_keys(ctx, sid)
    return Outcome(APPLIED, ctx.keys)


_MOVES_WITH_STUDENT = ("students", "guardians", "guardian_contacts", "school_enrollments",
                       "programs")


def _transfer_in(ctx: Context) -> Outcome:
    p = ctx.payload
    students = SYNCED["students"]
    row = ctx.conn.execute(sa.select(students.c.id, students.c.school_id).where(
        students.c.district_student_id == p["district_student_id"])).first()
    ctx.keys = [("school_enrollments", p["school_enrollment_id"])]
    if row is None:
        raise Rejected(f"no student with id {p['district_student_id']} in the district; "
                       f"use Enroll for a new student")
    if p["entry_code"] not in ENTRY_CODES:
        raise Rejected(f"unknown entry code {p['entry_code']!r}")
    sid, here = row.id, ctx.changes.school_id
    ctx.keys.insert(0, ("students", sid))
    if row.school_id == here:
        if _active_enrollment(ctx.changes, sid):
            raise Rejected("this student is already enrolled here")
    else:
        _move_student(ctx, sid, row.school_id)
    ctx.changes.put("school_enrollments", {
        "id": p["school_enrollment_id"], "student_id": sid, "grade_level": p["grade_level"],
        "entry_date": p["entry_date"], "entry_code": p["entry_code"]})
    student = ctx.need("students", sid, "student")
    ctx.changes.put("students", {**student, "grade_level": p["grade_level"]})
    ctx.keys += _program_keys(ctx, sid)
    return Outcome(APPLIED, ctx.keys)


def _move_student(ctx: Context, sid: str, from_school: str) -> None:
    """Take a student, guardians and enrollment history over from another
    school; that school's workstations get tombstones and purge them."""
    p = ctx.payload
    old = SchoolChanges(ctx.conn, from_school, user_id=ctx.user.id,
                        username=ctx.user.username, workstation=ctx.changes.workstation)
    old.mutation_id = ctx.changes.mutation_id
    current = _active_enrollment(old, sid)
    if current:
        old.put("school_enrollments", {**current, "exit_date": p["entry_date"],
                                       "withdrawal_code": "W1"})
    _end_schedule(old, ctx.user, sid, p["entry_date"])
    guardians = old.find("guardians", student_id=sid)
    moving: dict[str, list[dict[str, Any]]] = {
        "students": [r for r in [old.get("students", sid)] if r],
        "guardians": guardians,
        "guardian_contacts": [c for g in guardians
                              for c in old.find("guardian_contacts", guardian_id=g["id"])],
        "school_enrollments": old.find("school_enrollments", student_id=sid),
        "programs": [r for r in [old.get("programs", program_id(sid))] if r],
    }
    for kind in reversed(_MOVES_WITH_STUDENT):
        for record in moving[kind]:
            old.remove(kind, record["id"], reason="transferred to another school")
    for kind in _MOVES_WITH_STUDENT:
        for record in moving[kind]:
            ctx.changes.put(kind, record, reason="transferred in")
            ctx.keys.append((kind, record["id"]))
    old.close()


HANDLERS: dict[str, Callable[[Context], Outcome]] = {
    "attendance.mark": _mark,
    "attendance.submit": _submit,
    "schedule.add": _schedule_add,
    "schedule.drop": _schedule_drop,
    "enrollment.enroll": _enroll,
    "enrollment.withdraw": _withdraw,
    "enrollment.transfer_in": _transfer_in,
}
assert set(HANDLERS) == set(OPS)
