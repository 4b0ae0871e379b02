"""Reading the server's side directly, to compare with what workstations hold."""
from __future__ import annotations

import uuid

import sqlalchemy as sa

from district_server.store.tables import SYNCED, audit, mutations, school_sequences
from domain.records import KINDS
from tests.support.clock import SCHOOL_DAY


def server_dump(engine, school_id: str) -> dict[str, dict[str, tuple]]:
    out = {}
    with engine.connect() as conn:
        for k in KINDS:
            t = SYNCED[k.name]
            rows = conn.execute(sa.select(*(t.c[c] for c in k.wire_columns))
                                .where(t.c.school_id == school_id))
            out[k.name] = {r[0]: tuple(r) for r in rows}
    return out


def last_seq(engine, school_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(school_sequences.c.last_seq)
                            .where(school_sequences.c.school_id == school_id)).scalar_one()


def mutation_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(mutations)).scalar_one()


# The record each kind of edit is about: one audit entry of it per application.
_PRIMARY = ("attendance_marks", "attendance_submissions", "students", "section_enrollments")


def times_applied(engine, mutation_id: str) -> int:
    """How many times the server carried out an edit, read from its audit trail."""
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit)
                            .where(audit.c.mutation_id == mutation_id)
                            .where(audit.c.kind.in_(_PRIMARY))).scalar_one()


def school_day(store) -> str:
    """The most recent school day the cache has attendance for."""
    return max(r["date"] for r in store.records("attendance_submissions"))


def a_student_in_a_section(store, index: int = 0) -> tuple[dict, dict]:
    """(student, section) pairs of active schedules, in a stable order."""
    entries = sorted((e for e in store.records("section_enrollments") if not e["end_date"]),
                     key=lambda e: e["id"])
    entry = entries[index]
    return store.record("students", entry["student_id"]), store.record("sections",
                                                                       entry["section_id"])


def mark_payload(student: dict, section: dict, date: str, code: str = "A", **extra) -> dict:
    return {"student_id": student["id"], "section_id": section["id"], "date": date,
            "period": section["period"], "code": code, **extra}


def new_student_payload(first: str, last: str, *, birth: str = "2011-03-04") -> dict:
    sid = str(uuid.uuid4())
    return {"student_id": sid, "school_enrollment_id": str(uuid.uuid4()),
            "entry_date": SCHOOL_DAY.isoformat(), "entry_code": "E1",
            "legal_first_name": first, "legal_last_name": last, "birth_date": birth,
            "grade_level": 9, "gender": "F", "home_language": "es",
            "english_learner_status": "EL", "guardian_last_name": last,
            "guardian_first_name": "Rosa", "guardian_phone": "(213) 555-0199"}
