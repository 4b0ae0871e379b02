"""Course requests to next year's schedules: the tally, the master schedule and the loader."""
from __future__ import annotations

import collections
import datetime as dt
import random
import time

import pytest

from district_server.demo import generate_district, generate_school
from district_server.demo.courses import HIGH_COURSES
from domain.loader import (
    CourseInfo,
    LoadResult,
    OpenSection,
    Request,
    load_requests,
    tally_requests,
)
from domain.records import kind
from domain.section_planner import plan_sections

FALL, SPRING, YEAR = frozenset({1}), frozenset({2}), frozenset({1, 2})

COURSES = {f"crs-1004-{code}": CourseInfo(f"crs-1004-{code}", code, title, dept, duration, lo, hi)
           for code, title, dept, _area, duration, lo, hi in HIGH_COURSES}
ID = {info.code: cid for cid, info in COURSES.items()}


def section(sec_id, code, period, terms=YEAR, capacity=30, enrolled=0):
    return OpenSection(sec_id, ID[code], period, terms, capacity, enrolled)


def wants(student, grade, *codes):
    return [Request(student, grade, ID[code], rank) for rank, code in enumerate(codes, 1)]


def placed(result: LoadResult, student="s1"):
    """Course code -> section id for one student."""
    return {COURSES[p.course_id].code: p.section_id
            for p in result.placements if p.student_id == student}


def reasons(result: LoadResult, student="s1"):
    return {COURSES[u.course_id].code: u.reason for u in result.unfilled if u.student_id == student}


# --- one student's schedule

SCHEDULE_CASES = [
    # id, sections, requests (rank order), expected course -> section
    ("augment-moves-the-first-course",
     [section("alg-1", "ALG1", 1), section("alg-2", "ALG1", 2), section("bio-1", "BIO", 1)],
     ("ALG1", "BIO"), {"ALG1": "alg-2", "BIO": "bio-1"}),
    ("augment-along-a-chain",
     [section("alg-1", "ALG1", 1), section("alg-2", "ALG1", 2), section("bio-2", "BIO", 2),
      section("bio-3", "BIO", 3), section("art-1", "ART1", 1)],
     ("ALG1", "BIO", "ART1"), {"ALG1": "alg-2", "BIO": "bio-3", "ART1": "art-1"}),
    ("fall-and-spring-share-a-period",
     [section("hlth-3", "HLTH", 3, FALL), section("eth-3", "ETHST", 3, SPRING)],
     ("HLTH", "ETHST"), {"HLTH": "hlth-3", "ETHST": "eth-3"}),
    ("year-course-moves-a-semester-course-away",
     [section("hlth-1", "HLTH", 1, FALL), section("hlth-2", "HLTH", 2, FALL),
      section("eth-2", "ETHST", 2, SPRING), section("eng-1", "ENG9", 1)],
     ("HLTH", "ETHST", "ENG9"), {"HLTH": "hlth-2", "ETHST": "eth-2", "ENG9": "eng-1"}),
    ("re-arranging-when-augmenting-falls-short",
     [section("hlth-2", "HLTH", 2, FALL), section("eth-1", "ETHST", 1, SPRING),
      section("eth-2", "ETHST", 2, SPRING), section("eng-2", "ENG9", 2),
      section("eng-1", "ENG9", 1, enrolled=5)],
     ("HLTH", "ETHST", "ENG9"), {"HLTH": "hlth-2", "ETHST": "eth-2", "ENG9": "eng-1"}),
    ("the-more-important-request-keeps-the-period",
     [section("art-4", "ART1", 4), section("bio-4", "BIO", 4)],
     ("BIO", "ART1"), {"BIO": "bio-4"}),
    ("a-year-course-is-not-given-up-for-two-semester-courses",
     [section("eng-1", "ENG9", 1), section("hlth-1", "HLTH", 1, FALL),
      section("eth-1", "ETHST", 1, SPRING)],
     ("ENG9", "HLTH", "ETHST"), {"ENG9": "eng-1"}),
]


@pytest.mark.parametrize("sections, codes, expected",
                         [c[1:] for c in SCHEDULE_CASES], ids=[c[0] for c in SCHEDULE_CASES])
def test_one_students_schedule(sections, codes, expected):
    result = load_requests(wants("s1", 9, *codes), sections, COURSES)
    assert placed(result) == expected


UNFILLED_CASES = [
    # id, sections, requests, course left unplaced, its reason
    ("section-full", [section("alg-1", "ALG1", 1, capacity=30, enrolled=30),
                      section("alg-2", "ALG1", 2, capacity=28, enrolled=28)],
     ("ALG1",), "ALG1", "every section of Algebra 1 is full"),
    ("not-offered", [section("alg-1", "ALG1", 1)], ("ALG1", "FREN1"), "FREN1",
     "no section of French 1 is offered"),
    ("grade-range", [section("chem-1", "CHEM", 1)], ("CHEM",), "CHEM",
     "Chemistry is for grades 10–12; the student will be in grade 9"),
    ("single-grade", [section("eng10-1", "ENG10", 1)], ("ENG10",), "ENG10",
     "English 10 is for grade 10; the student will be in grade 9"),
    ("year-and-semester-in-one-period-conflict",
     [section("eng-3", "ENG9", 3), section("hlth-3", "HLTH", 3, FALL)], ("ENG9", "HLTH"), "HLTH",
     "every open section of Health meets in a period the student already has (period 3)"),
    ("two-periods-both-taken",
     [section("eng-2", "ENG9", 2), section("alg-5", "ALG1", 5), section("bio-2", "BIO", 2),
      section("bio-5", "BIO", 5)], ("ENG9", "ALG1", "BIO"), "BIO",
     "every open section of Biology meets in a period the student already has (periods 2, 5)"),
]


@pytest.mark.parametrize("sections, codes, code, reason",
                         [c[1:] for c in UNFILLED_CASES], ids=[c[0] for c in UNFILLED_CASES])
def test_a_request_left_unplaced_says_why(sections, codes, code, reason):
    result = load_requests(wants("s1", 9, *codes), sections, COURSES)
    assert reasons(result) == {code: reason}
    assert len(placed(result)) == len(codes) - 1
    assert result.placed_pct == pytest.approx(100 * (len(codes) - 1) / len(codes))


def test_a_course_requested_twice_is_placed_once():
    requests = wants("s1", 9, "ALG1", "ALG1")
    result = load_requests(requests, [section("alg-1", "ALG1", 1), section("alg-2", "ALG1", 2)],
                           COURSES)
    assert len(result.placements) == 1 and not result.unfilled


# --- many students

def test_no_section_goes_over_capacity_and_the_rest_are_told_it_is_full():
    sections = [section("art-1", "ART1", 1, capacity=3), section("art-2", "ART1", 2, capacity=4,
                                                                  enrolled=2)]
    requests = [r for k in range(10) for r in wants(f"s{k}", 10, "ART1")]
    result = load_requests(requests, sections, COURSES)
    assert result.section_counts == {"art-1": 3, "art-2": 4}
    assert len(result.placements) == 5
    assert [u.reason for u in result.unfilled] == ["every section of Art 1 is full"] * 5


@pytest.mark.parametrize("students, enrolled, expected", [
    (25, (0, 0), {"bio-1": 13, "bio-2": 12}),
    (24, (6, 0), {"bio-1": 15, "bio-2": 15}),
    (7, (0, 0), {"bio-1": 4, "bio-2": 3}),
])
def test_class_sizes_stay_even(students, enrolled, expected):
    sections = [section("bio-1", "BIO", 1, enrolled=enrolled[0]),
                section("bio-2", "BIO", 2, enrolled=enrolled[1])]
    requests = [r for k in range(students) for r in wants(f"s{k:02d}", 9, "BIO")]
    assert load_requests(requests, sections, COURSES).section_counts == expected


def test_the_student_with_fewer_choices_is_loaded_first():
    # "a" would take the emptier Art section in period 2 -- the only one "b" can use.
    sections = [section("art-1", "ART1", 1, capacity=2, enrolled=1),
                section("art-2", "ART1", 2, capacity=1), section("alg-1", "ALG1", 1)]
    requests = wants("a", 10, "ART1") + wants("b", 10, "ART1", "ALG1")
    result = load_requests(requests, sections, COURSES)
    assert not result.unfilled
    assert placed(result, "a") == {"ART1": "art-1"}
    assert placed(result, "b") == {"ART1": "art-2", "ALG1": "alg-1"}


def test_the_same_seed_loads_the_same_way():
    sections = [section("bio-1", "BIO", 1, capacity=5), section("alg-1", "ALG1", 1, capacity=5)]
    requests = [r for k in range(8) for r in wants(f"s{k}", 9, *random.Random(k).sample(
        ["BIO", "ALG1"], 2))]
    first = load_requests(requests, sections, COURSES, seed=3)
    assert load_requests(requests, sections, COURSES, seed=3) == first


# --- tally and master schedule

def test_tally_counts_students_by_grade_and_the_sections_they_need():
    requests = (wants("a", 9, "ALG1", "HLTH") + wants("b", 10, "ALG1") + wants("c", 11, "ALG1")
                + wants("d", 9, "CHEM") + wants("a", 9, "ALG1"))  # twice by "a", CHEM too young
    rows = {t.code: t for t in tally_requests(requests, COURSES, target_size=2)}
    assert (rows["ALG1"].students, rows["ALG1"].by_grade, rows["ALG1"].sections_needed) == (
        3, {9: 1, 10: 1, 11: 1}, 2)
    assert (rows["CHEM"].students, rows["CHEM"].sections_needed) == (0, 0)
    order = [(t.department, t.code) for t in tally_requests(requests, COURSES, 2)]
    assert order == sorted(order) and len(order) == len(COURSES)


def test_plan_gives_each_course_enough_sections_in_distinct_periods():
    requests = [r for k in range(100) for r in wants(f"s{k}", 9, "ENG9", "BIO")]
    requests += [r for k in range(10) for r in wants(f"t{k}", 10, "ART1")]
    plan = plan_sections(requests, COURSES, range(1, 8), target_size=34, capacity=38)
    per_course = collections.defaultdict(list)
    for s in plan:
        per_course[COURSES[s.course_id].code].append(s.period)
    assert {c: len(ps) for c, ps in per_course.items()} == {"ENG9": 3, "BIO": 3, "ART1": 1}
    assert all(len(set(ps)) == len(ps) for ps in per_course.values())
    assert {s.capacity for s in plan} == {38} and {s.terms for s in plan} == {YEAR}
    # Ninth graders need both courses: the plan keeps them out of each other's periods.
    assert not set(per_course["ENG9"]) & set(per_course["BIO"])


def test_plan_puts_a_semester_pair_in_the_same_periods_fall_then_spring():
    requests = [r for k in range(60) for r in wants(f"s{k}", 9, "HLTH", "ETHST")]
    requests += [r for k in range(10) for r in wants(f"t{k}", 9, "ETHST")]
    plan = plan_sections(requests, COURSES, range(1, 8), target_size=34)
    health = {s.period for s in plan if s.course_id == ID["HLTH"]}
    ethnic = {s.period for s in plan if s.course_id == ID["ETHST"]}
    assert len(health) == 2 and len(ethnic) == 3 and health < ethnic
    assert {s.terms for s in plan if s.course_id == ID["HLTH"]} == {FALL}
    assert {s.terms for s in plan if s.course_id == ID["ETHST"]} == {SPRING}
    sections = [p.open_section(f"sec-{k}") for k, p in enumerate(plan)]
    result = load_requests(requests, sections, COURSES)
    assert result.placed_pct == 100
    by_id = {s.id: s for s in sections}
    for sid in (f"s{k}" for k in range(60)):
        mine = [by_id[p.section_id] for p in result.placements if p.student_id == sid]
        assert len({s.period for s in mine}) == 1  # Health in fall, Ethnic Studies in spring


def test_the_same_seed_plans_the_same_schedule():
    requests = high_school(300, seed=5)
    assert (plan_sections(requests, COURSES, range(1, 8), seed=1)
            == plan_sections(requests, COURSES, range(1, 8), seed=1))


# --- a high school of 5,000

MATH = {9: {"ALG1": 65, "GEOM": 35}, 10: {"GEOM": 60, "ALG2": 35, "ALG1": 5},
        11: {"ALG2": 55, "PRECALC": 35, "STATS": 10},
        12: {"PRECALC": 35, "CALCAB": 25, "STATS": 25, "ALG2": 15}}
SCIENCE = {9: {"BIO": 1}, 10: {"CHEM": 65, "BIO": 35}, 11: {"PHYS": 40, "CHEM": 35, "ENVSCI": 25}}
SOCIAL = {9: ("ETHST", "HLTH"), 10: ("WHIST",), 11: ("USHIST",), 12: ("PAD", "ECON")}
ELECTIVES = {"SPAN1": 12, "SPAN2": 9, "SPAN3": 4, "FREN1": 3, "FREN2": 1, "ART1": 7, "CERAM": 3,
             "MUSIC": 3, "DRAMA": 2, "TEAMSP": 7, "CSP": 4, "ROBOT": 3, "CULIN": 3, "JOURN": 0.5,
             "YEARBK": 0.5, "PSYCH": 3, "SOCIO": 2}


def _pick(rng, weights):
    return rng.choices(list(weights), list(weights.values()))[0]


def high_school(students, seed=2026, per_student=7):
    """Requests as a counselor collects them: the required courses first, then electives."""
    rng = random.Random(seed)
    requests = []
    for k in range(students):
        g = rng.choices((9, 10, 11, 12), (27, 25, 24, 24))[0]
        want = [f"ENG{g}", _pick(rng, MATH[g])]
        want += [_pick(rng, SCIENCE[g])] if g in SCIENCE else []
        want += list(SOCIAL[g]) + (["PE"] if g <= 10 else [])
        while len(want) < per_student:
            groups = {c.rstrip("0123456789") for c in want}
            open_ = {c: w for c, w in ELECTIVES.items() if COURSES[ID[c]].admits(g)
                     and c.rstrip("0123456789") not in groups}
            want.append(_pick(rng, open_))
        requests += wants(f"stu-{k:05d}", g, *want)
    return requests


def load_high_school(students=5000, seed=2026):
    requests = high_school(students, seed)
    started = time.perf_counter()
    plan = plan_sections(requests, COURSES, range(1, 8), seed=seed)
    planned = time.perf_counter()
    sections = [p.open_section(f"sec-{k:04d}") for k, p in enumerate(plan)]
    result = load_requests(requests, sections, COURSES, seed=seed)
    return requests, sections, result, (planned - started, time.perf_counter() - planned)


@pytest.fixture(scope="module")
def loaded_high_school():
    return load_high_school()


def test_a_high_school_of_5000_is_loaded_almost_completely(loaded_high_school):
    requests, sections, result, _ = loaded_high_school
    assert result.placed_pct >= 95
    assert len(result.placements) + len(result.unfilled) == len(requests) == 35_000


def test_no_student_is_in_two_places_at_once(loaded_high_school):
    _, sections, result, _ = loaded_high_school
    by_id = {s.id: s for s in sections}
    slots = collections.Counter((p.student_id, by_id[p.section_id].period, term)
                                for p in result.placements for term in by_id[p.section_id].terms)
    assert slots and max(slots.values()) == 1


def test_no_section_is_over_capacity(loaded_high_school):
    _, sections, result, _ = loaded_high_school
    seats = collections.Counter(p.section_id for p in result.placements)
    assert all(seats[s.id] == result.section_counts[s.id] <= s.capacity for s in sections)


def test_every_placement_is_a_requested_course_in_one_section(loaded_high_school):
    requests, sections, result, _ = loaded_high_school
    asked = {(r.student_id, r.course_id) for r in requests}
    course_of = {s.id: s.course_id for s in sections}
    pairs = [(p.student_id, p.course_id) for p in result.placements]
    assert set(pairs) <= asked and len(set(pairs)) == len(pairs)
    assert all(course_of[p.section_id] == p.course_id for p in result.placements)


def test_ninth_graders_take_health_and_ethnic_studies_in_one_period(loaded_high_school):
    _, sections, result, _ = loaded_high_school
    period = {s.id: s.period for s in sections}
    pairs = collections.defaultdict(dict)
    for p in result.placements:
        if p.course_id in (ID["HLTH"], ID["ETHST"]):
            pairs[p.student_id][p.course_id] = period[p.section_id]
    both = [list(ps.values()) for ps in pairs.values() if len(ps) == 2]
    assert len(both) > 1000 and all(a == b for a, b in both)


def test_with_no_spare_seats_nearly_every_request_still_fits():
    requests = high_school(5000, seed=7)
    plan = plan_sections(requests, COURSES, range(1, 8), target_size=38, capacity=38)
    result = load_requests(requests, [p.open_section(f"s{k}") for k, p in enumerate(plan)],
                           COURSES)
    assert result.placed_pct >= 95


def test_unplaced_requests_are_told_why(loaded_high_school):
    _, _, result, _ = loaded_high_school
    starts = ("every section of ", "every open section of ", "no section of ")
    assert all(u.reason.startswith(starts) for u in result.unfilled)


# --- the small demo high school: about 150 students, one section of most electives

DEMO_AS_OF = dt.date(2026, 11, 29)


def _demo_high_school(seed, size):
    if size == "small":
        return next(s for s in generate_district(seed, size="small", as_of=DEMO_AS_OF).schools
                    if s.level == "high")
    # Palisade Ridge High, 5,000 students, made as generate_district makes it.
    return generate_school(seed * 10_000 + 1004, id="sch-1004", code="1004",
                           name="Palisade Ridge High School", level="high", students=5000,
                           as_of=DEMO_AS_OF)


def load_demo_high_school(seed, size="small"):
    """Next year's requests at a demo high school, loaded into the sections
    the demo planned for them, read as the server's loader reads them."""
    records = _demo_high_school(seed, size).records
    rows = {name: [dict(zip(("id", *kind(name).field_names), row, strict=True))
                   for row in records[name]]
            for name in ("school_years", "terms", "courses", "sections", "students",
                         "course_requests")}
    year = min((y for y in rows["school_years"] if y["start_date"] > DEMO_AS_OF.isoformat()),
               key=lambda y: y["start_date"])
    term = {t["id"]: t["sequence"] for t in rows["terms"] if t["school_year_id"] == year["id"]}
    courses = {c["id"]: CourseInfo(c["id"], c["code"], c["title"], c["department"],
                                   c["duration"], c["grade_min"], c["grade_max"])
               for c in rows["courses"]}
    sections = [OpenSection(s["id"], s["course_id"], s["period"],
                            YEAR if courses[s["course_id"]].duration == "year"
                            else frozenset({term[s["term_id"]]}), s["capacity"])
                for s in rows["sections"] if s["term_id"] in term]
    grade = {s["id"]: s["grade_level"] for s in rows["students"]}
    requests = [Request(r["student_id"], grade[r["student_id"]] + 1, r["course_id"], r["rank"])
                for r in rows["course_requests"] if r["school_year_id"] == year["id"]]
    return requests, sections, load_requests(requests, sections, courses)


@pytest.mark.parametrize(("seed", "size"), [
    (7, "small"),  # the servers' test district
    (2026, "small"),  # test_demo's
    (2026, "demo"),  # the 5,000-student high school of the demo a newcomer runs
], ids=["small-7", "small-2026", "palisade-ridge"])
def test_the_demo_high_schools_fit_nearly_every_request(seed, size):
    requests, sections, result = load_demo_high_school(seed, size)
    assert len(requests) > 900 and result.placed_pct >= 95
    by_id = {s.id: s for s in sections}
    slots = collections.Counter((p.student_id, by_id[p.section_id].period, term)
                                for p in result.placements for term in by_id[p.section_id].terms)
    assert max(slots.values()) == 1, "no student is in two places at once"
    seats = collections.Counter(p.section_id for p in result.placements)
    assert all(seats[s.id] <= s.capacity for s in sections)


if __name__ == "__main__":
    requests, sections, result, (plan_s, load_s) = load_high_school()
    students = len({r.student_id for r in requests})
    print(f"{students} students, {len(requests)} requests, {len(sections)} sections")
    print(f"plan {plan_s:.2f} s, load {load_s:.2f} s, placed {result.placed_pct:.2f}%")
    print(collections.Counter(u.reason.split(" meets")[0].split(" of ")[0]
                              for u in result.unfilled))
