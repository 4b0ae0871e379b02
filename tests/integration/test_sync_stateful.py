"""Random offline work on three workstations of one school, synced in random
order through crashes and lost answers, always converges with no edit lost
and none doubled.

A Hypothesis state machine plays the school's clerk, counselor and
administrator: attendance marks and rolls, report-card marks and program
changes (some of one student on both counselors' screens) made offline, and
syncs in any order. Some syncs die at one of the sync's named crash points,
lose the server's answer on the way (the server did the work, the
workstation never heard), run while the person keeps editing, or reload the
whole school because the district compacted the change log. At every step
each edit is either still in its workstation's outbox or carried out on the
server, and none is carried out twice. After a last round of syncs with
nothing going wrong, every edit was carried out exactly once or waits, with
its reason, for a person (a schedule conflict, only where another
workstation changed the same student's program), every mark holds its last
writer's value, and every cache equals the server.

A crash is simulated in the process: the named point raises a BaseException
nothing in the sync code catches, and the cache is closed and opened again,
which drops the transaction the crash interrupted exactly as a killed
process would. An answer is lost by a loopback proxy that passes the request
on and closes the connection instead of answering.

One server per backend; in each example the workstations start from a new
cache, loaded from the server as it stands, and it checks only its own edits.
"""
from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import pytest
import requests
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from local_store.store import LocalStore
from sync import faults
from sync.client import ServerUnreachable
from sync.workstation import Workstation
from tests.integration.helpers import last_seq, server_dump
from tests.support.fixtures import password_of
from tests.support.proxy import LossyProxy
from tests.support.school_day import (
    PROGRAM_OPS,
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
    students_with_a_free_period,
    times_carried_out,
    typed_records,
)

SETTINGS = settings(
    max_examples=12, stateful_step_count=15, deadline=None, derandomize=True, database=None,
    # No shrinking: every example costs seconds of real syncing, and the
    # server moves on between examples, so a shrunk run would not replay.
    phases=(Phase.explicit, Phase.generate), print_blob=False,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large))

# (desk, user); the first two may change programs.
PEOPLE = (("counselor", "counselor.{code}"), ("admin", "admin.{code}"),
          ("clerk", "clerk.{code}"))
COUNSELORS = (0, 1)
# Few enough that both counselors often change the same student.
PROGRAM_STUDENTS = 6
PUSH_POINTS = tuple(p for p in faults.POINTS if p.startswith("push."))
PULL_POINTS = tuple(p for p in faults.POINTS if p.startswith("pull."))
# Points of a sync where no cache transaction is open: a person's edit can go in.
BETWEEN_TRANSACTIONS = ("push.before_send", "push.after_send", "pull.after_fetch")


class Crash(BaseException):
    """The workstation's process dies here: nothing in the sync code catches it."""


@contextmanager
def crashing_at(point: str) -> Iterator[None]:
    def fault(name: str) -> None:
        if name == point:
            raise Crash(name)
    with mock.patch.object(faults, "point", fault):
        yield


@contextmanager
def meanwhile(point: str, work: Callable[[], None]) -> Iterator[list[str]]:
    """Run `work` (a person's edit) when the sync reaches `point`, once."""
    reached: list[str] = []

    def at(name: str) -> None:
        if name == point and not reached:
            reached.append(name)
            work()
    with mock.patch.object(faults, "point", at):
        yield reached


@dataclass
class Office:
    """What every example shares: the server, the proxy in front of it, and
    the three workstations, each signed in once (through the proxy)."""

    server: object
    proxy: LossyProxy
    demo: object
    school: object
    folder: Path
    district_token: str
    signed_in: dict[str, Workstation] = field(default_factory=dict)
    # What the examples went through, to check the run tried what it claims.
    seen: Counter[str] = field(default_factory=Counter)

    def workstation(self, name: str, user: str) -> Workstation:
        if name not in self.signed_in:
            ws = Workstation(self.folder / name, retries=0)
            ws.sign_in(self.proxy.url, user, password_of(self.demo, user))
            self.signed_in[name] = ws
        return self.signed_in[name]

    def saw(self, what: str) -> None:
        event(what)
        self.seen[what] += 1


@dataclass
class Queued:
    desk: int
    mutation_id: str
    op: str
    payload: dict


class Desk:
    """A workstation with its cache of the school, new for each example: the
    last example's is removed (File → Remove this school's data) and the
    school loaded again as the server has it now."""

    def __init__(self, office: Office, name: str, user: str):
        self.user = user
        self.ws = office.workstation(name, user)
        self.ws.open_store().purge()
        self.store: LocalStore = self.ws.open_store()
        assert self.ws.sync(self.store).bootstrapped

    def reopen(self) -> None:
        """After a crash: what was committed is all there is."""
        self.store.close()
        self.store = self.ws.open_store()


class SchoolOffice(RuleBasedStateMachine):
    def __init__(self, office: Office):
        super().__init__()
        self.office = office
        code = office.school.code
        self.desks = [Desk(office, name, user.format(code=code)) for name, user in PEOPLE]
        self.queued: list[Queued] = []
        store = self.desks[2].store
        self.day = school_day_of(store)
        self.classes = classes_meeting(store, self.day, range(1, 8))
        self.marking_period = marking_period_on(store, self.day.marks_on)
        students = enrolled_students(store, self.day)
        self.program_students = students_with_a_free_period(store, self.day)[:PROGRAM_STUDENTS]
        self.gradable = [(s, sec) for s in students[-10:] for sec in classes_of(store, s, self.day)
                         if s not in self.program_students]
        self.seats = Seats()

    def edit(self, desk: int, op: str, payload: dict) -> None:
        d = self.desks[desk]
        self.queued.append(Queued(desk, d.ws.edit(d.store, op, payload), op, payload))

    # --- the office's work, offline

    @rule(desk=st.integers(0, 2), pick=st.integers(0, 10_000),
          code=st.sampled_from(("A", "E", "T", "P", "F")))
    def mark_attendance(self, desk, pick, code):
        cls = self.classes[pick % len(self.classes)]
        student = cls.students[pick // len(self.classes) % len(cls.students)]
        extra = {"minutes_late": 1 + pick % 29} if code == "T" else {}
        self.edit(desk, "attendance.mark", mark_payload(cls, student, self.day, code, **extra))

    @rule(desk=st.integers(0, 2), pick=st.integers(0, 10_000))
    def submit_roll(self, desk, pick):
        cls = self.classes[pick % len(self.classes)]
        self.edit(desk, "attendance.submit", roll_payload(cls, self.day, random.Random(pick)))

    @rule(desk=st.integers(0, 2), pick=st.integers(0, 10_000),
          mark=st.sampled_from(("A", "B", "C", "D", "F", "I")))
    def enter_report_card_mark(self, desk, pick, mark):
        student, section = self.gradable[pick % len(self.gradable)]
        self.edit(desk, "grade.mark", grade_payload(student, section, self.marking_period, mark,
                                                    cooperation="ESU"[pick % 3]))

    @rule(desk=st.sampled_from(COUNSELORS), pick=st.integers(0, 10_000),
          op=st.sampled_from(PROGRAM_OPS))
    def change_program(self, desk, pick, op):
        self.program_change(desk, pick, op)

    def program_change(self, desk: int, pick: int, op: str) -> None:
        student = self.program_students[pick % len(self.program_students)]
        payload = program_change(self.desks[desk].store, student, op, self.day, self.seats,
                                 random.Random(pick))
        if payload is None:
            self.office.saw(f"{op}: nothing the checks let through")
        else:
            self.edit(desk, op, payload)

    @rule(pick=st.integers(0, 10_000), ops=st.tuples(st.sampled_from(PROGRAM_OPS),
                                                      st.sampled_from(PROGRAM_OPS)))
    def both_counselors_change_one_student(self, pick, ops):
        """Each counselor changes the same student's program on their own
        screen: whoever syncs second finds a conflict."""
        for desk, op in zip(COUNSELORS, ops):
            self.program_change(desk, pick, op)

    # --- syncing, when things go wrong

    @rule(desk=st.integers(0, 2))
    def sync(self, desk):
        d = self.desks[desk]
        d.ws.sync(d.store)
        self.office.saw("clean sync")

    @rule(desk=st.integers(0, 2), point=st.sampled_from(PUSH_POINTS),
          pick=st.integers(0, 10_000))
    def crash_while_sending(self, desk, point, pick):
        """The workstation dies sending its edits (a new mark at least):
        before sending, after the server committed them, or while writing
        the answers down."""
        self.mark_attendance(desk, pick, "T")
        self.crash(desk, point)

    @rule(desk=st.integers(0, 2), point=st.sampled_from(PULL_POINTS))
    def crash_while_receiving(self, desk, point):
        self.crash(desk, point)

    def crash(self, desk: int, point: str) -> None:
        d = self.desks[desk]
        try:
            with crashing_at(point):
                d.ws.sync(d.store)
            self.office.saw(f"{point}: not reached")
        except Crash:
            self.office.saw(f"crashed at {point}")
        d.reopen()

    @rule(desk=st.integers(0, 2), lost=st.sampled_from(("push", "pull")),
          pick=st.integers(0, 10_000))
    def lose_an_answer(self, desk, lost, pick):
        """The server applies the edits sent (a new mark at least), or
        answers a pull; the workstation never hears it."""
        d, proxy = self.desks[desk], self.office.proxy
        if lost == "push":
            self.mark_attendance(desk, pick, "E")
        dropped = proxy.dropped
        proxy.drop(*(("POST", "/mutations") if lost == "push" else ("GET", "/changes")))
        with pytest.raises(ServerUnreachable):
            d.ws.sync(d.store)
        assert proxy.dropped == dropped + 1
        self.office.saw(f"lost the answer to a {lost}")

    @rule(desk=st.integers(0, 2), crash=st.booleans())
    def reload_after_the_log_is_compacted(self, desk, crash):
        """The district prunes the school's change log up to now: the
        workstation (unless it is up to date) reloads the whole school at its
        next sync, the others at theirs, keeping their unsent edits; it may
        die halfway through."""
        server, school = self.office.server, self.office.school
        r = requests.post(f"{server.url}/api/admin/schools/{school.id}/compact",
                          params={"keep_after": last_seq(server.engine, school.id)},
                          headers={"Authorization": f"Bearer {self.office.district_token}"},
                          timeout=30)
        assert r.status_code == 200, r.text
        if crash:
            self.crash(desk, "bootstrap.mid_load")
        else:
            d = self.desks[desk]
            reloaded = d.ws.sync(d.store).bootstrapped
            self.office.saw("reloaded after compaction" if reloaded else "up to date already")

    @rule(desk=st.integers(0, 2), point=st.sampled_from(BETWEEN_TRANSACTIONS),
          pick=st.integers(0, 10_000), code=st.sampled_from(("A", "E", "P")))
    def edit_while_syncing(self, desk, point, pick, code):
        """The person marks a student, syncs, and keeps working while the
        sync runs: between its steps they mark again a student whose mark is
        on its way (or any other), and a counselor changes a program too."""
        d = self.desks[desk]
        self.mark_attendance(desk, pick, "T")

        def work() -> None:
            in_flight = [e["payload"] for e in d.store.pending() if e["op"] == "attendance.mark"]
            if in_flight:
                again = in_flight[pick % len(in_flight)]
                self.edit(desk, "attendance.mark", {**again, "code": code, "minutes_late": None})
            else:
                self.mark_attendance(desk, pick, code)
            if desk in COUNSELORS:
                self.program_change(desk, pick, PROGRAM_OPS[pick % len(PROGRAM_OPS)])
        with meanwhile(point, work) as reached:
            d.ws.sync(d.store)
        self.office.saw(f"edited at {point}" if reached else f"{point}: not reached")

    # --- at every step

    @invariant()
    def every_edit_is_kept_somewhere_and_none_is_doubled(self):
        if not self.queued:
            return
        done = times_carried_out(self.office.server.engine,
                                 [q.mutation_id for q in self.queued])
        assert max(done.values()) <= 1, {m: n for m, n in done.items() if n > 1}
        kept = {e["mutation_id"] for d in self.desks for e in d.store.outbox_entries()}
        lost = [q for q in self.queued if q.mutation_id not in kept and done[q.mutation_id] == 0]
        assert lost == [], f"edits neither on the server nor waiting: {lost}"

    # --- the end: everything sent, everything received

    def teardown(self):
        try:
            for _ in range(2):  # the first round sends everything, the second receives it
                for d in self.desks:
                    d.ws.sync(d.store)
            self.check_converged()
        finally:
            for d in self.desks:
                d.store.close()

    def check_converged(self):
        server, school = self.office.server, self.office.school
        state = server_dump(server.engine, school.id)
        waiting = {}
        for i, d in enumerate(self.desks):
            assert d.store.dump() == state, f"{PEOPLE[i][0]}'s cache differs from the server"
            assert d.store.outbox_counts()["pending"] == 0
            for entry in d.store.outbox_entries():
                assert entry["answer"]["reason"], entry
                waiting[entry["mutation_id"]] = (i, entry)
        if waiting:
            self.office.saw("conflicts")
        done = times_carried_out(server.engine, [q.mutation_id for q in self.queued])
        for q in self.queued:
            expected = 0 if q.mutation_id in waiting else 1
            assert done[q.mutation_id] == expected, (q, done[q.mutation_id])

        # A program change waits only if another workstation changed the
        # student's program first; nothing else waits (every edit was valid).
        changed_by = {}
        for q in self.queued:
            if q.op.startswith("schedule.") and q.mutation_id not in waiting:
                changed_by.setdefault(q.payload["student_id"], set()).add(q.desk)
        for i, entry in waiting.values():
            assert entry["state"] == "conflict", entry
            assert entry["op"].startswith("schedule."), entry
            assert changed_by.get(entry["payload"]["student_id"], set()) - {i}, entry
        for i, d in enumerate(self.desks):
            assert set(d.store.conflict_students()) == {
                e["payload"]["student_id"] for j, e in waiting.values() if j == i}

        # Program changes carried out are on the server as made.
        entries = records_of(state, "section_enrollments")
        for q in self.queued:
            new = new_entry_of(q.op, q.payload)
            if q.mutation_id in waiting:
                assert new is None or new not in entries
            elif new is not None:
                e = entries[new]
                assert (e["student_id"], e["section_id"], e["begin_date"]) == (
                    q.payload["student_id"], q.payload["section_id"], q.payload["begin_date"])

        # Every mark holds the value of the edit that reached the server last,
        # its writer's last word on it.
        writes: dict[tuple[str, str], list[Queued]] = {}
        for q in self.queued:
            for key in typed_records(q.op, q.payload):
                writes.setdefault(key, []).append(q)
        if writes:
            last = last_writes(server.engine, school.id, writes)
            by_id = {q.mutation_id: q for q in self.queued}
            desk_of_ws = {d.ws.settings.workstation_id: i for i, d in enumerate(self.desks)}
            desk_of_user = {d.user: i for i, d in enumerate(self.desks)}
            records = {k: records_of(state, k) for k in ("attendance_marks", "grade_marks")}
            for (k, record_id), qs in writes.items():
                winner = by_id.get(last[(k, record_id)])
                assert winner is not None and winner in qs, (k, record_id)
                record = records[k][record_id]
                writer = (desk_of_ws.get(record["workstation"]) if k == "attendance_marks"
                          else desk_of_user.get(record["entered_by"]))
                assert writer == winner.desk, (k, record_id, writer, winner)
                assert winner is [q for q in qs if q.desk == winner.desk][-1], (k, record_id)
                value = typed_records(winner.op, winner.payload)[(k, record_id)]
                assert {f: record[f] for f in value} == value, (k, record_id)
        rolls = records_of(state, "attendance_submissions")
        assert all(roll_id(q.payload) in rolls for q in self.queued
                   if q.op == "attendance.submit")


# A workstation that dies halfway through loading the school hangs up on the
# test proxy, whose thread then finds nobody to pass the rest of it to.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_random_offline_work_and_troubled_syncs_converge(server, demo_district, school,
                                                          tmp_path):
    r = requests.post(f"{server.url}/api/login", timeout=30, json={
        "username": "district.admin", "password": password_of(demo_district, "district.admin")})
    assert r.status_code == 200, r.text
    proxy = LossyProxy(server.process.port)
    try:
        office = Office(server, proxy, demo_district, school, tmp_path, r.json()["token"])
        run_state_machine_as_test(lambda: SchoolOffice(office), settings=SETTINGS)
        # The run went through what it claims to (derandomized: always the same run).
        tried = {"crashed at push.after_send", "lost the answer to a push",
                 "lost the answer to a pull", "edited at push.after_send",
                 "edited at pull.after_fetch", "conflicts", "reloaded after compaction",
                 "crashed at bootstrap.mid_load"}
        assert tried <= set(office.seen), office.seen
    finally:
        proxy.close()
