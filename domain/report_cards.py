"""What a report card says: exactly the classes a student was in during a
marking period, each with its marks, and the card's totals. One function
chooses the classes (`sections_on_card`) and every document uses it.

DESIGN.md: a report card lists exactly the sections the student was in for
that marking period — not sections dropped before it, not another term's
semester course; a section the student withdrew from with a mark shows
that mark.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.grades import gpa
from domain.scheduling import Catalog, Entry


@dataclass(frozen=True)
class MarkingPeriod:
    id: str
    term_id: str
    name: str
    week: int  # 5, 10, 15 (progress reports) or 20 (the semester mark)
    start_date: str
    end_date: str
    is_report_card: bool


@dataclass(frozen=True)
class PostedMark:
    """A `grade_marks` record, as the card needs it."""

    section_id: str
    marking_period_id: str
    mark: str
    work_habits: str | None = None
    cooperation: str | None = None
    comments: str | None = None
    entered_at: str = ""


def sections_on_card(*, catalog: Catalog, entries: Iterable[Entry],
                     marks: Iterable[PostedMark], period: MarkingPeriod) -> list[str]:
    """The sections on a student's card for a marking period, by period.

    A section is on it when the student was in it at the period's end (or
    the section's, if it ends first), or left it during the period and has
    a mark for it posted for this period.
    A section whose dates don't meet the period (the other term's semester
    course) or that the student left before it began is never on it."""
    marked = {m.section_id for m in marks if m.marking_period_id == period.id}
    chosen: set[str] = set()
    for e in entries:
        section = catalog.sections.get(e.section_id)
        if section is None:
            continue
        section_start, section_end = catalog.span(section)
        if section_end < period.start_date or section_start > period.end_date:
            continue  # another term's class
        first, last = catalog.entry_span(e)
        if first > period.end_date or last < period.start_date or first > last:
            continue  # not in it during the period
        # Stayed to the period's end, or to the class's own last day when
        # that comes first (semester marks due after the term's last day).
        if last >= min(period.end_date, section_end) or e.section_id in marked:
            chosen.add(e.section_id)
    return sorted(chosen, key=lambda sid: (catalog.sections[sid].period,
                                           catalog.course_of(catalog.sections[sid]).title, sid))


@dataclass(frozen=True)
class CardLine:
    section_id: str
    period: int
    course_code: str
    course_title: str
    teacher: str
    marks: tuple[str, ...]  # one per marking period shown, "" where none was posted
    work_habits: str
    cooperation: str
    comments: tuple[str, ...]  # comment codes
    absences: int
    tardies: int


@dataclass
class ReportCard:
    student_id: str
    marking_period: MarkingPeriod
    periods: list[MarkingPeriod]  # the term's marking periods up to this one
    lines: list[CardLine] = field(default_factory=list)

    @property
    def gpa(self) -> float | None:
        """The term GPA: this marking period's A-F marks."""
        return gpa(line.marks[-1] for line in self.lines if line.marks)

    @property
    def absences(self) -> int:
        return sum(line.absences for line in self.lines)

    @property
    def tardies(self) -> int:
        return sum(line.tardies for line in self.lines)


def build_card(*, student_id: str, catalog: Catalog, entries: Sequence[Entry],
               marks: Sequence[PostedMark], period: MarkingPeriod,
               term_periods: Sequence[MarkingPeriod], teachers: Mapping[str, str],
               attendance: Mapping[str, tuple[int, int]]) -> ReportCard:
    """The card for one student and marking period. `term_periods` are the
    term's marking periods; `attendance` maps a section to (absences,
    tardies) in it through the period's end."""
    shown = sorted((p for p in term_periods if p.term_id == period.term_id
                    and p.end_date <= period.end_date), key=lambda p: p.end_date)
    by_key = {(m.section_id, m.marking_period_id): m for m in marks}
    card = ReportCard(student_id, period, shown)
    for sid in sections_on_card(catalog=catalog, entries=entries, marks=marks, period=period):
        section = catalog.sections[sid]
        course = catalog.course_of(section)
        now = by_key.get((sid, period.id))
        absences, tardies = attendance.get(sid, (0, 0))
        card.lines.append(CardLine(
            sid, section.period, course.code, course.title, teachers.get(section.teacher_id, ""),
            tuple(by_key[(sid, p.id)].mark if (sid, p.id) in by_key else "" for p in shown),
            (now.work_habits or "") if now else "", (now.cooperation or "") if now else "",
            tuple((now.comments or "").split()) if now else (), absences, tardies))
    return card
