"""Attendance rules: a secondary school's day from its period marks, and truancy.

Marks record exceptions only (domain/records.py): a period with no mark is
present. Everything here is pure and works on plain values, so the
workstation's letters, the district's reports and the tests share one
reading of the law (DESIGN.md, "Attendance (California)").

Truancy follows California Education Code 48260: a pupil is truant once
absent without a valid excuse three full days in one school year, or tardy
or absent for more than a 30-minute period of the school day without a valid
excuse on three occasions, or any combination of these. We count
*occasions*: one per student per school date, whatever happened that day.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.codes import ATTENDANCE_CODE_BY_CODE, AttendanceCode

# Education Code 48262: a pupil reported as truant three or more times in one
# school year is a habitual truant (and may be referred to SARB). Each report
# is a separate notification after further occasions; counting reports is the
# letters' bookkeeping, not a rule on marks, so only the number lives here.
HABITUAL_REPORTS = 3

# Education Code 48260: a tardy counts when it is *more than* 30 minutes.
TRUANT_TARDY_MINUTES = 30

# School levels that take one daily mark per student instead of period marks.
DAILY_LEVELS = frozenset({"elementary", "primary"})

FULL_DAY_RULES = ("all_periods", "majority", "min_periods")
_TARDY_CATEGORIES = ("tardy", "tardy_long")
# Excused daily codes that vouch for part of the day only (or for nothing).
_EXCUSING_NOT_THE_DAY = ("present", *_TARDY_CATEGORIES)

CodeTable = Mapping[str, AttendanceCode]


def is_daily_school(level: str) -> bool:
    """Elementary schools keep one roll a day; the rest take it every period."""
    return level.strip().lower() in DAILY_LEVELS


def _code(codes: CodeTable, code: str) -> AttendanceCode:
    # An unknown code is a bug or an unsynced code table: guessing "present"
    # could hide a truant, guessing "absent" could accuse a family.
    try:
        return codes[code]
    except KeyError:
        raise ValueError(f"unknown attendance code {code!r}") from None


# --- a day from its period marks


@dataclass(frozen=True)
class DailyRule:
    """How a school turns period marks into a full-day absence (a district setting).

    `full_day_absent_when`:
      * ``"all_periods"`` – absent from every scheduled period (the default);
      * ``"majority"`` – absent from more than half of them;
      * ``"min_periods"`` – absent from at least `min_periods` of them.
    A student absent from every period scheduled that day is always absent
    the full day, even on a short schedule with fewer than `min_periods`.
    The codes name what a full-day absence is recorded as.
    """

    full_day_absent_when: str = "all_periods"
    min_periods: int = 0
    unexcused_code: str = "A"
    excused_code: str = "E"
    suspension_code: str = "S"

    def __post_init__(self) -> None:
        if self.full_day_absent_when not in FULL_DAY_RULES:
            raise ValueError(f"full_day_absent_when must be one of {FULL_DAY_RULES}, "
                             f"not {self.full_day_absent_when!r}")
        if self.full_day_absent_when == "min_periods" and self.min_periods < 1:
            raise ValueError("the min_periods rule needs min_periods of 1 or more")

    def is_full_day(self, absent: int, scheduled: int) -> bool:
        if scheduled == 0 or absent == 0:
            return False
        if absent >= scheduled:
            return True
        if self.full_day_absent_when == "majority":
            return absent * 2 > scheduled
        if self.full_day_absent_when == "min_periods":
            return absent >= self.min_periods
        return False


@dataclass(frozen=True)
class DailyOutcome:
    """A student's day as the daily register sees it.

    `code` is the full-day code (``A``, ``E`` or ``S`` by default) when
    `full_day_absent`, and None otherwise: both for a present day and for a
    *partial* day (some periods missed, not enough for a full day), which
    `partial` tells apart. Period numbers are in ascending order.
    """

    full_day_absent: bool
    code: str | None
    periods_absent: tuple[int, ...] = ()
    periods_tardy: tuple[int, ...] = ()

    @property
    def partial(self) -> bool:
        return bool(self.periods_absent) and not self.full_day_absent


def derive_daily(period_codes: Mapping[int, str | None], scheduled_periods: Sequence[int],
                 rule: DailyRule, codes: CodeTable = ATTENDANCE_CODE_BY_CODE) -> DailyOutcome:
    """The day's outcome from its period marks (None or missing = present).

    Only scheduled periods count: a mark left on a period the student no
    longer has says nothing about today. A period is missed when its code
    does not count as present (so in-school suspension, activities and
    independent study are not absences). A full day is a suspension if any
    missed period was a suspension, excused if every missed period was
    excused, and unexcused otherwise.
    """
    absent: list[AttendanceCode] = []
    periods_absent: list[int] = []
    periods_tardy: list[int] = []
    for period in sorted(set(scheduled_periods)):
        value = period_codes.get(period)
        if not value:
            continue
        code = _code(codes, value)
        if not code.counts_as_present:
            absent.append(code)
            periods_absent.append(period)
        elif code.category in _TARDY_CATEGORIES:
            periods_tardy.append(period)
    full_day = rule.is_full_day(len(absent), len(set(scheduled_periods)))
    day_code = None
    if full_day:
        if any(c.category == "suspension" for c in absent):
            day_code = rule.suspension_code
        elif all(c.excused for c in absent):
            day_code = rule.excused_code
        else:
            day_code = rule.unexcused_code
    return DailyOutcome(full_day, day_code, tuple(periods_absent), tuple(periods_tardy))


DEFAULT_RULE = DailyRule()


# --- truancy (Education Code 48260)

_REASONS: dict[str, dict[str, str]] = {
    "en": {"full_day": "Unexcused full-day absence",
           "absent_one": "Unexcused absence, period {}",
           "absent_many": "Unexcused absence, periods {}",
           "tardy": "Tardy {} minutes", "tardy_long": "Tardy 30 minutes or more",
           "period": ", period {}"},
    "es": {"full_day": "Ausencia injustificada de todo el día",
           "absent_one": "Ausencia injustificada, periodo {}",
           "absent_many": "Ausencia injustificada, periodos {}",
           "tardy": "Llegada tarde de {} minutos",
           "tardy_long": "Llegada tarde de 30 minutos o más",
           "period": ", periodo {}"},
}


@dataclass(frozen=True)
class Occasion:
    """One school date that counts toward truancy, and what happened on it.

    `tardies` holds (period, minutes late) pairs; period None is a daily
    tardy (elementary), minutes None a long-tardy code without minutes.
    """

    date: str
    full_day: bool = False
    absent_periods: tuple[int, ...] = ()
    tardies: tuple[tuple[int | None, int | None], ...] = ()

    @property
    def reason(self) -> str:
        return self.describe("en")

    def describe(self, language: str = "en") -> str:
        """The reason as a letter to the family says it ("en" or "es")."""
        words = _REASONS.get(language, _REASONS["en"])
        if self.full_day:
            return words["full_day"]
        parts = []
        if self.absent_periods:
            many = "absent_many" if len(self.absent_periods) > 1 else "absent_one"
            parts.append(words[many].format(", ".join(str(p) for p in self.absent_periods)))
        for period, minutes in self.tardies:
            text = words["tardy"].format(minutes) if minutes else words["tardy_long"]
            parts.append(text + (words["period"].format(period) if period else ""))
        return "; ".join(parts)


@dataclass(frozen=True)
class TruancyCase:
    """A student who has become truant: the first occasions, as the letter lists them."""

    student_id: str
    occasions: tuple[Occasion, ...]
    third_date: str  # the date of the occasion that made the student truant
    total_occasions: int


@dataclass
class _Day:
    daily: list[tuple[AttendanceCode, int | None]] = field(default_factory=list)
    periods: dict[int, tuple[AttendanceCode, int | None]] = field(default_factory=dict)


def _get(mark: Any, name: str) -> Any:
    return mark.get(name) if isinstance(mark, Mapping) else getattr(mark, name, None)


def _iso(value: str | dt.date) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _unexcused_absence(code: AttendanceCode) -> bool:
    return not code.counts_as_present and not code.excused


def _long_tardy(code: AttendanceCode, minutes: int | None) -> bool:
    """A tardy of more than 30 minutes without excuse.

    The long-tardy code counts on its own (the clerk chose it); a plain
    tardy counts when its recorded minutes pass 30.
    """
    if code.excused:
        return False
    if code.category == "tardy_long":
        return True
    return code.category == "tardy" and (minutes or 0) > TRUANT_TARDY_MINUTES


def truancy_occasions(marks: Iterable[Any], *, year_start: str | dt.date,
                      year_end: str | dt.date, codes: CodeTable = ATTENDANCE_CODE_BY_CODE,
                      rule: DailyRule = DEFAULT_RULE,
                      scheduled_periods: Callable[[str, str], Sequence[int]] | None = None,
                      ) -> dict[str, list[Occasion]]:
    """Each student's truancy occasions in one school year, by date.

    `marks` are attendance_marks records (dicts or objects with student_id,
    section_id, date, period, code, minutes_late); a daily mark has no
    section. Dates outside [year_start, year_end] are ignored: the count
    starts again each school year.

    A date is an occasion when it has an unexcused full-day absence (a daily
    mark, or period marks that make a full day under `rule` when
    `scheduled_periods(student_id, date)` is given), an unexcused absence
    from a class period (every period is longer than 30 minutes), or an
    unexcused tardy of more than 30 minutes. An excused daily absence,
    suspension, activity or independent-study mark is the office's word for
    the whole day and excuses that day's period marks as well (an excused
    tardy covers only the late arrival).
    """
    start, end = _iso(year_start), _iso(year_end)
    days: dict[tuple[str, str], _Day] = {}
    for mark in marks:
        date = _iso(_get(mark, "date"))
        if not start <= date <= end:
            continue
        code = _code(codes, _get(mark, "code"))
        day = days.setdefault((str(_get(mark, "student_id")), date), _Day())
        minutes = _get(mark, "minutes_late")
        if _get(mark, "section_id"):
            day.periods[int(_get(mark, "period") or 0)] = (code, minutes)
        else:
            day.daily.append((code, minutes))

    by_student: dict[str, list[Occasion]] = {}
    for (student_id, date), day in days.items():
        occasion = _occasion(student_id, date, day, codes, rule, scheduled_periods)
        if occasion is not None:
            by_student.setdefault(student_id, []).append(occasion)
    for occasions in by_student.values():
        occasions.sort(key=lambda o: o.date)
    return by_student


def _occasion(student_id: str, date: str, day: _Day, codes: CodeTable, rule: DailyRule,
              scheduled_periods: Callable[[str, str], Sequence[int]] | None) -> Occasion | None:
    if any(c.excused and c.category not in _EXCUSING_NOT_THE_DAY for c, _ in day.daily):
        return None
    full_day = any(_unexcused_absence(c) for c, _ in day.daily)
    tardies: list[tuple[int | None, int | None]] = [
        (None, minutes) for c, minutes in day.daily if _long_tardy(c, minutes)]
    absent = sorted(p for p, (c, _) in day.periods.items() if _unexcused_absence(c))
    tardies += [(p, minutes) for p, (c, minutes) in sorted(day.periods.items())
                if _long_tardy(c, minutes)]
    if absent and scheduled_periods is not None and not full_day:
        outcome = derive_daily({p: c.code for p, (c, _) in day.periods.items()},
                               scheduled_periods(student_id, date), rule, codes)
        full_day = outcome.code == rule.unexcused_code
    if full_day:
        return Occasion(date, full_day=True)
    if not absent and not tardies:
        return None
    return Occasion(date, absent_periods=tuple(absent), tardies=tuple(tardies))


def truants(marks: Iterable[Any], *, year_start: str | dt.date, year_end: str | dt.date,
            threshold: int = 3, codes: CodeTable = ATTENDANCE_CODE_BY_CODE,
            rule: DailyRule = DEFAULT_RULE,
            scheduled_periods: Callable[[str, str], Sequence[int]] | None = None,
            ) -> list[TruancyCase]:
    """Students truant in the school year, in the order they became truant.

    A case lists the first `threshold` occasions: those are what made the
    student truant and what the first notification must name.
    """
    if threshold < 1:
        raise ValueError("threshold must be 1 or more")
    cases = []
    occasions_by_student = truancy_occasions(
        marks, year_start=year_start, year_end=year_end, codes=codes, rule=rule,
        scheduled_periods=scheduled_periods)
    for student_id, occasions in occasions_by_student.items():
        if len(occasions) >= threshold:
            first = tuple(occasions[:threshold])
            cases.append(TruancyCase(student_id, first, first[-1].date, len(occasions)))
    cases.sort(key=lambda c: (c.third_date, c.student_id))
    return cases
