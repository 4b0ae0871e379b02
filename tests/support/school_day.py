"""A school day of front-office work for the sync tests, and what the server
made of it.

The day comes from the cache, never from the clock: the most recent day the
cache has attendance for, the school day the demo district is generated as
of (tests/support/clock.py), whatever today is (a weekend, an afternoon, the
summer).
Edits are found the way a clerk or a counselor finds them on screen: rolls
of sections that meet that day, and program changes the workstation's own
checks let through, keeping a seat for every add planned on any workstation
so the server never finds a section full that the screen showed open.

What the server made of the edits is read from its audit trail: how often
each edit was carried out, and which edit wrote each record last.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from district_server.store.tables import audit
from domain.edits import grade_mark_record, mark_record, submission_marks
from domain.records import attendance_submission_id, kind, record_from_row
from domain.scheduling import BLOCK, OVERRIDE
from local_store import queries
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.catalog import terms as load_terms
from local_store.scheduling.master_schedule import MasterRow, class_list, master_schedule
from local_store.scheduling.program import check_program_change, program_rows
from local_store.store import LocalStore
from tests.support.server import ROOT

# --------------------------------------------------------------- the day


@dataclass(frozen=True)
class SchoolDay:
    """The day the office works on, and the dates its edits carry."""

    date: str  # attendance is taken for this day; a dropped class ends after it
    last_in_old: str  # a swapped-out class's last day
    first_in_new: str  # the first day in a class swapped or added into
    marks_on: str  # report-card marks are for the marking period holding this day


def _next_weekday(day: str) -> str:
    d = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d.isoformat()


def school_day_of(store: LocalStore) -> SchoolDay:
    """The most recent school day the cache has attendance for (before the
    year's first day has attendance, the first school day of the term)."""
    days = sorted({r["date"] for r in store.records("attendance_submissions")})
    if days:
        date = days[-1]
    else:
        start = min(t.start_date for t in load_terms(store))
        date = start if dt.date.fromisoformat(start).weekday() < 5 else _next_weekday(start)
    earlier = [d for d in days if d < date]
    term = load_catalog(store).term_on(date)
    if earlier and term is not None and earlier[-1] >= term.start_date:
        # Swapped from the day before into the new class today.
        return SchoolDay(date, earlier[-1], date, earlier[-1])
    # The term's first day: out of the old class after today, in the new tomorrow.
    return SchoolDay(date, date, _next_weekday(date), date)


# ------------------------------------------------------- attendance rolls


@dataclass(frozen=True)
class ClassMeeting:
    """A section meeting on the day, with the students on its roll."""

    section_id: str
    period: int
    students: tuple[str, ...]


def classes_meeting(store: LocalStore, day: SchoolDay,
                    periods: Iterable[int]) -> list[ClassMeeting]:
    """Sections of these periods with students on the day, by period and section number."""
    wanted = set(periods)
    out = []
    for row in master_schedule(store, on=day.date):
        if row.period not in wanted:
            continue
        students = tuple(r["student_id"] for r in class_list(store, row.section_id,
                                                             on=day.date))
        if students:
            out.append(ClassMeeting(row.section_id, row.period, students))
    return out


ABSENCE_NOTES = ("Parent called - ill", "Doctor appointment", "Note from parent")


def roll_payload(cls: ClassMeeting, day: SchoolDay, rng: random.Random) -> dict[str, Any]:
    """A whole roll as a clerk submits it: everyone marked, most present,
    some absent (a few excused with a note), some tardy with their minutes."""
    marks = []
    for student in cls.students:
        r = rng.random()
        if r < 0.08:
            mark: dict[str, Any] = {"code": "A"}
        elif r < 0.12:
            mark = {"code": "E", "note": rng.choice(ABSENCE_NOTES)}
        elif r < 0.18:
            mark = {"code": "T", "minutes_late": rng.randint(2, 25)}
        else:
            mark = {"code": "P"}
        marks.append({"student_id": student, **mark})
    return {"section_id": cls.section_id, "date": day.date, "period": cls.period,
            "marks": marks}


def mark_payload(cls: ClassMeeting, student: str, day: SchoolDay, code: str, **extra) -> dict:
    return {"student_id": student, "section_id": cls.section_id, "date": day.date,
            "period": cls.period, "code": code, **extra}


# ------------------------------------------------------- report-card marks


def marking_period_on(store: LocalStore, day: str) -> dict[str, Any]:
    return next(mp for mp in store.records("marking_periods")
                if mp["start_date"] <= day <= mp["end_date"])


def classes_of(store: LocalStore, student_id: str, day: SchoolDay) -> list[str]:
    """The sections a student is in on the marks' day: a mark for any of
    them belongs on that marking period's card."""
    return [r.section_id for r in program_rows(store, student_id, on=day.marks_on)]


def grade_payload(student_id: str, section_id: str, period: dict[str, Any], mark: str,
                  **extra) -> dict[str, Any]:
    # A reason always: the marking period may have closed (a change then needs one).
    return {"student_id": student_id, "section_id": section_id,
            "marking_period_id": period["id"], "mark": mark,
            "reason": "Grade change form from the teacher", **extra}


# --------------------------------------------------------- program changes


def fine(findings) -> bool:
    """Nothing that blocks the change or needs a reason."""
    return not any(f.severity in (BLOCK, OVERRIDE) for f in findings)


def enrolled_students(store: LocalStore, day: SchoolDay) -> list[str]:
    return sorted(r["student_id"] for r in store.records("school_enrollments")
                  if r["entry_date"] <= day.date and r["exit_date"] is None)


def students_with_a_free_period(store: LocalStore, day: SchoolDay) -> list[str]:
    """Enrolled students with a period free from the first day of a new
    class: each can have a class added, dropped or swapped."""
    periods = len(queries.bell_schedule(store))
    return [s for s in enrolled_students(store, day)
            if len({r.period for r in program_rows(store, s, on=day.first_in_new)}) < periods]


class Seats:
    """Seats taken by the adds planned so far, on every workstation: a
    section is offered only while it has one left for each of them."""

    def __init__(self) -> None:
        self.taken: Counter[str] = Counter()

    def left(self, row: MasterRow) -> bool:
        return row.capacity - row.enrolled - self.taken[row.section_id] >= 1

    def take(self, section_id: str) -> None:
        self.taken[section_id] += 1


PROGRAM_OPS = ("schedule.drop", "schedule.swap", "schedule.add")


def program_change(store: LocalStore, student_id: str, op: str, day: SchoolDay, seats: Seats,
                   rng: random.Random) -> dict[str, Any] | None:
    """A change of `op` to the student's program that the workstation's
    checks let through on its cache (None if there is none); an add or a
    swap takes its seat."""
    program = [r for r in program_rows(store, student_id, on=day.date)
               if r.end_date is None]
    if op == "schedule.drop":
        entries = [r for r in program if fine(check_program_change(
            store, student_id, on=day.date, drop_entry_id=r.entry_id))]
        if not entries:
            return None
        entry = rng.choice(entries)
        return {"student_id": student_id, "section_enrollment_id": entry.entry_id,
                "end_date": day.date}
    rows = [r for r in master_schedule(store, on=day.first_in_new) if seats.left(r)]
    rng.shuffle(rows)
    if op == "schedule.swap":
        entries = [r for r in program if r.begin_date <= day.last_in_old]
        rng.shuffle(entries)
        for entry in entries:
            for row in rows:
                if row.period == entry.period and row.section_id != entry.section_id and fine(
                        check_program_change(store, student_id, on=day.first_in_new,
                                             add_section_id=row.section_id,
                                             drop_entry_id=entry.entry_id)):
                    seats.take(row.section_id)
                    return {"student_id": student_id, "section_enrollment_id": entry.entry_id,
                            "end_date": day.last_in_old, "section_id": row.section_id,
                            "new_section_enrollment_id": str(uuid.uuid4()),
                            "begin_date": day.first_in_new}
        return None
    assert op == "schedule.add", op
    taken = {r.period for r in program_rows(store, student_id, on=day.first_in_new)}
    for row in rows:
        if row.period not in taken and fine(check_program_change(
                store, student_id, on=day.first_in_new, add_section_id=row.section_id)):
            seats.take(row.section_id)
            return {"student_id": student_id, "section_id": row.section_id,
                    "begin_date": day.first_in_new,
                    "section_enrollment_id": str(uuid.uuid4())}
    return None


def new_entry_of(op: str, payload: dict[str, Any]) -> str | None:
    """The schedule entry an add or a swap creates."""
    if op == "schedule.add":
        return payload["section_enrollment_id"]
    if op == "schedule.swap":
        return payload["new_section_enrollment_id"]
    return None


# ------------------------------------------------- what the edits write


# The fields a person typed, per kind of record an edit writes.
TYPED = {"attendance_marks": ("code", "minutes_late", "note"),
         "grade_marks": ("mark", "work_habits", "cooperation", "comments")}


def typed_records(op: str, payload: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The attendance and report-card records an edit writes, with the
    values the person typed (marks normalised as the server stores them)."""
    if op == "attendance.mark":
        marks = [payload]
    elif op == "attendance.submit":
        marks = submission_marks(payload)
    elif op == "grade.mark":
        r = grade_mark_record(payload, entered_by=None, entered_at="")
        return {("grade_marks", r["id"]): {f: r[f] for f in TYPED["grade_marks"]}}
    else:
        return {}
    out = {}
    for m in marks:
        r = mark_record(m, recorded_by=None, recorded_at="", workstation=None)
        out[("attendance_marks", r["id"])] = {f: r[f] for f in TYPED["attendance_marks"]}
    return out


def roll_id(payload: dict[str, Any]) -> str:
    return attendance_submission_id(payload["section_id"], payload["date"], payload["period"])


# ----------------------------------------------- reading the server's side


def times_carried_out(engine, mutation_ids: Iterable[str]) -> dict[str, int]:
    """How many times the server carried out each edit, from its audit: the
    most entries any one record got from it. Each time an edit is carried
    out it writes each of its records once (a roll: its marks and maybe the
    submission; a swap: two entries and the program), so this is 1 for an
    edit applied once, 2 for one applied twice, 0 for one never applied."""
    ids = sorted(set(mutation_ids))
    per_record = (sa.select(audit.c.mutation_id, sa.func.count().label("n"))
                  .where(audit.c.mutation_id.in_(ids))
                  .group_by(audit.c.mutation_id, audit.c.kind, audit.c.record_id).subquery())
    with engine.connect() as conn:
        found = dict(conn.execute(sa.select(per_record.c.mutation_id, sa.func.max(per_record.c.n))
                                  .group_by(per_record.c.mutation_id)).all()) if ids else {}
    return {m: found.get(m, 0) for m in ids}


def last_writes(engine, school_id: str,
                keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """The edit (mutation id) that wrote each record last, by the server's
    audit (written in the school's sequence order)."""
    keys = set(keys)
    record_ids = sorted({r for _, r in keys})
    latest: dict[tuple[str, str], tuple[int, str | None]] = {}
    with engine.connect() as conn:
        for start in range(0, len(record_ids), 500):
            rows = conn.execute(sa.select(audit.c.id, audit.c.kind, audit.c.record_id,
                                          audit.c.mutation_id)
                                .where(audit.c.school_id == school_id)
                                .where(audit.c.record_id.in_(record_ids[start:start + 500])))
            for audit_id, k, record_id, mutation in rows:
                if (k, record_id) in keys and audit_id > latest.get((k, record_id), (-1, None))[0]:
                    latest[(k, record_id)] = (audit_id, mutation)
    return {key: latest[key][1] if key in latest else None for key in keys}


def records_of(dump: dict[str, dict[str, tuple]], k: str) -> dict[str, dict[str, Any]]:
    """One kind of a `server_dump` (or `LocalStore.dump`) as records by id."""
    return {i: record_from_row(kind(k), row) for i, row in dump[k].items()}


# ------------------------------------------- a workstation syncing on its own


def start_sync(data_dir: Path, password: str, log: Path, *,
               crash_at: str | None = None) -> subprocess.Popen:
    """`main.py --data DIR sync` as its own process (MISIS_CRASH_AT makes it
    kill itself at that named point); its output goes to `log`."""
    env = {**os.environ, "MISIS_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    env.pop("MISIS_CRASH_AT", None)
    if crash_at:
        env["MISIS_CRASH_AT"] = crash_at
    with open(log, "ab") as out:
        out.write(f"--- sync (crash at {crash_at})\n".encode())
        out.flush()
        return subprocess.Popen([sys.executable, "main.py", "--data", str(data_dir), "sync"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
