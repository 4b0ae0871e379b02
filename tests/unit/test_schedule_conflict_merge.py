"""Both versions of a conflicted schedule and the edits that settle it
(`local_store.scheduling.conflicts`), on a small hand-built school: one fall
term, a class in each of periods 1..4, period 7 free. The workstation here
knew the program through change 10 when its counselor edited it; the
server's records with a higher version were changed by someone else since."""
from __future__ import annotations

import itertools

import pytest

from domain.scheduling import BLOCK, OVERRIDE, Catalog, Course, Entry, Section, Term
from local_store.scheduling.conflicts import (
    BOTH,
    DROPPED_ON_SERVER,
    ONLY_SERVER,
    ONLY_YOURS,
    check_resolution,
    chosen_problems,
    merge_program,
    refusing,
    resolution_edits,
)

FALL = Term("t-fall", "sy-2026", "Fall 2026", 1, "2026-08-10", "2027-01-29")
SPRING = Term("t-spring", "sy-2026", "Spring 2027", 2, "2027-02-01", "2027-06-11")
TODAY = "2026-11-30"  # a Monday
BASE = 10  # the last change the workstation knew of when your edits were made
STUDENT = "stu-1"

COURSES = {c.id: c for c in (
    Course("c-eng", "ENG9", "English 9", "English", "year", 9, 9),
    Course("c-alg", "ALG1", "Algebra 1", "Mathematics", "year", 9, 12),
    Course("c-geom", "GEOM", "Geometry", "Mathematics", "year", 9, 12),
    Course("c-bio", "BIO", "Biology", "Science", "year", 9, 12),
    Course("c-hist", "WHIST", "World History", "Social Studies", "year", 9, 12),
    Course("c-art", "ART1", "Art 1", "Visual and Performing Arts", "semester", 9, 12),
    Course("c-band", "BAND", "Band", "Visual and Performing Arts", "semester", 9, 12),
)}


def _section(sid: str, course: str, period: int, term: Term = FALL, cap: int = 34) -> Section:
    return Section(sid, course, term.id, sid[-2:], period, f"R-{sid}", f"stf-{sid}", cap)


SECTIONS = {s.id: s for s in (
    _section("eng-01", "c-eng", 1), _section("alg-02", "c-alg", 2),
    _section("geom-02", "c-geom", 2), _section("geom-12", "c-geom", 2),
    _section("geom-05", "c-geom", 5),
    _section("bio-03", "c-bio", 3), _section("hist-04", "c-hist", 4),
    _section("art-07", "c-art", 7), _section("band-07", "c-band", 7, cap=2),
    _section("art-s7", "c-art", 7, SPRING),
)}
CATALOG = Catalog(terms={FALL.id: FALL, SPRING.id: SPRING}, courses=COURSES, sections=SECTIONS)

START = FALL.start_date
# The program both counselors started from: periods 1-4, all since the first day.
BEGUN = [Entry("e1", STUDENT, "eng-01", START, None), Entry("e2", STUDENT, "alg-02", START, None),
         Entry("e3", STUDENT, "bio-03", START, None), Entry("e4", STUDENT, "hist-04", START, None)]


def server_program(*changes: Entry) -> tuple[list[Entry], dict[str, int]]:
    """The started program with someone else's changes (version 12) over it."""
    by_id = {e.id: e for e in BEGUN}
    versions = dict.fromkeys(by_id, 3)
    for e in changes:
        by_id[e.id] = e
        versions[e.id] = 12
    return list(by_id.values()), versions


def ended(entry_id: str, day: str) -> Entry:
    e = next(e for e in BEGUN if e.id == entry_id)
    return Entry(e.id, e.student_id, e.section_id, e.begin_date, day)


def add(section_id: str, entry_id: str, begin: str = "2026-11-27", **extra) -> tuple[str, dict]:
    return ("schedule.add", {"student_id": STUDENT, "section_id": section_id,
                             "begin_date": begin, "section_enrollment_id": entry_id, **extra})


def drop(entry_id: str, end: str = "2026-11-26") -> tuple[str, dict]:
    return ("schedule.drop", {"student_id": STUDENT, "section_enrollment_id": entry_id,
                              "end_date": end})


def swap(entry_id: str, section_id: str, new_id: str, end: str = "2026-11-26",
         begin: str = "2026-11-27") -> tuple[str, dict]:
    return ("schedule.swap", {"student_id": STUDENT, "section_enrollment_id": entry_id,
                              "end_date": end, "section_id": section_id,
                              "new_section_enrollment_id": new_id, "begin_date": begin})


def new_ids():
    counter = itertools.count(1)
    return lambda: f"new-{next(counter)}"


def summary(edits) -> list[tuple]:
    """Edits as (op, the entry it ends or "", its end, the section it adds or "", its begin)."""
    return [(op, p.get("section_enrollment_id", "") if op != "schedule.add" else "",
             p.get("end_date", ""), p.get("section_id", ""), p.get("begin_date", ""))
            for op, p in edits]


# Someone else dropped Algebra (e2) on the server, or swapped it for Geometry,
# or added a class in period 7; the counselor here made the edits listed.
A_DROPPED_ALGEBRA = (ended("e2", "2026-11-25"),)
A_SWAPPED_ALGEBRA = (ended("e2", "2026-11-25"), Entry("z2", STUDENT, "geom-02", "2026-11-26",
                                                         None))
A_ADDED_ART = (Entry("a7", STUDENT, "art-07", "2026-11-26", None),)

CASES = {
    # id: (server changes, your edits, {section: origin}, keep mine, a combined tick set and
    #      what it sends)
    "keep mine adds yours over their drop": (
        A_DROPPED_ALGEBRA, [add("art-07", "y7")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": BOTH, "hist-04": BOTH,
         "art-07": ONLY_YOURS},
        [("schedule.add", "", "", "art-07", "2026-11-27")],
        None),
    "combine keeps their drop and undoes yours": (
        A_DROPPED_ALGEBRA, [drop("e3"), add("art-07", "y7")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": ONLY_SERVER, "hist-04": BOTH,
         "art-07": ONLY_YOURS},
        [("schedule.drop", "e3", "2026-11-26", "", ""),
         ("schedule.add", "", "", "art-07", "2026-11-27")],
        ({"eng-01", "bio-03", "hist-04", "art-07"},
         [("schedule.add", "", "", "art-07", "2026-11-27")])),
    "combine can take back a class dropped on the server": (
        A_DROPPED_ALGEBRA, [add("art-07", "y7")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": BOTH, "hist-04": BOTH,
         "art-07": ONLY_YOURS},
        [("schedule.add", "", "", "art-07", "2026-11-27")],
        ({"eng-01", "alg-02", "bio-03", "hist-04", "art-07"},
         [("schedule.add", "", "", "alg-02", TODAY),
          ("schedule.add", "", "", "art-07", "2026-11-27")])),
    "both added the same section": (
        A_ADDED_ART, [add("art-07", "y7")],
        {"eng-01": BOTH, "alg-02": BOTH, "bio-03": BOTH, "hist-04": BOTH, "art-07": BOTH},
        [], None),
    "both dropped the same one": (
        A_DROPPED_ALGEBRA, [drop("e2", "2026-11-24")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": BOTH, "hist-04": BOTH},
        [], None),
    "yours dropped what the server swapped": (
        A_SWAPPED_ALGEBRA, [drop("e2")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "geom-02": ONLY_SERVER, "bio-03": BOTH,
         "hist-04": BOTH},
        # Your version leaves period 2 empty: their Geometry ends yesterday.
        [("schedule.drop", "z2", "2026-11-29", "", "")],
        ({"eng-01", "geom-02", "bio-03", "hist-04"}, [])),
    "both swapped the same class, differently: a swap settles the period": (
        A_SWAPPED_ALGEBRA, [swap("e2", "geom-12", "y2")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "geom-02": ONLY_SERVER,
         "geom-12": ONLY_YOURS, "bio-03": BOTH, "hist-04": BOTH},
        # Their Geometry ends yesterday; yours begins the day after, not before.
        [("schedule.swap", "z2", "2026-11-29", "geom-12", TODAY)],
        ({"eng-01", "geom-02", "bio-03", "hist-04"}, [])),
    "yours moved the class to another period: drop theirs, then add yours": (
        A_SWAPPED_ALGEBRA, [swap("e2", "geom-05", "y5")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "geom-02": ONLY_SERVER, "bio-03": BOTH,
         "hist-04": BOTH, "geom-05": ONLY_YOURS},
        [("schedule.drop", "z2", "2026-11-29", "", ""),
         ("schedule.add", "", "", "geom-05", TODAY)],
        None),
    "both filled the empty period: yours replaces theirs with a swap": (
        A_ADDED_ART, [add("band-07", "y7", begin="2026-12-01")],
        {"eng-01": BOTH, "alg-02": BOTH, "bio-03": BOTH, "hist-04": BOTH,
         "art-07": ONLY_SERVER, "band-07": ONLY_YOURS},
        [("schedule.swap", "a7", "2026-11-29", "band-07", "2026-12-01")],
        None),
    "a swap of yours across periods is a drop and an add": (
        A_DROPPED_ALGEBRA, [swap("e4", "art-07", "y7")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": BOTH, "hist-04": ONLY_SERVER,
         "art-07": ONLY_YOURS},
        [("schedule.drop", "e4", "2026-11-26", "", ""),
         ("schedule.add", "", "", "art-07", "2026-11-27")],
        None),
    "an add you took back yourself is no change": (
        A_DROPPED_ALGEBRA, [add("art-07", "y7"), drop("y7", "2026-11-28")],
        {"eng-01": BOTH, "alg-02": DROPPED_ON_SERVER, "bio-03": BOTH, "hist-04": BOTH},
        [], None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_both_versions_and_the_edits_that_settle_them(name):
    changes, edits, origins, keep_mine, combined = CASES[name]
    server, versions = server_program(*changes)
    merge = merge_program(CATALOG, server, edits, on=TODAY, seen_through=BASE,
                          versions=versions)
    assert {c.section_id: c.origin for c in merge.classes} == origins
    assert {e.section_id for e in merge.yours} == {s for s, o in origins.items()
                                                    if o in (BOTH, ONLY_YOURS)}
    assert {e.section_id for e in merge.server} == {s for s, o in origins.items()
                                                     if o in (BOTH, ONLY_SERVER)}
    assert [c.period for c in merge.classes] == sorted(c.period for c in merge.classes)

    def settle(chosen):
        assert chosen_problems(CATALOG, chosen, today=TODAY) == []
        return summary(resolution_edits(server, chosen, TODAY, catalog=CATALOG,
                                        student_id=STUDENT, new_id=new_ids(),
                                        your_end_dates=merge.your_end_dates))

    assert settle(merge.kept_by_yours()) == keep_mine
    assert settle(merge.kept_by_server()) == []  # keeping the server's sends nothing
    if combined is not None:
        ticked, sends = combined
        assert settle([c for c in merge.classes if c.section_id in ticked]) == sends


def test_a_class_only_the_server_has_is_flagged_as_its_change():
    server, versions = server_program(*A_SWAPPED_ALGEBRA)
    merge = merge_program(CATALOG, server, [drop("e2")], on=TODAY, seen_through=BASE,
                          versions=versions)
    by_section = {c.section_id: c for c in merge.classes}
    assert by_section["geom-02"].changed_on_server
    assert not by_section["eng-01"].changed_on_server
    assert by_section["alg-02"].your_change == "dropped"
    assert by_section["alg-02"].end_date == "2026-11-25"  # the server's end date is shown


def test_a_spring_class_in_the_same_period_does_not_give_way_to_a_fall_change():
    server, versions = server_program(Entry("s7", STUDENT, "art-s7", SPRING.start_date, None))
    merge = merge_program(CATALOG, server, [add("band-07", "y7")], on=TODAY, seen_through=BASE,
                          versions=versions)
    origins = {c.section_id: c.origin for c in merge.classes}
    assert origins["art-s7"] == BOTH and origins["band-07"] == ONLY_YOURS


def test_two_classes_ticked_in_one_period_are_refused_with_both_named():
    server, versions = server_program(*A_SWAPPED_ALGEBRA)
    merge = merge_program(CATALOG, server, [swap("e2", "geom-05", "y5"), add("art-07", "y7")],
                          on=TODAY, seen_through=BASE, versions=versions)
    everything = [c for c in merge.classes if c.origin != DROPPED_ON_SERVER]
    # Geometry twice (periods 2 and 5), nothing else clashing.
    assert chosen_problems(CATALOG, everything, today=TODAY) == [
        "Geometry is ticked twice (sections 02 and 05): untick one of them."]
    server, versions = server_program(*A_ADDED_ART)
    band = merge_program(CATALOG, server, [add("band-07", "y7")], on=TODAY, seen_through=BASE,
                         versions=versions)
    problems = chosen_problems(CATALOG, band.classes, today=TODAY)
    assert len(problems) == 1
    assert problems[0].startswith("Period 7 has two classes ticked: Art 1 (section 07) and "
                                  "Band (section 07)")


def test_the_server_checks_are_run_on_the_edits_in_order():
    server, versions = server_program(*A_ADDED_ART)
    merge = merge_program(CATALOG, server, [add("band-07", "y7", begin="2026-12-01")],
                          on=TODAY, seen_through=BASE, versions=versions)
    edits = resolution_edits(server, merge.kept_by_yours(), TODAY, catalog=CATALOG,
                             student_id=STUDENT, new_id=new_ids())
    # Band is full (2 of 2): the swap needs a reason, and is otherwise fine.
    findings = check_resolution(CATALOG, server, edits, grade_level=9, enrolled={"band-07": 2})
    assert [(f.finding.check, f.finding.severity) for f in findings] == [
        ("section_full", OVERRIDE)]
    assert refusing(findings, reason=None) == findings
    assert refusing(findings, reason="band director agreed") == []
    # Adding Art back in period 7 without freeing it is blocked.
    clash = check_resolution(CATALOG, server, [add("band-07", "n1", begin=TODAY)],
                             grade_level=9, enrolled={})
    assert [f.finding.severity for f in clash] == [BLOCK]
    assert "Period 7 is taken by Art 1" in clash[0].finding.message


def test_your_reason_for_an_exception_goes_with_the_edit_that_needs_it():
    server, versions = server_program()
    merge = merge_program(CATALOG, server, [add("band-07", "y7", override_reason="audition")],
                          on=TODAY, seen_through=BASE, versions=versions)
    [(op, payload)] = resolution_edits(server, merge.kept_by_yours(), TODAY, catalog=CATALOG,
                                       student_id=STUDENT, new_id=new_ids())
    assert op == "schedule.add" and payload["override_reason"] == "audition"
    assert payload["section_enrollment_id"] == "new-1"  # a new entry, never the refused one's
