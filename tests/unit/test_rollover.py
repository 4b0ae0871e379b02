"""The semester rollover's plan (`domain.scheduling.plan_rollover`) on a
hand-built school: who moves where, who can't be placed and why, and that
a plan made after carrying one out is empty."""
from __future__ import annotations

from domain.scheduling import (
    Catalog,
    Course,
    Entry,
    Incomplete,
    Requirement,
    RolloverPlan,
    Section,
    Term,
    incomplete_after,
    next_term,
    plan_rollover,
    rollover_entry_id,
)

FALL = Term("t-fall", "sy-2026", "Fall 2026", 1, "2026-08-10", "2027-01-29")
SPRING = Term("t-spring", "sy-2026", "Spring 2027", 2, "2027-02-01", "2027-06-11")
NEXT_FALL = Term("t-fall-27", "sy-2027", "Fall 2027", 1, "2027-08-09", "2028-01-28")

COURSES = {c.id: c for c in (
    Course("c-eng", "ENG10", "English 10", "English", "year", 10, 10),
    Course("c-hlth", "HLTH", "Health", "Physical Education", "semester", 9, 12),
    Course("c-ethst", "ETHST", "Ethnic Studies", "Social Studies", "semester", 9, 12),
    Course("c-art", "ART1", "Art 1", "Visual and Performing Arts", "semester", 9, 12),
    Course("c-pad", "PAD", "Principles of American Democracy", "Social Studies", "semester",
           12, 12),
    Course("c-psych", "PSYCH", "Psychology", "Social Studies", "semester", 11, 12),
)}


def _section(id: str, course: str, term: Term, period: int, teacher: str, cap: int = 40
             ) -> Section:
    return Section(id, course, term.id, id[-4:], period, f"R-{teacher}", teacher, cap)


SECTIONS = {s.id: s for s in (
    _section("eng-0001", "c-eng", FALL, 1, "stf-eng"),
    _section("hlth-0003", "c-hlth", FALL, 3, "stf-hlth"),
    # Health's spring twin: same period, teacher and room, the paired course; two seats.
    _section("ethst-0013", "c-ethst", SPRING, 3, "stf-hlth", cap=2),
    _section("art-0005", "c-art", FALL, 5, "stf-art"),
    _section("art-0015", "c-art", SPRING, 5, "stf-art"),
    # PAD's fall teacher teaches nothing in the spring; another teaches it in period 4.
    _section("pad-0004", "c-pad", FALL, 4, "stf-pad"),
    _section("pad-0014", "c-pad", SPRING, 4, "stf-other"),
    # Psychology in period 6 has no spring section at all.
    _section("psych-0006", "c-psych", FALL, 6, "stf-psych"),
    # Next school year's fall: never a target of this year's rollover.
    _section("hlth-0103", "c-hlth", NEXT_FALL, 3, "stf-hlth"),
)}


def catalog() -> Catalog:
    return Catalog(terms={t.id: t for t in (FALL, SPRING, NEXT_FALL)}, courses=COURSES,
                   sections=SECTIONS)


def e(student: str, section: str, begin: str = FALL.start_date, end: str | None = None
      ) -> Entry:
    return Entry(f"se-{student}-{section}", student, section, begin, end)


ENTRIES = [
    e("s1", "eng-0001"), e("s1", "hlth-0003"), e("s1", "art-0005"),
    e("s2", "eng-0001"), e("s2", "hlth-0003", end="2026-11-20"),  # dropped in November
    e("s2", "art-0005"),
    e("s3", "hlth-0003"),
    e("s4", "hlth-0003"),  # the third for Ethnic Studies' two seats
    e("s5", "eng-0001"),  # year-long only
    e("s6", "pad-0004"),
    e("s7", "psych-0006"),
    # s8 left the school in December: not enrolled on the term's last day
    e("s8", "hlth-0003", end="2026-12-11"),
    e("s8x", "art-0005"),  # enrolled elsewhere, an entry left open by mistake
    # s9's counselor already put them in a spring class in period 3
    e("s9", "hlth-0003"), e("s9", "ethst-0013", begin=SPRING.start_date),
]
ENROLLED = ["s1", "s2", "s3", "s4", "s5", "s6", "s7", "s9"]


def plan(entries: list[Entry]) -> RolloverPlan:
    return plan_rollover(catalog=catalog(), entries=entries, from_term=FALL, to_term=SPRING,
                         enrolled_students=ENROLLED)


def carried_out(entries: list[Entry], p: RolloverPlan) -> list[Entry]:
    """The entries after applying a plan, as the server writes them."""
    after = {x.id: x for x in entries}
    after.update({x.id: x for x in p.ends})
    after.update({x.id: x for x in p.adds})
    return list(after.values())


def where(p: RolloverPlan) -> dict[str, list[str]]:
    """student -> spring sections the plan puts them in."""
    out: dict[str, list[str]] = {}
    for a in p.adds:
        out.setdefault(a.student_id, []).append(a.section_id)
    return {s: sorted(v) for s, v in out.items()}


def test_the_next_term_follows_in_the_same_school_year():
    assert next_term(catalog(), FALL) == SPRING
    assert next_term(catalog(), SPRING) is None
    assert next_term(catalog(), NEXT_FALL) is None


def test_semester_classes_end_on_the_last_day_and_go_on_in_their_twin():
    p = plan(ENTRIES)
    ended = {(x.student_id, x.section_id): x for x in p.ends}
    assert set(ended) == {("s1", "hlth-0003"), ("s1", "art-0005"), ("s2", "art-0005"),
                          ("s3", "hlth-0003"), ("s4", "hlth-0003"), ("s6", "pad-0004"),
                          ("s7", "psych-0006"), ("s9", "hlth-0003")}
    assert {x.end_date for x in p.ends} == {FALL.end_date}
    assert all(x.begin_date == FALL.start_date for x in p.ends)  # only the end moves
    assert where(p) == {"s1": ["art-0015", "ethst-0013"], "s2": ["art-0015"],
                        "s6": ["pad-0014"]}
    assert {(x.begin_date, x.end_date) for x in p.adds} == {(SPRING.start_date, None)}
    s1_health = next(x for x in p.adds if x.section_id == "ethst-0013" and x.student_id == "s1")
    assert s1_health.id == rollover_entry_id("se-s1-hlth-0003", SPRING)
    assert p.students == {"s1", "s2", "s3", "s4", "s6", "s7", "s9"}
    assert p.changes == len(p.ends) + len(p.adds) == 8 + 4


def test_year_long_classes_are_carried_not_touched():
    p = plan(ENTRIES)
    assert p.carried == 3  # s1, s2 and s5 in English 10
    touched = {x.id for x in p.ends} | {x.id for x in p.adds}
    assert not any("eng-" in i for i in touched)
    assert "s5" not in p.students


def test_who_is_not_rolled():
    p = plan(ENTRIES)
    # s2 dropped Health in November; s8 left the school; s8x isn't enrolled.
    assert ("s2", "hlth-0003") not in {(x.student_id, x.section_id) for x in p.ends}
    assert "ethst-0013" not in where(p)["s2"]
    assert not {"s8", "s8x"} & p.students
    # s9 already has period 3 in the spring: their fall class ends, nothing is added.
    assert "s9" not in where(p)


def test_students_who_cant_be_placed_are_listed_with_the_reason():
    p = plan(ENTRIES)
    # Ethnic Studies has two seats: s9 holds one already, s1 (first in order) the other.
    assert p.unplaced == [
        ("s3", 3, "its next-term sections are full"),
        ("s4", 3, "its next-term sections are full"),
        ("s7", 6, "no Spring 2027 section follows it in period 6"),
    ]


def test_a_full_section_counts_who_is_already_in_it():
    p = plan(ENTRIES)
    seats = {s.id: s.capacity for s in SECTIONS.values()}
    after = carried_out(ENTRIES, p)
    in_spring = [x for x in after if SECTIONS[x.section_id].term_id == SPRING.id]
    for section_id in {x.section_id for x in in_spring}:
        assert sum(1 for x in in_spring if x.section_id == section_id) <= seats[section_id]
    # s9 was there first, s1 took the last seat, s3 and s4 wait for a counselor.
    assert sorted(x.student_id for x in in_spring if x.section_id == "ethst-0013") == ["s1", "s9"]
    assert [(s, why) for s, period, why in p.unplaced if period == 3] == [
        ("s3", "its next-term sections are full"), ("s4", "its next-term sections are full")]


def test_planning_again_after_carrying_it_out_changes_nothing():
    first = plan(ENTRIES)
    after = carried_out(ENTRIES, first)
    again = plan(after)
    assert again.ends == [] and again.adds == []
    assert again.changes == 0 and again.students == set()
    assert again.carried == first.carried
    # Those the first run couldn't place are still waiting, and still said so.
    assert again.unplaced == first.unplaced
    assert carried_out(after, again) == after


def test_incomplete_after_the_rollover():
    p = plan(ENTRIES)
    req = {10: Requirement(10, 1)}  # period 1 only: English 10
    students = {s: 10 for s in ENROLLED}
    found = incomplete_after(p, catalog=catalog(), entries=ENTRIES, students=students,
                             requirements=req)
    # Only those without year-long English are missing period 1 on the spring's first day.
    assert found == [Incomplete(s, 10, (1,)) for s in ("s3", "s4", "s6", "s7", "s9")]
    assert found == incomplete_after(p, catalog=catalog(), entries=carried_out(ENTRIES, p),
                                     students=students, requirements=req)
