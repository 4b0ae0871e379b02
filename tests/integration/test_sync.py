"""The sync protocol end to end: a real server, real HTTP, real caches.

Every test runs twice, against PostgreSQL and against SQLite (the `server`
fixture's parameters).
"""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from district_server.store.tables import access_log
from sync.client import ServerUnreachable
from sync.engine import SyncEngine
from tests.integration.helpers import (
    a_student_in_a_section,
    last_seq,
    mark_payload,
    new_student_payload,
    school_day,
    server_dump,
    times_applied,
)
from tests.support.proxy import LossyProxy


def clerk(school) -> str:
    return f"clerk.{school.code}"


def counselor(school) -> str:
    return f"counselor.{school.code}"


def test_bootstrap_loads_the_whole_school(server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    report = ws.sync(store)
    assert report.bootstrapped
    assert store.cursor == last_seq(server.engine, school.id)
    assert store.dump() == server_dump(server.engine, school.id)
    assert store.count("students") == len(school.records["students"])
    assert store.outbox_counts() == {"pending": 0, "conflict": 0, "rejected": 0}


def test_two_workstations_offline_converge(server, workstation, school):
    a, b = workstation("a", clerk(school)), workstation("b", clerk(school))
    a.retries = b.retries = 0
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    day = school_day(store_a)
    (s1, sec1), (s2, sec2) = a_student_in_a_section(store_a, 0), a_student_in_a_section(store_a, 1)

    server.stop()
    a.edit(store_a, "attendance.mark", mark_payload(s1, sec1, day, "A"))
    a.edit(store_a, "attendance.mark", mark_payload(s2, sec2, day, "T", minutes_late=10))
    b.edit(store_b, "attendance.mark", mark_payload(s1, sec1, day, "E", note="parent called"))
    b.edit(store_b, "enrollment.enroll", new_student_payload("Marisol", "Quintero-Vance"))
    for ws, store in ((a, store_a), (b, store_b)):
        with pytest.raises(ServerUnreachable):
            ws.sync(store)
    assert store_a.outbox_counts()["pending"] == 2
    assert store_b.outbox_counts()["pending"] == 2

    server.start()
    a.sync(store_a)
    b.sync(store_b)
    a.sync(store_a)
    assert store_a.dump() == store_b.dump() == server_dump(server.engine, school.id)
    shared = [m for m in store_a.records("attendance_marks", student_id=s1["id"], date=day)
              if m["section_id"] == sec1["id"]]
    assert [m["code"] for m in shared] == ["E"]  # the last to reach the server wins
    history = a.client().history(school.id, "attendance_marks", shared[0]["id"])
    assert [h["new"]["code"] for h in history][-2:] == ["A", "E"]
    assert {h["workstation"] for h in history[-2:]} == {a.settings.workstation_id,
                                                         b.settings.workstation_id}
    enrolled = [s for s in store_a.records("students") if s["legal_last_name"] == "Quintero-Vance"]
    assert len(enrolled) == 1 and enrolled[0]["district_student_id"]


def test_lost_response_is_retried_and_applied_once(server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    day = school_day(store)
    student, section = a_student_in_a_section(store, 2)
    mutation_id = ws.edit(store, "attendance.mark", mark_payload(student, section, day, "A"))
    enroll_id = ws.edit(store, "enrollment.enroll", new_student_payload("Teodoro", "Ashworth-Lin"))

    proxy = LossyProxy(server.process.port)
    proxy.drop("POST", "/mutations", nth=1)
    client = ws.client()
    client.base_url, client.backoff_s = proxy.url, 0.01
    report = SyncEngine(store, client, school.id).sync()

    assert proxy.dropped == 1
    assert report.applied == 2
    assert times_applied(server.engine, mutation_id) == 1
    assert times_applied(server.engine, enroll_id) == 1
    state = server_dump(server.engine, school.id)
    assert sum(1 for s in state["students"].values() if s[4] == "Ashworth-Lin") == 1
    assert store.outbox_counts()["pending"] == 0
    assert store.dump() == state
    proxy.close()


def test_pull_cut_halfway_leaves_cursor_matching_data(server, workstation, school):
    a, b = workstation("a", clerk(school)), workstation("b", clerk(school))
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    start = store_a.cursor
    day = school_day(store_b)
    for i in range(30):
        student, section = a_student_in_a_section(store_b, i)
        b.edit(store_b, "attendance.mark", mark_payload(student, section, day, "T", minutes_late=5))
    b.sync(store_b)

    proxy = LossyProxy(server.process.port)
    proxy.drop("GET", "/changes", nth=2, and_after=True)
    client = a.client()
    client.base_url, client.retries = proxy.url, 0
    with pytest.raises(ServerUnreachable):
        SyncEngine(store_a, client, school.id, page_size=10).sync()

    cursor = store_a.cursor
    assert start < cursor < last_seq(server.engine, school.id)
    expected = {kind: {i: r for i, r in rows.items() if r[1] <= cursor}
                for kind, rows in server_dump(server.engine, school.id).items()}
    assert store_a.dump() == expected
    a.sync(store_a)
    assert store_a.dump() == server_dump(server.engine, school.id)
    proxy.close()


def test_stale_schedule_edit_comes_back_as_a_conflict_and_is_kept(server, workstation, school):
    a, b = workstation("a", counselor(school)), workstation("b", counselor(school))
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    student, section = a_student_in_a_section(store_a, 3)
    program = store_a.record("programs", f"prog-{student['id']}")
    entry = next(e for e in store_a.records("section_enrollments", student_id=student["id"])
                 if e["section_id"] == section["id"])
    day = school_day(store_a)
    other = next(s for s in store_a.records("sections") if s["period"] == section["period"]
                 and s["id"] != section["id"])

    a.edit(store_a, "schedule.drop", {"student_id": student["id"],
                                      "section_enrollment_id": entry["id"], "end_date": day},
           base_version=program["version"])
    b_mutation = b.edit(store_b, "schedule.add", {
        "student_id": student["id"], "section_id": other["id"], "begin_date": day,
        "section_enrollment_id": str(uuid.uuid4())}, base_version=program["version"])
    assert a.sync(store_a).applied == 1
    report = b.sync(store_b)

    assert report.conflicts == 1
    kept = store_b.outbox_entries("conflict")
    assert [e["mutation_id"] for e in kept] == [b_mutation]
    server_program = next(r for r in kept[0]["answer"]["records"] if r["kind"] == "programs")
    assert server_program["row"][1] > program["version"]
    assert store_b.outbox_counts() == {"pending": 0, "conflict": 1, "rejected": 0}
    b.sync(store_b)  # another sync neither drops nor resends it
    assert store_b.outbox_counts()["conflict"] == 1
    assert times_applied(server.engine, b_mutation) == 0  # kept, never applied silently
    state = server_dump(server.engine, school.id)["section_enrollments"]
    assert kept[0]["payload"]["section_enrollment_id"] not in state
    assert kept[0]["payload"]["section_id"] == other["id"]  # the counselor's edit, intact
    # Meanwhile the cache shows the server's program, not a phantom class.
    assert store_b.dump() == server_dump(server.engine, school.id)


def test_rejected_edit_does_not_block_the_ones_behind_it(server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    day = school_day(store)
    student, section = a_student_in_a_section(store, 4)
    ws.edit(store, "enrollment.withdraw", {"student_id": "no-such-student",
                                           "exit_date": day, "withdrawal_code": "W3"})
    after = ws.edit(store, "attendance.mark", mark_payload(student, section, day, "E"))
    report = ws.sync(store)
    assert (report.rejected, report.applied) == (1, 1)
    assert "does not exist" in store.outbox_entries("rejected")[0]["answer"]["reason"]
    assert times_applied(server.engine, after) == 1


def test_possible_duplicate_enrollment_is_rejected_and_leaves_no_phantom(server, workstation,
                                                                         school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    existing = store.records("students")[5]
    twin = new_student_payload(existing["legal_first_name"], existing["legal_last_name"],
                               birth=existing["birth_date"])
    ws.edit(store, "enrollment.enroll", twin)
    assert store.record("students", twin["student_id"]) is not None  # shown at once, pending
    taken = new_student_payload("Octavia", "Brennan-Sato")
    taken["district_student_id"] = existing["district_student_id"]
    ws.edit(store, "enrollment.enroll", taken)

    report = ws.sync(store)

    assert report.rejected == 2
    reasons = [e["answer"]["reason"] for e in store.outbox_entries("rejected")]
    # Said without naming the other student, their id or their school: a
    # name and birth date must not become a lookup of the whole district.
    assert "possible duplicate" in reasons[0] and "ask the district office" in reasons[0].lower()
    assert existing["district_student_id"] not in reasons[0]
    assert "can't be given to a new student" in reasons[1]
    with server.engine.connect() as conn:
        lookups = conn.execute(sa.select(access_log.c.detail, access_log.c.username).where(
            access_log.c.action == "duplicate_lookup")).all()
    assert (("a match", clerk(school)) in [tuple(r) for r in lookups])
    assert store.record("students", twin["student_id"]) is None
    assert store.dump() == server_dump(server.engine, school.id)

    # The clerk checks: a different child after all.
    confirmed = {**twin, "student_id": str(uuid.uuid4()),
                 "school_enrollment_id": str(uuid.uuid4()), "confirmed_not_duplicate": True}
    ws.edit(store, "enrollment.enroll", confirmed)
    assert ws.sync(store).applied == 1
    assert store.record("students", confirmed["student_id"])["district_student_id"]
