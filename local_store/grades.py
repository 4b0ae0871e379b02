"""What the report-card screens read from the cache: marking periods, the
sections a marking period has marks for, and a section's mark sheet.

Plain records, no Qt. Who is on a mark sheet follows the dates the way
domain.report_cards.sections_on_card does: a student in the section at any
time during the marking period (one who left during it is listed, so a mark
can be given, and a card shows a section left mid-period only with a mark).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from domain.report_cards import MarkingPeriod
from domain.scheduling import Catalog, Entry
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.store import LocalStore


def marking_periods(store: LocalStore) -> list[MarkingPeriod]:
    """Every marking period of the school, in date order."""
    with store.read() as conn:
        return _marking_periods(conn)


def _marking_periods(conn: Connection) -> list[MarkingPeriod]:
    return [MarkingPeriod(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
            for r in conn.exec_driver_sql(
                "SELECT id, term_id, name, week, start_date, end_date, is_report_card "
                "FROM marking_periods ORDER BY start_date, week, id")]


def term_periods_on(store: LocalStore, day: dt.date | str) -> list[MarkingPeriod]:
    """The marking periods of the term a day falls in (between terms: the
    latest term that has begun; before any: the first)."""
    on = day if isinstance(day, str) else day.isoformat()
    periods = marking_periods(store)
    with store.read() as conn:
        terms = conn.exec_driver_sql(
            "SELECT id, start_date, end_date FROM terms ORDER BY start_date").all()
    if not terms:
        return []
    current = next((t[0] for t in terms if t[1] <= on <= t[2]), None)
    if current is None:
        begun = [t[0] for t in terms if t[1] <= on]
        current = begun[-1] if begun else terms[0][0]
    return [p for p in periods if p.term_id == current]


def default_period(periods: Sequence[MarkingPeriod], day: dt.date | str) -> MarkingPeriod | None:
    """The latest marking period that has started by a day (else the first)."""
    on = day if isinstance(day, str) else day.isoformat()
    started = [p for p in periods if p.start_date <= on]
    if started:
        return max(started, key=lambda p: p.start_date)
    return min(periods, key=lambda p: p.start_date) if periods else None


def previous_period(store: LocalStore, period: MarkingPeriod) -> MarkingPeriod | None:
    """The marking period just before this one in the same school year (the
    5-week before the 10-week; the fall semester mark before the spring's
    5-week), or None."""
    with store.read() as conn:
        years: dict[str, str] = dict(
            conn.exec_driver_sql("SELECT id, school_year_id FROM terms").all())
        earlier = [p for p in _marking_periods(conn)
                   if years.get(p.term_id) == years.get(period.term_id)
                   and p.end_date < period.start_date]
    return max(earlier, key=lambda p: p.end_date) if earlier else None


@dataclass(frozen=True, slots=True)
class SectionChoice:
    """A section a marking period has marks for, as the section chooser shows it."""

    section_id: str
    period: int
    course_code: str
    course_title: str
    section_number: str
    teacher: str
    students: int

    @property
    def label(self) -> str:
        return (f"P{self.period} · {self.course_title} ({self.course_code}) · "
                f"{self.section_number} · {self.teacher or 'no teacher'}")


def _meets(span: tuple[str, str], period: MarkingPeriod) -> bool:
    return span[0] <= span[1] and span[0] <= period.end_date and span[1] >= period.start_date


def sections_for_period(store: LocalStore, period: MarkingPeriod) -> list[SectionChoice]:
    """The sections with students during a marking period, by period and course."""
    cat = load_catalog(store)
    with store.read() as conn:
        teachers: dict[str, str] = dict(conn.exec_driver_sql(
            "SELECT id, first_name || ' ' || last_name FROM staff").all())
        counts: dict[str, int] = {}
        for e in _entries(conn, "begin_date <= ? AND (end_date IS NULL OR end_date >= ?)",
                          (period.end_date, period.start_date)):
            if e.section_id in cat.sections and _meets(cat.entry_span(e), period):
                counts.setdefault(e.section_id, 0)
                counts[e.section_id] += 1
    out = []
    for sid, n in counts.items():
        s = cat.sections[sid]
        if not _meets(cat.span(s), period):
            continue  # the other term's semester course
        course = cat.course_of(s)
        out.append(SectionChoice(sid, s.period, course.code, course.title, s.section_number,
                                 teachers.get(s.teacher_id, ""), n))
    return sorted(out, key=lambda c: (c.period, c.course_title.lower(), c.section_number))


def _entries(conn: Connection, where: str, params: tuple) -> list[Entry]:
    return [Entry(*r) for r in conn.exec_driver_sql(
        "SELECT id, student_id, section_id, begin_date, end_date FROM section_enrollments "
        f"WHERE {where}", params)]


@dataclass(frozen=True, slots=True)
class PostedMarks:
    """A student's saved marks in a section for a marking period ("" for none)."""

    mark: str
    work_habits: str = ""
    cooperation: str = ""
    comments: str = ""


@dataclass(frozen=True, slots=True)
class MarkSheetRow:
    student_id: str
    district_student_id: str
    name: str  # "Last, First"
    grade_level: int
    joined: str  # the day the student came into the section during the period, or ""
    left: str  # the last day in the section when it was during the period, or ""
    saved: PostedMarks | None
    previous_mark: str  # the previous marking period's mark, for reference


def mark_sheet(store: LocalStore, section_id: str, period: MarkingPeriod, *,
               previous: MarkingPeriod | None = None, cat: Catalog | None = None
               ) -> list[MarkSheetRow]:
    """A section's students during a marking period, by name, with their saved marks."""
    cat = cat or load_catalog(store)
    if section_id not in cat.sections:
        return []
    with store.read() as conn:
        spans: dict[str, tuple[str, str]] = {}
        for e in _entries(conn, "section_id = ?", (section_id,)):
            first, last = cat.entry_span(e)
            if not _meets((first, last), period):
                continue
            if e.student_id in spans:  # left and came back: one line
                was = spans[e.student_id]
                first, last = min(first, was[0]), max(last, was[1])
            spans[e.student_id] = (first, last)
        if not spans:
            return []
        ids = sorted(spans)
        marks = ", ".join("?" * len(ids))
        students = conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name, grade_level "
            f"FROM students WHERE id IN ({marks}) "
            "ORDER BY legal_last_name COLLATE NOCASE, legal_first_name COLLATE NOCASE, id",
            tuple(ids)).all()
        saved = {r[0]: PostedMarks(r[1], r[2] or "", r[3] or "", r[4] or "")
                 for r in conn.exec_driver_sql(
                     "SELECT student_id, mark, work_habits, cooperation, comments "
                     "FROM grade_marks WHERE section_id = ? AND marking_period_id = ?",
                     (section_id, period.id))}
        before: dict[str, str] = {}
        if previous is not None:
            before = dict(conn.exec_driver_sql(
                "SELECT student_id, mark FROM grade_marks "
                "WHERE section_id = ? AND marking_period_id = ?",
                (section_id, previous.id)).all())
    start, end = cat.span(cat.sections[section_id])
    rows = []
    for sid, dsid, last_name, first_name, grade in students:
        first, last = spans[sid]
        rows.append(MarkSheetRow(
            sid, dsid or "", f"{last_name}, {first_name}", grade,
            first if first > max(period.start_date, start) else "",
            last if last < min(period.end_date, end) else "",
            saved.get(sid), before.get(sid, "")))
    return rows
