"""A schedule edit that came back as a conflict: both versions, side by side,
and the edits that turn the server's program into the one the counselor
chose (DESIGN.md, "Sync": the counselor sees both versions and decides).

After a conflict the cache holds the *server's* program; the counselor's own
edits wait in the outbox. "Your version" is the server's program with those
edits applied, in the order they were made:

* a drop ends its class (a class the server already ended stays ended);
* an add puts its class in (a class the server already has open is not
  added twice: both made the same change);
* a swap is a drop and an add;
* in a period your edit changed, a class the server put there since your
  edit (someone else's change) gives way to yours in your version.

Classes the server ended since your edit stay visible ("dropped on the
server") so a counselor can keep them: nothing changes without being shown.

The rules (`merge_program`, `chosen_problems`, `resolution_edits`,
`check_resolution`) are pure; `conflict_view` gathers their facts from the
cache.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from domain.edits import program_id
from domain.scheduling import (
    BLOCK,
    OVERRIDE,
    Catalog,
    Entry,
    Finding,
    PastMark,
    Requirement,
    check_change,
)
from local_store.scheduling.catalog import catalog_in, enrolled_count
from local_store.scheduling.program import program_facts_in
from local_store.store import LocalStore

SCHEDULE_OPS = ("schedule.add", "schedule.drop", "schedule.swap")

# Where a class of either version is.
BOTH = "both"
ONLY_YOURS = "yours"
ONLY_SERVER = "server"
DROPPED_ON_SERVER = "dropped"  # in neither: the server ended it since your edit

ORIGIN_TEXT = {BOTH: "in both", ONLY_YOURS: "only in yours", ONLY_SERVER: "only on the server",
               DROPPED_ON_SERVER: "dropped on the server"}

Edit = tuple[str, dict[str, Any]]  # (op, payload), as queue_edit takes them


@dataclass(frozen=True)
class MergedClass:
    """One class of either version (a row of the combined checklist)."""

    entry_id: str  # the server's entry, or the new one your edit made
    section_id: str
    period: int
    begin_date: str  # the day it began (or begins, for your add)
    in_yours: bool
    in_server: bool
    changed_on_server: bool = False  # the server's record changed since your edit
    your_change: str | None = None  # "added" or "dropped": what your edits did to it
    end_date: str | None = None  # the server's end date (a class dropped on the server)
    your_end_date: str | None = None  # the last day your drop gave it
    override_reason: str | None = None  # the reason your add carried

    @property
    def origin(self) -> str:
        if self.in_yours and self.in_server:
            return BOTH
        if self.in_yours:
            return ONLY_YOURS
        if self.in_server:
            return ONLY_SERVER
        return DROPPED_ON_SERVER


@dataclass
class ProgramMerge:
    """The server's program, yours, and their union by period."""

    server: list[Entry]
    yours: list[Entry]
    classes: list[MergedClass] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return any(c.origin != BOTH for c in self.classes)

    def kept_by_yours(self) -> list[MergedClass]:
        return [c for c in self.classes if c.in_yours]

    def kept_by_server(self) -> list[MergedClass]:
        return [c for c in self.classes if c.in_server]

    @property
    def your_end_dates(self) -> dict[str, str]:
        """The last days your drops gave, by entry (for `resolution_edits`)."""
        return {c.entry_id: c.your_end_date for c in self.classes if c.your_end_date}


def in_program(catalog: Catalog, entry: Entry, on: str) -> bool:
    """Whether an entry is one of the student's classes from `on` on: still
    running (or yet to begin) and not ended early by a drop."""
    section = catalog.sections.get(entry.section_id)
    if section is None:
        return False
    start, last = catalog.entry_span(entry)
    span_end = catalog.span(section)[1]
    cut_short = entry.end_date is not None and entry.end_date < span_end
    return not cut_short and start <= last and last >= on


def merge_program(catalog: Catalog, server: Sequence[Entry], edits: Sequence[Edit], *,
                  on: str, seen_through: int | None = None,
                  versions: Mapping[str, int] | None = None) -> ProgramMerge:
    """Your version (the server's program with your edits applied, in order)
    and the union of both. `versions` are the server's record versions of the
    entries, `seen_through` the last change (sequence number) the workstation
    knew of when your edits were made: a record changed after it is someone
    else's change."""
    versions = versions or {}

    def changed(entry_id: str) -> bool:
        return seen_through is not None and versions.get(entry_id, 0) > seen_through

    def period(section_id: str) -> int:
        return catalog.sections[section_id].period

    work: dict[str, Entry] = {e.id: e for e in server}
    added: dict[str, dict[str, Any]] = {}  # new entry id -> the payload that added it
    dropped: dict[str, str] = {}  # entry id -> your end date
    matched: set[str] = set()  # server entries your add found already there
    touched: list[tuple[int, tuple[str, str]]] = []  # (period, days) your edits changed
    for op, p in edits:
        if op in ("schedule.drop", "schedule.swap"):
            entry = work.get(p["section_enrollment_id"])
            if entry is not None and entry.section_id in catalog.sections:
                last = catalog.span(catalog.sections[entry.section_id])[1]
                touched.append((period(entry.section_id), (_day(p["end_date"], 1), last)))
                if in_program(catalog, entry, on):
                    work[entry.id] = replace(entry, end_date=p["end_date"])
                    dropped[entry.id] = p["end_date"]
                else:
                    dropped.setdefault(entry.id, p["end_date"])  # the server ended it too
        if op in ("schedule.add", "schedule.swap") and p["section_id"] in catalog.sections:
            new_id = p["section_enrollment_id" if op == "schedule.add"
                       else "new_section_enrollment_id"]
            there = next((e for e in work.values() if e.section_id == p["section_id"]
                          and in_program(catalog, e, on)), None)
            if there is not None:
                matched.add(there.id)
                continue
            entry = Entry(new_id, p["student_id"], p["section_id"], p["begin_date"], None)
            touched.append((period(p["section_id"]), catalog.entry_span(entry)))
            work[new_id] = entry
            added[new_id] = dict(p)

    def contested(e: Entry) -> bool:
        span = catalog.entry_span(e)
        return any(period(e.section_id) == number and span[0] <= days[1] and days[0] <= span[1]
                   for number, days in touched)

    server_ids = {e.id for e in server}
    server_program = [e for e in server if in_program(catalog, e, on)]
    giving_way = {e.id for e in server_program
                  if e.id not in matched and e.id not in dropped and changed(e.id)
                  and contested(e)}
    yours = [e for e in work.values()
             if in_program(catalog, e, on) and e.id not in giving_way]
    your_ids = {e.id for e in yours}

    classes: list[MergedClass] = []
    for e in server_program:
        classes.append(MergedClass(
            e.id, e.section_id, period(e.section_id), e.begin_date, in_yours=e.id in your_ids,
            in_server=True, changed_on_server=changed(e.id),
            your_change="dropped" if e.id in dropped else None,
            your_end_date=dropped.get(e.id)))
    for e in yours:
        if e.id in server_ids:
            continue
        p = added[e.id]
        classes.append(MergedClass(
            e.id, e.section_id, period(e.section_id), e.begin_date, in_yours=True,
            in_server=False, your_change="added", override_reason=p.get("override_reason")))
    for e in server:
        if e.id in your_ids or in_program(catalog, e, on) or not changed(e.id):
            continue
        if e.section_id not in catalog.sections or catalog.span(
                catalog.sections[e.section_id])[1] < on:
            continue  # it would have ended by now anyway
        classes.append(MergedClass(
            e.id, e.section_id, period(e.section_id), e.begin_date, in_yours=False,
            in_server=False, changed_on_server=True,
            your_change="dropped" if e.id in dropped else None, end_date=e.end_date,
            your_end_date=dropped.get(e.id)))
    order = {BOTH: 0, ONLY_SERVER: 1, ONLY_YOURS: 2, DROPPED_ON_SERVER: 3}
    classes.sort(key=lambda c: (c.period, order[c.origin], c.begin_date, c.section_id))
    return ProgramMerge(server=server_program, yours=yours, classes=classes)


# ------------------------------------------------------- the chosen set


def _day(text: str, days: int) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=days)).isoformat()


def _begin_for(catalog: Catalog, c: MergedClass, today: str) -> str:
    """When a class the server doesn't have would begin: the day your add
    gave it, or today (never before its section meets, nor on a day the
    server's own entry of it still covers)."""
    start = catalog.span(catalog.sections[c.section_id])[0]
    if c.your_change == "added":
        return max(c.begin_date, start)
    after = _day(c.end_date, 1) if c.end_date else today
    return max(today, after, start)


def _chosen_span(catalog: Catalog, c: MergedClass, today: str) -> tuple[str, str]:
    start, end = catalog.span(catalog.sections[c.section_id])
    begin = c.begin_date if c.in_server else _begin_for(catalog, c, today)
    return max(start, begin), end


def chosen_problems(catalog: Catalog, chosen: Sequence[MergedClass], *, today: str) -> list[str]:
    """What makes a chosen set impossible before any rule is asked: two
    classes in one period, or one course twice, at the same time."""
    problems = []
    ordered = sorted(chosen, key=lambda c: (c.period, c.section_id))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            sa, sb = catalog.sections[a.section_id], catalog.sections[b.section_id]
            span_a, span_b = _chosen_span(catalog, a, today), _chosen_span(catalog, b, today)
            if not (span_a[0] <= span_b[1] and span_b[0] <= span_a[1]):
                continue
            if sa.course_id == sb.course_id:
                problems.append(f"{catalog.courses[sa.course_id].title} is ticked twice "
                                f"(sections {sa.section_number} and {sb.section_number}): "
                                "untick one of them.")
            elif a.period == b.period:
                problems.append(f"Period {a.period} has two classes ticked: "
                                f"{catalog.describe(sa)} and {catalog.describe(sb)}. A "
                                "student can be in one class a period: untick one of them.")
    return problems


def resolution_edits(server: Sequence[Entry], chosen: Iterable[MergedClass], today: str, *,
                     catalog: Catalog, student_id: str,
                     your_end_dates: Mapping[str, str] | None = None,
                     new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> list[Edit]:
    """The edits that turn the server's program (from `today` on) into the
    chosen classes: drops (ending on the day your drop gave, else yesterday,
    never before the class began), adds (beginning on the day your add gave,
    else today) and a swap where a period's class is replaced. A class never
    begins before the one it replaces (same period or same course) has
    ended. Drops come first, then swaps, then adds, so each edit finds its
    period free. `your_end_dates`: the end dates your drops gave, by entry."""
    chosen = list(chosen)
    keep = {c.entry_id for c in chosen}
    ends = your_end_dates or {}
    yesterday = _day(today, -1)
    drops = [(e, max(e.begin_date, ends.get(e.id) or yesterday))
             for e in server if in_program(catalog, e, today) and e.id not in keep]
    drops.sort(key=lambda d: (catalog.sections[d[0].section_id].period, d[0].id))

    def course(section_id: str) -> str:
        return catalog.sections[section_id].course_id

    adds: list[tuple[MergedClass, str]] = []
    for c in sorted((c for c in chosen if not c.in_server),
                    key=lambda c: (c.period, c.section_id)):
        begin = _begin_for(catalog, c, today)
        for e, end in drops:
            if (c.period == catalog.sections[e.section_id].period
                    or course(c.section_id) == course(e.section_id)) and begin <= end:
                begin = _day(end, 1)
        adds.append((c, begin))

    edits: list[Edit] = []
    swaps: list[Edit] = []
    for entry, end in drops:
        period = catalog.sections[entry.section_id].period
        partner = next((a for a in adds if a[0].period == period), None)
        if partner is None:
            edits.append(("schedule.drop", {"student_id": student_id,
                                            "section_enrollment_id": entry.id,
                                            "end_date": end}))
            continue
        adds.remove(partner)
        c, begin = partner
        swaps.append(("schedule.swap", _with_reason(c, {
            "student_id": student_id, "section_enrollment_id": entry.id, "end_date": end,
            "section_id": c.section_id, "new_section_enrollment_id": new_id(),
            "begin_date": begin})))
    edits += swaps
    edits += [("schedule.add", _with_reason(c, {
        "student_id": student_id, "section_id": c.section_id, "begin_date": begin,
        "section_enrollment_id": new_id()})) for c, begin in adds]
    return edits


def _with_reason(c: MergedClass, payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "override_reason": c.override_reason} if c.override_reason else payload


@dataclass(frozen=True)
class EditFinding:
    edit: Edit
    finding: Finding


def check_resolution(catalog: Catalog, program: Sequence[Entry], edits: Sequence[Edit], *,
                     grade_level: int, enrolled: Mapping[str, int],
                     history: Sequence[PastMark] = ()) -> list[EditFinding]:
    """The checks the server will make on each edit (the same rules,
    `check_change`, called as the server calls them), each against the
    program the edits before it leave. `enrolled` is how many students each
    added section has now."""
    entries = list(program)
    out: list[EditFinding] = []
    for op, p in edits:
        drop = next((e for e in entries if e.id == p.get("section_enrollment_id")), None) \
            if op in ("schedule.drop", "schedule.swap") else None
        add = catalog.sections.get(p["section_id"]) if op != "schedule.drop" else None
        if op == "schedule.drop":
            findings = check_change(catalog=catalog, program=entries, grade_level=grade_level,
                                    on=p["end_date"], drop=drop)
        else:
            findings = check_change(
                catalog=catalog, program=entries, grade_level=grade_level, on=p["begin_date"],
                add=add, drop=replace(drop, end_date=p["end_date"]) if drop else None,
                enrolled_in_add=enrolled.get(p["section_id"], 0), history=history)
        out += [EditFinding((op, p), f) for f in findings]
        if drop is not None:
            entries = [replace(e, end_date=p["end_date"]) if e.id == drop.id else e
                       for e in entries]
        if add is not None:
            new = p["section_enrollment_id" if op == "schedule.add"
                    else "new_section_enrollment_id"]
            entries.append(Entry(new, p["student_id"], add.id, p["begin_date"], None))
    return out


def refusing(findings: Iterable[EditFinding], *, reason: str | None) -> list[EditFinding]:
    """The findings the server would refuse the edits for: those that block,
    and those that need a reason when none is given."""
    return [f for f in findings if f.finding.severity == BLOCK
            or (f.finding.severity == OVERRIDE and not (reason or f.edit[1].get(
                "override_reason")))]


# ------------------------------------------------------------- the cache


@dataclass
class ConflictView:
    """Everything the conflict dialog shows about one student."""

    student_id: str
    catalog: Catalog
    entries: list[Entry]  # every entry of the server's program, ended ones too
    merge: ProgramMerge
    conflicts: list[dict[str, Any]]  # the conflicted outbox entries, oldest first
    pending: int  # this student's schedule edits not yet sent
    updated_by: str | None  # who made the server's last change
    program_version: int
    grade_level: int
    history: list[PastMark]
    requirement: Requirement | None
    on: str

    def enrolled(self, store: LocalStore, section_ids: Iterable[str]) -> dict[str, int]:
        with store.read() as conn:
            return {s: enrolled_count(conn, s, self.on) for s in set(section_ids)}


def seen_through(store: LocalStore, conflicts: Sequence[Mapping[str, Any]]) -> int | None:
    """The last change the workstation knew of when the edits were made: at
    least their base version (the program's), and at least the snapshot the
    cache was loaded from. (Records bulk-loaded with the school can be newer
    than their program's version; every later change of an entry touches the
    program after it, so it is newer than the base.)"""
    bases = [c["base_version"] for c in conflicts if c["base_version"] is not None]
    if not bases:
        return None
    loaded = store.get("bootstrap_seq")
    return max(min(bases), int(loaded) if loaded is not None else 0)


def conflict_view(store: LocalStore, student_id: str, *, on: str) -> ConflictView:
    """The server's program of a student (what the cache holds after a
    conflict), the conflicted edits, and the merge of both."""
    conflicts = store.schedule_edits(student_id, state="conflict")
    pending = len(store.schedule_edits(student_id, state="pending"))
    with store.read() as conn:
        facts = program_facts_in(conn, student_id)
        versions: dict[str, int] = dict(conn.exec_driver_sql(
            "SELECT id, version FROM section_enrollments WHERE student_id = ?",
            (student_id,)).all())
        edited_sections = [p["section_id"] for p in (c["payload"] for c in conflicts)
                           if "section_id" in p]
        catalog = catalog_in(conn, sorted({e.section_id for e in facts.entries}
                                        | set(edited_sections)))
        program = conn.exec_driver_sql(
            "SELECT updated_by FROM programs WHERE id = ?", (program_id(student_id),)).first()
    merge = merge_program(catalog, facts.entries, [(c["op"], c["payload"]) for c in conflicts],
                          on=on, seen_through=seen_through(store, conflicts), versions=versions)
    return ConflictView(student_id, catalog, facts.entries, merge, conflicts, pending,
                        program[0] if program else None, facts.program_version,
                        facts.grade_level, facts.history, facts.requirement, on)
