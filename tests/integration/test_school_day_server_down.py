"""The server-down school day: three front-office workstations of the high
school work a whole morning with the district server down, then sync at
once as their own processes, killed at random on the way, until done.

A day's attendance for three periods, about fifty program changes (some
students changed on both counselors' workstations) and report-card marks
are queued offline. When the server is back, nothing may be lost or
doubled: every edit is carried out exactly once, except the program
changes made against a program someone else changed first, which wait, shown,
on the workstation that synced second; every mark holds the value its last
writer set; every cache ends equal to the server.

Runs on SQLite and on PostgreSQL (the `server` fixture). Everything random
comes from one seed, and the day from the cache, not the clock; the server
runs on the morning of that day (it decides which marking periods are closed).
"""
from __future__ import annotations

import random
import signal
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from local_store.store import LocalStore
from sync import faults
from sync.client import ServerUnreachable
from sync.workstation import Workstation
from tests.integration.helpers import server_dump, times_applied
from tests.support.fixtures import password_of
from tests.support.school_day import (
    PROGRAM_OPS,
    ClassMeeting,
    SchoolDay,
    Seats,
    classes_meeting,
    classes_of,
    enrolled_students,
    grade_payload,
    last_writes,
    mark_payload,
    marking_period_on,
    new_entry_of,
    program_change,
    records_of,
    roll_id,
    roll_payload,
    school_day_of,
    start_sync,
    times_carried_out,
    typed_records,
)

pytestmark = pytest.mark.usefixtures("school_day_clock")

SEED = 20261204
PERIODS = (1, 2, 3)
ROLLS_PER_PERIOD = 4
PROGRAM_CHANGES = 50
CONTESTED = 6  # students both counselors change
CHAOS_ROUNDS = 2
# Where a syncing process may die on its own (it has its school already).
CRASH_POINTS = tuple(p for p in faults.POINTS if not p.startswith("bootstrap."))
PUSH_POINTS = tuple(p for p in CRASH_POINTS if p.startswith("push."))
KILLED = -signal.SIGKILL


@dataclass
class Queued:
    desk: str
    mutation_id: str
    op: str
    payload: dict


@dataclass
class Desk:
    """One front-office workstation and everything it queued."""

    name: str
    username: str
    ws: Workstation
    password: str
    log: Path
    queued: list[Queued] = field(default_factory=list)

    def edit(self, store: LocalStore, op: str, payload: dict) -> Queued:
        q = Queued(self.name, self.ws.edit(store, op, payload), op, payload)
        self.queued.append(q)
        return q

    def store(self) -> closing[LocalStore]:
        return closing(self.ws.open_store())


# --------------------------------------------------------- the day's work


def take_attendance(clerk: Desk, counselor: Desk, store: LocalStore, day: SchoolDay,
                    rng: random.Random) -> list[ClassMeeting]:
    """The clerk submits each period's rolls and corrects a few marks after
    phone calls; the counselor excuses a few students of those classes for
    a school activity (the same marks: whoever reaches the server last wins)."""
    classes = []
    for period in PERIODS:
        meeting = [c for c in classes_meeting(store, day, [period]) if len(c.students) >= 3]
        classes += rng.sample(meeting, min(ROLLS_PER_PERIOD, len(meeting)))
    assert len(classes) >= 2 * len(PERIODS), "too few sections meet on the day"
    for cls in classes:
        clerk.edit(store, "attendance.submit", roll_payload(cls, day, rng))
    for cls in rng.sample(classes, 4):
        clerk.edit(store, "attendance.mark", mark_payload(
            cls, rng.choice(cls.students), day, "E", note="Parent called - ill",
            reason="phone call"))
    with counselor.store() as theirs:
        for cls in rng.sample(classes, 3):
            counselor.edit(theirs, "attendance.mark", mark_payload(
                cls, rng.choice(cls.students), day, "F", note="College fair"))
    return classes


def enter_marks(clerk: Desk, store: LocalStore, counselors: list[Desk], classes, day: SchoolDay,
                rng: random.Random) -> None:
    """The clerk types the teachers' report-card marks; one counselor changes
    some of the same marks from grade-change forms, the other enters others."""
    period = marking_period_on(store, day.marks_on)
    pairs = sorted({(s, sec) for cls in classes for s in cls.students[:3]
                    for sec in classes_of(store, s, day)[:1]})
    rng.shuffle(pairs)
    typed = [(s, sec, rng.choice("ABCDF"), rng.choice("ESU")) for s, sec in pairs[:18]]
    for student, section, mark, habits in typed[:16]:
        clerk.edit(store, "grade.mark", grade_payload(student, section, period, mark,
                                                      work_habits=habits, cooperation="S"))
    changed, own = counselors
    with changed.store() as theirs:
        for student, section, mark, _ in typed[:3]:
            changed.edit(theirs, "grade.mark", grade_payload(
                student, section, period, "B" if mark != "B" else "C", comments="04"))
    with own.store() as theirs:
        for student, section, mark, habits in typed[16:18]:
            own.edit(theirs, "grade.mark", grade_payload(student, section, period, mark,
                                                         work_habits=habits))


def change_programs(counselors: list[Desk], day: SchoolDay, rng: random.Random) -> set[str]:
    """About fifty program changes the checks let through on each counselor's
    screen, a few students changed twice in a row on one workstation, and
    the first CONTESTED students changed on both. Returns those students."""
    seats = Seats()
    stores = {d.name: d.ws.open_store() for d in counselors}
    try:
        students = enrolled_students(stores[counselors[0].name], day)
        rng.shuffle(students)
        contested: set[str] = set()
        made = 0
        for i, student in enumerate(students):
            if made >= PROGRAM_CHANGES:
                break
            desks = counselors if i < CONTESTED else [counselors[i % 2]]
            for desk in desks:
                changes = 2 if rng.random() < 0.15 else 1
                for _ in range(changes):
                    for op in rng.sample(PROGRAM_OPS, len(PROGRAM_OPS)):
                        payload = program_change(stores[desk.name], student, op, day, seats, rng)
                        if payload is not None:
                            desk.edit(stores[desk.name], op, payload)
                            made += 1
                            break
            if i < CONTESTED:
                assert all(any(q.payload.get("student_id") == student for q in d.queued)
                           for d in counselors), f"no change found for {student}"
                contested.add(student)
        assert made >= PROGRAM_CHANGES
        return contested
    finally:
        for store in stores.values():
            store.close()


# --------------------------------------------------- syncing, killed at random


@dataclass
class Run:
    desk: Desk
    process: subprocess.Popen
    crash_at: str | None
    kill_at: float | None  # time.monotonic() when the test kills it


def sync_round(desks: list[Desk], rng: random.Random, *, chaos: bool = False,
               crash_at: list[str] | None = None, together: bool = True) -> list[int]:
    """Each workstation syncs as its own process, all at once (or one after
    another). `crash_at` names the point each kills itself at; with chaos,
    most die on the way: killed after a random delay, or killing themselves
    at a random named point. Returns the exit codes."""
    runs = []
    for i, desk in enumerate(rng.sample(desks, len(desks))):
        point = crash_at[i] if crash_at else None
        kill_after = None
        if chaos and rng.random() < 0.8:
            if rng.random() < 0.5:
                point = rng.choice(CRASH_POINTS)
            else:
                kill_after = rng.uniform(0.3, 2.5)
        process = start_sync(desk.ws.data_dir, desk.password, desk.log, crash_at=point)
        run = Run(desk, process, point,
                  None if kill_after is None else time.monotonic() + kill_after)
        runs.append(run)
        if not together:
            finish([run])
    finish(runs)
    return [r.process.returncode for r in runs]


def finish(runs: list[Run]) -> None:
    """Wait for each process; kill those still syncing when their time is up."""
    for run in sorted(runs, key=lambda r: r.kill_at or float("inf")):
        if run.kill_at is not None:
            try:
                run.process.wait(timeout=max(0.0, run.kill_at - time.monotonic()))
            except subprocess.TimeoutExpired:
                run.process.send_signal(signal.SIGKILL)
        run.process.wait(timeout=120)
    for run in runs:
        code = run.process.returncode
        allowed = {0} if run.crash_at is None and run.kill_at is None else {0, KILLED}
        assert code in allowed, (f"{run.desk.name}'s sync ended with {code}:\n"
                                 + run.desk.log.read_text(errors="replace")[-3000:])


def pending(desks: list[Desk]) -> int:
    total = 0
    for desk in desks:
        with desk.store() as store:
            total += store.outbox_counts()["pending"]
    return total


# ------------------------------------------------------------------- the test


def test_a_school_day_with_the_server_down_loses_nothing_and_doubles_nothing(
        server, workstation, school, demo_district, tmp_path):
    rng = random.Random(SEED)
    # The school's counselor and its administrator both change programs.
    people = (("counselor", f"counselor.{school.code}"), ("admin", f"admin.{school.code}"),
              ("clerk", f"clerk.{school.code}"))
    desks = [Desk(name, user, workstation(name, user), password_of(demo_district, user),
                  tmp_path / f"sync-{name}.log") for name, user in people]
    counselor, admin, clerk = desks
    for desk in desks:
        with desk.store() as store:
            assert desk.ws.sync(store).bootstrapped

    # --- 7:30: the district server goes down; the office works on.
    server.stop()
    with clerk.store() as store:
        day = school_day_of(store)
        classes = take_attendance(clerk, counselor, store, day, rng)
        enter_marks(clerk, store, [admin, counselor], classes, day, rng)
    contested = change_programs([counselor, admin], day, rng)
    queued = [q for d in desks for q in d.queued]
    # A sync tried meanwhile says so and keeps every edit.
    clerk.ws.retries = 0
    with clerk.store() as store:
        with pytest.raises(ServerUnreachable):
            clerk.ws.sync(store)
        assert store.outbox_counts()["pending"] == len(clerk.queued)

    # --- 11:00: the server is back; everyone syncs at once, and dies on the way.
    server.start()
    # First each dies in its push: before sending, after the server
    # committed it, or while writing the answers down.
    first = sync_round(desks, rng, crash_at=rng.sample(PUSH_POINTS, len(desks)))
    assert first == [KILLED] * len(desks)
    for _ in range(CHAOS_ROUNDS):
        sync_round(desks, rng, chaos=True)
    for _ in range(3):
        sync_round(desks, rng, chaos=False)
        if pending(desks) == 0:
            break
    else:
        pytest.fail("the outboxes never emptied")
    sync_round(desks, rng, chaos=False, together=False)  # each pulls what all sent

    # --- what everyone sees now.
    state = server_dump(server.engine, school.id)
    waiting, shown = {}, {}
    for desk in desks:
        with desk.store() as store:
            assert store.dump() == state, f"{desk.name}'s cache differs from the server"
            counts = store.outbox_counts()
            assert (counts["pending"], counts["rejected"]) == (0, 0), (
                desk.name, [e["answer"] for e in store.outbox_entries("rejected")])
            for entry in store.outbox_entries("conflict"):
                waiting[entry["mutation_id"]] = entry
            shown[desk.name] = store.conflict_students()

    # Every edit carried out exactly once, unless it waits in conflict (read
    # from the audit per record: a roll writes many, a swap two, a mark one).
    done = times_carried_out(server.engine, [q.mutation_id for q in queued])
    doubled = {q.mutation_id: (q.op, done[q.mutation_id]) for q in queued
               if done[q.mutation_id] > 1}
    assert doubled == {}, f"edits carried out more than once: {doubled}"
    lost = [(q.desk, q.op) for q in queued
            if q.mutation_id not in waiting and done[q.mutation_id] != 1]
    assert lost == [], f"edits lost: {lost}"
    assert all(done[m] == 0 for m in waiting), "an edit in conflict was carried out too"
    # The same for edits of one record, counted as the other sync tests count.
    assert all(times_applied(server.engine, q.mutation_id) == done[q.mutation_id]
               for q in queued if q.op in ("attendance.mark", "schedule.add", "schedule.drop"))

    # Only program changes of students both counselors changed wait, each on
    # the workstation that synced second, shown there as a schedule conflict.
    for entry in waiting.values():
        assert entry["op"].startswith("schedule."), entry
        assert "changed by someone else" in entry["answer"]["reason"]
    waiting_students = {e["payload"]["student_id"] for e in waiting.values()}
    assert waiting_students == contested
    assert set(shown["counselor"]) | set(shown["admin"]) == contested
    assert not set(shown["counselor"]) & set(shown["admin"])
    assert shown["clerk"] == []
    for q in queued:
        if q.op.startswith("schedule.") and q.payload["student_id"] in contested:
            lost_here = q.payload["student_id"] in shown[q.desk]
            assert (q.mutation_id in waiting) == lost_here, (q.desk, q.op, q.payload)

    # The programs on the server are what the counselors saw applied.
    entries = records_of(state, "section_enrollments")
    for q in queued:
        new = new_entry_of(q.op, q.payload)
        if q.mutation_id in waiting:
            assert new is None or new not in entries
            continue
        if new is not None:
            e = entries[new]
            assert (e["student_id"], e["section_id"], e["begin_date"]) == (
                q.payload["student_id"], q.payload["section_id"], q.payload["begin_date"])
        if q.op in ("schedule.drop", "schedule.swap"):
            assert entries[q.payload["section_enrollment_id"]]["end_date"] == \
                q.payload["end_date"]

    # Every mark holds the value of the edit that reached the server last;
    # the record names that edit's workstation, and it was that
    # workstation's last word on the mark.
    writes: dict[tuple[str, str], list[Queued]] = {}
    for q in queued:
        for key in typed_records(q.op, q.payload):
            writes.setdefault(key, []).append(q)
    assert len(writes) > 200
    last = last_writes(server.engine, school.id, writes)
    by_id = {q.mutation_id: q for q in queued}
    desk_of_ws = {d.ws.settings.workstation_id: d.name for d in desks}
    desk_of_user = {d.username: d.name for d in desks}
    marks = {k: records_of(state, k) for k in ("attendance_marks", "grade_marks")}
    contested_marks = 0
    for (k, record_id), qs in writes.items():
        winner = by_id.get(last[(k, record_id)])
        assert winner is not None and winner in qs, (k, record_id)
        record = marks[k][record_id]
        writer = (desk_of_ws.get(record["workstation"]) if k == "attendance_marks"
                  else desk_of_user.get(record["entered_by"]))
        assert writer == winner.desk, (k, record_id, writer, winner.desk)
        assert winner is [q for q in qs if q.desk == winner.desk][-1], (k, record_id)
        expected = typed_records(winner.op, winner.payload)[(k, record_id)]
        assert {f: record[f] for f in expected} == expected, (k, record_id)
        contested_marks += len({q.desk for q in qs}) > 1
    assert contested_marks >= 4  # marks written on two workstations
    rolls = records_of(state, "attendance_submissions")
    assert all(roll_id(q.payload) in rolls for q in queued if q.op == "attendance.submit")
