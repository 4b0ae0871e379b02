"""Next year's schedules from course requests: the tally and the loader.

A counselor's spring work for the next school year: `tally_requests` counts
who asked for each course and the sections that takes; `load_requests`
places every student's requests into the open sections and says, for each
request it could not place, why, in words a counselor can act on. The
first master schedule in between, built from the same demand, is
`domain.section_planner`'s.

Periods and terms: a year-long section holds its period in both terms (1 is
fall, 2 is spring); a semester section holds it in its own term only, so a
fall-only and a spring-only section in the same period fit one student
(Health in fall, then Ethnic Studies in spring). Requests from students
outside a course's grades are never placed and never count as demand.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.scheduling import Course

# Semester courses taught as fall/spring pairs sharing a period and teacher.
SPRING_PAIR = {"HLTH": "ETHST", "ETHST": "HLTH", "PAD": "ECON", "ECON": "PAD",
               "PSYCH": "SOCIO", "SOCIO": "PSYCH"}
# The first-named course of each pair is the fall one; its partner meets in spring.
FALL_OF_PAIR = frozenset({"HLTH", "PAD", "PSYCH"})

FALL, SPRING = 1, 2
YEAR = frozenset({FALL, SPRING})
# Past this many tries, re-arranging one student's schedule stops searching.
_REARRANGE_BUDGET = 5000

Slot = tuple[int, int]  # (period, term)


# A course as the loader needs it: the catalogue's own record.
CourseInfo = Course


@dataclass(frozen=True)
class Request:
    student_id: str
    grade_level: int  # the grade the student will be in next year
    course_id: str
    rank: int  # 1 is the student's most important request


@dataclass(frozen=True)
class OpenSection:
    id: str
    course_id: str
    period: int
    terms: frozenset[int]  # {1, 2} year-long, {1} fall only, {2} spring only
    capacity: int
    enrolled: int = 0  # seats taken before the loader runs


@dataclass(frozen=True)
class CourseTally:
    course_id: str
    code: str
    title: str
    department: str
    students: int
    by_grade: dict[int, int]
    sections_needed: int


@dataclass(frozen=True)
class Placement:
    student_id: str
    course_id: str
    section_id: str


@dataclass(frozen=True)
class Unfilled:
    student_id: str
    course_id: str
    reason: str


@dataclass
class LoadResult:
    placements: list[Placement]
    unfilled: list[Unfilled]
    section_counts: dict[str, int] = field(default_factory=dict)  # seats taken after loading

    @property
    def placed_pct(self) -> float:
        """Share of requests placed, 0 to 100 (grade-ineligible ones count as unplaced)."""
        total = len(self.placements) + len(self.unfilled)
        return 100.0 * len(self.placements) / total if total else 100.0


def requests_by_student(requests: Iterable[Request]) -> dict[str, list[Request]]:
    """Each student's requests in rank order, one per course (the more important kept)."""
    out: dict[str, dict[str, Request]] = {}
    for r in requests:
        mine = out.setdefault(r.student_id, {})
        if r.course_id not in mine or r.rank < mine[r.course_id].rank:
            mine[r.course_id] = r
    return {s: sorted(mine.values(), key=lambda r: (r.rank, r.course_id))
            for s, mine in out.items()}


def course_demand(by_student: Mapping[str, list[Request]],
                  courses: Mapping[str, CourseInfo]) -> dict[str, Counter[int]]:
    """Course -> grade -> students, counting only requests the course's grades admit."""
    demand: dict[str, Counter[int]] = {}
    for reqs in by_student.values():
        for r in reqs:
            info = courses.get(r.course_id)
            if info is not None and info.admits(r.grade_level):
                demand.setdefault(r.course_id, Counter())[r.grade_level] += 1
    return demand


def tally_requests(requests: Iterable[Request], courses: Mapping[str, CourseInfo],
                   target_size: int) -> list[CourseTally]:
    """Every catalogue course with the students who asked for it and the sections that takes.

    A course nobody asked for is listed with zero, so it can be dropped from
    the offering; requests for courses outside the catalogue are left out.
    """
    demand = course_demand(requests_by_student(requests), courses)
    rows = []
    for cid, info in courses.items():
        by_grade = demand.get(cid, Counter())
        n = sum(by_grade.values())
        rows.append(CourseTally(cid, info.code, info.title, info.department, n,
                                dict(sorted(by_grade.items())), math.ceil(n / target_size)))
    return sorted(rows, key=lambda t: (t.department, t.code))


@dataclass(frozen=True)
class _Option:
    """One way to place a request: the emptiest open section in one (period, terms)."""
    section: int
    period: int
    slots: tuple[Slot, ...]


def _match(options: Sequence[Sequence[_Option]]) -> dict[int, _Option]:
    """Requests (in rank order) to options, no two sharing a slot, as many as possible.

    A bipartite matching with augmenting paths, as `_place` in the demo: a
    request whose options are all taken displaces a placed one when that one
    can move elsewhere. A year-long option takes two slots and may displace
    two semester courses; a failed try is undone whole.
    """
    owner: dict[Slot, int] = {}
    chosen: dict[int, _Option] = {}

    def assign(ci: int, seen: set[Slot]) -> bool:
        for opt in options[ci]:
            if seen.intersection(opt.slots):
                continue
            seen.update(opt.slots)
            displaced = sorted({owner[s] for s in opt.slots if s in owner})
            saved_owner, saved_chosen = dict(owner), dict(chosen)
            for d in displaced:
                for s in chosen.pop(d).slots:
                    del owner[s]
            owner.update(dict.fromkeys(opt.slots, ci))
            chosen[ci] = opt
            if all(assign(d, seen) for d in displaced):
                return True
            owner.clear()
            owner.update(saved_owner)
            chosen.clear()
            chosen.update(saved_chosen)
        return False

    for ci in range(len(options)):
        if not assign(ci, set()):  # a free option the search walked past still counts
            taken = set(owner)
            free = next((o for o in options[ci] if taken.isdisjoint(o.slots)), None)
            if free is not None:
                owner.update(dict.fromkeys(free.slots, ci))
                chosen[ci] = free
    return chosen


def _rearrange(options: Sequence[Sequence[_Option]],
               current: dict[int, _Option]) -> dict[int, _Option]:
    """Move the courses already placed around to make room for those still unplaced.

    Augmenting paths are exact when every course holds a whole period; mixing
    year-long and semester courses can leave them short, so a bounded search
    over the student's own options settles it. A course already placed stays
    placed (perhaps in another section): a more important request is never
    given up for two less important ones.
    """
    best = dict(current)
    tries = 0
    used: set[Slot] = set()
    pick: dict[int, _Option] = {}

    def search(ci: int) -> None:
        nonlocal best, tries
        tries += 1
        if tries > _REARRANGE_BUDGET or len(pick) + len(options) - ci <= len(best):
            return
        if ci == len(options):
            best = dict(pick)
            return
        for opt in options[ci]:
            if used.isdisjoint(opt.slots):
                used.update(opt.slots)
                pick[ci] = opt
                search(ci + 1)
                del pick[ci]
                used.difference_update(opt.slots)
        if ci not in current:
            search(ci + 1)

    search(0)
    return best


def _pair_semesters(options: Sequence[Sequence[_Option]], chosen: dict[int, _Option]) -> None:
    """Move a semester course into a period the student has only in the other term.

    Health in fall and Ethnic Studies in spring then share one period, and
    the student keeps a whole period free for something else.
    """
    for ci, opt in sorted(chosen.items()):
        taken = {s for o in chosen.values() for s in o.slots}
        if len(opt.slots) == 1 and (opt.period, 3 - opt.slots[0][1]) not in taken:
            better = next((o for o in options[ci] if len(o.slots) == 1
                           and o.slots[0] not in taken
                           and (o.period, 3 - o.slots[0][1]) in taken), None)
            if better is not None:
                chosen[ci] = better


def _periods_text(periods: Iterable[int]) -> str:
    ps = sorted(set(periods))
    return f"period {ps[0]}" if len(ps) == 1 else "periods " + ", ".join(map(str, ps))


def _grade_reason(info: CourseInfo, grade: int) -> str:
    grades = (f"grade {info.grade_min}" if info.grade_min == info.grade_max
              else f"grades {info.grade_min}–{info.grade_max}")
    return f"{info.title} is for {grades}; the student will be in grade {grade}"


def _options(ks: list[int], sections: Sequence[OpenSection], count: list[int]) -> list[_Option]:
    """The emptiest open section in each (period, terms) of a course, emptiest first."""
    best: dict[tuple[int, frozenset[int]], int] = {}
    for k in ks:
        s = sections[k]
        b = best.get((s.period, s.terms))
        if count[k] < s.capacity and (
                b is None or count[k] * sections[b].capacity < count[b] * s.capacity):
            best[(s.period, s.terms)] = k
    return sorted((_Option(k, p, tuple((p, t) for t in sorted(terms)))
                   for (p, terms), k in best.items()),
                  key=lambda o: (count[o.section] / sections[o.section].capacity, o.slots))


def load_requests(requests: Iterable[Request], sections: Sequence[OpenSection],
                  courses: Mapping[str, CourseInfo], *, seed: int = 0) -> LoadResult:
    """Place every student's requests into open sections, as many as fit.

    One section per course, no two in the same period and term, never past
    capacity, and the emptiest fitting section first so class sizes stay
    even. Each student gets the largest schedule their requests allow, the
    most important requests first (augmenting paths, then re-arranging the
    student's own courses). Students whose requests are hardest to fit (few
    periods offered, scarce seats) are loaded first; ties are broken at
    random, the same way for the same seed.
    """
    rng = random.Random(seed)
    by_student = requests_by_student(requests)
    count = [s.enrolled for s in sections]
    by_course: dict[str, list[int]] = {}
    for k, s in enumerate(sections):
        by_course.setdefault(s.course_id, []).append(k)
    demand = {c: n.total() for c, n in course_demand(by_student, courses).items()}
    open_periods = {c: len({sections[k].period for k in ks if count[k] < sections[k].capacity})
                    for c, ks in by_course.items()}
    pressure = {c: demand.get(c, 0) / max(1, sum(max(0, sections[k].capacity - count[k])
                                                 for k in ks)) for c, ks in by_course.items()}

    def difficulty(sid: str) -> tuple[int, float, float]:
        cs = [r.course_id for r in by_student[sid] if r.course_id in by_course]
        return (min((open_periods[c] for c in cs), default=99),
                -round(min(2.0, max((pressure[c] for c in cs), default=0.0)), 1), rng.random())

    placements: list[Placement] = []
    unfilled: list[Unfilled] = []
    for sid in sorted(by_student, key=difficulty):
        wanted: list[tuple[Request, str, list[_Option]]] = []
        for r in by_student[sid]:
            info = courses.get(r.course_id)
            title = info.title if info else r.course_id
            opts = _options(by_course.get(r.course_id, []), sections, count)
            if info is not None and not info.admits(r.grade_level):
                unfilled.append(Unfilled(sid, r.course_id, _grade_reason(info, r.grade_level)))
            elif r.course_id not in by_course:
                unfilled.append(Unfilled(sid, r.course_id, f"no section of {title} is offered"))
            elif not opts:
                unfilled.append(Unfilled(sid, r.course_id, f"every section of {title} is full"))
            else:
                wanted.append((r, title, opts))
        options = [opts for _, _, opts in wanted]
        chosen = _match(options)
        if len(chosen) < len(options) and any(len(o.slots) == 1 for os in options for o in os):
            chosen = _rearrange(options, chosen)
        _pair_semesters(options, chosen)
        taken = {s for o in chosen.values() for s in o.slots}
        for ci, (r, title, opts) in enumerate(wanted):
            if ci in chosen:
                count[chosen[ci].section] += 1
                placements.append(Placement(sid, r.course_id, sections[chosen[ci].section].id))
            else:
                busy = _periods_text(o.period for o in opts if not taken.isdisjoint(o.slots))
                unfilled.append(Unfilled(sid, r.course_id, f"every open section of {title} meets "
                                         f"in a period the student already has ({busy})"))
    order = {sid: k for k, sid in enumerate(by_student)}  # back to the order asked in
    placements.sort(key=lambda p: order[p.student_id])
    unfilled.sort(key=lambda u: order[u.student_id])
    return LoadResult(placements, unfilled, {s.id: count[k] for k, s in enumerate(sections)})
