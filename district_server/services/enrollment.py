"""Enrollment edits, and moving a student between schools of the district.

The server is authoritative for enrollment. A student never crosses
schools by one side's say-so (DESIGN.md, "Security"): the receiving school
asks with `transfer.request` (district id and birth date, both as the family
gives them); the student's school, or the district office signed in there,
approves or refuses; only an approval moves the student, guardians, history
and transcript. Each school keeps its own copy of a request: the asking
school's holds what its clerk typed and, until approval, nothing of the
student. Lookups across the district answer no more than the job needs: a
miss never says whether the id exists, a possible duplicate never names the
other student or school, and each such lookup is in the access log.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from district_server.services.changes import SchoolChanges
from district_server.services.clock import now_iso
from district_server.services.edit_context import Context, Outcome, Rejected, program_keys
from district_server.store.tables import SYNCED, schools
from domain.codes import ENTRY_CODES, WITHDRAWAL_CODES, grade_label
from domain.edits import new_student_records, program_id
from domain.mutations import APPLIED


def active_enrollment(changes: SchoolChanges, student_id: str) -> dict | None:
    rows = [r for r in changes.find("school_enrollments", student_id=student_id)
            if not r["exit_date"]]
    return rows[0] if rows else None


def _us_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%m/%d/%Y")


def enroll(ctx: Context) -> Outcome:
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
        taken = ctx.conn.execute(sa.select(students.c.school_id).where(
            students.c.district_student_id == p["district_student_id"])).first()
        if taken:
            raise Rejected("this district student id can't be given to a new student: leave it "
                           "empty for a new one, or ask the district office")
    if not p["confirmed_not_duplicate"]:
        twin = ctx.conn.execute(
            sa.select(students.c.school_id)
            .where(sa.func.lower(students.c.legal_first_name) == p["legal_first_name"].lower())
            .where(sa.func.lower(students.c.legal_last_name) == p["legal_last_name"].lower())
            .where(students.c.birth_date == p["birth_date"])).first()
        ctx.access("duplicate_lookup", detail="a match" if twin else "no match")
        if twin:
            raise Rejected(
                "possible duplicate: a student with the same name and birth date is already "
                "in the district. Ask the district office before enrolling, or confirm this is "
                "a different child and enroll again")
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


def end_schedule(changes: SchoolChanges, username: str, student_id: str, day: str) -> None:
    ended = False
    for entry in changes.find("section_enrollments", student_id=student_id):
        if not entry["end_date"] or entry["end_date"] > day:
            changes.put("section_enrollments", {**entry, "end_date": max(day, entry["begin_date"])})
            ended = True
    if ended:
        changes.put("programs", {"id": program_id(student_id), "student_id": student_id,
                                 "updated_by": username})


def withdraw(ctx: Context) -> Outcome:
    p = ctx.payload
    sid = p["student_id"]
    ctx.keys = [("students", sid)]
    ctx.need("students", sid, "student")
    if p["withdrawal_code"] not in WITHDRAWAL_CODES:
        raise Rejected(f"unknown withdrawal code {p['withdrawal_code']!r}")
    current = active_enrollment(ctx.changes, sid)
    if current is None:
        raise Rejected("this student is not currently enrolled here")
    if p["exit_date"] < current["entry_date"]:
        raise Rejected(f"the withdrawal date {p['exit_date']} is before the student entered "
                       f"({current['entry_date']})")
    ctx.changes.put("school_enrollments", {**current, "exit_date": p["exit_date"],
                                           "withdrawal_code": p["withdrawal_code"]})
    end_schedule(ctx.changes, ctx.user.username, sid, p["exit_date"])
    ctx.keys += [("school_enrollments", current["id"])] + program_keys(ctx, sid)
    return Outcome(APPLIED, ctx.keys)


def re_enroll(ctx: Context) -> Outcome:
    """`enrollment.transfer_in`: a returning student of this school (withdrawn
    earlier) enrolls again. A student of another school needs a request."""
    p = ctx.payload
    students = SYNCED["students"]
    ctx.keys = [("school_enrollments", p["school_enrollment_id"])]
    row = ctx.conn.execute(sa.select(students.c.id).where(
        students.c.school_id == ctx.changes.school_id).where(
        students.c.district_student_id == p["district_student_id"])).first()
    if row is None:
        raise Rejected(f"student {p['district_student_id']} is not in this school's records. "
                       f"For a student of another school of the district, send a transfer "
                       f"request (Students → Transfer in)")
    if p["entry_code"] not in ENTRY_CODES:
        raise Rejected(f"unknown entry code {p['entry_code']!r}")
    sid = row.id
    ctx.keys.insert(0, ("students", sid))
    if active_enrollment(ctx.changes, sid):
        raise Rejected("this student is already enrolled here")
    _grade_fits(ctx.conn, ctx.changes.school_id, p["grade_level"])
    ctx.changes.put("school_enrollments", {
        "id": p["school_enrollment_id"], "student_id": sid, "grade_level": p["grade_level"],
        "entry_date": p["entry_date"], "entry_code": p["entry_code"]})
    student = ctx.need("students", sid, "student")
    ctx.changes.put("students", {**student, "grade_level": p["grade_level"]})
    ctx.keys += program_keys(ctx, sid)
    return Outcome(APPLIED, ctx.keys)


# --- transfers between schools: a request, then the student's school decides


def _school(conn, school_id: str):
    return conn.execute(sa.select(schools).where(schools.c.id == school_id)).first()


def _grade_fits(conn, school_id: str, grade: int) -> None:
    school = _school(conn, school_id)
    if not school.grade_low <= grade <= school.grade_high:
        low = "K" if school.grade_low == 0 else school.grade_low
        raise Rejected(f"grade {grade_label(grade)} is not taught at {school.name} "
                       f"(grades {low}–{school.grade_high})")


def request_transfer(ctx: Context) -> Outcome:
    """The receiving school asks for a student by district id and birth date."""
    p = ctx.payload
    here = ctx.changes.school_id
    ctx.keys = [("transfer_requests", p["request_id"])]
    if p["entry_code"] not in ENTRY_CODES:
        raise Rejected(f"unknown entry code {p['entry_code']!r}")
    if ctx.changes.get("transfer_requests", p["request_id"]) is not None:
        raise Rejected("this transfer request was already sent")
    _grade_fits(ctx.conn, here, p["grade_level"])
    students = SYNCED["students"]
    found = ctx.conn.execute(
        sa.select(students.c.id, students.c.school_id, students.c.legal_first_name,
                  students.c.legal_last_name)
        .where(students.c.district_student_id == p["district_student_id"])
        .where(students.c.birth_date == p["birth_date"])).first()
    ctx.access("transfer_requested", detail=f"district id {p['district_student_id']}: "
                                            f"{'a match' if found else 'no match'}")
    if found is None:
        raise Rejected(f"no student of the district has id {p['district_student_id']} with "
                       f"birth date {_us_date(p['birth_date'])}. Check both with the family, "
                       f"or ask the district office")
    if found.school_id == here:
        raise Rejected("this student's records are at this school already: use Transfer in "
                       "for a returning student, or open the student's record")
    waiting = ctx.changes.find("transfer_requests", district_student_id=p["district_student_id"],
                               status="requested")
    if waiting:
        raise Rejected("a request for this student is already waiting for an answer")
    receiving, sending = _school(ctx.conn, here), _school(ctx.conn, found.school_id)
    common = {
        "id": p["request_id"], "district_student_id": p["district_student_id"],
        "birth_date": p["birth_date"], "grade_level": p["grade_level"],
        "entry_date": p["entry_date"], "entry_code": p["entry_code"],
        "school_enrollment_id": p["school_enrollment_id"],
        "from_school_id": sending.id, "from_school_name": sending.name,
        "to_school_id": receiving.id, "to_school_name": receiving.name,
        "status": "requested", "requested_by": _signature(ctx), "requested_at": now_iso(),
        "note": p["note"]}
    ctx.changes.put("transfer_requests", common, reason="transfer requested")
    theirs = _other_school(ctx, sending.id)
    theirs.put("transfer_requests", {
        **common, "student_id": found.id,
        "student_name": f"{found.legal_first_name} {found.legal_last_name}"},
        reason="transfer requested by another school")
    theirs.close()
    return Outcome(APPLIED, ctx.keys)


def _signature(ctx: Context) -> str:
    """How a decision or a request is signed on the other school's screen:
    by name (that school's workstations don't know this one's staff)."""
    return ctx.user.display_name or ctx.user.username


def _other_school(ctx: Context, school_id: str) -> SchoolChanges:
    other = SchoolChanges(ctx.conn, school_id, user_id=ctx.user.id,
                          username=ctx.user.username, workstation=ctx.changes.workstation)
    other.mutation_id = ctx.changes.mutation_id
    return other


def _open_request(ctx: Context, *, side: str) -> dict[str, Any]:
    """This school's copy of a request still waiting; `side` is the school
    that may act on it here: "from" (the student's) or "to" (the asking one)."""
    request = ctx.changes.get("transfer_requests", ctx.payload["request_id"])
    if request is None:
        raise Rejected("there is no such transfer request at this school")
    if request[f"{side}_school_id"] != ctx.changes.school_id:
        if side == "from":
            raise Rejected(f"only {request['from_school_name']} or the district office can "
                           f"answer this request")
        raise Rejected(f"only {request['to_school_name']} can take this request back")
    if request["status"] != "requested":
        raise Rejected(f"this request was already {request['status']}")
    return request


def _decide(ctx: Context, request: dict[str, Any], status: str, *, note: str | None = None,
            student: dict[str, Any] | None = None) -> None:
    """Both schools' copies of a request take the decision."""
    decision = {"status": status, "decided_by": _signature(ctx), "decided_at": now_iso(),
                "decision_note": note}
    other_id = (request["to_school_id"] if request["from_school_id"] == ctx.changes.school_id
                else request["from_school_id"])
    other = _other_school(ctx, other_id)
    theirs = other.get("transfer_requests", request["id"])
    ctx.changes.put("transfer_requests", {**request, **decision}, reason=f"transfer {status}")
    if theirs is not None:
        extra = student or {}
        other.put("transfer_requests", {**theirs, **decision, **extra},
                  reason=f"transfer {status}")
    other.close()


def approve_transfer(ctx: Context) -> Outcome:
    """The student's school (or the district office) lets the student go:
    student, guardians, enrollment history and transcript move; the old
    school's workstations purge them."""
    request = _open_request(ctx, side="from")
    ctx.keys = [("transfer_requests", request["id"])]
    sid = request["student_id"]
    student = ctx.changes.get("students", sid) if sid else None
    if student is None:
        raise Rejected("this student's records are no longer at this school")
    _grade_fits(ctx.conn, request["to_school_id"], request["grade_level"])
    receiving = _other_school(ctx, request["to_school_id"])
    moved = _move_student(ctx, receiving, sid, exit_date=request["entry_date"])
    receiving.put("school_enrollments", {
        "id": request["school_enrollment_id"], "student_id": sid,
        "grade_level": request["grade_level"], "entry_date": request["entry_date"],
        "entry_code": request["entry_code"]}, reason="transferred in")
    receiving.put("students", {**student, "grade_level": request["grade_level"]},
                  reason="transferred in")
    receiving.close()
    _decide(ctx, request, "approved", student={
        "student_id": sid,
        "student_name": f"{student['legal_first_name']} {student['legal_last_name']}"})
    ctx.keys += moved
    return Outcome(APPLIED, ctx.keys)


def refuse_transfer(ctx: Context) -> Outcome:
    request = _open_request(ctx, side="from")
    ctx.keys = [("transfer_requests", request["id"])]
    if not ctx.payload["reason"].strip():
        raise Rejected("say why the request is refused: the other school will read it")
    _decide(ctx, request, "refused", note=ctx.payload["reason"].strip())
    return Outcome(APPLIED, ctx.keys)


def cancel_transfer(ctx: Context) -> Outcome:
    request = _open_request(ctx, side="to")
    ctx.keys = [("transfer_requests", request["id"])]
    _decide(ctx, request, "cancelled")
    return Outcome(APPLIED, ctx.keys)


_MOVES_WITH_STUDENT = ("students", "guardians", "guardian_contacts", "school_enrollments",
                       "programs", "transcript_entries")


def _move_student(ctx: Context, receiving: SchoolChanges, sid: str, *,
                  exit_date: str) -> list[tuple[str, str]]:
    """Hand a student, guardians, enrollment history and transcript over from
    this school to `receiving`; this school's workstations get tombstones.
    Returns the keys this school's workstations must drop."""
    old = ctx.changes
    current = active_enrollment(old, sid)
    if current:
        old.put("school_enrollments", {**current, "exit_date": exit_date,
                                       "withdrawal_code": "W1"})
    end_schedule(old, ctx.user.username, sid, exit_date)
    guardians = old.find("guardians", student_id=sid)
    moving: dict[str, list[dict[str, Any]]] = {
        "students": [r for r in [old.get("students", sid)] if r],
        "guardians": guardians,
        "guardian_contacts": [c for g in guardians
                              for c in old.find("guardian_contacts", guardian_id=g["id"])],
        "school_enrollments": old.find("school_enrollments", student_id=sid),
        "programs": [r for r in [old.get("programs", program_id(sid))] if r],
        "transcript_entries": old.find("transcript_entries", student_id=sid),
    }
    for kind in reversed(_MOVES_WITH_STUDENT):
        for record in moving[kind]:
            old.remove(kind, record["id"], reason="transferred to another school")
    for kind in _MOVES_WITH_STUDENT:
        for record in moving[kind]:
            receiving.put(kind, record, reason="transferred in")
    return [(kind, r["id"]) for kind in _MOVES_WITH_STUDENT for r in moving[kind]]
