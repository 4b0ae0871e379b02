"""What the screens read from the cache: one function per question a person asks.

Plain tuples and dicts, no Qt: the UI builds its models over these lists.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from domain import clock
from domain.codes import ATTENDANCE_CODE_BY_CODE
from local_store.store import LocalStore


@dataclass(frozen=True, slots=True)
class RosterRow:
    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    preferred_name: str
    grade_level: int
    english_learner_status: str
    home_language: str
    birth_date: str
    gender: str
    # Enrolled, Withdrawn, or Pending (not yet confirmed by the server)
    status: str
    entry_date: str
    exit_date: str
    # lower-case "last first preferred id" for search-as-you-type
    search_key: str


_ROSTER_SQL = """
SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name,
       coalesce(s.preferred_name, ''), s.grade_level, s.english_learner_status,
       s.home_language, s.birth_date, s.gender,
       e.entry_date, e.exit_date
FROM students s
LEFT JOIN (
    SELECT student_id, entry_date, exit_date,
           row_number() OVER (PARTITION BY student_id ORDER BY entry_date DESC, id DESC) AS n
    FROM school_enrollments {enrollments_of}
) e ON e.student_id = s.id AND e.n = 1
{students_of}
ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE
"""


def _pending_students(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql(
        "SELECT k.record_id FROM outbox_keys k JOIN outbox o ON o.mutation_id = k.mutation_id "
        "WHERE k.kind = 'students' AND o.state = 'pending'")
    return {r[0] for r in rows}


def roster(store: LocalStore, *, today: dt.date | None = None,
           ids: set[str] | None = None) -> list[RosterRow]:
    """Every student of the school, enrolled or withdrawn, by name; with
    `ids`, only those students (a refresh of the rows a write changed)."""
    day = (today or clock.today()).isoformat()
    with store.read() as conn:
        pending = _pending_students(conn)
        if ids is None:
            rows = conn.exec_driver_sql(_ROSTER_SQL.format(enrollments_of="",
                                                           students_of="")).all()
        else:
            wanted = sorted(ids)
            rows = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                rows += conn.exec_driver_sql(_ROSTER_SQL.format(
                    enrollments_of=f"WHERE student_id IN ({marks})",
                    students_of=f"WHERE s.id IN ({marks})"), (*chunk, *chunk)).all()
    out = []
    for (sid, dsid, last, first, preferred, grade, el, lang, birth, gender, entry,
         exit_) in rows:
        if sid in pending:
            status = "Pending"
        elif exit_ and exit_ <= day:
            status = "Withdrawn"
        else:
            status = "Enrolled"
        out.append(RosterRow(sid, dsid or "", last, first, preferred, grade, el, lang, birth,
                             gender, status, entry or "", exit_ or "",
                             f"{last} {first} {preferred} {dsid or ''}".lower()))
    return out


def students_of_enrollments(store: LocalStore, enrollment_ids: set[str]) -> set[str]:
    """The students whose school enrollments these are (a roster refresh)."""
    wanted = sorted(enrollment_ids)
    found: set[str] = set()
    with store.read() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found |= {r[0] for r in conn.exec_driver_sql(
                f"SELECT student_id FROM school_enrollments WHERE id IN "
                f"({', '.join('?' * len(chunk))})", tuple(chunk))}
    return found


def student_record(store: LocalStore, student_id: str, *, today: dt.date | None = None
                   ) -> dict[str, Any] | None:
    """Everything the student record screen shows, in one read (classes: on `today`)."""
    with store.read() as conn:
        student = _one(conn, "SELECT * FROM students WHERE id = ?", student_id)
        if student is None:
            return None
        guardians = _all(conn, "SELECT * FROM guardians WHERE student_id = ? "
                               "ORDER BY is_primary DESC, last_name, first_name", student_id)
        for g in guardians:
            g["contacts"] = _all(conn, "SELECT * FROM guardian_contacts WHERE guardian_id = ? "
                                       "ORDER BY priority", g["id"])
        enrollments = _all(conn, "SELECT * FROM school_enrollments WHERE student_id = ? "
                                 "ORDER BY entry_date DESC", student_id)
        counselor = _one(conn, "SELECT first_name, last_name FROM staff WHERE id = ?",
                         student.get("counselor_id") or "")
        pending = student_id in _pending_students(conn)
    return {"student": student, "guardians": guardians, "enrollments": enrollments,
            "counselor": f"{counselor['first_name']} {counselor['last_name']}" if counselor
            else "", "pending": pending,
            "schedule": current_schedule(store, student_id, on=today),
            "attendance": attendance_summary(store, student_id)}


def current_schedule(store: LocalStore, student_id: str, *, on: dt.date | None = None
                     ) -> list[dict[str, Any]]:
    """The student's classes on a day, by period."""
    day = (on or clock.today()).isoformat()
    with store.read() as conn:
        return _all(conn, """
            SELECT sec.id AS section_id, sec.period, c.code AS course_code, c.title AS course_title,
                   sec.section_number, sec.room,
                   coalesce(st.first_name || ' ' || st.last_name, '') AS teacher,
                   t.name AS term, e.begin_date, e.end_date
            FROM section_enrollments e
            JOIN sections sec ON sec.id = e.section_id
            JOIN courses c ON c.id = sec.course_id
            LEFT JOIN staff st ON st.id = sec.teacher_id
            LEFT JOIN terms t ON t.id = sec.term_id
            WHERE e.student_id = ? AND e.begin_date <= ?
              AND (e.end_date IS NULL OR e.end_date >= ?)
            ORDER BY sec.period, c.code""", student_id, day, day)


def attendance_summary(store: LocalStore, student_id: str) -> dict[str, Any]:
    """Counts of the year's marks by code and the most recent ones."""
    with store.read() as conn:
        counts = {code: n for code, n in conn.exec_driver_sql(
            "SELECT code, count(*) FROM attendance_marks WHERE student_id = ? GROUP BY code",
            (student_id,))}
        days_absent = conn.exec_driver_sql(
            "SELECT count(DISTINCT date) FROM attendance_marks m "
            "JOIN attendance_codes c ON c.id = m.code "
            "WHERE m.student_id = ? AND c.category = 'absent'", (student_id,)).scalar() or 0
        recent = _all(conn, "SELECT date, period, code, minutes_late, note FROM attendance_marks "
                            "WHERE student_id = ? ORDER BY date DESC, period LIMIT 30", student_id)
    for r in recent:
        code = ATTENDANCE_CODE_BY_CODE.get(r["code"])
        r["label"] = code.label if code else r["code"]
    by_label = {(ATTENDANCE_CODE_BY_CODE[c].label if c in ATTENDANCE_CODE_BY_CODE else c): n
                for c, n in sorted(counts.items())}
    return {"by_code": counts, "by_label": by_label, "days_with_absence": days_absent,
            "recent": recent}


def possible_duplicates(store: LocalStore, first: str, last: str, birth_date: str
                        ) -> list[dict[str, Any]]:
    """Students of this school with the same name and birth date."""
    with store.read() as conn:
        return _all(conn, "SELECT id, district_student_id, legal_first_name, legal_last_name, "
                          "birth_date, grade_level FROM students "
                          "WHERE legal_first_name = ? COLLATE NOCASE "
                          "AND legal_last_name = ? COLLATE NOCASE AND birth_date = ?",
                    first.strip(), last.strip(), birth_date)


def staff_by_title(store: LocalStore, title: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        return _all(conn, "SELECT id, first_name, last_name FROM staff WHERE title = ? "
                          "ORDER BY last_name, first_name", title)


def grade_levels(store: LocalStore) -> list[int]:
    with store.read() as conn:
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT grade_level FROM students ORDER BY grade_level")]


def school_day_bounds(store: LocalStore) -> tuple[str, str] | None:
    """The school year's first and last day, when the cache has one."""
    with store.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT min(start_date), max(end_date) FROM school_years").first()
    return (row[0], row[1]) if row and row[0] else None


def _all(conn: Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    result = conn.exec_driver_sql(sql, params)
    keys = list(result.keys())
    return [dict(zip(keys, row)) for row in result]


def _one(conn: Connection, sql: str, *params: Any) -> dict[str, Any] | None:
    rows = _all(conn, sql, *params)
    return rows[0] if rows else None


# --- attendance


@dataclass(frozen=True, slots=True)
class SheetRow:
    student_id: str
    district_student_id: str
    name: str  # "Last, First (Preferred)"
    grade_level: int
    section_id: str
    period: int
    code: str | None  # the recorded mark, None when none (present once submitted)
    minutes_late: int | None
    note: str
    mark_version: int  # 0 when no mark on record


_SHEET_SQL = """
SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name,
       coalesce(s.preferred_name, ''), s.grade_level, sec.id, sec.period,
       m.code, m.minutes_late, coalesce(m.note, ''), coalesce(m.version, 0)
FROM section_enrollments e
JOIN sections sec ON sec.id = e.section_id
JOIN students s ON s.id = e.student_id
LEFT JOIN attendance_marks m
       ON m.student_id = s.id AND m.date = ? AND {mark_match}
WHERE e.begin_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?)
  AND {where}
ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE
"""


# A period mark belongs to its section and period; a daily mark (elementary
# schools) to no section and period 0.
_PERIOD_MARK = "m.section_id = sec.id AND m.period = sec.period"
_DAILY_MARK = "m.section_id IS NULL AND m.period = 0"


def attendance_sheet(store: LocalStore, *, date: str, section_id: str | None = None,
                     period: int | None = None, daily: bool = False) -> list[SheetRow]:
    """The students of one section (or of every section meeting `period`) on
    `date`, with their marks for that period (or for the day, in a daily school)."""
    param: str | int
    if section_id is not None:
        where, param = "sec.id = ?", section_id
    elif period is not None:
        where, param = "sec.period = ?", period
    else:
        raise ValueError("a section or a period")
    with store.read() as conn:
        sql = _SHEET_SQL.format(where=where, mark_match=_DAILY_MARK if daily else _PERIOD_MARK)
        rows = conn.exec_driver_sql(sql, (date, date, date, param)).all()
    return [SheetRow(sid, dsid or "", f"{last}, {first}" + (f" ({pref})" if pref else ""),
                     grade, sec, period_, code, late, note, version)
            for (sid, dsid, last, first, pref, grade, sec, period_, code, late, note, version)
            in rows]


def attendance_codes(store: LocalStore) -> list[dict[str, Any]]:
    with store.read() as conn:
        return _all(conn, "SELECT code, label, label_es, category, excused, key "
                          "FROM attendance_codes ORDER BY category = 'present' DESC, code")


def bell_schedule(store: LocalStore) -> list[dict[str, Any]]:
    with store.read() as conn:
        return _all(conn, "SELECT number, label, start_time, end_time FROM bell_periods "
                          "ORDER BY number")


def period_at(store: LocalStore, moment: dt.datetime) -> int | None:
    """The period in session at a local time, else the next one, else the last."""
    periods = bell_schedule(store)
    if not periods:
        return None
    now = moment.strftime("%H:%M")
    for p in periods:
        if now <= p["end_time"]:
            return p["number"]
    return periods[-1]["number"]


def sections_meeting(store: LocalStore, *, date: str, period: int, daily: bool = False
                     ) -> list[dict[str, Any]]:
    """Sections that meet in `period` on `date` (they have students that day),
    with teacher, room, class size and whether attendance was submitted
    (a daily school submits its homerooms for period 0)."""
    submitted_period = "0" if daily else "sec.period"
    with store.read() as conn:
        return _all(conn, """
            SELECT sec.id, sec.section_number, sec.room, sec.period,
                   c.code AS course_code, c.title AS course_title,
                   coalesce(st.last_name || ', ' || st.first_name, '') AS teacher,
                   count(e.id) AS students,
                   sub.submitted_at, sub.submitted_by, coalesce(sub.late, 0) AS late
            FROM sections sec
            JOIN courses c ON c.id = sec.course_id
            JOIN section_enrollments e ON e.section_id = sec.id AND e.begin_date <= ?
                 AND (e.end_date IS NULL OR e.end_date >= ?)
            LEFT JOIN staff st ON st.id = sec.teacher_id
            LEFT JOIN attendance_submissions sub
                 ON sub.section_id = sec.id AND sub.date = ? AND sub.period = """
                    + submitted_period + """
            WHERE sec.period = ?
            GROUP BY sec.id
            ORDER BY c.title, sec.section_number""", date, date, date, period)


def not_submitted(store: LocalStore, *, date: str, period: int, daily: bool = False
                  ) -> list[dict[str, Any]]:
    return [s for s in sections_meeting(store, date=date, period=period, daily=daily)
            if not s["submitted_at"]]
