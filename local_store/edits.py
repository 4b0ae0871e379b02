"""What a queued edit does to the cache before the server has answered.

The person sees their edit at once; the server's answer later replaces these
records with the server's own (see `LocalStore.record_answers`). Each
function returns the records it touched, which pulls leave alone until then.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from domain import clock
from domain.edits import (
    grade_mark_record,
    mark_record,
    new_student_records,
    program_id,
    submission_marks,
    submission_record,
)
from domain.records import kind as kind_of

Key = tuple[str, str]


def _now() -> str:
    return clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")


def _current_version(conn: Connection, kind: str, record_id: str) -> int:
    row = conn.exec_driver_sql(f"SELECT version FROM {kind} WHERE id = ?", (record_id,)).first()
    return row[0] if row else 0


def _put(conn: Connection, kind: str, record: dict[str, Any]) -> Key:
    """Write a record locally, keeping the version the server last gave it."""
    k = kind_of(kind)
    values = [record["id"], _current_version(conn, kind, record["id"])]
    values += [record.get(f) for f in k.field_names]
    marks = ", ".join("?" * len(values))
    conn.exec_driver_sql(
        f"INSERT OR REPLACE INTO {kind} ({', '.join(k.wire_columns)}) VALUES ({marks})",
        tuple(values))
    return (kind, record["id"])


def _update(conn: Connection, kind: str, record_id: str, **values: Any) -> Key | None:
    sets = ", ".join(f"{name} = ?" for name in values)
    done = conn.exec_driver_sql(f"UPDATE {kind} SET {sets} WHERE id = ?",
                                (*values.values(), record_id)).rowcount
    return (kind, record_id) if done else None


def _mark(conn, p, by) -> list[Key]:
    return [_put(conn, "attendance_marks",
                 mark_record(p, recorded_by=by, recorded_at=_now(), workstation=None))]


def _submit(conn, p, by) -> list[Key]:
    """The roll and its marks show at once; the server's answer brings its
    own versions (and whether it was late)."""
    now = _now()
    keys = [_put(conn, "attendance_submissions",
                 submission_record(p, submitted_by=by, submitted_at=now, late=False))]
    keys += [_put(conn, "attendance_marks",
                  mark_record(m, recorded_by=by, recorded_at=now, workstation=None))
             for m in submission_marks(p)]
    return keys


def _program(student_id: str) -> Key:
    return ("programs", program_id(student_id))


def _schedule_add(conn, p, by) -> list[Key]:
    return [_put(conn, "section_enrollments", {
        "id": p["section_enrollment_id"], "student_id": p["student_id"],
        "section_id": p["section_id"], "begin_date": p["begin_date"], "end_date": None}),
        _program(p["student_id"])]


def _schedule_drop(conn, p, by) -> list[Key]:
    touched = _update(conn, "section_enrollments", p["section_enrollment_id"],
                      end_date=p["end_date"])
    return [k for k in (touched, _program(p["student_id"])) if k]


def _schedule_swap(conn, p, by) -> list[Key]:
    touched = _update(conn, "section_enrollments", p["section_enrollment_id"],
                      end_date=p["end_date"])
    added = _put(conn, "section_enrollments", {
        "id": p["new_section_enrollment_id"], "student_id": p["student_id"],
        "section_id": p["section_id"], "begin_date": p["begin_date"], "end_date": None})
    return [k for k in (touched, added, _program(p["student_id"])) if k]


def _section_save(conn, p, by) -> list[Key]:
    return [_put(conn, "sections", {"id": p["section_id"], **{
        f: p[f] for f in ("course_id", "term_id", "section_number", "period", "room",
                          "teacher_id", "capacity")}})]


def _request_add(conn, p, by) -> list[Key]:
    return [_put(conn, "course_requests", {"id": p["request_id"], **{
        f: p[f] for f in ("student_id", "school_year_id", "course_id", "rank")}})]


def _request_remove(conn, p, by) -> list[Key]:
    conn.exec_driver_sql("DELETE FROM course_requests WHERE id = ?", (p["request_id"],))
    return [("course_requests", p["request_id"])]


def _grade_mark(conn, p, by) -> list[Key]:
    return [_put(conn, "grade_marks", grade_mark_record(p, entered_by=by, entered_at=_now()))]


def _card_printed(conn, p, by) -> list[Key]:
    return [_put(conn, "report_card_prints", {
        "id": p["print_id"], "student_id": p["student_id"],
        "marking_period_id": p["marking_period_id"], "printed_at": p["printed_at"],
        "printed_by": by})]


def _enroll(conn, p, by) -> list[Key]:
    records = new_student_records(p, district_student_id=p.get("district_student_id") or "",
                                  updated_by=by)
    return [_put(conn, kind, record) for kind, record in records]


def _withdraw(conn, p, by) -> list[Key]:
    keys: list[Key] = [("students", p["student_id"])]
    row = conn.exec_driver_sql(
        "SELECT id FROM school_enrollments WHERE student_id = ? AND exit_date IS NULL",
        (p["student_id"],)).first()
    if row:
        _update(conn, "school_enrollments", row[0], exit_date=p["exit_date"],
                withdrawal_code=p["withdrawal_code"])
        keys.append(("school_enrollments", row[0]))
    return keys


def _transfer_in(conn, p, by) -> list[Key]:
    # The student's record arrives with the server's answer.
    return [("school_enrollments", p["school_enrollment_id"])]


def _meta(conn: Connection, key: str) -> str | None:
    row = conn.exec_driver_sql("SELECT value FROM meta WHERE key = ?", (key,)).first()
    return row[0] if row else None


def _transfer_request(conn, p, by) -> list[Key]:
    """The request shows at once as waiting; the server's answer fills in the
    student's school (or says why it was refused)."""
    return [_put(conn, "transfer_requests", {
        "id": p["request_id"], "district_student_id": p["district_student_id"],
        "birth_date": p["birth_date"], "grade_level": p["grade_level"],
        "entry_date": p["entry_date"], "entry_code": p["entry_code"],
        "school_enrollment_id": p["school_enrollment_id"],
        "to_school_id": _meta(conn, "school_id"), "to_school_name": _meta(conn, "school_name"),
        "status": "requested", "requested_by": by or "", "requested_at": _now(),
        "note": p.get("note")})]


def _transfer_decision(status: str):
    def decide(conn, p, by) -> list[Key]:
        touched = _update(conn, "transfer_requests", p["request_id"], status=status,
                          decided_by=by, decided_at=_now(), decision_note=p.get("reason"))
        return [touched] if touched else []
    return decide


_LOCAL: dict[str, Callable[[Connection, dict, str | None], list[Key]]] = {
    "attendance.mark": _mark,
    "attendance.submit": _submit,
    "schedule.add": _schedule_add,
    "schedule.drop": _schedule_drop,
    "schedule.swap": _schedule_swap,
    "section.save": _section_save,
    "request.add": _request_add,
    "grade.mark": _grade_mark,
    "report_card.printed": _card_printed,
    "request.remove": _request_remove,
    "enrollment.enroll": _enroll,
    "enrollment.withdraw": _withdraw,
    "enrollment.transfer_in": _transfer_in,
    "transfer.request": _transfer_request,
    "transfer.approve": _transfer_decision("approved"),
    "transfer.refuse": _transfer_decision("refused"),
    "transfer.cancel": _transfer_decision("cancelled"),
}


def apply_locally(conn: Connection, op: str, payload: dict[str, Any],
                  created_by: str | None) -> list[Key]:
    return _LOCAL[op](conn, payload, created_by)
