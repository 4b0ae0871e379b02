"""The checks a counselor sees before saving a schedule change, and who has
no complete schedule on a day: `domain.scheduling` on a small hand-built
school (one school year, fall and spring, sections in periods 1..6)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from domain.scheduling import (
    BLOCK,
    OVERRIDE,
    WARN,
    Catalog,
    Course,
    Entry,
    Finding,
    Incomplete,
    PastMark,
    Requirement,
    Section,
    Term,
    blocking,
    check_change,
    needing_reason,
    students_without_complete_schedule,
)

FALL = Term("t-fall", "sy-2026", "Fall 2026", 1, "2026-08-10", "2027-01-29")
SPRING = Term("t-spring", "sy-2026", "Spring 2027", 2, "2027-02-01", "2027-06-11")
ON = "2026-11-30"  # a Monday in the fall term
YESTERDAY, TOMORROW = "2026-11-29", "2026-12-01"
SPRING_DAY = "2027-02-08"

COURSES = {c.id: c for c in (
    Course("c-eng10", "ENG10", "English 10", "English", "year", 10, 10),
    Course("c-chem", "CHEM", "Chemistry", "Science", "year", 10, 12),
    Course("c-bio", "BIO", "Biology", "Science", "year", 9, 12),
    Course("c-geom", "GEOM", "Geometry", "Mathematics", "year", 9, 12),
    Course("c-whist", "WHIST", "World History", "Social Studies", "year", 10, 10),
    Course("c-hlth", "HLTH", "Health", "Physical Education", "semester", 9, 12),
    Course("c-ethst", "ETHST", "Ethnic Studies", "Social Studies", "semester", 9, 12),
    Course("c-art", "ART1", "Art 1", "Visual and Performing Arts", "semester", 9, 12),
    Course("c-pe", "PE", "Physical Education", "Physical Education", "year", 9, 12),
)}


def _section(id: str, course: str, term: Term, number: str, period: int, cap: int = 34
             ) -> Section:
    return Section(id, course, term.id, number, period, f"R-{number}", f"stf-{number}", cap)


SECTIONS = {s.id: s for s in (
    _section("eng-1", "c-eng10", FALL, "0101", 1),
    _section("eng-4", "c-eng10", FALL, "0104", 4),
    _section("chem-2", "c-chem", FALL, "0202", 2, cap=30),
    _section("bio-2", "c-bio", FALL, "0212", 2),
    _section("geom-3", "c-geom", FALL, "0303", 3),
    _section("hlth-3", "c-hlth", FALL, "0403", 3, cap=40),
    _section("ethst-3s", "c-ethst", SPRING, "0413", 3, cap=40),  # the spring twin of hlth-3
    _section("hlth-5s", "c-hlth", SPRING, "0415", 5, cap=40),
    _section("whist-4", "c-whist", FALL, "0504", 4),
    _section("art-5", "c-art", FALL, "0605", 5),
    _section("pe-6", "c-pe", FALL, "0706", 6, cap=40),
)}


def catalog() -> Catalog:
    return Catalog(terms={FALL.id: FALL, SPRING.id: SPRING}, courses=COURSES,
                   sections=SECTIONS)


def entry(section_id: str, begin: str = FALL.start_date, end: str | None = None) -> Entry:
    """Student stu-1's time in a section (the entry id is the section's)."""
    return Entry(f"se-{section_id}", "stu-1", section_id, begin, end)


GRADE_10 = Requirement.parse(10, 6, "ENG10;BIO|CHEM;PE")


@dataclass
class Case:
    program: list[Entry]
    add: str | None = None
    drop: str | None = None  # a section id of the program
    on: str = ON
    grade: int = 10
    enrolled: int = 0
    history: list[PastMark] = field(default_factory=list)
    requirement: Requirement | None = None
    # (check, severity) in the order reported; the words the counselor looks for
    expect: list[tuple[str, str]] = field(default_factory=list)
    words: tuple[str, ...] = ()


def passed(*marks: tuple[str, str]) -> list[PastMark]:
    return [PastMark(year, "CHEM", mark) for year, mark in marks]


CASES = {
    # period_conflict: the same period while both classes meet
    "period-conflict": Case(
        [entry("hlth-3")], add="geom-3",
        expect=[("period_conflict", BLOCK)],
        words=("Period 3", "Health (section 0403)", FALL.end_date)),
    "period-conflict-on-the-other-class's-last-day": Case(
        [entry("hlth-3", end=ON)], add="geom-3",
        expect=[("period_conflict", BLOCK)], words=("Period 3", "Health", ON)),
    "period-free-once-the-other-class-ended": Case(
        [entry("hlth-3", end=YESTERDAY)], add="geom-3"),
    "period-free-the-other-class-is-next-semester": Case(
        [entry("ethst-3s", begin=SPRING.start_date)], add="hlth-3"),
    "period-free-the-other-class-was-last-semester": Case(
        [entry("hlth-3")], add="ethst-3s", on=SPRING_DAY),
    "year-long-class-meets-the-spring-class-in-its-period": Case(
        [entry("hlth-3", end=YESTERDAY), entry("ethst-3s", begin=SPRING.start_date)],
        add="geom-3", expect=[("period_conflict", BLOCK)],
        words=("Period 3", "Ethnic Studies (section 0413)")),
    # already_taking: another section of a course the student is in
    "already-taking": Case(
        [entry("eng-1")], add="eng-4", expect=[("already_taking", BLOCK)],
        words=("English 10 (section 0101)", "period 1", "swap")),
    "taking-again-after-dropping-it": Case(
        [entry("eng-1", end=YESTERDAY)], add="eng-4"),
    # section_full: at capacity, and not one below
    "section-full": Case(
        [], add="eng-4", enrolled=34, expect=[("section_full", OVERRIDE)],
        words=("English 10 (section 0104)", "full", "34 of 34", "reason")),
    "section-over-capacity": Case(
        [], add="chem-2", enrolled=31, expect=[("section_full", OVERRIDE)],
        words=("Chemistry (section 0202)", "31 of 30")),
    "section-one-seat-left": Case([], add="eng-4", enrolled=33),
    # course_passed: C or better in the latest year the course was taken
    "passed-with-an-A": Case(
        [], add="chem-2", grade=11, history=passed(("2025-2026", "A")),
        expect=[("course_passed", OVERRIDE)],
        words=("Chemistry", "an A", "2025-2026", "reason")),
    "passed-with-a-B": Case(
        [], add="chem-2", grade=11, history=passed(("2025-2026", "B"), ("2025-2026", "B")),
        expect=[("course_passed", OVERRIDE)], words=("Chemistry", "a B")),
    "passed-with-a-C-the-lowest-mark-named": Case(
        [], add="chem-2", grade=11, history=passed(("2025-2026", "A"), ("2025-2026", "C")),
        expect=[("course_passed", OVERRIDE)], words=("a C", "2025-2026")),
    "passed-on-the-retake": Case(
        [], add="chem-2", grade=12,
        history=passed(("2024-2025", "F"), ("2024-2025", "F"), ("2025-2026", "C")),
        expect=[("course_passed", OVERRIDE)], words=("a C", "2025-2026")),
    "latest-year-has-a-D": Case(
        [], add="chem-2", grade=11, history=passed(("2025-2026", "B"), ("2025-2026", "D"))),
    "latest-year-has-an-F-after-an-earlier-A": Case(
        [], add="chem-2", grade=12, history=passed(("2024-2025", "A"), ("2025-2026", "F"))),
    "passed-another-course": Case(
        [], add="chem-2", grade=11, history=[PastMark("2025-2026", "BIO", "A")]),
    # grade_level: below and above the course's grades
    "grade-below": Case(
        [], add="eng-4", grade=9, expect=[("grade_level", OVERRIDE)],
        words=("English 10 is for grade 10", "grade 9", "reason")),
    "grade-above": Case(
        [], add="eng-4", grade=11, expect=[("grade_level", OVERRIDE)],
        words=("English 10 is for grade 10", "grade 11")),
    "grade-below-a-range": Case(
        [], add="chem-2", grade=9, expect=[("grade_level", OVERRIDE)],
        words=("Chemistry is for grades 10–12", "grade 9")),
    "grade-at-the-top-of-the-range": Case([], add="chem-2", grade=12),
    # term_mismatch: a section that doesn't meet on the day it would begin
    "spring-section-on-a-fall-day": Case(
        [], add="hlth-5s", expect=[("term_mismatch", BLOCK)],
        words=("Health (section 0415)", "Spring 2027", ON)),
    "fall-semester-section-after-the-fall-ended": Case(
        [], add="art-5", on=SPRING_DAY, expect=[("term_mismatch", BLOCK)],
        words=("Art 1 (section 0605)", "Fall 2026", FALL.end_date, SPRING_DAY)),
    "year-long-section-joined-in-the-spring": Case([], add="geom-3", on=SPRING_DAY),
    "swap-year-long-for-semester": Case(
        [entry("geom-3")], drop="geom-3", add="hlth-3",
        expect=[("term_mismatch", WARN)], words=("Geometry", "Health", "period 3")),
    "swap-semester-for-year-long": Case(
        [entry("hlth-3")], drop="hlth-3", add="geom-3",
        expect=[("term_mismatch", WARN)], words=("Health", "Geometry", "period 3")),
    "swap-between-sections-of-a-course": Case([entry("eng-1")], drop="eng-1", add="eng-4"),
    # required_missing: the program no longer has a course the grade requires
    "drop-the-only-English": Case(
        [entry("eng-1"), entry("chem-2"), entry("pe-6")], drop="eng-1", requirement=GRADE_10,
        expect=[("required_missing", WARN)], words=("Grade 10 requires English 10",)),
    "drop-the-only-science-names-each-choice": Case(
        [entry("eng-1"), entry("chem-2"), entry("pe-6")], drop="chem-2", requirement=GRADE_10,
        expect=[("required_missing", WARN)], words=("Biology or Chemistry",)),
    "drop-an-elective": Case(
        [entry("eng-1"), entry("chem-2"), entry("pe-6"), entry("art-5")], drop="art-5",
        requirement=GRADE_10),
    "swap-English-for-English": Case(
        [entry("eng-1"), entry("chem-2"), entry("pe-6")], drop="eng-1", add="eng-4",
        requirement=GRADE_10),
    "swap-Chemistry-for-Biology": Case(
        [entry("eng-1"), entry("chem-2"), entry("pe-6")], drop="chem-2", add="bio-2",
        requirement=GRADE_10),
    # date_order: a drop dated before the class began
    "drop-before-the-class-began": Case(
        [entry("eng-4", begin=TOMORROW)], drop="eng-4", expect=[("date_order", BLOCK)],
        words=(ON, TOMORROW)),
    "drop-on-the-day-the-class-began": Case([entry("eng-4", begin=ON)], drop="eng-4"),
}


def run(case: Case) -> list[Finding]:
    cat = catalog()
    drop = next((e for e in case.program if e.section_id == case.drop), None)
    assert (drop is None) == (case.drop is None)
    return check_change(catalog=cat, program=case.program, grade_level=case.grade, on=case.on,
                        add=SECTIONS[case.add] if case.add else None, drop=drop,
                        enrolled_in_add=case.enrolled, history=case.history,
                        requirement=case.requirement)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_check_change(case):
    findings = run(case)
    assert [(f.check, f.severity) for f in findings] == case.expect, findings
    text = " ".join(f.message for f in findings)
    for word in case.words:
        assert word in text, (word, text)


def test_a_blocked_add_says_every_reason_at_once():
    # Grade 9, Chemistry in the period of Health, section full, passed last year.
    findings = run(Case([entry("hlth-3"), entry("geom-3", end=YESTERDAY)], add="chem-2",
                        grade=9, enrolled=30, history=passed(("2025-2026", "B"))))
    assert sorted(f.check for f in findings) == ["course_passed", "grade_level", "section_full"]
    assert blocking(findings) == []
    assert len(needing_reason(findings)) == 3
    blocked = run(Case([entry("geom-3")], add="hlth-3", enrolled=40))
    assert [f.check for f in blocking(blocked)] == ["period_conflict"]
    assert [f.check for f in needing_reason(blocked)] == ["section_full"]


def test_requirement_text_parses_groups_and_choices():
    req = Requirement.parse(10, 6, " ENG10 ; ALG1|GEOM ;; PE ")
    assert req.required_periods == 6
    assert req.required_groups == (frozenset({"ENG10"}), frozenset({"ALG1", "GEOM"}),
                                   frozenset({"PE"}))
    assert Requirement.parse(9, 6, None).required_groups == ()


# ------------------------------------------------------ complete schedules

FULL_DAY = ("eng-1", "chem-2", "hlth-3", "whist-4", "art-5", "pe-6")


def program(student_id: str, section_ids, **changed: tuple[str, str | None]) -> list[Entry]:
    """A student's entries from the fall's first day; `changed` gives a
    section its own (begin, end)."""
    out = []
    for sid in section_ids:
        begin, end = changed.get(sid, (FALL.start_date, None))
        out.append(Entry(f"se-{student_id}-{sid}", student_id, sid, begin, end))
    return out


def test_students_without_complete_schedule():
    students = {"complete": 10, "five-periods": 10, "gap": 10, "ended-yesterday": 10,
                "begins-tomorrow": 10, "dropped-today": 10, "spring-class-only": 10,
                "nothing": 10, "no-requirement": 8}
    entries = (
        program("complete", FULL_DAY)
        + program("five-periods", FULL_DAY[:5])
        + program("gap", [s for s in FULL_DAY if s != "hlth-3"])
        + program("ended-yesterday", FULL_DAY, **{"hlth-3": (FALL.start_date, YESTERDAY)})
        + program("begins-tomorrow", FULL_DAY, **{"pe-6": (TOMORROW, None)})
        + program("dropped-today", FULL_DAY, **{"art-5": (FALL.start_date, ON)})
        + program("spring-class-only", [s for s in FULL_DAY if s != "hlth-3"] + ["ethst-3s"],
                  **{"ethst-3s": (SPRING.start_date, None)})
        + program("no-requirement", FULL_DAY[:2])
        # withdrawn: not enrolled on the day, so not in `students`
        + program("withdrawn", FULL_DAY[:3], **{s: (FALL.start_date, YESTERDAY)
                                                 for s in FULL_DAY[:3]}))
    found = students_without_complete_schedule(
        catalog=catalog(), students=students, entries=entries, day=ON,
        requirements={10: GRADE_10})
    assert found == [
        Incomplete("five-periods", 10, (6,)),
        Incomplete("gap", 10, (3,)),
        Incomplete("ended-yesterday", 10, (3,)),
        Incomplete("begins-tomorrow", 10, (6,)),
        Incomplete("spring-class-only", 10, (3,)),
        Incomplete("nothing", 10, (1, 2, 3, 4, 5, 6)),
    ]


def test_semester_classes_end_with_their_term():
    """On the spring's first day a fall semester class is over (its end
    date still empty); its spring twin and year-long classes carry on."""
    students = {"rolled": 10, "not-rolled": 10}
    entries = (program("rolled", FULL_DAY, **{"hlth-3": (FALL.start_date, FALL.end_date),
                                              "art-5": (FALL.start_date, FALL.end_date)})
               + program("rolled", ["ethst-3s", "hlth-5s"],
                         **{"ethst-3s": (SPRING.start_date, None),
                            "hlth-5s": (SPRING.start_date, None)})
               + program("not-rolled", FULL_DAY))
    found = students_without_complete_schedule(
        catalog=catalog(), students=students, entries=entries, day=SPRING.start_date,
        requirements={10: GRADE_10})
    assert found == [Incomplete("not-rolled", 10, (3, 5))]


# ------------------------------------- the cache's count against plain SQL

# Palisade Ridge High as generate_district(size="demo") makes it: 5,000 students.
PALISADE = dict(id="sch-1004", code="1004", name="Palisade Ridge High School", level="high",
                students=5000)

_INCOMPLETE_SQL = """
WITH year_end AS (
    SELECT school_year_id, max(end_date) AS end_date FROM terms GROUP BY school_year_id),
meets AS (  -- the days each section meets: a year-long one to the end of its year
    SELECT sec.id AS section_id, sec.period, t.start_date AS first_day,
           CASE WHEN c.duration = 'year' THEN y.end_date ELSE t.end_date END AS last_day
    FROM sections sec
    JOIN terms t ON t.id = sec.term_id
    JOIN courses c ON c.id = sec.course_id
    JOIN year_end y ON y.school_year_id = t.school_year_id),
enrolled AS (
    SELECT student_id, grade_level FROM school_enrollments
    WHERE entry_date <= :day AND (exit_date IS NULL OR exit_date >= :day)),
taken AS (
    SELECT DISTINCT e.student_id, m.period
    FROM section_enrollments e JOIN meets m ON m.section_id = e.section_id
    WHERE e.begin_date <= :day AND (e.end_date IS NULL OR e.end_date >= :day)
      AND m.first_day <= :day AND m.last_day >= :day)
SELECT en.student_id
FROM enrolled en
JOIN grade_requirements r ON r.grade_level = en.grade_level
LEFT JOIN taken tk ON tk.student_id = en.student_id
                  AND tk.period BETWEEN 1 AND r.required_periods
GROUP BY en.student_id, r.required_periods
HAVING count(DISTINCT tk.period) < r.required_periods
"""


@pytest.fixture(scope="module")
def palisade_store(tmp_path_factory):
    import datetime as dt

    from district_server.demo import generate_school
    from domain.records import KINDS_BY_NAME, LOAD_ORDER
    from local_store.store import LocalStore

    school = generate_school(2026 * 10_000 + 1004, as_of=dt.date.today(), **PALISADE)
    store = LocalStore(tmp_path_factory.mktemp("palisade") / "cache.db")
    # As a bootstrap loads it (tests/gui/conftest.py load_school), without Qt.
    store.load_snapshot(1, [(kind, list(KINDS_BY_NAME[kind].wire_columns),
                             [[row[0], 1, *row[1:]] for row in school.records.get(kind, [])])
                            for kind in LOAD_ORDER], school_id=school.id)
    yield store
    store.close()


def _days_to_check(store) -> dict[str, str]:
    """Days of this school year where the rules differ: from the store's terms."""
    import datetime as dt

    from local_store.scheduling.catalog import terms

    today = dt.date.today().isoformat()
    this_year = next(t for t in terms(store) if t.start_date <= today <= t.end_date)
    fall, spring = sorted((t for t in terms(store) if t.school_year_id == this_year.school_year_id),
                          key=lambda t: t.sequence)
    return {"today": today, "first-day": fall.start_date, "fall-last-day": fall.end_date,
            "spring-first-day": spring.start_date, "last-day": spring.end_date}


@pytest.mark.parametrize("which", ["today", "first-day", "fall-last-day", "spring-first-day",
                                   "last-day"])
def test_incomplete_count_matches_plain_sql(palisade_store, which):
    from local_store.scheduling.incomplete import students_without_complete_schedule_on

    day = _days_to_check(palisade_store)[which]
    rows = students_without_complete_schedule_on(palisade_store, on=day)
    with palisade_store.read() as conn:
        expected = {r[0] for r in conn.exec_driver_sql(
            _INCOMPLETE_SQL.replace(":day", "?"), (day,) * _INCOMPLETE_SQL.count(":day"))}
    assert len(rows) == len(expected)
    assert {r.student_id for r in rows} == expected
    if which == "today":  # the demo leaves about 3% of schedules short
        assert 0.01 * 5000 < len(rows) < 0.06 * 5000
    if which == "spring-first-day":  # nobody rolled yet: every semester class is over
        assert len(rows) > 0.5 * 5000
