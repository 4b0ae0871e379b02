"""Which classes a report card lists, and the marks in each marking-period
column: `domain.report_cards.sections_on_card` (the one function every
document uses) and `build_card`, on a small hand-built school — one school
year, a fall and a spring term, four marking periods each, year-long and
semester courses, sections in periods 1..8.

DESIGN.md: a card lists exactly the sections the student was in during the
marking period — not sections dropped before it, not another term's
semester course; a section left during it with a mark shows that mark.
"""
from __future__ import annotations

import pytest

from domain.report_cards import MarkingPeriod, PostedMark, build_card, sections_on_card
from domain.scheduling import Catalog, Course, Entry, Section, Term

FALL = Term("t-fall", "sy-2026", "Fall 2026", 1, "2026-08-12", "2027-01-22")
SPRING = Term("t-spring", "sy-2026", "Spring 2027", 2, "2027-01-25", "2027-06-11")

# Marking periods run Monday to Friday; the weekend between two is in neither.
MP5 = MarkingPeriod("mp-f-05", FALL.id, "5-week progress report", 5,
                    "2026-08-12", "2026-09-11", False)
MP10 = MarkingPeriod("mp-f-10", FALL.id, "10-week report card", 10,
                     "2026-09-14", "2026-10-16", True)
MP15 = MarkingPeriod("mp-f-15", FALL.id, "15-week progress report", 15,
                     "2026-10-19", "2026-11-20", False)
MP20 = MarkingPeriod("mp-f-20", FALL.id, "20-week semester report card", 20,
                     "2026-11-23", "2027-01-22", True)
SMP5 = MarkingPeriod("mp-s-05", SPRING.id, "5-week progress report", 5,
                     "2027-01-25", "2027-02-26", False)
SMP10 = MarkingPeriod("mp-s-10", SPRING.id, "10-week report card", 10,
                      "2027-03-01", "2027-04-02", True)
SMP15 = MarkingPeriod("mp-s-15", SPRING.id, "15-week progress report", 15,
                      "2027-04-05", "2027-05-07", False)
SMP20 = MarkingPeriod("mp-s-20", SPRING.id, "20-week semester report card", 20,
                      "2027-05-10", "2027-06-11", True)
# Deliberately out of order: the card sorts its columns itself.
TERM_PERIODS = (MP20, SMP5, MP5, SMP20, MP15, MP10, SMP10, SMP15)

LONG_LIT = ("Advanced Placement English Literature and Composition: Honors Seminar in "
            "Twentieth-Century World Literature in Translation")
LONG_CALC = ("Advanced Placement Calculus BC with Multivariable Preview and "
             "Differential Equations (Dual Enrollment, East Los Angeles College)")

COURSES = {c.id: c for c in (
    Course("c-eng", "ENG9", "English 9", "English", "year", 9, 9),
    Course("c-alg", "ALG1", "Algebra 1", "Mathematics", "year", 9, 12),
    Course("c-bio", "BIO", "Biology", "Science", "year", 9, 12),
    Course("c-hist", "WHIST", "World History", "Social Studies", "year", 9, 12),
    Course("c-span", "SPAN1", "Spanish 1", "World Languages", "year", 9, 12),
    Course("c-pe", "PE", "Physical Education", "Physical Education", "year", 9, 12),
    Course("c-art", "ART1", "Art 1", "Visual and Performing Arts", "semester", 9, 12),
    Course("c-cs", "CS", "Computer Science Principles", "Career Technical", "semester", 9, 12),
    Course("c-hlth", "HLTH", "Health", "Physical Education", "semester", 9, 12),
    Course("c-aplit", "APLIT", LONG_LIT, "English", "year", 11, 12),
    Course("c-apcalc", "APCALC", LONG_CALC, "Mathematics", "year", 11, 12),
)}


def _section(id: str, course: str, term: Term, number: str, period: int) -> Section:
    return Section(id, course, term.id, number, period, f"R-{number}", f"stf-{number}", 34)


SECTIONS = {s.id: s for s in (
    _section("eng", "c-eng", FALL, "0101", 1),
    _section("eng-b", "c-eng", FALL, "0111", 1),  # another English 9 in period 1
    _section("alg", "c-alg", FALL, "0202", 2),
    _section("bio", "c-bio", FALL, "0303", 3),
    _section("hist", "c-hist", FALL, "0404", 4),
    _section("span", "c-span", FALL, "0505", 5),
    _section("pe", "c-pe", FALL, "0606", 6),
    _section("art", "c-art", FALL, "0707", 7),
    _section("hlth-s", "c-hlth", SPRING, "0717", 7),  # art's spring twin
    _section("cs", "c-cs", FALL, "0808", 8),
    _section("aplit", "c-aplit", FALL, "0313", 3),
    _section("apcalc", "c-apcalc", FALL, "0414", 4),
)}
CATALOG = Catalog({t.id: t for t in (FALL, SPRING)}, COURSES, SECTIONS)
TEACHERS = {s.teacher_id: f"Teacher {s.section_number}" for s in SECTIONS.values()}
TEACHERS["stf-0313"] = "Dr. Guadalupe Evangelina Hernández-Villaseñor de la Cruz"

STUDENT = "stu-1"
LONG_NAME_STUDENT = ("stu-Maria-de-los-Angeles-Guadalupe-Fernandez-Villasenor-"
                     "Rodriguez-de-la-Cruz-Bautista")


def entry(section: str, begin: str = FALL.start_date, end: str | None = None, *,
          student: str = STUDENT) -> Entry:
    return Entry(f"e-{section}-{begin}", student, section, begin, end)


def mark(section: str, period: MarkingPeriod, value: str, *, work_habits: str = "S",
         cooperation: str = "E", comments: str | None = None) -> PostedMark:
    return PostedMark(section, period.id, value, work_habits, cooperation, comments,
                      f"{period.end_date}T23:30:00Z")


# Each case: the student's enrollment history, the marks posted for them,
# the card's marking period, and the card's lines in order — each section
# with its marks, one per marking-period column of the term up to the card's.
CASES = [
    pytest.param(
        [entry("eng"), entry("alg", end="2026-09-04")],
        [mark("eng", MP5, "A"), mark("eng", MP10, "B"), mark("alg", MP5, "C")],
        MP10, [("eng", ("A", "B"))],
        id="dropped-before-the-period"),
    pytest.param(
        [entry("eng"), entry("alg", end="2026-09-13")],  # dropped the weekend between
        [mark("eng", MP5, "A"), mark("eng", MP10, "B"), mark("alg", MP5, "C")],
        MP10, [("eng", ("A", "B"))],
        id="dropped-the-weekend-before-the-period"),
    pytest.param(
        [entry("eng"), entry("alg", end="2026-11-06")],
        [mark("eng", MP10, "B"), mark("alg", MP5, "B"), mark("alg", MP10, "C")],
        MP10, [("eng", ("", "B")), ("alg", ("B", "C"))],
        id="dropped-after-the-period"),
    pytest.param(
        [entry("eng"), entry("alg", end=MP10.end_date)],  # the period's last day
        [mark("eng", MP10, "B")],
        MP10, [("eng", ("", "B")), ("alg", ("", ""))],
        id="dropped-on-the-periods-last-day-without-a-mark"),
    pytest.param(
        [entry("eng"), entry("alg", end="2026-10-02")],
        [mark("eng", MP10, "B"), mark("alg", MP5, "B"), mark("alg", MP10, "D")],
        MP10, [("eng", ("", "B")), ("alg", ("B", "D"))],
        id="dropped-during-the-period-with-a-mark"),
    pytest.param(
        [entry("eng"), entry("alg", end="2026-10-02")],
        [mark("eng", MP10, "B"), mark("alg", MP5, "B")],
        MP10, [("eng", ("", "B"))],
        id="dropped-during-the-period-without-a-mark"),
    pytest.param(
        [entry("eng", "2026-10-05"), entry("alg", "2026-10-05")],
        [mark("eng", MP10, "B")],
        MP10, [("eng", ("", "B")), ("alg", ("", ""))],
        id="transferred-in-mid-period"),
    pytest.param(
        [entry("eng", "2026-10-21"), entry("alg", "2026-10-21")],
        [mark("eng", MP15, "B")],
        MP10, [],
        id="transferred-in-after-the-period"),
    pytest.param(
        [entry("eng", "2026-10-21"), entry("alg", "2026-10-21")],
        [mark("eng", MP15, "B")],
        MP15, [("eng", ("", "", "B")), ("alg", ("", "", ""))],
        id="transferred-in-on-the-next-card"),
    pytest.param(
        [entry("eng"), entry("art"), entry("hlth-s", SPRING.start_date)],
        [mark("eng", MP10, "A"), mark("art", MP10, "B")],
        MP10, [("eng", ("", "A")), ("art", ("", "B"))],
        id="spring-semester-course-not-on-a-fall-card"),
    pytest.param(
        [entry("eng"), entry("art"), entry("hlth-s", SPRING.start_date)],
        [mark("eng", MP20, "B"), mark("art", MP20, "A"), mark("eng", SMP5, "A"),
         mark("hlth-s", SMP5, "C")],
        SMP5, [("eng", ("A",)), ("hlth-s", ("C",))],
        id="year-long-course-on-a-spring-card"),
    pytest.param(
        [entry("eng"), entry("art")],
        [mark("eng", MP20, "B"), mark("art", MP15, "A"), mark("art", MP20, "A")],
        MP20, [("eng", ("", "", "", "B")), ("art", ("", "", "A", "A"))],
        id="fall-semester-course-on-the-semester-card"),
    pytest.param(
        [entry(s) for s in ("cs", "pe", "eng", "span", "art", "alg", "hist", "bio")],
        [mark(s, p, v) for s, v in zip(("eng", "alg", "bio", "hist", "span", "pe", "art", "cs"),
                                       "ABCDFABC", strict=True) for p in (MP5, MP10)],
        MP10, [(s, (v, v)) for s, v in zip(("eng", "alg", "bio", "hist", "span", "pe", "art",
                                            "cs"), "ABCDFABC", strict=True)],
        id="eight-courses-in-period-order"),
    pytest.param(
        [entry("eng", student=LONG_NAME_STUDENT), entry("aplit", student=LONG_NAME_STUDENT),
         entry("apcalc", student=LONG_NAME_STUDENT)],
        [mark("aplit", MP5, "A"), mark("aplit", MP10, "A"), mark("apcalc", MP10, "I"),
         mark("eng", MP10, "NM")],
        MP10, [("eng", ("", "NM")), ("aplit", ("A", "A")), ("apcalc", ("", "I"))],
        id="long-name-and-long-course-titles"),
    pytest.param(
        [entry("eng", end="2026-10-02"), entry("eng-b", "2026-10-05")],
        [mark("eng", MP5, "C"), mark("eng", MP10, "C"), mark("eng-b", MP10, "B")],
        MP10, [("eng", ("C", "C")), ("eng-b", ("", "B"))],
        id="swap-within-the-period-with-a-mark"),
    pytest.param(
        [entry("eng", end="2026-10-02"), entry("eng-b", "2026-10-05")],
        [mark("eng", MP5, "C"), mark("eng-b", MP10, "B")],
        MP10, [("eng-b", ("", "B"))],
        id="swap-within-the-period-without-a-mark"),
    pytest.param(
        [entry("eng"), entry("bio", end="2026-09-04")],
        [mark("eng", MP10, "A"), mark("bio", MP10, "B"), mark("hist", MP10, "C")],
        MP10, [("eng", ("", "A"))],
        id="mark-for-a-section-not-attended-in-the-period"),
    pytest.param(
        [entry("eng"), entry("alg", "2026-10-05", "2026-10-04")],  # added, then undone
        [mark("eng", MP10, "A"), mark("alg", MP10, "B")],
        MP10, [("eng", ("", "A"))],
        id="added-and-removed-before-the-first-day"),
    pytest.param(
        [entry("eng", end="2026-09-25"), entry("eng", "2026-10-07")],  # left, came back
        [mark("eng", MP10, "B")],
        MP10, [("eng", ("", "B"))],
        id="left-and-came-back-to-the-same-section"),
]


@pytest.mark.parametrize("entries,marks,period,expected", CASES)
def test_the_card_lists_exactly_the_classes_of_the_period_with_their_marks(
        entries, marks, period, expected):
    student = entries[0].student_id
    chosen = sections_on_card(catalog=CATALOG, entries=entries, marks=marks, period=period)
    assert chosen == [sid for sid, _ in expected]

    card = build_card(student_id=student, catalog=CATALOG, entries=entries, marks=marks,
                      period=period, term_periods=TERM_PERIODS, teachers=TEACHERS,
                      attendance={})
    assert card.periods[-1] == period
    assert [(line.section_id, line.marks) for line in card.lines] == expected
    assert [line.period for line in card.lines] == sorted(line.period for line in card.lines)


def test_a_class_kept_to_its_last_day_is_on_a_card_whose_period_ends_later():
    """A school whose semester marks fall due a week after the fall term's
    last day: the fall semester class the student never left is on the card."""
    due = MarkingPeriod("mp-f-20-due", FALL.id, "20-week semester report card", 20,
                        MP20.start_date, "2027-01-29", True)
    entries = [entry("eng"), entry("art"), entry("cs", end="2026-12-11")]
    marks = [mark("eng", due, "B")]

    assert sections_on_card(catalog=CATALOG, entries=entries, marks=marks, period=due) == [
        "eng", "art"]


def test_the_cards_columns_are_the_terms_marking_periods_up_to_the_card():
    entries = [entry("eng")]
    card = build_card(student_id=STUDENT, catalog=CATALOG, entries=entries,
                      marks=[mark("eng", MP15, "B")], period=MP15, term_periods=TERM_PERIODS,
                      teachers=TEACHERS, attendance={})
    assert [p.week for p in card.periods] == [5, 10, 15]
    spring = build_card(student_id=STUDENT, catalog=CATALOG, entries=entries,
                        marks=[mark("eng", MP20, "B")], period=SMP10,
                        term_periods=TERM_PERIODS, teachers=TEACHERS, attendance={})
    assert [(p.term_id, p.week) for p in spring.periods] == [(SPRING.id, 5), (SPRING.id, 10)]
    # The fall's semester mark is not a spring column.
    assert spring.lines[0].marks == ("", "")


def test_long_titles_and_names_reach_the_card_whole():
    entries = [entry(s, student=LONG_NAME_STUDENT) for s in ("aplit", "apcalc", "eng")]
    marks = [mark("aplit", MP10, "A", work_habits="E", cooperation="S", comments="01 09"),
             mark("apcalc", MP10, "B")]
    card = build_card(student_id=LONG_NAME_STUDENT, catalog=CATALOG, entries=entries,
                      marks=marks, period=MP10, term_periods=TERM_PERIODS, teachers=TEACHERS,
                      attendance={"aplit": (2, 1), "apcalc": (0, 3)})

    assert card.student_id == LONG_NAME_STUDENT
    by_section = {line.section_id: line for line in card.lines}
    assert [line.section_id for line in card.lines] == ["eng", "aplit", "apcalc"]
    assert (by_section["aplit"].course_code, by_section["aplit"].course_title) == (
        "APLIT", LONG_LIT)
    assert by_section["apcalc"].course_title == LONG_CALC
    assert by_section["aplit"].teacher == TEACHERS["stf-0313"]
    assert (by_section["aplit"].work_habits, by_section["aplit"].cooperation,
            by_section["aplit"].comments) == ("E", "S", ("01", "09"))
    assert (by_section["eng"].marks, by_section["eng"].work_habits,
            by_section["eng"].comments) == (("", ""), "", ())
    assert (card.gpa, card.absences, card.tardies) == (3.5, 2, 4)


def test_a_section_left_with_a_mark_counts_in_the_term_gpa():
    entries = [entry("eng"), entry("alg", end="2026-10-02")]
    marks = [mark("eng", MP10, "A"), mark("alg", MP10, "F")]
    card = build_card(student_id=STUDENT, catalog=CATALOG, entries=entries, marks=marks,
                      period=MP10, term_periods=TERM_PERIODS, teachers=TEACHERS, attendance={})
    assert card.gpa == 2.0
    # Incomplete and no mark are on the card but not in the GPA.
    marks = [mark("eng", MP10, "A"), mark("alg", MP10, "I")]
    card = build_card(student_id=STUDENT, catalog=CATALOG, entries=entries, marks=marks,
                      period=MP10, term_periods=TERM_PERIODS, teachers=TEACHERS, attendance={})
    assert [line.marks[-1] for line in card.lines] == ["A", "I"] and card.gpa == 4.0
