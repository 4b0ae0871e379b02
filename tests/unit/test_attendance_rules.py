"""Attendance rules as an attendance office applies them: the day, and truancy (EC 48260)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from domain.attendance import (
    DailyRule,
    Occasion,
    derive_daily,
    is_daily_school,
    truancy_occasions,
    truants,
)

SIX = (1, 2, 3, 4, 5, 6)
ALL = DailyRule()
MAJORITY = DailyRule(full_day_absent_when="majority")
FOUR_OR_MORE = DailyRule(full_day_absent_when="min_periods", min_periods=4)


# --- the day from period marks

DAILY_CASES = [
    # id, period codes, scheduled, rule, (full_day_absent, code, periods_absent, partial)
    ("every-period-absent", dict.fromkeys(SIX, "A"), SIX, ALL, (True, "A", SIX, False)),
    ("one-period-absent-is-partial", {3: "A"}, SIX, ALL, (False, None, (3,), True)),
    ("no-marks-is-present", {}, SIX, ALL, (False, None, (), False)),
    ("explicit-present-and-none", {1: "P", 2: None}, SIX, ALL, (False, None, (), False)),
    ("mixed-excused-and-unexcused-is-A",
     {1: "E", 2: "E", 3: "A", 4: "E", 5: "E", 6: "E"}, SIX, ALL, (True, "A", SIX, False)),
    ("all-excused-is-E", dict.fromkeys(SIX, "E"), SIX, ALL, (True, "E", SIX, False)),
    ("a-suspension-period-makes-S",
     {1: "S", 2: "A", 3: "A", 4: "A", 5: "E", 6: "A"}, SIX, ALL, (True, "S", SIX, False)),
    ("tardies-only-are-not-absent", {1: "T", 2: "L", 4: "X"}, SIX, ALL, (False, None, (), False)),
    ("in-school-suspension-activity-study-are-present",
     {1: "I", 2: "I", 3: "F", 4: "F", 5: "D", 6: "D"}, SIX, ALL, (False, None, (), False)),
    ("five-of-six-is-not-all", {p: "A" for p in SIX[:5]}, SIX, ALL,
     (False, None, SIX[:5], True)),
    ("majority-four-of-six", {1: "A", 2: "A", 3: "E", 4: "A"}, SIX, MAJORITY,
     (True, "A", (1, 2, 3, 4), False)),
    ("majority-half-is-not-more-than-half", {1: "A", 2: "A", 3: "A"}, SIX, MAJORITY,
     (False, None, (1, 2, 3), True)),
    ("min-periods-four-reached", {2: "E", 3: "E", 5: "E", 6: "E"}, SIX, FOUR_OR_MORE,
     (True, "E", (2, 3, 5, 6), False)),
    ("min-periods-three-of-four-short", {2: "A", 3: "A", 5: "A"}, SIX, FOUR_OR_MORE,
     (False, None, (2, 3, 5), True)),
    ("min-periods-short-schedule-all-missed", {1: "A", 2: "A", 3: "A"}, (1, 2, 3), FOUR_OR_MORE,
     (True, "A", (1, 2, 3), False)),
    ("unscheduled-periods-ignored", {0: "A", 7: "A", 1: "A", 2: "A", 3: "A"}, (1, 2, 3), ALL,
     (True, "A", (1, 2, 3), False)),
    ("unscheduled-absence-does-not-make-partial", {7: "A"}, SIX, ALL, (False, None, (), False)),
    ("nothing-scheduled", {1: "A"}, (), ALL, (False, None, (), False)),
]


@pytest.mark.parametrize("period_codes, scheduled, rule, expected", [c[1:] for c in DAILY_CASES],
                         ids=[c[0] for c in DAILY_CASES])
def test_derive_daily(period_codes, scheduled, rule, expected):
    outcome = derive_daily(period_codes, scheduled, rule)
    assert (outcome.full_day_absent, outcome.code, outcome.periods_absent,
            outcome.partial) == expected


def test_derive_daily_lists_tardy_periods():
    outcome = derive_daily({1: "T", 3: "L", 4: "X", 5: "A"}, SIX, ALL)
    assert outcome.periods_tardy == (1, 3, 4)
    assert outcome.periods_absent == (5,)


@pytest.mark.parametrize("kwargs", [{"full_day_absent_when": "most"},
                                    {"full_day_absent_when": "min_periods"}],
                         ids=["unknown-rule", "min-periods-without-a-number"])
def test_a_rule_that_cannot_be_applied_is_refused(kwargs):
    with pytest.raises(ValueError):
        DailyRule(**kwargs)


def test_an_unknown_code_is_refused_not_guessed():
    with pytest.raises(ValueError, match="'Q'"):
        derive_daily({1: "Q"}, SIX, ALL)


@pytest.mark.parametrize("level, daily", [("elementary", True), ("Elementary", True),
                                          ("middle", False), ("high", False)])
def test_elementary_schools_take_daily_attendance(level, daily):
    assert is_daily_school(level) is daily


# --- truancy

YEAR = {"year_start": "2026-08-13", "year_end": "2027-06-10"}


def daily(student, date, code, minutes=None):
    return {"student_id": student, "section_id": None, "date": date, "period": 0,
            "code": code, "minutes_late": minutes}


def period(student, date, number, code, minutes=None):
    return {"student_id": student, "section_id": f"sec-{number}", "date": date,
            "period": number, "code": code, "minutes_late": minutes}


TRUANCY_CASES = [
    # id, marks, expected dates of the first three occasions (None: not truant)
    ("three-unexcused-full-days",
     [daily("s1", "2026-09-01", "A"), daily("s1", "2026-09-15", "A"),
      daily("s1", "2026-10-02", "A")],
     ["2026-09-01", "2026-09-15", "2026-10-02"]),
    ("three-long-tardies-code-L-or-45-minutes",
     [period("s1", "2026-09-01", 1, "L"), period("s1", "2026-09-02", 1, "T", 45),
      daily("s1", "2026-09-03", "L", 40)],
     ["2026-09-01", "2026-09-02", "2026-09-03"]),
    ("full-day-period-absence-and-long-tardy",
     [daily("s1", "2026-09-01", "A"), period("s1", "2026-09-08", 3, "A"),
      period("s1", "2026-09-09", 1, "T", 35)],
     ["2026-09-01", "2026-09-08", "2026-09-09"]),
    ("excused-marks-never-count",
     [daily("s1", "2026-09-01", "E"), period("s1", "2026-09-02", 2, "E"),
      period("s1", "2026-09-03", 1, "X", 50), daily("s1", "2026-09-04", "S"),
      daily("s1", "2026-09-05", "I"), period("s1", "2026-09-08", 4, "F"),
      period("s1", "2026-09-09", 5, "D"), daily("s1", "2026-09-10", "A"),
      daily("s1", "2026-09-11", "A")],
     None),
    ("tardy-of-30-minutes-or-less-does-not-count",
     [period("s1", "2026-09-01", 1, "T", 10), period("s1", "2026-09-02", 1, "T", 30),
      period("s1", "2026-09-03", 1, "T"), daily("s1", "2026-09-04", "A"),
      daily("s1", "2026-09-05", "A")],
     None),
    ("two-occasions-on-one-date-count-once",
     [daily("s1", "2026-09-01", "A"), period("s1", "2026-09-01", 1, "L"),
      period("s1", "2026-09-02", 2, "A"), period("s1", "2026-09-02", 3, "A")],
     None),
    ("a-new-school-year-resets-the-count",
     [daily("s1", "2026-05-20", "A"), daily("s1", "2026-06-01", "A"),
      daily("s1", "2026-09-01", "A"), daily("s1", "2026-09-02", "A"),
      daily("s1", "2027-08-20", "A")],
     None),
    ("fewer-than-three-is-not-truant",
     [daily("s1", "2026-09-01", "A"), period("s1", "2026-09-08", 3, "A")],
     None),
    ("an-excused-day-excuses-its-period-marks",
     [daily("s1", "2026-09-01", "E"), period("s1", "2026-09-01", 1, "A"),
      period("s1", "2026-09-01", 2, "A"), daily("s1", "2026-09-02", "A"),
      daily("s1", "2026-09-03", "A")],
     None),
    ("a-field-trip-day-excuses-its-period-marks",
     [daily("s1", "2026-09-01", "F"), period("s1", "2026-09-01", 3, "A"),
      daily("s1", "2026-09-02", "A"), daily("s1", "2026-09-03", "A")],
     None),
    ("an-excused-tardy-does-not-excuse-later-periods",
     [daily("s1", "2026-09-01", "X", 20), period("s1", "2026-09-01", 4, "A"),
      daily("s1", "2026-09-02", "A"), daily("s1", "2026-09-03", "A")],
     ["2026-09-01", "2026-09-02", "2026-09-03"]),
    ("the-case-names-exactly-the-first-three",
     [daily("s1", d, "A") for d in ("2026-10-05", "2026-09-01", "2026-11-30", "2026-09-20",
                                    "2027-06-10", "2026-08-13")],
     ["2026-08-13", "2026-09-01", "2026-09-20"]),
]


@pytest.mark.parametrize("marks, expected", [c[1:] for c in TRUANCY_CASES],
                         ids=[c[0] for c in TRUANCY_CASES])
def test_truancy(marks, expected):
    cases = truants(marks, **YEAR)
    if expected is None:
        assert cases == []
    else:
        [case] = cases
        assert [o.date for o in case.occasions] == expected
        assert case.third_date == expected[-1]


OCCASION_CASES = [
    ("full-day", [daily("s1", "2026-09-01", "A")], "Unexcused full-day absence"),
    ("one-period", [period("s1", "2026-09-01", 3, "A")], "Unexcused absence, period 3"),
    ("two-periods", [period("s1", "2026-09-01", 4, "A"), period("s1", "2026-09-01", 2, "A")],
     "Unexcused absence, periods 2, 4"),
    ("tardy-with-minutes", [period("s1", "2026-09-01", 1, "T", 45)],
     "Tardy 45 minutes, period 1"),
    ("long-tardy-code-without-minutes", [period("s1", "2026-09-01", 2, "L")],
     "Tardy 30 minutes or more, period 2"),
    ("daily-tardy", [daily("s1", "2026-09-01", "L", 50)], "Tardy 50 minutes"),
    ("full-day-wins-over-a-tardy", [daily("s1", "2026-09-01", "A"),
                                    period("s1", "2026-09-01", 1, "L", 40)],
     "Unexcused full-day absence"),
]


@pytest.mark.parametrize("marks, reason", [c[1:] for c in OCCASION_CASES],
                         ids=[c[0] for c in OCCASION_CASES])
def test_occasion_reason(marks, reason):
    [occasion] = truancy_occasions(marks, **YEAR)["s1"]
    assert occasion.reason == reason


def test_reasons_read_in_spanish():
    assert Occasion("2026-09-01", full_day=True).describe("es") == (
        "Ausencia injustificada de todo el día")
    assert Occasion("2026-09-01", absent_periods=(3,), tardies=((1, 45),)).describe("es") == (
        "Ausencia injustificada, periodo 3; Llegada tarde de 45 minutos, periodo 1")


def test_period_marks_making_a_full_day_read_as_a_full_day():
    marks = [period("s1", "2026-09-01", p, "A") for p in SIX]
    by_schedule = truancy_occasions(marks, **YEAR, scheduled_periods=lambda s, d: SIX)
    without_schedule = truancy_occasions(marks, **YEAR)
    assert by_schedule["s1"] == [Occasion("2026-09-01", full_day=True)]
    assert without_schedule["s1"][0].reason == "Unexcused absence, periods 1, 2, 3, 4, 5, 6"


def test_students_are_kept_apart_and_ordered_by_when_they_became_truant():
    marks = [SimpleNamespace(**m) for m in (
        [daily("s2", d, "A") for d in ("2026-09-01", "2026-09-02", "2026-09-03")]
        + [daily("s1", d, "A") for d in ("2026-09-01", "2026-09-02", "2026-09-10")]
        + [daily("s3", d, "A") for d in ("2026-09-01", "2026-09-02", "2026-09-03",
                                         "2026-09-04")]
        + [daily("s4", d, "A") for d in ("2026-09-01", "2026-09-02")])]
    cases = truants(marks, **YEAR)
    assert [(c.student_id, c.third_date, c.total_occasions) for c in cases] == [
        ("s2", "2026-09-03", 3), ("s3", "2026-09-03", 4), ("s1", "2026-09-10", 3)]
    assert len(cases[1].occasions) == 3
