"""Next year's master schedule: which courses get how many sections, in which periods.

After the tally (`domain.loader.tally_requests`) says how many students
asked for each course, `plan_sections` turns that demand into a first
master schedule: enough sections for everyone who asked, spread over the
periods so each student's courses can land in different periods. Where a
small school's single-section electives still collide for some students,
it moves sections, and splits a few much-asked-for ones, until more
requests fit. The loader (`domain.loader.load_requests`) then places the
students into the planned sections.

Semester courses taught as fall/spring pairs (Health in fall, Ethnic
Studies in spring) share their periods. Requests from students outside a
course's grades never count as demand.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from domain.loader import (
    FALL,
    FALL_OF_PAIR,
    SPRING,
    SPRING_PAIR,
    YEAR,
    CourseInfo,
    OpenSection,
    Request,
    course_demand,
    requests_by_student,
)

# Student schedules the improvement of a first plan may weigh before it stops.
_IMPROVE_BUDGET = 150_000
# Past this many ways to make one student's schedule, every section counts as usable.
_SCHEDULES_LISTED = 50
# A move must help by more than this (seats short are counted in fractions).
_SMALLEST_GAIN = 0.01
# A single section much asked for (this share of a class) may be split in two...
_SPLIT_SHARE = 0.6
# ...when the second section lets at least this many more requests fit.
_SPLIT_GAIN = 3

Seat = tuple[str, int]  # (course id, period): a course's seats in one period


@dataclass(frozen=True)
class PlannedSection:
    course_id: str
    period: int
    terms: frozenset[int]
    capacity: int

    def open_section(self, section_id: str) -> OpenSection:
        """The planned section as the loader sees it, still empty."""
        return OpenSection(section_id, self.course_id, self.period, self.terms, self.capacity)


@dataclass
class _Unit:
    """Courses planned together: one course, or a fall/spring pair sharing periods."""
    courses: list[tuple[str, frozenset[int], int]]  # course id, terms, sections
    by_grade: Counter[int]
    sections: int  # periods the unit takes
    in_period: Counter[int] = field(default_factory=Counter)
    chosen: list[int] = field(default_factory=list)  # its periods, in the order planned


def _units(demand: Mapping[str, Counter[int]], courses: Mapping[str, CourseInfo],
           target_size: int) -> list[_Unit]:
    semester = {courses[c].code: c for c in demand if courses[c].duration == "semester"}
    units, done = [], set()
    for cid in sorted(demand, key=lambda c: courses[c].code):
        if cid in done:
            continue
        partner = semester.get(SPRING_PAIR.get(courses[cid].code, ""))
        members = [cid, partner] if partner and courses[cid].duration == "semester" else [cid]
        done.update(members)
        planned = []
        for m in members:
            spring = len(members) == 2 and courses[m].code not in FALL_OF_PAIR
            terms = YEAR if courses[m].duration == "year" else frozenset(
                {SPRING if spring else FALL})
            planned.append((m, terms, max(1, math.ceil(demand[m].total() / target_size))))
        units.append(_Unit(planned, sum((demand[m] for m in members), Counter()),
                           max(n for _, _, n in planned)))
    return units


def plan_sections(requests: Iterable[Request], courses: Mapping[str, CourseInfo],
                  periods: Iterable[int], *, target_size: int = 34, capacity: int = 38,
                  seed: int = 0) -> list[PlannedSection]:
    """A first master schedule: enough sections for the demand, spread so students fit.

    Each requested course gets ceil(demand / target_size) sections, at least
    one, in distinct periods as far as possible. Courses with the fewest
    sections go first, each section into the period where the fewest of its
    students already have another course and their grades have the fewest
    seats so far: a student's seven courses must land in seven periods.
    Semester pairs (`SPRING_PAIR`) share periods, the `FALL_OF_PAIR` course
    in fall and its partner in spring; a lone semester course meets in fall.
    Where that leaves some students' courses colliding (a small school, with
    one section of most electives), sections are then moved, and a few
    much-asked-for ones split, until more requests fit (`_improve`).
    """
    rng = random.Random(seed)
    periods = list(periods)
    by_student = requests_by_student(requests)
    demand = course_demand(by_student, courses)
    units = _units(demand, courses, target_size)
    unit_of = {cid: k for k, u in enumerate(units) for cid, _, _ in u.courses}
    co: list[Counter[int]] = [Counter() for _ in units]  # students asking for both units
    grade_size: Counter[int] = Counter()
    for reqs in by_student.values():
        grade_size.update({r.grade_level for r in reqs})
        mine = {unit_of[r.course_id] for r in reqs if r.course_id in unit_of
                and courses[r.course_id].admits(r.grade_level)}
        for a, b in combinations(sorted(mine), 2):
            co[a][b] += 1
            co[b][a] += 1
    seated = {g: dict.fromkeys(periods, 0.0) for g in grade_size}  # share of the grade
    load = dict.fromkeys(periods, 0)
    planned: list[PlannedSection] = []
    for k in sorted(range(len(units)), key=lambda k: (units[k].sections, k)):
        unit, asked = units[k], units[k].by_grade.total()
        shares = [(g, n / asked) for g, n in sorted(unit.by_grade.items())]
        used: set[int] = set()
        chosen: list[int] = []
        for _ in range(unit.sections):
            if len(used) == len(periods):  # one in every period: start another round
                used.clear()
            busy = {p: sum(n * units[v].in_period[p] / units[v].sections
                           for v, n in co[k].items()) / asked
                    + sum(s * seated[g][p] for g, s in shares) for p in periods}
            p = min((busy[p], load[p], rng.random(), p) for p in periods if p not in used)[-1]
            used.add(p)
            chosen.append(p)
            unit.in_period[p] += 1
            load[p] += capacity
            for g, s in shares:
                seated[g][p] += capacity * s / grade_size[g]
        unit.chosen = chosen
    _improve(units, by_student, courses, periods, unit_of, target_size, capacity)
    for unit in units:
        for cid, terms, n in unit.courses:
            planned += [PlannedSection(cid, p, terms, capacity) for p in unit.chosen[:n]]
    return sorted(planned, key=lambda s: (courses[s.course_id].code, s.period, min(s.terms)))


def _most_fitting(options: Sequence[tuple[int, ...]]) -> int:
    """The most of a student's courses that fit together.

    A course's sections are slot masks, one bit per period and term; a
    year-long section takes both bits of its period. Seats are not counted.
    """
    n, best = len(options), 0

    def search(i: int, used: int, placed: int) -> None:
        nonlocal best
        if placed + n - i <= best:
            return
        if i == n:
            best = placed
            return
        for mask in options[i]:
            if not used & mask:
                search(i + 1, used | mask, placed + 1)
        search(i + 1, used, placed)

    search(0, 0, 0)
    return best


def _usable(options: Sequence[tuple[int, ...]], most: int) -> list[frozenset[int]]:
    """For each course, the sections it takes in some schedule that fits `most`
    courses; every section when there are too many such schedules to list."""
    n, found = len(options), 0
    usable: list[set[int]] = [set() for _ in options]
    picks: list[int] = []

    def search(i: int, used: int, placed: int) -> None:
        nonlocal found
        if i == n:
            found += 1
            for c, mask in enumerate(picks):
                usable[c].add(mask)
            return
        for mask in options[i]:
            if not used & mask and found < _SCHEDULES_LISTED:
                picks.append(mask)
                search(i + 1, used | mask, placed + 1)
                picks.pop()
        if placed + n - i > most and found < _SCHEDULES_LISTED:
            picks.append(0)
            search(i + 1, used, placed)
            picks.pop()

    search(0, 0, 0)
    if found >= _SCHEDULES_LISTED:
        return [frozenset(o) for o in options]
    return [frozenset(u - {0}) for u in usable]


def _improve(units: Sequence[_Unit], by_student: Mapping[str, list[Request]],
             courses: Mapping[str, CourseInfo], periods: Sequence[int],
             unit_of: Mapping[str, int], target_size: int, capacity: int) -> None:
    """Move sections, and split a crowded single section, so more students' requests fit.

    What a counselor does with a first master schedule whose courses collide
    for some students: move a section of one of their courses (fewest
    sections first) to the period that lets the most requests fit, or to
    where its seats are not short for the students who can only take it
    there; when no move helps any more, open a second section of the
    single-section course much asked for (`_SPLIT_SHARE`) whose second
    period fits the most requests (at least `_SPLIT_GAIN` more), and move
    again. A plan in which every student's requests fit stays as it is;
    the work is bounded (`_IMPROVE_BUDGET`), so a large school stays fast.
    """
    students = [cs for cs in ([r.course_id for r in reqs if r.course_id in unit_of
                               and courses[r.course_id].admits(r.grade_level)]
                              for reqs in by_student.values()) if cs]
    search = _PlanSearch(units, students, unit_of, periods, capacity)
    if search.everyone_fits():
        return
    search.count_seats()
    checked: dict[int, int] = {}  # unit -> search.changes when no move of it helped
    while search.work < _IMPROVE_BUDGET:
        trouble = search.troubled_units()
        if not trouble:
            return
        moved = False
        for k in sorted(trouble, key=lambda k: (len(units[k].chosen), -trouble[k], k)):
            if checked.get(k, -1) >= max((search.changed_at[i] for i in search.asking[k]),
                                         default=0):
                continue  # none of its students changed since no move of it helped
            checked[k] = search.changes
            best, change = _SMALLEST_GAIN, None
            for option in search.moves(k):
                g = search.gain(option, best)
                if g > best:
                    best, change = g, option
                if search.work >= _IMPROVE_BUDGET:
                    return
            if change is not None:
                search.apply(change)
                moved = True
        if moved:
            continue
        splits = [(search.gain({k: units[k].chosen + [p]}, -math.inf), k, p)
                  for k in sorted(trouble) if len(units[k].courses) == 1
                  and len(units[k].chosen) == 1 and trouble[k] >= _SPLIT_GAIN
                  and units[k].by_grade.total() > _SPLIT_SHARE * target_size
                  for p in periods if p not in units[k].chosen]
        g, k, p = min(splits, key=lambda s: (-s[0], s[1], s[2]), default=(0, 0, 0))
        if g < _SPLIT_GAIN:
            return
        (cid, terms, n), = units[k].courses
        units[k].courses = [(cid, terms, n + 1)]
        units[k].sections += 1
        search.apply({k: units[k].chosen + [p]})


class _PlanSearch:
    """The students' side of a plan: how many of each one's requests fit its
    periods, and the seats a course is short of in a period for the students
    who could take it there (a student who could take it in several periods
    counts a share in each).

    `work` counts the student schedules weighed, to bound the search;
    `changes` counts the changes applied, and `changed_at` when each
    student's schedule last changed.
    """

    def __init__(self, units: Sequence[_Unit], students: Sequence[list[str]],
                 unit_of: Mapping[str, int], periods: Sequence[int], capacity: int) -> None:
        self.units, self.students, self.periods = units, students, list(periods)
        self.capacity = capacity
        self.bit = {p: 2 * i for i, p in enumerate(periods)}
        self.period_of = {m << self.bit[p]: p for p in periods for m in (1, 2, 3)}
        # Course -> its unit, its terms, and how many fewer sections it has than its unit.
        self.member = {cid: (k, terms, u.sections - n)
                       for k, u in enumerate(units) for cid, terms, n in u.courses}
        self.asking: list[list[int]] = [[] for _ in units]
        for i, cs in enumerate(students):
            for k in sorted({unit_of[c] for c in cs}):
                self.asking[k].append(i)
        self.unit_sets = [frozenset(unit_of[c] for c in cs) for cs in students]
        self.offered = {cid: self.offer(cid, units[k].chosen)
                        for cid, (k, _, _) in self.member.items()}
        self.fit_known: dict[tuple[tuple[int, ...], ...], int] = {}
        self.usable_known: dict[tuple[tuple[int, ...], ...],
                                dict[tuple[int, ...], frozenset[int]]] = {}
        self.work = self.changes = 0
        self.changed_at = [0] * len(students)
        anywhere = {cid: self.slots(terms, self.periods)
                    for cid, (_, terms, _) in self.member.items()}
        self.best_case = [_most_fitting([anywhere[c] for c in cs]) for cs in students]
        self.now = [self.fit(i) for i in range(len(students))]
        self.share: list[dict[Seat, float]] = []
        self.seats: dict[Seat, int] = {}
        self.load: dict[Seat, float] = {}
        self.short = 0.0

    def everyone_fits(self) -> bool:
        return self.now == self.best_case

    def count_seats(self) -> None:
        """Count each section's seats against the students who could take it."""
        for cid, (k, _, _) in self.member.items():
            self.seats.update(self.open_seats(cid, self.units[k].chosen))
        self.share = [self.seat_share(i) for i in range(len(self.students))]
        for share in self.share:
            for key, w in share.items():
                self.load[key] = self.load.get(key, 0.0) + w
        self.short = sum(max(0.0, n - self.seats.get(key, 0)) for key, n in self.load.items())

    def slots(self, terms: Iterable[int], periods: Iterable[int]) -> tuple[int, ...]:
        """The slot masks of sections meeting in these terms, one in each period."""
        return tuple(sorted({sum(1 << self.bit[p] + t - 1 for t in terms) for p in periods}))

    def offer(self, cid: str, chosen: Sequence[int]) -> tuple[int, ...]:
        """The slot masks of a course's sections when its unit meets in `chosen`."""
        _, terms, fewer = self.member[cid]
        return self.slots(terms, chosen[:len(chosen) - fewer])

    def open_seats(self, cid: str, chosen: Sequence[int]) -> dict[Seat, int]:
        fewer = self.member[cid][2]
        return {(cid, p): n * self.capacity
                for p, n in Counter(chosen[:len(chosen) - fewer]).items()}

    def changed(self, change: Mapping[int, Sequence[int]]) -> dict[str, tuple[int, ...]]:
        """Course -> its slot masks after the change, for the courses it moves."""
        return {cid: self.offer(cid, chosen)
                for k, chosen in change.items() for cid, _, _ in self.units[k].courses}

    def fit(self, i: int, moved: Mapping[str, tuple[int, ...]] | None = None) -> int:
        """How many of student i's requests fit (with some courses `moved`)."""
        self.work += 1
        key = tuple(sorted(moved[c] if moved and c in moved else self.offered[c]
                           for c in self.students[i]))
        if key not in self.fit_known:
            self.fit_known[key] = _most_fitting(key)
        return self.fit_known[key]

    def seat_share(self, i: int, moved: Mapping[str, tuple[int, ...]] | None = None,
                   ) -> dict[Seat, float]:
        """Student i's share of the seats in each period of the courses offered in several."""
        self.work += 1
        offered = [moved[c] if moved and c in moved else self.offered[c]
                   for c in self.students[i]]
        key = tuple(sorted(offered))
        if key not in self.usable_known:
            if key not in self.fit_known:
                self.fit_known[key] = _most_fitting(key)
            self.usable_known[key] = dict(zip(key, _usable(key, self.fit_known[key]),
                                              strict=True))
        usable = self.usable_known[key]
        return {(c, self.period_of[mask]): 1 / len(usable[masks])
                for c, masks in zip(self.students[i], offered, strict=True)
                if len(masks) > 1 for mask in usable[masks]}

    def troubled_units(self) -> Counter[int]:
        """Unit -> students asking for it who cannot take all they could, and
        seats its sections are short of."""
        trouble = Counter(k for i, ks in enumerate(self.unit_sets)
                          if self.now[i] < self.best_case[i] for k in ks)
        for key, n in self.load.items():
            if n > self.seats.get(key, 0) + 1e-9:
                trouble[self.member[key[0]][0]] += math.ceil(n - self.seats.get(key, 0))
        return trouble

    def moves(self, k: int) -> Iterable[dict[int, list[int]]]:
        """Each section of unit k moved to another period."""
        chosen, full = self.units[k].chosen, len(self.units[k].chosen) >= len(self.periods)
        for j, a in enumerate(chosen):
            for b in self.periods:
                if b != a and (full or b not in chosen):
                    yield {k: chosen[:j] + [b] + chosen[j + 1:]}

    def gain(self, change: Mapping[int, list[int]], bar: float = 0.0) -> float:
        """Requests more that fit after the change, less seats newly short; `bar`
        when it can be no more than that (students who take all they could can
        only lose, and at best no seats are short)."""
        moved = self.changed(change)
        who = sorted({i for k in change for i in self.asking[k]})
        whole = [i for i in who if self.now[i] == self.best_case[i]]
        g: float = sum(self.fit(i, moved) - self.now[i]
                       for i in who if self.now[i] < self.best_case[i])
        for i in whole:
            if g + self.short <= bar:
                return bar
            g += self.fit(i, moved) - self.now[i]
        if g + self.short <= bar:
            return bar
        seats: dict[Seat, int] = {}
        for k, chosen in change.items():
            for cid, _, _ in self.units[k].courses:
                seats |= dict.fromkeys(((cid, p) for p in self.units[k].chosen), 0)
                seats |= self.open_seats(cid, chosen)
        delta: dict[Seat, float] = dict.fromkeys(seats, 0.0)
        for i in who:
            for key, w in self.share[i].items():
                delta[key] = delta.get(key, 0.0) - w
            for key, w in self.seat_share(i, moved).items():
                delta[key] = delta.get(key, 0.0) + w
        for key, d in delta.items():
            n, before = self.load.get(key, 0.0), self.seats.get(key, 0)
            g -= max(0.0, n + d - seats.get(key, before)) - max(0.0, n - before)
        return g

    def apply(self, change: Mapping[int, list[int]]) -> None:
        """Make the change, and weigh again the schedules of the students it touches."""
        self.changes += 1
        for k, chosen in change.items():
            for cid, terms, n in self.units[k].courses:
                for p in self.units[k].chosen:
                    self.seats.pop((cid, p), None)
                self.member[cid] = (k, terms, self.units[k].sections - n)
                self.offered[cid] = self.offer(cid, chosen)
                self.seats |= self.open_seats(cid, chosen)
            self.units[k].chosen = chosen
        for i in sorted({i for k in change for i in self.asking[k]}):
            fit, share = self.fit(i), self.seat_share(i)
            if (fit, share) != (self.now[i], self.share[i]):
                self.changed_at[i] = self.changes
            for key, w in self.share[i].items():
                self.load[key] -= w
            for key, w in share.items():
                self.load[key] = self.load.get(key, 0.0) + w
            self.now[i], self.share[i] = fit, share
        self.short = sum(max(0.0, n - self.seats.get(key, 0)) for key, n in self.load.items())

