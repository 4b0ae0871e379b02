"""What report cards and transcripts read from the cache (the documents are
`domain.documents`'s records, built here), and whose cards there are to print.

The classes on a card are chosen by `domain.report_cards.sections_on_card`
(through `build_card`); this module only gathers the facts for it. The
batch reader reads each table once for the whole school, so printing 5,000
cards costs a handful of queries, not 5,000 times a handful.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from domain import clock
from domain.codes import ATTENDANCE_CODES
from domain.documents import CardDocument, TranscriptDocument, TranscriptLine, TranscriptYear
from domain.grades import GRADE_POINTS
from domain.report_cards import (
    MarkingPeriod,
    PostedMark,
    build_card,
    sections_on_card,
)
from domain.scheduling import Catalog, Entry
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.catalog import catalog_in
from local_store.store import LocalStore

# A student list at most this long is read with `IN (...)`; a longer one
# (a grade, the whole school) reads the tables whole and picks in Python.
_FILTER_LIMIT = 400
_PASSING = frozenset(GRADE_POINTS) - {"F"}


# ------------------------------------------------------------------ report cards


def card_document(store: LocalStore, student_id: str, marking_period_id: str, *,
                  on: str | None = None) -> CardDocument:
    """One student's card for a marking period."""
    found = next(card_documents(store, marking_period_id, [student_id], on=on), None)
    if found is None:
        raise KeyError(f"no student {student_id!r} in this school")
    return found


def card_documents(store: LocalStore, marking_period_id: str,
                   student_ids: Sequence[str] | None = None, *,
                   on: str | None = None) -> Iterator[CardDocument]:
    """The cards of a marking period: of `student_ids` in that order, or
    of everyone enrolled during the period, by name."""
    if student_ids is not None and not student_ids:
        return
    with store.read() as conn:
        facts = _CardFacts(conn, marking_period_id, student_ids)
    issued = on or clock.today().isoformat()
    for sid in facts.student_order:
        yield facts.document(sid, issued)


def latest_ended_marking_period(store: LocalStore, *, on: str | None = None) -> str | None:
    """The last marking period that ended before `on` (today)."""
    day = on or clock.today().isoformat()
    with store.read() as conn:
        return conn.exec_driver_sql(
            "SELECT id FROM marking_periods WHERE end_date < ? ORDER BY end_date DESC, id "
            "LIMIT 1", (day,)).scalar()


def _in(ids: Sequence[str]) -> str:
    return f"({', '.join('?' * len(ids))})"


def _card_language(home_language: str | None, guardian_language: str | None) -> str:
    return "es" if "es" in (home_language, guardian_language) else "en"


class _CardFacts:
    """The tables a batch of cards reads, each read once."""

    def __init__(self, conn: Connection, marking_period_id: str,
                 student_ids: Sequence[str] | None) -> None:
        periods = [MarkingPeriod(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
                   for r in conn.exec_driver_sql(
                       "SELECT id, term_id, name, week, start_date, end_date, is_report_card "
                       "FROM marking_periods WHERE term_id = (SELECT term_id FROM "
                       "marking_periods WHERE id = ?) ORDER BY end_date", (marking_period_id,))]
        period = next((p for p in periods if p.id == marking_period_id), None)
        if period is None:
            raise KeyError(f"no marking period {marking_period_id!r}")
        self.period, self.term_periods = period, periods
        self.catalog: Catalog = catalog_in(conn)
        term = self.catalog.terms[period.term_id]
        self.term_name = term.name
        self.school = _meta(conn, "school_name") or _meta(conn, "school_id") or ""
        only: tuple[str, ...] = ()
        if student_ids is not None and len(student_ids) <= _FILTER_LIMIT:
            only = tuple(dict.fromkeys(student_ids))

        def rows(sql: str, *args: Any, group: str = "") -> Any:
            """Rows of `sql`, narrowed to the students asked for when they are few."""
            if only:
                sql += (" AND" if " WHERE " in sql else " WHERE") + f" student_id IN {_in(only)}"
                args = (*args, *only)
            return conn.exec_driver_sql(sql + group, args)

        self.staff = {r[0]: f"{r[1]} {r[2]}" for r in conn.exec_driver_sql(
            "SELECT id, first_name, last_name FROM staff")}
        self.students = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT id, coalesce(district_student_id, ''), legal_last_name, legal_first_name, "
            "grade_level, coalesce(home_language, 'en'), counselor_id FROM students"
            + (f" WHERE id IN {_in(only)}" if only else ""), only)}
        self.guardian_language: dict[str, str] = {}
        for sid, language in rows("SELECT student_id, language FROM guardians WHERE is_primary"):
            self.guardian_language.setdefault(sid, language)
        self.entries: dict[str, list[Entry]] = {}
        for r in rows("SELECT id, student_id, section_id, begin_date, end_date "
                      "FROM section_enrollments"):
            if r[2] in self.catalog.sections:
                self.entries.setdefault(r[1], []).append(Entry(*r))
        shown = [p.id for p in periods if p.end_date <= period.end_date]
        self.marks: dict[str, list[PostedMark]] = {}
        for r in rows("SELECT student_id, section_id, marking_period_id, mark, work_habits, "
                      "cooperation, comments, entered_at FROM grade_marks "
                      f"WHERE marking_period_id IN {_in(shown)}", *shown):
            self.marks.setdefault(r[0], []).append(PostedMark(*r[1:]))
        # Absences and tardies from the term's start through the period's end.
        absent, tardy = _attendance_codes(conn)
        span = (term.start_date, period.end_date)
        self.attendance: dict[str, dict[str, tuple[int, int]]] = {}
        self.tardies: dict[str, int] = {}
        for sid, section_id, absences, tardies in rows(
                f"SELECT student_id, section_id, sum(code IN {_in(absent)}), "
                f"sum(code IN {_in(tardy)}) FROM attendance_marks "
                f"WHERE date BETWEEN ? AND ? AND code IN {_in(absent + tardy)}",
                *absent, *tardy, *span, *absent, *tardy, group=" GROUP BY student_id, section_id"):
            if section_id:
                self.attendance.setdefault(sid, {})[section_id] = (absences, tardies)
            self.tardies[sid] = self.tardies.get(sid, 0) + tardies
        self.days_absent: dict[str, int] = dict(rows(
            "SELECT student_id, count(DISTINCT date) FROM attendance_marks "
            f"WHERE date BETWEEN ? AND ? AND code IN {_in(absent)}", *span, *absent,
            group=" GROUP BY student_id").all())
        if student_ids is not None:
            self.student_order = [s for s in dict.fromkeys(student_ids) if s in self.students]
        else:
            self.student_order = _enrolled_during(conn, period)

    def document(self, student_id: str, issued: str) -> CardDocument:
        district_id, last, first, grade, home, counselor_id = self.students[student_id]
        card = build_card(student_id=student_id, catalog=self.catalog,
                          entries=self.entries.get(student_id, []),
                          marks=self.marks.get(student_id, []), period=self.period,
                          term_periods=self.term_periods, teachers=self.staff,
                          attendance=self.attendance.get(student_id, {}))
        return CardDocument(
            self.school, student_id, district_id, f"{last}, {first}", grade,
            self.staff.get(counselor_id or "", ""), home,
            _card_language(home, self.guardian_language.get(student_id)), self.term_name,
            card, self.days_absent.get(student_id, 0), self.tardies.get(student_id, 0), issued)


def _meta(conn: Connection, key: str) -> str | None:
    return conn.exec_driver_sql("SELECT value FROM meta WHERE key = ?", (key,)).scalar()


def _attendance_codes(conn: Connection) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(absent codes, tardy codes): the school's code table, or the defaults."""
    table: list[tuple[str, str]] = [tuple(r) for r in conn.exec_driver_sql(
        "SELECT code, category FROM attendance_codes")] or [
        (c.code, c.category) for c in ATTENDANCE_CODES]
    absent = tuple(code for code, category in table if category == "absent")
    tardy = tuple(code for code, category in table if (category or "").startswith("tardy"))
    return absent or ("",), tardy or ("",)


def _enrolled_during(conn: Connection, period: MarkingPeriod) -> list[str]:
    """Students enrolled at the school on some day of the period, by name."""
    order = ("ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE, "
             "s.id")
    if conn.exec_driver_sql("SELECT 1 FROM school_enrollments LIMIT 1").first() is None:
        return [r[0] for r in conn.exec_driver_sql(f"SELECT s.id FROM students s {order}")]
    return [r[0] for r in conn.exec_driver_sql(
        "SELECT s.id FROM students s WHERE EXISTS (SELECT 1 FROM school_enrollments e "
        "WHERE e.student_id = s.id AND e.entry_date <= ? "
        f"AND (e.exit_date IS NULL OR e.exit_date >= ?)) {order}",
        (period.end_date, period.start_date))]


# ------------------------------------------------------------------ whose cards to print
# (what the report cards screen offers: read off the GUI thread)


@dataclass(frozen=True)
class Pupil:
    student_id: str
    district_id: str
    name: str  # "Last, First"
    grade: int
    counselor_id: str | None
    homeroom_id: str | None  # the period-1 section this term


@dataclass
class SchoolFacts:
    periods: list[MarkingPeriod]  # to choose from, newest first
    pupils: list[Pupil]  # in card order: by homeroom, then name
    homerooms: list[tuple[str, str]]  # (section id, label)
    counselors: list[tuple[str, str]]  # (staff id, name)
    catalog: Catalog
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # by student


def choosable_periods(periods: Iterable[MarkingPeriod], catalog: Catalog,
                      today: str) -> list[MarkingPeriod]:
    """The ended marking periods of the current term — and, early in a term,
    of the school year's earlier term, whose semester cards go out then —
    newest first."""
    term = catalog.term_on(today) or max(
        (t for t in catalog.terms.values() if t.start_date <= today),
        key=lambda t: t.start_date, default=None)
    if term is None:
        return []
    terms = {t.id for t in catalog.terms.values()
             if t.school_year_id == term.school_year_id and t.start_date <= term.start_date}
    return sorted((p for p in periods if p.term_id in terms and p.end_date < today),
                  key=lambda p: p.end_date, reverse=True)


def load_facts(store: LocalStore, today: str) -> SchoolFacts:
    catalog = load_catalog(store)
    with store.read() as conn:
        periods = [MarkingPeriod(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
                   for r in conn.exec_driver_sql(
                       "SELECT id, term_id, name, week, start_date, end_date, is_report_card "
                       "FROM marking_periods")]
        entries: dict[str, list[Entry]] = {}
        for r in conn.exec_driver_sql("SELECT id, student_id, section_id, begin_date, end_date "
                                      "FROM section_enrollments"):
            entries.setdefault(r[1], []).append(Entry(*r))
        staff = {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
            "SELECT id, first_name, last_name FROM staff")}
        students = list(conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name, grade_level, "
            "counselor_id FROM students"))
    chosen = choosable_periods(periods, catalog, today)
    # Homerooms as they are today; out of term, as they were when the card's period ended.
    day = today if catalog.term_on(today) or not chosen else chosen[0].end_date
    homeroom_of: dict[str, str] = {}
    for student_id, mine in entries.items():
        for e in mine:
            section = catalog.sections.get(e.section_id)
            if section is None or section.period != 1:
                continue
            first, last = catalog.entry_span(e)
            if first <= day <= last:
                homeroom_of[student_id] = e.section_id
    homerooms = []
    for sid in sorted(set(homeroom_of.values()), key=lambda s: (catalog.sections[s].room, s)):
        section = catalog.sections[sid]
        first, last = staff.get(section.teacher_id, ("", ""))
        homerooms.append((sid, f"Room {section.room} · {last}, {first} · "
                               f"{catalog.course_of(section).title}"))
    pupils = sorted((Pupil(r[0], r[1], f"{r[2]}, {r[3]}", r[4], r[5], homeroom_of.get(r[0]))
                     for r in students),
                    key=lambda p: (p.homeroom_id is None, _room(catalog, p.homeroom_id),
                                   p.name.casefold(), p.student_id))
    caseloads = {p.counselor_id for p in pupils if p.counselor_id}
    counselors = sorted(((c, "{1}, {0}".format(*staff.get(c, ("", c)))) for c in caseloads),
                        key=lambda pair: pair[1].casefold())
    return SchoolFacts(chosen, pupils, homerooms, counselors, catalog, entries)


def _room(catalog: Catalog, section_id: str | None) -> tuple[str, str]:
    if section_id is None:
        return ("", "")
    return (catalog.sections[section_id].room, section_id)


def students_with_a_card(store: LocalStore, facts: SchoolFacts,
                         period: MarkingPeriod) -> set[str]:
    """The students whose card for `period` lists at least one class
    (domain.report_cards.sections_on_card decides, as on the card itself)."""
    marks: dict[str, list[PostedMark]] = {}
    with store.read() as conn:
        for r in conn.exec_driver_sql(
                "SELECT student_id, section_id, mark FROM grade_marks "
                "WHERE marking_period_id = ?", (period.id,)):
            marks.setdefault(r[0], []).append(PostedMark(r[1], period.id, r[2]))
    return {p.student_id for p in facts.pupils
            if sections_on_card(catalog=facts.catalog, entries=facts.entries.get(p.student_id, []),
                                marks=marks.get(p.student_id, []), period=period)}


@dataclass(frozen=True)
class Reprint:
    student_id: str
    district_id: str
    name: str
    grade: int
    printed_at: str
    changed_at: str


def cards_to_reprint(store: LocalStore, period: MarkingPeriod,
                     shown: Sequence[MarkingPeriod]) -> list[Reprint]:
    """Students whose card for `period` was printed and whose marks on it
    (this period's, or an earlier one of the term shown on the same card)
    were entered after the last printing."""
    ids = [p.id for p in shown] or [period.id]
    marks_in = ", ".join("?" * len(ids))
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            f"""SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name,
                       s.grade_level, p.printed, m.changed
                FROM (SELECT student_id, max(printed_at) AS printed FROM report_card_prints
                      WHERE marking_period_id = ? GROUP BY student_id) p
                JOIN (SELECT student_id, max(entered_at) AS changed FROM grade_marks
                      WHERE marking_period_id IN ({marks_in}) GROUP BY student_id) m
                  ON m.student_id = p.student_id
                JOIN students s ON s.id = p.student_id
                WHERE m.changed > p.printed
                ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE""",
            (period.id, *ids))
        return [Reprint(r[0], r[1], f"{r[2]}, {r[3]}", r[4], r[5], r[6]) for r in rows]


# ------------------------------------------------------------------ transcripts


def transcript_document(store: LocalStore, student_id: str, *,
                        on: str | None = None) -> TranscriptDocument:
    """Every year of a student's marks: past terms' final marks
    (`transcript_entries`) and this year's posted semester (20-week) marks."""
    with store.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT coalesce(district_student_id, ''), legal_last_name, legal_first_name, "
            "grade_level, coalesce(birth_date, ''), counselor_id FROM students WHERE id = ?",
            (student_id,)).first()
        if row is None:
            raise KeyError(f"no student {student_id!r} in this school")
        district_id, last, first, grade, birth, counselor_id = row
        counselor = conn.exec_driver_sql(
            "SELECT first_name || ' ' || last_name FROM staff WHERE id = ?",
            (counselor_id or "",)).scalar() or ""
        school = _meta(conn, "school_name") or _meta(conn, "school_id") or ""
        past = conn.exec_driver_sql(
            "SELECT school_year, grade_level, term, course_code, course_title, mark, "
            "coalesce(credits_attempted, 0), coalesce(credits_earned, 0) "
            "FROM transcript_entries WHERE student_id = ?", (student_id,)).all()
        posted = conn.exec_driver_sql(
            "SELECT y.name, t.name, c.code, c.title, g.mark, coalesce(c.credits, 0), c.duration "
            "FROM grade_marks g JOIN marking_periods mp ON mp.id = g.marking_period_id "
            "JOIN sections s ON s.id = g.section_id JOIN courses c ON c.id = s.course_id "
            "JOIN terms t ON t.id = mp.term_id JOIN school_years y ON y.id = t.school_year_id "
            "WHERE g.student_id = ? AND mp.week = 20", (student_id,)).all()
    years: dict[str, TranscriptYear] = {}
    seen: set[tuple[str, str, str]] = set()
    for school_year, level, term, code, title, mark, attempted, earned in past:
        year = years.setdefault(school_year, TranscriptYear(school_year, level))
        year.lines.append(TranscriptLine(term, code, title, mark, attempted, earned))
        seen.add((school_year, term, code))
    for school_year, term_name, code, title, mark, credits, duration in posted:
        term = (term_name or "").split(" ")[0]
        if (school_year, term, code) in seen:
            continue  # already on the transcript as a final mark
        attempted = credits / 2 if duration == "year" else credits
        if mark == "NM":
            attempted = 0.0
        year = years.setdefault(school_year, TranscriptYear(school_year, grade))
        year.lines.append(TranscriptLine(term, code, title, mark, attempted,
                                         attempted if mark in _PASSING else 0.0))
    for year in years.values():
        year.lines.sort(key=lambda line: (_TERM_ORDER.get(line.term, 9), line.course_code))
    return TranscriptDocument(school, student_id, district_id, f"{last}, {first}", grade, birth,
                              counselor, [years[k] for k in sorted(years)],
                              on or clock.today().isoformat())


_TERM_ORDER = {"Fall": 0, "Winter": 1, "Spring": 2, "Summer": 3}
