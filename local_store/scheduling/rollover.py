"""The semester rollover's dry run, on this workstation from the cache, as the
rollover screen shows it (ui/scheduling/rollover.py): what
`domain.scheduling.plan_rollover` would change, and who would start the next
term without a complete schedule, and why.
"""
from __future__ import annotations

from dataclasses import dataclass

from domain.scheduling import (
    Incomplete,
    RolloverPlan,
    incomplete_after,
    next_term,
    plan_rollover,
)
from local_store.scheduling.catalog import (
    catalog_in,
    enrolled_students_in,
    entries_in,
    requirements_in,
    today,
)
from local_store.store import LocalStore


def rollover_dry_run(store: LocalStore, *, from_term_id: str | None = None,
                     on: str | None = None) -> tuple[RolloverPlan, list[Incomplete]] | None:
    """What the rollover from the current (or given) term would change, and
    who would start the next term without a complete schedule; None when
    the term is the last of its year."""
    day = on or today()
    with store.read() as conn:
        cat = catalog_in(conn)
        term = (cat.terms.get(from_term_id) if from_term_id else cat.term_on(day))
        if term is None:
            return None
        to = next_term(cat, term)
        if to is None:
            return None
        students = enrolled_students_in(conn, term.end_date)
        entries = entries_in(conn)
        reqs = requirements_in(conn)
    plan = plan_rollover(catalog=cat, entries=entries, from_term=term, to_term=to,
                         enrolled_students=students)
    return plan, incomplete_after(plan, catalog=cat, entries=entries, students=students,
                                  requirements=reqs)


# ------------------------------------------------ who is left short


@dataclass(frozen=True)
class RolloverGap:
    """A student who would start the next term without a complete schedule, and why."""

    student_id: str
    district_student_id: str
    last_name: str
    first_name: str
    grade_level: int
    missing: tuple[int, ...]
    why: str


def rollover_gaps(store: LocalStore, plan: RolloverPlan, incomplete: list[Incomplete], *,
                  on: str | None = None) -> list[RolloverGap]:
    """The dry run's incomplete schedules with names and, per missing period,
    the reason: the plan could not place them, or they have no class in that
    period now either."""
    term = plan.from_term
    day = min(max(on or today(), term.start_date), term.end_date)
    wanted = {i.student_id for i in incomplete}
    unplaced = {(s, p): why for s, p, why in plan.unplaced}
    with store.read() as conn:
        cat = catalog_in(conn)
        now: dict[str, set[int]] = {}
        for e in entries_in(conn):
            if e.student_id in wanted and e.section_id in cat.sections:
                start, last = cat.entry_span(e)
                if start <= day <= last:
                    now.setdefault(e.student_id, set()).add(cat.sections[e.section_id].period)
        people = {r[0]: r[1:] for r in conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name FROM students")}
    out = []
    for i in incomplete:
        reasons = []
        for p in i.missing:
            if (i.student_id, p) in unplaced:
                reasons.append(f"period {p}: {unplaced[(i.student_id, p)]}")
            elif p not in now.get(i.student_id, set()):
                reasons.append(f"period {p}: no class in {term.name} either")
            else:
                reasons.append(f"period {p}: the {term.name} class ends with the term")
        district, last, first = people.get(i.student_id, ("", "", ""))
        out.append(RolloverGap(i.student_id, district or "", last, first, i.grade_level,
                               i.missing, "; ".join(reasons)))
    out.sort(key=lambda g: (g.grade_level, g.last_name.lower(), g.first_name.lower()))
    return out
