"""Attendance lists from the cache: absences of a day or a period, a summary per
student over a date range, and students who have become truant.

Secondary schools record periods; their daily picture is derived with the
school's rule (`domain.attendance.DailyRule`). Elementary schools record the
day directly.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from domain.attendance import DEFAULT_RULE, DailyRule, TruancyCase, derive_daily, truants
from domain.codes import ATTENDANCE_CODE_BY_CODE
from local_store.store import LocalStore

_STUDENTS_SQL = ("SELECT id, district_student_id, legal_last_name || ', ' || legal_first_name, "
                 "grade_level, home_language FROM students")


def _students(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.exec_driver_sql(_STUDENTS_SQL)}


def _label(code: str) -> str:
    known = ATTENDANCE_CODE_BY_CODE.get(code)
    return known.label if known else code


def _absent(code: str) -> bool:
    known = ATTENDANCE_CODE_BY_CODE.get(code)
    return known is not None and not known.counts_as_present


def schedules(store: LocalStore) -> Callable[[str, str], Sequence[int]]:
    """`periods(student_id, date)`: the periods a student had classes in on a date."""
    spans: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    with store.read() as conn:
        for student, period, begin, end in conn.exec_driver_sql(
                "SELECT e.student_id, sec.period, e.begin_date, e.end_date "
                "FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id"):
            spans[student].append((period, begin, end))

    def periods(student_id: str, date: str) -> list[int]:
        return sorted({p for p, begin, end in spans.get(student_id, ())
                       if begin <= date and (end is None or end >= date)})
    return periods


def period_absences(store: LocalStore, *, date: str, period: int | None = None
                    ) -> list[dict[str, Any]]:
    """Every period absence and tardy of a day (optionally of one period)."""
    sql = """
        SELECT m.period, s.district_student_id,
               s.legal_last_name || ', ' || s.legal_first_name, s.grade_level,
               coalesce(c.title, ''), coalesce(st.last_name, ''), m.code, m.minutes_late,
               coalesce(m.note, '')
        FROM attendance_marks m
        JOIN students s ON s.id = m.student_id
        LEFT JOIN sections sec ON sec.id = m.section_id
        LEFT JOIN courses c ON c.id = sec.course_id
        LEFT JOIN staff st ON st.id = sec.teacher_id
        WHERE m.date = ? AND m.section_id IS NOT NULL AND m.code != 'P'"""
    params: tuple = (date,)
    if period is not None:
        sql += " AND m.period = ?"
        params += (period,)
    sql += " ORDER BY m.period, s.legal_last_name COLLATE NOCASE, s.legal_first_name"
    with store.read() as conn:
        rows = conn.exec_driver_sql(sql, params).all()
    return [{"period": p, "student_id": dsid, "name": name, "grade": grade, "course": course,
             "teacher": teacher, "code": code, "mark": _label(code),
             "minutes_late": late, "note": note}
            for p, dsid, name, grade, course, teacher, code, late, note in rows]


def daily_absences(store: LocalStore, *, date: str, daily_school: bool,
                   rule: DailyRule = DEFAULT_RULE) -> list[dict[str, Any]]:
    """Students absent on a day: full days, and partial days in a secondary school."""
    with store.read() as conn:
        students = _students(conn)
        marks = conn.exec_driver_sql(
            "SELECT student_id, section_id, period, code FROM attendance_marks WHERE date = ?",
            (date,)).all()
    out = []
    if daily_school:
        for student_id, section_id, _period, code in marks:
            if section_id is None and _absent(code) and student_id in students:
                out.append(_row(students[student_id], "Full day", code, ""))
    else:
        periods_of = schedules(store)
        by_student: dict[str, dict[int, str]] = defaultdict(dict)
        for student_id, section_id, period, code in marks:
            if section_id is not None:
                by_student[student_id][period] = code
        for student_id, codes in by_student.items():
            if student_id not in students:
                continue
            outcome = derive_daily(codes, periods_of(student_id, date), rule)
            if outcome.full_day_absent:
                out.append(_row(students[student_id], "Full day", outcome.code or "A",
                                _periods(outcome.periods_absent)))
            elif outcome.partial:
                out.append(_row(students[student_id], "Part of the day", "",
                                _periods(outcome.periods_absent)))
    out.sort(key=lambda r: (r["kind"] != "Full day", r["name"].lower()))
    return out


def _row(student: tuple, kind: str, code: str, periods: str) -> dict[str, Any]:
    dsid, name, grade, _lang = student
    return {"student_id": dsid, "name": name, "grade": grade, "kind": kind,
            "code": code, "mark": _label(code) if code else "", "periods": periods}


def _periods(periods: Sequence[int]) -> str:
    return ", ".join(str(p) for p in periods)


def summary(store: LocalStore, *, start: str, end: str, daily_school: bool,
            rule: DailyRule = DEFAULT_RULE) -> list[dict[str, Any]]:
    """Per student over [start, end]: full days absent (excused and not), periods
    absent, tardies. Only students with something to report are listed."""
    with store.read() as conn:
        students = _students(conn)
        marks = conn.exec_driver_sql(
            "SELECT student_id, date, section_id, period, code FROM attendance_marks "
            "WHERE date BETWEEN ? AND ?", (start, end)).all()
    periods_of = None if daily_school else schedules(store)
    days: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for student_id, date, section_id, period, code in marks:
        known = ATTENDANCE_CODE_BY_CODE.get(code)
        if known is None or student_id not in students:
            continue
        t = totals[student_id]
        if known.category in ("tardy", "tardy_long"):
            t["tardies"] += 1
        if section_id is None:
            if not known.counts_as_present:
                t["days_excused" if known.excused else "days_unexcused"] += 1
        else:
            days[(student_id, date)][period] = code
            if not known.counts_as_present:
                t["periods_absent"] += 1
    if periods_of is not None:
        for (student_id, date), codes in days.items():
            outcome = derive_daily(codes, periods_of(student_id, date), rule)
            if outcome.full_day_absent:
                excused = outcome.code == rule.excused_code
                totals[student_id]["days_excused" if excused else "days_unexcused"] += 1
    out = []
    for student_id, t in totals.items():
        dsid, name, grade, _lang = students[student_id]
        out.append({"student_id": dsid, "name": name, "grade": grade,
                    "days_absent": t["days_excused"] + t["days_unexcused"],
                    "days_excused": t["days_excused"], "days_unexcused": t["days_unexcused"],
                    "periods_absent": t["periods_absent"], "tardies": t["tardies"]})
    out.sort(key=lambda r: (-r["days_absent"], -r["periods_absent"], r["name"].lower()))
    return out


def truancy(store: LocalStore, *, year_start: str, year_end: str, daily_school: bool,
            rule: DailyRule = DEFAULT_RULE) -> list[tuple[TruancyCase, dict[str, Any]]]:
    """Students truant this school year (Education Code 48260), with what a
    letter to the family needs: name, grade, the primary guardian, the language."""
    with store.read() as conn:
        marks = [dict(zip(("student_id", "section_id", "date", "period", "code",
                           "minutes_late"), r)) for r in conn.exec_driver_sql(
            "SELECT student_id, section_id, date, period, code, minutes_late "
            "FROM attendance_marks WHERE date BETWEEN ? AND ? AND code != 'P'",
            (year_start, year_end))]
        students = {r[0]: r for r in conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_first_name, legal_last_name, grade_level, "
            "home_language FROM students")}
        guardians = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT student_id, first_name, last_name, language FROM guardians "
            "ORDER BY is_primary")}  # the primary guardian is written last and wins
    cases = truants(marks, year_start=year_start, year_end=year_end, rule=rule,
                    scheduled_periods=None if daily_school else schedules(store))
    out = []
    for case in cases:
        if case.student_id not in students:
            continue
        _sid, dsid, first, last, grade, language = students[case.student_id]
        g_first, g_last, g_language = guardians.get(case.student_id, ("", "", language))
        out.append((case, {"student_id": dsid, "name": f"{first} {last}", "grade": grade,
                           "guardian": f"{g_first} {g_last}".strip() or "Parent or guardian",
                           "language": "es" if (g_language or language) == "es" else "en"}))
    return out
