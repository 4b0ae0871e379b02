"""The students enrolled on a day whose program misses a period their grade
needs, with their names and counselors, as the incomplete schedules screen
lists them (ui/scheduling/incomplete.py). The rule is
`domain.scheduling.students_without_complete_schedule`, the server's own.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from domain.scheduling import Incomplete, students_without_complete_schedule
from local_store.scheduling.catalog import (
    catalog_in,
    enrolled_students_in,
    entries_in,
    requirements_in,
    today,
)
from local_store.store import LocalStore


@dataclass(frozen=True)
class IncompleteRow:
    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    grade_level: int
    missing: tuple[int, ...]
    counselor: str


def students_without_complete_schedule_on(store: LocalStore, *, on: str | None = None
                                          ) -> list[IncompleteRow]:
    """Enrolled students whose program misses a period their grade needs."""
    day = on or today()
    with store.read() as conn:
        found = _incomplete(conn, day)
        people = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name, "
            "coalesce(c.first_name || ' ' || c.last_name, '') FROM students s "
            "LEFT JOIN staff c ON c.id = s.counselor_id")}
    rows = []
    for i in found:
        if i.student_id in people:
            district_id, last, first, counselor = people[i.student_id]
            rows.append(IncompleteRow(i.student_id, district_id, last, first, i.grade_level,
                                      i.missing, counselor))
    rows.sort(key=lambda r: (r.grade_level, r.last_name.lower(), r.first_name.lower()))
    return rows


def _incomplete(conn: Connection, day: str) -> list[Incomplete]:
    return students_without_complete_schedule(
        catalog=catalog_in(conn), students=enrolled_students_in(conn, day),
        entries=entries_in(conn), day=day, requirements=requirements_in(conn))
