"""Scheduling against the real server: the semester rollover, the checks the
server makes again on schedule edits, chained offline edits, and the count
of students without a complete schedule with its escalation rule.

Every test runs twice, against PostgreSQL and against SQLite (the `server`
fixture's parameters), on the small demo district's high school.
"""
from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa

from district_server.services import scheduling as service
from district_server.store.tables import SYNCED, schedule_escalations
from domain.edits import program_id
from domain.scheduling import WARN
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.catalog import terms as load_terms
from local_store.scheduling.incomplete import students_without_complete_schedule_on
from local_store.scheduling.master_schedule import master_schedule
from local_store.scheduling.program import check_program_change, program_rows
from local_store.scheduling.rollover import rollover_dry_run
from tests.integration.helpers import last_seq, server_dump
from tests.support.clock import SCHOOL_DAY
from tests.support.fixtures import password_of

SCHOOL_TZ = ZoneInfo("America/Los_Angeles")


# ------------------------------------------------------------------ helpers


def login(server, demo, username: str) -> str:
    r = requests.post(f"{server.url}/api/login", json={
        "username": username, "password": password_of(demo, username)}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def call(server, method: str, path: str, token: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{server.url}{path}", timeout=60,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


def today() -> str:
    """The school day the demo district is generated as of."""
    return SCHOOL_DAY.isoformat()


def day_after(day: str, days: int = 1) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def program_version(engine, student_id: str) -> int:
    t = SYNCED["programs"]
    with engine.connect() as conn:
        return conn.execute(sa.select(t.c.version).where(
            t.c.id == program_id(student_id))).scalar() or 0


def push(server, token: str, school_id: str, op: str, payload: dict) -> dict:
    """One schedule edit made against the program as the server has it now."""
    m = {"mutation_id": str(uuid.uuid4()), "op": op, "payload": payload}
    if "student_id" in payload and op.startswith("schedule."):
        m["base_version"] = program_version(server.engine, payload["student_id"])
    r = call(server, "POST", f"/api/schools/{school_id}/mutations", token,
             json={"mutations": [m]})
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def entry_of(wire_row: tuple) -> tuple:
    """A server_dump section_enrollments row without id and version:
    (student_id, section_id, begin_date, end_date)."""
    return tuple(wire_row[2:])


def add_payload(student_id: str, section_id: str, begin: str, **extra) -> dict:
    return {"student_id": student_id, "section_id": section_id, "begin_date": begin,
            "section_enrollment_id": str(uuid.uuid4()), **extra}


def fall_term(store):
    """This school year's first term (the one today is in)."""
    day = today()
    current = next(t for t in load_terms(store) if t.start_date <= day <= t.end_date)
    return min((t for t in load_terms(store) if t.school_year_id == current.school_year_id),
               key=lambda t: t.sequence)


def section_open_to(store, student_id: str, on: str, *, period: int | None = None,
                    drop_entry_id: str | None = None, expect: frozenset[str] = frozenset(),
                    skip: frozenset[str] = frozenset()):
    """A section (a master schedule row) whose add (or swap) the workstation
    checks find exactly `expect` against, warnings aside."""
    for row in master_schedule(store, on=on):
        if (period is not None and row.period != period) or row.section_id in skip:
            continue
        findings = check_program_change(store, student_id, on=on,
                                        add_section_id=row.section_id,
                                        drop_entry_id=drop_entry_id)
        if {f.check for f in findings if f.severity != WARN} == expect:
            return row, findings
    raise LookupError(f"no section for {student_id} in period {period} with {sorted(expect)}")


def record_history(ws, school_id: str, kind: str, record_id: str) -> list[dict]:
    client = ws.client()
    try:
        return client.history(school_id, kind, record_id)
    finally:
        client.close()


def other_counselor(demo) -> str:
    """A counselor of another school (the middle school's)."""
    return f"counselor.{next(s for s in demo.schools if s.level == 'middle').code}"


def complete_students(store, on: str) -> list[str]:
    incomplete = {r.student_id for r in students_without_complete_schedule_on(store, on=on)}
    enrolled = sorted({r["student_id"] for r in store.records("school_enrollments")
                       if r["entry_date"] <= on and not r["exit_date"]})
    return [s for s in enrolled if s not in incomplete]


@pytest.fixture
def counselor(workstation, school):
    """The high school's counselor on a synced workstation: (workstation, cache)."""
    ws = workstation("counselor", f"counselor.{school.code}")
    store = ws.open_store()
    ws.sync(store)
    yield ws, store
    store.close()


# ------------------------------------------------------------- the rollover


def test_rollover_dry_run_apply_and_apply_again(server, demo_district, school, counselor):
    ws, store = counselor
    fall = fall_term(store)
    token = login(server, demo_district, f"counselor.{school.code}")
    path = f"/api/schools/{school.id}/scheduling/rollover"
    seq, before = last_seq(server.engine, school.id), server_dump(server.engine, school.id)

    r = call(server, "POST", path, token, json={"from_term_id": fall.id})
    assert r.status_code == 200, r.text
    dry = r.json()
    assert dry["applied"] is False
    assert dry["from_term"] == fall.name and dry["to_term"].startswith("Spring")
    assert dry["ended"] > 0 and dry["added"] > 0 and dry["carried"] > 0
    assert dry["students"] > 0 and dry["incomplete_after"] >= 0
    # The dry run changes nothing...
    assert last_seq(server.engine, school.id) == seq
    assert server_dump(server.engine, school.id) == before
    # ...and says what the workstation's own dry run says.
    plan, incomplete = rollover_dry_run(store, from_term_id=fall.id)
    assert (len(plan.ends), len(plan.adds), plan.carried, len(plan.students),
            len(plan.unplaced), len(incomplete)) == (
        dry["ended"], dry["added"], dry["carried"], dry["students"], len(dry["unplaced"]),
        dry["incomplete_after"])

    r = call(server, "POST", path, token, json={"from_term_id": fall.id, "apply": True})
    assert r.status_code == 200, r.text
    applied = r.json()
    assert applied == {**dry, "applied": True}
    after = server_dump(server.engine, school.id)
    old, new = before["section_enrollments"], after["section_enrollments"]
    ended = [i for i in old if old[i] != new[i]]
    added = [i for i in new if i not in old]
    assert len(ended) == dry["ended"] and len(added) == dry["added"]
    assert {entry_of(new[i])[3] for i in ended} == {fall.end_date}
    assert all(entry_of(old[i])[:3] == entry_of(new[i])[:3] for i in ended)
    changed_programs = [i for i in after["programs"] if after["programs"][i] != before["programs"][i]]
    assert len(changed_programs) == dry["students"]
    assert last_seq(server.engine, school.id) == seq + dry["ended"] + dry["added"] + dry["students"]
    history = record_history(ws, school.id, "section_enrollments", added[0])
    assert [(h["action"], h["reason"]) for h in history] == [
        ("create", f"semester rollover to {dry['to_term']}")]

    # A second apply finds nothing to do and changes nothing.
    seq_after = last_seq(server.engine, school.id)
    r = call(server, "POST", path, token, json={"from_term_id": fall.id, "apply": True})
    again = r.json()
    assert (again["ended"], again["added"], again["applied"]) == (0, 0, False)
    assert again["carried"] == dry["carried"]
    assert last_seq(server.engine, school.id) == seq_after
    assert server_dump(server.engine, school.id) == after

    # The workstation pulls the new term's programs as they are on the server.
    ws.sync(store)
    assert store.dump() == after
    spring_day = day_after(fall.end_date, 3)
    assert len(students_without_complete_schedule_on(store, on=spring_day)) == \
        dry["incomplete_after"]


def test_rollover_is_for_counselors_of_the_school(server, demo_district, school):
    path = f"/api/schools/{school.id}/scheduling/rollover"
    for username in (f"clerk.{school.code}", other_counselor(demo_district)):
        token = login(server, demo_district, username)
        r = call(server, "POST", path, token, json={"apply": True})
        assert r.status_code == 403, (username, r.text)
    seq = last_seq(server.engine, school.id)
    token = login(server, demo_district, f"counselor.{school.code}")
    r = call(server, "POST", path, token, json={"from_term_id": "term-nowhere"})
    assert r.status_code == 409 and "does not exist" in r.json()["detail"]
    spring = next(t for t in school.records["terms"] if t[3] == 2)  # (id, year, name, sequence..)
    r = call(server, "POST", path, token, json={"from_term_id": spring[0], "apply": True})
    assert r.status_code == 409 and "last term of its school year" in r.json()["detail"]
    assert last_seq(server.engine, school.id) == seq


# --------------------------------------------- the server's checks on edits


def test_a_full_section_takes_a_student_only_with_a_reason(server, demo_district, school,
                                                           counselor):
    ws, store = counselor
    on = today()
    token = login(server, demo_district, f"counselor.{school.code}")
    # Period 7 is for electives: most students have it free.
    student = section = None
    for sid in complete_students(store, on):
        try:
            section, _ = section_open_to(store, sid, on, period=7)
        except LookupError:
            continue
        if section.enrolled > 0:
            student = sid
            break
    assert student is not None and section is not None
    # Make the section full: its capacity down to the students it has.
    record = store.record("sections", section.section_id)
    answer = push(server, token, school.id, "section.save", {
        **{k: record[k] for k in ("course_id", "term_id", "section_number", "period", "room",
                                  "teacher_id")},
        "section_id": section.section_id, "capacity": section.enrolled})
    assert answer["status"] == "applied", answer
    # Moving a section with students to another period would double-book them.
    moved = push(server, token, school.id, "section.save", {
        **{k: record[k] for k in ("course_id", "term_id", "section_number", "room",
                                  "teacher_id")},
        "section_id": section.section_id, "capacity": section.enrolled,
        "period": 1 if record["period"] != 1 else 2})
    assert moved["status"] == "rejected" and "students are in section" in moved["reason"], moved
    ws.sync(store)
    assert store.record("sections", section.section_id)["period"] == record["period"]
    findings = check_program_change(store, student, on=on,
                                    add_section_id=section.section_id)
    assert [(f.check, f.severity) for f in findings] == [("section_full", "override")]

    seq = last_seq(server.engine, school.id)
    refused = push(server, token, school.id, "schedule.add",
                   add_payload(student, section.section_id, on))
    assert refused["status"] == "rejected"
    assert "full" in refused["reason"]
    assert refused["reason"] == findings[0].message  # the words the counselor saw
    assert last_seq(server.engine, school.id) == seq

    reason = "Needs the class to graduate; teacher agreed"
    payload = add_payload(student, section.section_id, on, override_reason=reason)
    answer = push(server, token, school.id, "schedule.add", payload)
    assert answer["status"] == "applied", answer
    entry_id = payload["section_enrollment_id"]
    history = record_history(ws, school.id, "section_enrollments", entry_id)
    assert [(h["action"], h["reason"], h["new"]["section_id"]) for h in history] == [
        ("create", reason, section.section_id)]
    ws.sync(store)
    row = next(r for r in master_schedule(store, on=on)
               if r.section_id == section.section_id)
    assert row.enrolled == row.capacity + 1


def test_a_period_conflict_is_refused(server, demo_district, school, counselor):
    ws, store = counselor
    on = today()
    token = login(server, demo_district, f"counselor.{school.code}")
    student = complete_students(store, on)[0]
    section, findings = section_open_to(store, student, on, period=2,
                                        expect=frozenset({"period_conflict"}))
    seq = last_seq(server.engine, school.id)
    answer = push(server, token, school.id, "schedule.add",
                  add_payload(student, section.section_id, on, override_reason="please"))
    assert answer["status"] == "rejected"
    assert "Period 2 is taken by" in answer["reason"]
    assert answer["reason"] == " ".join(f.message for f in findings if f.severity == "block")
    assert last_seq(server.engine, school.id) == seq


def test_a_swap_is_both_or_neither(server, demo_district, school, counselor):
    ws, store = counselor
    on, begin = today(), day_after(today())
    token = login(server, demo_district, f"counselor.{school.code}")
    student = complete_students(store, on)[1]
    entries = program_rows(store, student, on=on)
    old = next(e for e in entries if e.period == 3)
    new, _ = section_open_to(store, student, begin, period=3, drop_entry_id=old.entry_id,
                             skip=frozenset({old.section_id}))
    # Refused: the new class in period 4 clashes with the student's own
    # period 4 class; nothing of the swap happens.
    clash, findings = section_open_to(store, student, begin, period=4,
                                      drop_entry_id=old.entry_id,
                                      expect=frozenset({"period_conflict"}))
    before, seq = server_dump(server.engine, school.id), last_seq(server.engine, school.id)
    swap = {"student_id": student, "section_enrollment_id": old.entry_id, "end_date": on,
            "new_section_enrollment_id": str(uuid.uuid4()), "begin_date": begin}
    refused = push(server, token, school.id, "schedule.swap",
                   {**swap, "section_id": clash.section_id})
    assert refused["status"] == "rejected"
    assert "Period 4 is taken by" in refused["reason"]
    assert server_dump(server.engine, school.id) == before
    assert last_seq(server.engine, school.id) == seq

    answer = push(server, token, school.id, "schedule.swap", {**swap, "section_id": new.section_id})
    assert answer["status"] == "applied", answer
    after = server_dump(server.engine, school.id)["section_enrollments"]
    assert entry_of(after[old.entry_id])[2:] == (old.begin_date, on)
    assert entry_of(after[swap["new_section_enrollment_id"]]) == (student, new.section_id,
                                                                  begin, None)
    assert last_seq(server.engine, school.id) == seq + 3  # old entry, new entry, program
    ws.sync(store)
    assert [(r.period, r.section_id) for r in program_rows(store, student, on=begin)
            if r.period == 3] == [(3, new.section_id)]


def test_a_teacher_cant_teach_two_sections_at_once(server, demo_district, school, counselor):
    """A year-long fall section meets in the spring too: the same teacher's
    new spring section in its period is refused, as the section editor does."""
    ws, store = counselor
    cat = load_catalog(store)
    fall = fall_term(store)
    spring = next(t for t in cat.terms.values()
                  if t.school_year_id == fall.school_year_id and t.sequence == 2)
    token = login(server, demo_district, f"counselor.{school.code}")
    year_long = next(s for s in sorted(cat.sections.values(), key=lambda s: s.id)
                     if s.term_id == fall.id and cat.course_of(s).duration == "year")
    theirs = [s for s in cat.sections.values() if s.teacher_id == year_long.teacher_id
              and s.term_id in (fall.id, spring.id)]
    semester_course = next(c for c in sorted(cat.courses.values(), key=lambda c: c.id)
                           if c.duration == "semester")

    def new_section(period: int) -> dict:
        return {"section_id": str(uuid.uuid4()), "course_id": semester_course.id,
                "term_id": spring.id, "section_number": f"9{period}99", "period": period,
                "room": year_long.room, "teacher_id": year_long.teacher_id, "capacity": 30}

    seq = last_seq(server.engine, school.id)
    refused = push(server, token, school.id, "section.save", new_section(year_long.period))
    assert refused["status"] == "rejected"
    assert "already teaches" in refused["reason"]
    assert f"period {year_long.period}" in refused["reason"]
    assert last_seq(server.engine, school.id) == seq

    free = next(p for p in range(1, 8) if p not in {s.period for s in theirs})
    answer = push(server, token, school.id, "section.save", new_section(free))
    assert answer["status"] == "applied", answer


# ---------------------------------------------------- chained offline edits


def _drop_then_add(ws, store, student: str, on: str) -> tuple[str, str, str]:
    """Drop the student's period 3 class today and put them in another
    period 3 class from tomorrow: two edits, before any sync."""
    old = next(e for e in program_rows(store, student, on=on) if e.period == 3)
    ws.edit(store, "schedule.drop", {"student_id": student,
                                     "section_enrollment_id": old.entry_id, "end_date": on})
    begin = day_after(on)
    new, _ = section_open_to(store, student, begin, period=3, skip=frozenset({old.section_id}))
    new_entry = str(uuid.uuid4())
    ws.edit(store, "schedule.add", add_payload(student, new.section_id, begin,
                                               section_enrollment_id=new_entry))
    return old.entry_id, new.section_id, new_entry


def test_two_offline_edits_of_one_student_are_both_applied(server, school, counselor):
    ws, store = counselor
    on = today()
    student = complete_students(store, on)[2]
    version = program_version(server.engine, student)
    old_entry, new_section, new_entry = _drop_then_add(ws, store, student, on)
    first, second = store.outbox_entries("pending")
    assert first["base_version"] == second["base_version"] == version
    assert second["payload"]["after_mutation_id"] == first["mutation_id"]

    report = ws.sync(store)
    assert (report.applied, report.conflicts, report.rejected) == (2, 0, 0)
    entries = server_dump(server.engine, school.id)["section_enrollments"]
    assert entry_of(entries[old_entry])[3] == on
    assert entry_of(entries[new_entry]) == (student, new_section, day_after(on), None)
    assert store.dump() == server_dump(server.engine, school.id)


def test_offline_edits_after_someone_elses_change_come_back_as_conflicts(
        server, school, counselor, workstation):
    ws, store = counselor
    on = today()
    student = complete_students(store, on)[3]
    other_ws = workstation("other", f"counselor.{school.code}")
    other = other_ws.open_store()
    other_ws.sync(other)
    old_entry, _, new_entry = _drop_then_add(ws, store, student, on)

    # Meanwhile another counselor drops the student's period 1 class and syncs.
    theirs = next(e for e in program_rows(other, student, on=on) if e.period == 1)
    other_ws.edit(other, "schedule.drop", {"student_id": student,
                                           "section_enrollment_id": theirs.entry_id,
                                           "end_date": on})
    assert other_ws.sync(other).applied == 1
    state = server_dump(server.engine, school.id)

    report = ws.sync(store)
    assert (report.applied, report.conflicts) == (0, 2)
    assert store.outbox_counts() == {"pending": 0, "conflict": 2, "rejected": 0}
    # Nothing of the offline edits reached the server; the other change stands.
    assert server_dump(server.engine, school.id) == state
    assert entry_of(state["section_enrollments"][theirs.entry_id])[3] == on
    assert entry_of(state["section_enrollments"][old_entry])[3] is None
    assert new_entry not in state["section_enrollments"]
    # The counselor's cache shows the server's version of the program.
    assert store.record("section_enrollments", theirs.entry_id)["end_date"] == on
    other.close()


# ------------------------------------------------- incomplete schedules


@pytest.mark.usefixtures("school_day_clock")  # the server reports for its own today
def test_incomplete_report_counts_as_the_workstation_does(server, demo_district, school,
                                                           counselor):
    ws, store = counselor
    path = f"/api/schools/{school.id}/scheduling/incomplete-report"
    token = login(server, demo_district, f"counselor.{school.code}")
    r = call(server, "POST", path, token)
    assert r.status_code == 200, r.text
    report = r.json()
    assert set(report) == {"date", "incomplete", "limit", "escalated"}
    assert report["limit"] == 10
    assert report["date"] == SCHOOL_DAY.isoformat()
    assert report["incomplete"] == len(
        students_without_complete_schedule_on(store, on=report["date"]))
    if report["incomplete"] <= 10:
        assert report["escalated"] is False
    client = ws.client()  # the workstation's way of sending it
    assert client.report_incomplete(school.id)["incomplete"] == report["incomplete"]
    client.close()

    for username in (f"clerk.{school.code}", other_counselor(demo_district)):
        refused = call(server, "POST", path, login(server, demo_district, username))
        assert refused.status_code == 403, (username, refused.text)
    refused = call(server, "GET", "/api/district/scheduling/escalations", token)
    assert refused.status_code == 403


def _next_weekday(after: str) -> dt.date:
    d = dt.date.fromisoformat(after) + dt.timedelta(days=1)
    while d.weekday() >= 5:
        d += dt.timedelta(days=1)
    return d


def _at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=SCHOOL_TZ)


def _escalation_rows(engine) -> list[tuple[str, str, int]]:
    t = schedule_escalations
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.c.school_id, t.c.date, t.c.incomplete).order_by(t.c.id))]


def drop_period_1(ws, store, students: list[str], on: str) -> None:
    """Each student loses their period 1 class after `on` (sent and applied)."""
    for sid in students:
        entry = next(e for e in program_rows(store, sid, on=on) if e.period == 1)
        ws.edit(store, "schedule.drop", {"student_id": sid,
                                         "section_enrollment_id": entry.entry_id,
                                         "end_date": on})
    assert ws.sync(store).applied == len(students)


def test_more_than_ten_incomplete_after_ten_is_escalated(server, demo_district, school,
                                                         counselor):
    ws, store = counselor
    on = today()
    day = _next_weekday(on)
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    assert fall_term(store).end_date >= saturday.isoformat()  # all in this term

    def report(when: dt.datetime) -> dict:
        return service.report_incomplete(server.engine, school_id=school.id,
                                         username="counselor.test", now=when)

    def make_incomplete(students: list[str]) -> None:
        drop_period_1(ws, store, students, on)

    first = report(_at(day, 10, 30))
    base = first["incomplete"]
    assert base == len(students_without_complete_schedule_on(store, on=day.isoformat()))
    assert base <= 10 and first["escalated"] is False
    assert _escalation_rows(server.engine) == []

    complete = complete_students(store, on)
    make_incomplete(complete[:10 - base])
    at_limit = report(_at(day, 10, 30))
    assert (at_limit["incomplete"], at_limit["escalated"]) == (10, False)  # more than ten
    make_incomplete(complete[10 - base:11 - base])
    assert report(_at(day, 9, 59)) == {"date": day.isoformat(), "incomplete": 11, "limit": 10,
                                       "escalated": False}
    assert report(_at(saturday, 10, 30))["escalated"] is False
    # A weekday of the summer: no classes, so nobody has a schedule, and no school to escalate.
    last_day = max(t.end_date for t in load_terms(store)
                   if t.school_year_id == fall_term(store).school_year_id)
    summer = report(_at(_next_weekday(day_after(last_day, 7)), 10, 30))
    assert summer["incomplete"] > 10 and summer["escalated"] is False
    assert _escalation_rows(server.engine) == []

    assert report(_at(day, 10, 0))["escalated"] is True
    assert _escalation_rows(server.engine) == [(school.id, day.isoformat(), 11)]
    admin = login(server, demo_district, "district.admin")
    listed = call(server, "GET", "/api/district/scheduling/escalations", admin,
                  params={"date": day.isoformat()})
    assert listed.status_code == 200, listed.text
    assert [(e["school_id"], e["school"], e["incomplete"], e["reported_by"])
            for e in listed.json()] == [(school.id, school.name, 11, "counselor.test")]
    other_day = call(server, "GET", "/api/district/scheduling/escalations", admin,
                     params={"date": saturday.isoformat()})
    assert other_day.json() == []

    # Once a day: a later report that day updates the count.
    make_incomplete(complete[11 - base:12 - base])
    assert report(_at(day, 13, 15))["incomplete"] == 12
    assert _escalation_rows(server.engine) == [(school.id, day.isoformat(), 12)]


def _wait_until(condition, timeout: float = 20.0) -> None:
    """Poll a condition another process or thread makes true (qtbot.waitUntil's way)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def test_rollover_plans_after_the_pushes_before_it(server, school, counselor):
    """A drop being written while the rollover starts is not overwritten:
    the rollover takes the school's row lock before it reads the programs."""
    if server.backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes every writer wait from its first statement")
    import threading

    from district_server.services.changes import SchoolChanges
    from district_server.store.db import writer

    ws, store = counselor
    fall, on, cat = fall_term(store), today(), load_catalog(store)
    student = complete_students(store, on)[4]
    entry = next(e for e in program_rows(store, student, on=on)
                 if cat.course_of(cat.sections[e.section_id]).duration == "semester")
    result: dict = {}

    def run_rollover() -> None:
        result["summary"] = service.rollover(server.engine, school_id=school.id,
                                             from_term_id=fall.id, apply=True, user_id=None,
                                             username="counselor.test", workstation=None)

    with writer(server.engine) as conn:  # a push of a drop, in progress
        changes = SchoolChanges(conn, school.id, username="counselor.other")
        record = changes.get("section_enrollments", entry.entry_id)
        changes.put("section_enrollments", {**record, "end_date": on})
        thread = threading.Thread(target=run_rollover)
        thread.start()

        def rollover_waits_for_the_lock() -> bool:
            with server.engine.connect() as c:
                return bool(c.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()").scalar())
        _wait_until(rollover_waits_for_the_lock)
        changes.close()
    thread.join(60)
    assert not thread.is_alive()
    assert result["summary"]["applied"] is True
    state = server_dump(server.engine, school.id)["section_enrollments"]
    assert entry_of(state[entry.entry_id])[3] == on  # the drop stands
    spring = {entry_of(r)[1] for r in state.values()
              if entry_of(r)[0] == student and entry_of(r)[2] > fall.end_date}
    twin_periods = {store.record("sections", s)["period"] for s in spring}
    assert entry.period not in twin_periods  # and the dropped class was not rolled


def test_two_reports_at_once_make_one_escalation(server, school, counselor):
    """Two counselors' screens report in the same moment: one row, no error."""
    if server.backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes every writer wait from its first statement")
    import threading

    from district_server.store.db import writer

    ws, store = counselor
    on = today()
    drop_period_1(ws, store, complete_students(store, on)[:11], on)
    day = _next_weekday(on)
    result: dict = {}

    def second_report() -> None:
        try:
            result["answer"] = service.report_incomplete(
                server.engine, school_id=school.id, username="counselor.two",
                now=_at(day, 10, 31))
        except Exception as exc:  # the failure under test, shown by the assertion below
            result["error"] = exc

    with writer(server.engine) as conn:  # the first report, writing its row
        conn.execute(schedule_escalations.insert().values(
            school_id=school.id, date=day.isoformat(), incomplete=13,
            recorded_at="2026-01-01T18:30:00.000000Z", reported_by="counselor.one"))
        thread = threading.Thread(target=second_report)
        thread.start()

        def second_waits_for_the_first() -> bool:
            with server.engine.connect() as c:
                return bool(c.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()").scalar())
        _wait_until(second_waits_for_the_first)
    thread.join(60)
    assert not thread.is_alive()
    assert "error" not in result, result.get("error")
    assert result["answer"]["escalated"] is True
    count = result["answer"]["incomplete"]
    assert count > 10
    assert _escalation_rows(server.engine) == [(school.id, day.isoformat(), count)]
