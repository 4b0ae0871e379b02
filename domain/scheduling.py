"""Student programs: the checks on an add, drop or swap, what a complete
schedule is, and the semester rollover. Pure rules over plain records, so
the workstation (instantly, offline) and the server (authoritatively) run
the same code.

Dates are ISO text, which compares as the dates do. A year-long section
belongs to the first term it meets in and runs to the end of its school
year; a semester section runs through its own term.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# How a finding stops an edit: BLOCK can't be saved; OVERRIDE is saved only
# with a reason (kept in the audit trail); WARN is for the counselor to know.
BLOCK, OVERRIDE, WARN = "block", "override", "warn"

PASSING_MARKS = frozenset({"A", "B", "C"})

# Who builds programs and the master schedule (a clerk only looks).
SCHEDULING_ROLES = frozenset({"counselor", "school_admin", "district_admin"})


@dataclass(frozen=True)
class Term:
    id: str
    school_year_id: str
    name: str
    sequence: int
    start_date: str
    end_date: str


@dataclass(frozen=True)
class Course:
    id: str
    code: str
    title: str
    department: str
    duration: str  # "year" or "semester"
    grade_min: int
    grade_max: int

    def admits(self, grade: int) -> bool:
        return self.grade_min <= grade <= self.grade_max


@dataclass(frozen=True)
class Section:
    id: str
    course_id: str
    term_id: str
    section_number: str
    period: int
    room: str
    teacher_id: str
    capacity: int


@dataclass(frozen=True)
class Entry:
    """A student's time in a section (`section_enrollments`)."""

    id: str
    student_id: str
    section_id: str
    begin_date: str
    end_date: str | None


@dataclass(frozen=True)
class PastMark:
    """A final mark of a past term (`transcript_entries`)."""

    school_year: str
    course_code: str
    mark: str


@dataclass(frozen=True)
class Requirement:
    """A grade's complete schedule: periods 1..required_periods each taken,
    and one course from each group of course codes."""

    grade_level: int
    required_periods: int
    required_groups: tuple[frozenset[str], ...] = ()

    @classmethod
    def parse(cls, grade_level: int, required_periods: int, text: str | None) -> Requirement:
        groups = tuple(frozenset(c.strip() for c in g.split("|") if c.strip())
                       for g in (text or "").split(";") if g.strip())
        return cls(grade_level, required_periods, groups)


@dataclass(frozen=True)
class Finding:
    check: str  # period_conflict, section_full, course_passed, grade_level, term_mismatch,
    #             already_taking, required_missing, date_order
    severity: str
    message: str


@dataclass
class Catalog:
    """A school's terms, courses and sections, with the dates each section runs."""

    terms: Mapping[str, Term]
    courses: Mapping[str, Course]
    sections: Mapping[str, Section]
    _spans: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    def course_of(self, section: Section) -> Course:
        return self.courses[section.course_id]

    def span(self, section: Section) -> tuple[str, str]:
        """First and last day the section meets."""
        cached = self._spans.get(section.id)
        if cached is None:
            term = self.terms[section.term_id]
            end = term.end_date
            if self.courses[section.course_id].duration == "year":
                end = max(t.end_date for t in self.terms.values()
                          if t.school_year_id == term.school_year_id)
            cached = self._spans[section.id] = (term.start_date, end)
        return cached

    def entry_span(self, entry: Entry) -> tuple[str, str]:
        start, end = self.span(self.sections[entry.section_id])
        last = end if entry.end_date is None else min(end, entry.end_date)
        return max(start, entry.begin_date), last

    def term_on(self, day: str) -> Term | None:
        return next((t for t in sorted(self.terms.values(), key=lambda t: t.start_date)
                     if t.start_date <= day <= t.end_date), None)

    def describe(self, section: Section) -> str:
        return f"{self.courses[section.course_id].title} (section {section.section_number})"


def active_on(catalog: Catalog, entries: Iterable[Entry], day: str) -> list[Entry]:
    """The entries a student is in on a day."""
    out = []
    for e in entries:
        start, last = catalog.entry_span(e)
        if start <= day <= last:
            out.append(e)
    return out


def _overlaps(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1] and a[0] <= a[1] and b[0] <= b[1]


def teacher_clash(catalog: Catalog, section: Section) -> Section | None:
    """Another section the same teacher has in the same period on any of
    the same days (a year-long fall section goes on into spring)."""
    span = catalog.span(section)
    return next((s for s in sorted(catalog.sections.values(), key=lambda s: s.section_number)
                 if s.id != section.id and s.teacher_id == section.teacher_id
                 and s.period == section.period and _overlaps(catalog.span(s), span)), None)


# ------------------------------------------------------------ the checks


def check_change(*, catalog: Catalog, program: Sequence[Entry], grade_level: int, on: str,
                 add: Section | None = None, drop: Entry | None = None,
                 enrolled_in_add: int = 0, history: Sequence[PastMark] = (),
                 requirement: Requirement | None = None) -> list[Finding]:
    """Everything a counselor should know before adding `add` from `on`,
    dropping `drop` after `on`, or both (a swap). `program` is the
    student's entries as they stand; `enrolled_in_add` is how many students
    the added section has now."""
    findings: list[Finding] = []
    kept = [e for e in program if drop is None or e.id != drop.id]
    if drop is not None:
        findings += _check_drop(catalog, drop, on)
    if add is not None:
        findings += _check_add(catalog, kept, grade_level, on, add, enrolled_in_add, history,
                               swapped=drop)
    if requirement is not None and (drop is not None or add is not None):
        findings += _check_requirements(catalog, kept, on, add, requirement)
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == BLOCK]


def needing_reason(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == OVERRIDE]


def _check_drop(catalog: Catalog, drop: Entry, on: str) -> list[Finding]:
    if on < drop.begin_date:
        return [Finding("date_order", BLOCK,
                        f"The drop date {on} is before the class began ({drop.begin_date}).")]
    return []


def _check_add(catalog: Catalog, kept: Sequence[Entry], grade: int, on: str, add: Section,
               enrolled: int, history: Sequence[PastMark], swapped: Entry | None) -> list[Finding]:
    out: list[Finding] = []
    course = catalog.course_of(add)
    start, end = catalog.span(add)
    if not start <= on <= end:
        term = catalog.terms[add.term_id]
        out.append(Finding("term_mismatch", BLOCK,
                           f"{catalog.describe(add)} meets {start} to {end} ({term.name}); "
                           f"it can't begin on {on}."))
    elif swapped is not None:
        old = catalog.course_of(catalog.sections[swapped.section_id])
        if old.duration != course.duration:
            out.append(Finding(
                "term_mismatch", WARN,
                f"{old.title} is a {old.duration}-long course and {course.title} a "
                f"{course.duration}-long one: check period {add.period} for the other term."))
    new_span = (max(start, on), end)
    for e in kept:
        section = catalog.sections[e.section_id]
        span = catalog.entry_span(e)
        if not _overlaps(span, new_span):
            continue
        if section.course_id == add.course_id:
            out.append(Finding("already_taking", BLOCK,
                               f"Already in {catalog.describe(section)}, period "
                               f"{section.period}: swap sections instead."))
        elif section.period == add.period:
            out.append(Finding("period_conflict", BLOCK,
                               f"Period {add.period} is taken by {catalog.describe(section)} "
                               f"until {span[1]}: drop it or swap instead."))
    if enrolled >= add.capacity:
        out.append(Finding("section_full", OVERRIDE,
                           f"{catalog.describe(add)} is full ({enrolled} of {add.capacity}): "
                           "give a reason to go over capacity."))
    if not course.admits(grade):
        span_text = (f"grade {course.grade_min}" if course.grade_min == course.grade_max
                     else f"grades {course.grade_min}–{course.grade_max}")
        out.append(Finding("grade_level", OVERRIDE,
                           f"{course.title} is for {span_text}; this student is in grade "
                           f"{grade}: give a reason to place them anyway."))
    passed = passed_with(history, course.code)
    if passed is not None:
        out.append(Finding("course_passed", OVERRIDE,
                           f"Already passed {course.title} with {_article(passed.mark)} "
                           f"({passed.school_year}): give a reason to repeat it."))
    return out


def passed_with(history: Sequence[PastMark], course_code: str) -> PastMark | None:
    """The latest year's marks for the course if all are C or better."""
    taken = [m for m in history if m.course_code == course_code]
    if not taken:
        return None
    latest = max(m.school_year for m in taken)
    marks = [m for m in taken if m.school_year == latest]
    if all(m.mark in PASSING_MARKS for m in marks):
        return max(marks, key=lambda m: "ABC".index(m.mark))  # the lowest mark
    return None


def _article(mark: str) -> str:
    return f"an {mark}" if mark in ("A", "F") else f"a {mark}"


def _check_requirements(catalog: Catalog, kept: Sequence[Entry], on: str, add: Section | None,
                        requirement: Requirement) -> list[Finding]:
    codes = {catalog.course_of(catalog.sections[e.section_id]).code
             for e in kept if catalog.entry_span(e)[1] >= on}
    if add is not None:
        codes.add(catalog.course_of(add).code)
    out = []
    for group in requirement.required_groups:
        if not codes & group:
            names = sorted(c.title for c in catalog.courses.values() if c.code in group)
            out.append(Finding("required_missing", WARN,
                               f"Grade {requirement.grade_level} requires "
                               f"{' or '.join(names) or ' or '.join(sorted(group))}, "
                               "and this program has none."))
    return out


# ------------------------------------------------------ complete schedules


def missing_periods(periods_taken: Iterable[int], required_periods: int) -> list[int]:
    """Periods 1..required_periods the student has no class in: fewer
    periods than the grade needs, or a gap in the day."""
    taken = set(periods_taken)
    return [p for p in range(1, required_periods + 1) if p not in taken]


@dataclass(frozen=True)
class Incomplete:
    student_id: str
    grade_level: int
    missing: tuple[int, ...]


def students_without_complete_schedule(
        *, catalog: Catalog, students: Mapping[str, int], entries: Iterable[Entry], day: str,
        requirements: Mapping[int, Requirement]) -> list[Incomplete]:
    """Enrolled students (id -> grade) whose program on `day` misses a
    required period, in student order."""
    taken: dict[str, set[int]] = {sid: set() for sid in students}
    for e in entries:
        periods = taken.get(e.student_id)
        if periods is None:
            continue
        start, last = catalog.entry_span(e)
        if start <= day <= last:
            periods.add(catalog.sections[e.section_id].period)
    out = []
    for sid, grade in students.items():
        req = requirements.get(grade)
        if req is None:
            continue
        missing = missing_periods(taken[sid], req.required_periods)
        if missing:
            out.append(Incomplete(sid, grade, tuple(missing)))
    return out


# ------------------------------------------------------------- rollover


@dataclass
class RolloverPlan:
    from_term: Term
    to_term: Term
    ends: list[Entry] = field(default_factory=list)  # with their new end dates
    adds: list[Entry] = field(default_factory=list)
    carried: int = 0  # year-long entries that simply go on
    unplaced: list[tuple[str, int, str]] = field(default_factory=list)  # student, period, why

    @property
    def changes(self) -> int:
        return len(self.ends) + len(self.adds)

    @property
    def students(self) -> set[str]:
        return {e.student_id for e in self.ends} | {e.student_id for e in self.adds}


def next_term(catalog: Catalog, term: Term) -> Term | None:
    later = [t for t in catalog.terms.values()
             if t.school_year_id == term.school_year_id and t.sequence > term.sequence]
    return min(later, key=lambda t: t.sequence) if later else None


def plan_rollover(*, catalog: Catalog, entries: Iterable[Entry], from_term: Term,
                  to_term: Term, enrolled_students: Iterable[str]) -> RolloverPlan:
    """What moving from one term to the next changes: semester entries of
    `from_term` end on its last day; each student goes on in the next-term
    section of the same period and teacher (the master schedule's
    follow-on section), or failing that of the same course; year-long
    entries carry on. Made from the state it finds, so a plan made after
    applying one is empty."""
    plan = RolloverPlan(from_term, to_term)
    enrolled = set(enrolled_students)
    by_slot: dict[tuple[int, str], list[Section]] = {}
    by_course_period: dict[tuple[str, int], list[Section]] = {}
    for s in catalog.sections.values():
        if s.term_id == to_term.id:
            by_slot.setdefault((s.period, s.teacher_id), []).append(s)
            by_course_period.setdefault((s.course_id, s.period), []).append(s)
    entries = list(entries)
    count: dict[str, int] = {}
    in_next: set[tuple[str, int]] = set()
    for e in entries:
        s = catalog.sections[e.section_id]
        start, last = catalog.entry_span(e)
        if last >= to_term.start_date and start <= to_term.end_date:
            count[s.id] = count.get(s.id, 0) + 1
            in_next.add((e.student_id, s.period))
    for e in sorted(entries, key=lambda e: (e.student_id, e.id)):
        s = catalog.sections[e.section_id]
        if s.term_id != from_term.id or e.student_id not in enrolled:
            continue
        if e.end_date is not None and e.end_date < from_term.end_date:
            continue  # dropped during the term
        if catalog.course_of(s).duration == "year":
            plan.carried += 1
            continue
        if e.end_date is None or e.end_date > from_term.end_date:
            plan.ends.append(Entry(e.id, e.student_id, e.section_id, e.begin_date,
                                   from_term.end_date))
        if (e.student_id, s.period) in in_next:
            continue
        options = by_slot.get((s.period, s.teacher_id)) or by_course_period.get(
            (s.course_id, s.period)) or []
        open_ = [o for o in options if count.get(o.id, 0) < o.capacity]
        if not open_:
            why = ("its next-term sections are full" if options
                   else f"no {to_term.name} section follows it in period {s.period}")
            plan.unplaced.append((e.student_id, s.period, why))
            continue
        target = min(open_, key=lambda o: (count.get(o.id, 0), o.id))
        count[target.id] = count.get(target.id, 0) + 1
        in_next.add((e.student_id, s.period))
        plan.adds.append(Entry(rollover_entry_id(e.id, to_term), e.student_id, target.id,
                               to_term.start_date, None))
    return plan


def rollover_entry_id(entry_id: str, to_term: Term) -> str:
    return f"{entry_id}-t{to_term.sequence}"


def incomplete_after(plan: RolloverPlan, *, catalog: Catalog, entries: Iterable[Entry],
                     students: Mapping[str, int], requirements: Mapping[int, Requirement]
                     ) -> list[Incomplete]:
    """Who would begin the next term without a complete schedule once the
    plan is carried out."""
    after = {e.id: e for e in entries}
    after.update({e.id: e for e in plan.ends})
    after.update({e.id: e for e in plan.adds})
    return students_without_complete_schedule(
        catalog=catalog, students=students, entries=after.values(),
        day=plan.to_term.start_date, requirements=requirements)
