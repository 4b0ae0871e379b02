"""A teacher can't be in two classrooms at once: same period, overlapping days."""
from __future__ import annotations

import pytest

from domain.scheduling import Catalog, Course, Section, Term, teacher_clash

TERMS = {"fall": Term("fall", "y", "Fall 2026", 1, "2026-08-10", "2027-01-29"),
         "spring": Term("spring", "y", "Spring 2027", 2, "2027-02-01", "2027-06-11")}
COURSES = {"eng": Course("eng", "ENG10", "English 10", "English", "year", 10, 10),
           "hlth": Course("hlth", "HLTH", "Health", "Health", "semester", 9, 12)}


def _section(sid: str, course: str, term: str, period: int, teacher: str = "t1") -> Section:
    return Section(sid, course, term, sid[-4:], period, "B-101", teacher, 38)


@pytest.mark.parametrize(("existing", "new", "clashes"), [
    (("eng", "fall", 3), ("hlth", "fall", 3), True),  # same term, same period
    (("eng", "fall", 3), ("hlth", "spring", 3), True),  # a year-long class goes on into spring
    (("hlth", "fall", 3), ("hlth", "spring", 3), False),  # fall semester, then spring
    (("eng", "fall", 3), ("hlth", "fall", 4), False),  # another period
], ids=["same-term", "year-long-into-spring", "semester-twins", "other-period"])
def test_teacher_clash(existing, new, clashes):
    old = _section("sec-0001", *existing)
    candidate = _section("sec-0002", *new)
    catalog = Catalog(TERMS, COURSES, {old.id: old, candidate.id: candidate})
    assert (teacher_clash(catalog, candidate) == old) is clashes


def test_another_teacher_in_the_same_period_is_no_clash():
    old = _section("sec-0001", "eng", "fall", 3, teacher="t1")
    candidate = _section("sec-0002", "hlth", "fall", 3, teacher="t2")
    assert teacher_clash(Catalog(TERMS, COURSES, {old.id: old, candidate.id: candidate}),
                         candidate) is None
