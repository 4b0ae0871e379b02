"""The documents a printed page is made from: a student's report card for a
marking period and their transcript, as plain records.

`local_store.report_cards` builds them from the workstation's cache and
`reports/` paints them (reports/report_card.py, reports/transcript.py); both
import them from here, so what is printed depends on nothing of the cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from domain.grades import gpa
from domain.report_cards import MarkingPeriod, ReportCard


@dataclass(frozen=True)
class CardDocument:
    """Everything one report card shows."""

    school: str
    student_id: str
    district_student_id: str
    student_name: str  # "Last, First"
    grade_level: int
    counselor: str
    home_language: str
    language: str  # the card's language: "es" or "en"
    term_name: str
    card: ReportCard
    days_absent: int  # distinct dates with an absence, term start to the period's end
    tardies: int
    issued: str  # the date printed on the card

    @property
    def marking_period(self) -> MarkingPeriod:
        return self.card.marking_period


@dataclass(frozen=True)
class TranscriptLine:
    term: str  # "Fall" / "Spring"
    course_code: str
    course_title: str
    mark: str
    attempted: float
    earned: float


@dataclass
class TranscriptYear:
    school_year: str  # "2025-2026"
    grade_level: int
    lines: list[TranscriptLine] = field(default_factory=list)

    @property
    def attempted(self) -> float:
        return sum(line.attempted for line in self.lines)

    @property
    def earned(self) -> float:
        return sum(line.earned for line in self.lines)

    @property
    def gpa(self) -> float | None:
        return gpa(line.mark for line in self.lines)


@dataclass(frozen=True)
class TranscriptDocument:
    school: str
    student_id: str
    district_student_id: str
    student_name: str
    grade_level: int
    birth_date: str
    counselor: str
    years: list[TranscriptYear]
    issued: str

    @property
    def attempted(self) -> float:
        return sum(y.attempted for y in self.years)

    @property
    def earned(self) -> float:
        return sum(y.earned for y in self.years)

    @property
    def gpa(self) -> float | None:
        """Cumulative GPA over every A-F mark of every year."""
        return gpa(line.mark for y in self.years for line in y.lines)
