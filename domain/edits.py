"""The records an edit creates, defined once: the workstation shows them at
once, the server writes them for real, and both agree to the field."""
from __future__ import annotations

from typing import Any

from domain.grades import check_marks
from domain.records import attendance_mark_id, attendance_submission_id, grade_mark_id

Record = dict[str, Any]


def program_id(student_id: str) -> str:
    return f"prog-{student_id}"


def mark_record(p: dict[str, Any], *, recorded_by: str | None, recorded_at: str,
                workstation: str | None) -> Record:
    return {"id": attendance_mark_id(p["student_id"], p.get("section_id"), p["date"], p["period"]),
            "student_id": p["student_id"], "section_id": p.get("section_id"), "date": p["date"],
            "period": p["period"], "code": p["code"], "minutes_late": p.get("minutes_late"),
            "note": p.get("note"), "recorded_by": recorded_by, "recorded_at": recorded_at,
            "workstation": workstation}


def grade_mark_record(p: dict[str, Any], *, entered_by: str | None, entered_at: str) -> Record:
    """The `grade_marks` record a `grade.mark` edit writes (marks normalised;
    raises domain.grades.InvalidMark for a mark that isn't one)."""
    mark, work_habits, cooperation, comments = check_marks(
        p["mark"], p.get("work_habits"), p.get("cooperation"), p.get("comments"))
    return {"id": grade_mark_id(p["student_id"], p["section_id"], p["marking_period_id"]),
            "student_id": p["student_id"], "section_id": p["section_id"],
            "marking_period_id": p["marking_period_id"], "mark": mark,
            "work_habits": work_habits, "cooperation": cooperation, "comments": comments,
            "entered_by": entered_by or "", "entered_at": entered_at}


def submission_record(p: dict[str, Any], *, submitted_by: str | None, submitted_at: str,
                      late: bool) -> Record:
    return {"id": attendance_submission_id(p["section_id"], p["date"], p["period"]),
            "section_id": p["section_id"], "date": p["date"], "period": p["period"],
            "submitted_by": submitted_by, "submitted_at": submitted_at, "late": late}


def submission_marks(p: dict[str, Any]) -> list[dict[str, Any]]:
    """The `attendance.mark` payloads a submission's marks stand for: each
    takes section, date and period from the submission; a daily roll
    (period 0) records daily marks, which belong to no section."""
    section_id = p["section_id"] if p["period"] != 0 else None
    return [{"student_id": m["student_id"], "section_id": section_id, "date": p["date"],
             "period": p["period"], "code": m["code"], "minutes_late": m.get("minutes_late"),
             "note": m.get("note"), "reason": m.get("reason")}
            for m in p.get("marks") or ()]


_STUDENT_FIELDS = ("legal_first_name", "legal_last_name", "preferred_name", "birth_date",
                   "grade_level", "gender", "home_language", "english_learner_status",
                   "counselor_id")


def new_student_records(p: dict[str, Any], *, district_student_id: str,
                        updated_by: str | None) -> list[tuple[str, Record]]:
    """What enrolling a new student creates, in load order."""
    sid = p["student_id"]
    out: list[tuple[str, Record]] = [
        ("students", {"id": sid, "district_student_id": district_student_id,
                      **{f: p.get(f) for f in _STUDENT_FIELDS}}),
        ("school_enrollments", {"id": p["school_enrollment_id"], "student_id": sid,
                                "grade_level": p["grade_level"], "entry_date": p["entry_date"],
                                "entry_code": p["entry_code"], "exit_date": None,
                                "withdrawal_code": None}),
        ("programs", {"id": program_id(sid), "student_id": sid, "updated_by": updated_by}),
    ]
    if p.get("guardian_last_name"):
        gid = f"{sid}-g1"
        out.append(("guardians", {
            "id": gid, "student_id": sid, "first_name": p.get("guardian_first_name") or "",
            "last_name": p["guardian_last_name"],
            "relationship": p.get("guardian_relationship") or "Guardian",
            "language": p["home_language"], "lives_with_student": True, "is_primary": True}))
        if p.get("guardian_phone"):
            out.append(("guardian_contacts", {
                "id": f"{gid}-c1", "guardian_id": gid, "contact_type": "cell_phone",
                "value": p["guardian_phone"], "priority": 1}))
    return out
