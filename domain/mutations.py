"""The edits a workstation sends to the server, and how each is checked.

A mutation is ``{mutation_id, op, base_version, payload}``. The payload's
shape is checked here, on both sides: the workstation refuses to queue a
malformed edit, and the server answers a malformed push with 422 before it
writes anything. Whether an edit can be applied (the student exists, the
section has room) is the server's business and comes back per mutation.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.records import BOOL, DATE, INT, Field, kind
from domain.scheduling import SCHEDULING_ROLES
from domain.values import InvalidValue, ObjectList, check_fields, check_value

F = Field

APPLIED, CONFLICT, REJECTED = "applied", "conflict", "rejected"

# The largest push the server takes in one request.
MAX_BATCH = 500

# The most marks one section's submission carries (a class is 40 at most;
# a daily school's homeroom roll fits too).
MAX_MARKS = 200


# Who a user is: what they may send follows from it.
ROLES = ("clerk", "counselor", "school_admin", "district_admin")
EVERY_ROLE = frozenset(ROLES)
# Who may answer a transfer request at the student's school.
APPROVING_ROLES = frozenset({"clerk", "school_admin", "district_admin"})


@dataclass(frozen=True)
class Op:
    name: str
    fields: tuple[Field, ...]
    # Who may send it (the server refuses anyone else, on every path), and
    # what it does in a person's words: "a clerk may not <words>".
    roles: frozenset[str]
    words: str
    # Ops whose base_version is compared with the server's (schedule edits).
    checks_version: bool = False


_STUDENT_FIELDS = tuple(
    f for f in kind("students").fields if f.name not in ("counselor_id",)
) + (F("counselor_id", required=False),)

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("attendance.mark", (
            F("student_id"), F("section_id", required=False), F("date", DATE),
            F("period", INT), F("code"), F("minutes_late", INT, required=False),
            F("note", required=False), F("reason", required=False)),
            roles=EVERY_ROLE, words="mark attendance"),
        # A section's roll for a date and period, with the marks the clerk set
        # or changed (exceptions; an explicit "P" corrects an earlier absence).
        # The marks take section, date and period from the submission (period
        # 0: a daily school's roll, whose marks are daily, with no section).
        Op("attendance.submit", (
            F("section_id"), F("date", DATE), F("period", INT),
            ObjectList("marks", required=False, max_items=MAX_MARKS, unique_by="student_id",
                       item_fields=(F("student_id"), F("code"),
                                    F("minutes_late", INT, required=False),
                                    F("note", required=False),
                                    F("reason", required=False)))),
            roles=EVERY_ROLE, words="take attendance"),
        # Schedule edits carry the program version they were made against;
        # `after_mutation_id` names this workstation's earlier edit of the
        # same student still in flight, whose own change is not "someone
        # else's". An override reason lets a counselor fill a full section.
        Op("schedule.add", (
            F("student_id"), F("section_id"), F("begin_date", DATE),
            F("section_enrollment_id"), F("override_reason", required=False),
            F("after_mutation_id", required=False)),
            roles=SCHEDULING_ROLES, words="add a class to a schedule", checks_version=True),
        Op("schedule.drop", (
            F("student_id"), F("section_enrollment_id"), F("end_date", DATE),
            F("after_mutation_id", required=False)),
            roles=SCHEDULING_ROLES, words="drop a class from a schedule", checks_version=True),
        # One section for another, both or neither: the student is never
        # left without the period.
        Op("schedule.swap", (
            F("student_id"), F("section_enrollment_id"), F("end_date", DATE),
            F("section_id"), F("new_section_enrollment_id"), F("begin_date", DATE),
            F("override_reason", required=False), F("after_mutation_id", required=False)),
            roles=SCHEDULING_ROLES, words="swap a student's class", checks_version=True),
        # Next year's course requests, entered one by one by a counselor.
        Op("request.add", (
            F("request_id"), F("student_id"), F("school_year_id"), F("course_id"),
            F("rank", INT)),
            roles=SCHEDULING_ROLES, words="enter a course request"),
        Op("request.remove", (F("request_id"), F("student_id")),
           roles=SCHEDULING_ROLES, words="remove a course request"),
        # A student's report-card marks in a section for a marking period; once
        # the period has closed, a change carries its reason.
        Op("grade.mark", (
            F("student_id"), F("section_id"), F("marking_period_id"), F("mark"),
            F("work_habits", required=False), F("cooperation", required=False),
            F("comments", required=False), F("reason", required=False)),
            roles=EVERY_ROLE, words="enter a mark"),
        # A report card went to paper or PDF (a later mark change calls for a reprint).
        Op("report_card.printed", (
            F("print_id"), F("student_id"), F("marking_period_id"), F("printed_at")),
            roles=EVERY_ROLE, words="print a report card"),
        # A section of the master schedule, new or changed.
        Op("section.save", (
            F("section_id"), F("course_id"), F("term_id"), F("section_number"),
            F("period", INT), F("room"), F("teacher_id"), F("capacity", INT)),
            roles=SCHEDULING_ROLES, words="change a section"),
        Op("enrollment.enroll", (
            F("student_id"), F("school_enrollment_id"), F("entry_date", DATE),
            F("entry_code"),
            *(_f for _f in _STUDENT_FIELDS if _f.name != "district_student_id"),
            F("district_student_id", required=False),
            F("guardian_first_name", required=False),
            F("guardian_last_name", required=False),
            F("guardian_relationship", required=False),
            F("guardian_phone", required=False),
            F("confirmed_not_duplicate", BOOL, required=False)),
            roles=EVERY_ROLE, words="enroll a student"),
        Op("enrollment.withdraw", (
            F("student_id"), F("exit_date", DATE), F("withdrawal_code")),
            roles=EVERY_ROLE, words="withdraw a student"),
        # A returning student of this school (withdrawn earlier) enrolls again.
        Op("enrollment.transfer_in", (
            F("district_student_id"), F("school_enrollment_id"),
            F("entry_date", DATE), F("entry_code"), F("grade_level", INT)),
            roles=EVERY_ROLE, words="enroll a returning student"),
        # A student of another school of the district: this school asks, by
        # district id and birth date; nothing of the student arrives here
        # until the student's school (or the district office) approves.
        Op("transfer.request", (
            F("request_id"), F("district_student_id"), F("birth_date", DATE),
            F("grade_level", INT), F("entry_date", DATE), F("entry_code"),
            F("school_enrollment_id"), F("note", required=False)),
            roles=EVERY_ROLE, words="ask for a student's transfer"),
        # The sending school's answer; a refusal says why.
        Op("transfer.approve", (F("request_id"),),
           roles=APPROVING_ROLES, words="answer a transfer request"),
        Op("transfer.refuse", (F("request_id"), F("reason")),
           roles=APPROVING_ROLES, words="answer a transfer request"),
        # The asking school takes its request back while it waits.
        Op("transfer.cancel", (F("request_id"),),
           roles=EVERY_ROLE, words="take back a transfer request"),
    )
}

# `author`: the user who made the edit on the workstation; the server takes
# a push only from that user's own session.
_ENVELOPE = (F("mutation_id"), F("op"), F("base_version", INT, required=False),
             F("payload", "object"), F("client_time", required=False),
             F("author", required=False))


def new_mutation_id() -> str:
    return str(uuid.uuid4())


def canonical_mutation_id(value: Any) -> str:
    """The one spelling of a mutation id. A UUID written in upper case, in
    braces or as ``urn:uuid:…`` is the same edit, and must be applied once."""
    if not isinstance(value, str):
        raise InvalidValue("mutation_id must be a UUID")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidValue("mutation_id must be a UUID") from None


def check_mutation(m: Any, index: int | None = None) -> dict[str, Any]:
    """Check one mutation's envelope and payload; raise InvalidValue with a
    reason that names the field (and the mutation, given its `index`)."""
    where = f"mutation {index + 1}: " if index is not None else ""
    if not isinstance(m, dict):
        raise InvalidValue(f"{where}must be an object")
    missing = [n for n in ("mutation_id", "op", "payload") if n not in m]
    if missing:
        raise InvalidValue(f"{where}{missing[0]} is required")
    try:
        mutation_id = canonical_mutation_id(m["mutation_id"])
    except InvalidValue as exc:
        raise InvalidValue(f"{where}{exc}") from None
    extra = sorted(set(m) - {f.name for f in _ENVELOPE})
    if extra:
        raise InvalidValue(f"{where}unknown field {extra[0]!r}")
    op = OPS.get(m["op"]) if isinstance(m["op"], str) else None
    if op is None:
        raise InvalidValue(f"{where}unknown operation {m['op']!r}")
    base = m.get("base_version")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)
                             or not 0 <= base < 2**63):
        raise InvalidValue(f"{where}base_version must be a whole number")
    for name in ("client_time", "author"):
        if m.get(name) is not None:
            check_value(F(name, required=False), m[name], what=where)
    if op.checks_version and base is None:
        raise InvalidValue(f"{where}{op.name} needs the base_version it was made against")
    payload = check_fields(op.fields, m["payload"], what=f"{where}{op.name} ")
    return {"mutation_id": mutation_id, "op": op.name, "base_version": base,
            "payload": payload, "client_time": m.get("client_time"), "author": m.get("author")}


def check_batch(mutations: Any) -> list[dict[str, Any]]:
    """Check a push. A batch that isn't a list, is too long, or holds a
    mutation whose id can't be read is refused whole (no answer could be
    matched to its edit). Any other problem is that mutation's own: it comes
    back with ``invalid`` (the reason) and the edits behind it go on, so one
    malformed edit never blocks a workstation's outbox. A mutation id seen
    earlier in the batch comes back with ``same_as``, the earlier index."""
    if not isinstance(mutations, list):
        raise InvalidValue("mutations must be a list")
    if len(mutations) > MAX_BATCH:
        raise InvalidValue(f"a push may carry at most {MAX_BATCH} mutations, not {len(mutations)}")
    seen: dict[str, int] = {}
    checked = []
    for i, m in enumerate(mutations):
        if not isinstance(m, dict):
            raise InvalidValue(f"mutation {i + 1}: must be an object")
        if "mutation_id" not in m:
            raise InvalidValue(f"mutation {i + 1}: mutation_id is required")
        try:
            mutation_id = canonical_mutation_id(m["mutation_id"])
        except InvalidValue as exc:
            raise InvalidValue(f"mutation {i + 1}: {exc}") from None
        if mutation_id in seen:
            checked.append({"mutation_id": mutation_id, "same_as": seen[mutation_id]})
            continue
        seen[mutation_id] = i
        try:
            checked.append(check_mutation(m))
        except InvalidValue as exc:
            op = m.get("op") if isinstance(m.get("op"), str) and m["op"] in OPS else None
            checked.append({"mutation_id": mutation_id, "op": op, "invalid": str(exc)})
    return checked
