"""A student moves between schools only when the student's school says yes.

A clerk of the high school once took a 5-year-old of the elementary school
into grade 9 by typing a (sequential) district id, and received the
guardians' phones and emails at once. Now the receiving school asks, the
sending school (or the district office) answers in its own client, and
nothing of the student reaches the asking school before the answer.
"""
from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from district_server.store.tables import SYNCED, access_log, audit
from tests.integration.helpers import school_day, server_dump


@pytest.fixture
def schools(demo_district):
    by_level = {s.level: s for s in demo_district.schools if s.id != "sch-1004"}
    return by_level["elementary"], by_level["middle"], by_level["high"]


def request_payload(student: dict, grade: int, day: str, **extra) -> dict:
    return {"request_id": str(uuid.uuid4()), "district_student_id": student["district_student_id"],
            "birth_date": student["birth_date"], "grade_level": grade, "entry_date": day,
            "entry_code": "E2", "school_enrollment_id": str(uuid.uuid4()), **extra}


def answer_of(store, mutation_id: str) -> dict | None:
    for entry in store.outbox_entries():
        if entry["mutation_id"] == mutation_id:
            return entry["answer"]
    return None  # applied: gone from the outbox


def on_server(engine, kind: str, school_id: str, record_id: str):
    t = SYNCED[kind]
    with engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.school_id == school_id)
                           .where(t.c.id == record_id)).first()
    return dict(row._mapping) if row else None


def test_a_typed_id_takes_no_one_and_the_students_school_decides(server, workstation, schools):
    elementary, middle, high = schools
    grabbing = workstation("high", f"clerk.{high.code}")
    keeping = workstation("elementary", f"clerk.{elementary.code}")
    store_high, store_elem = grabbing.open_store(), keeping.open_store()
    grabbing.sync(store_high), keeping.sync(store_elem)
    child = next(s for s in store_elem.records("students") if s["grade_level"] <= 1)
    day = school_day(store_high)

    # Grade 9 fits the high school, so the request goes out; the child stays.
    asked = request_payload(child, 9, day, note="family says they moved")
    grabbing.edit(store_high, "transfer.request", asked)
    assert grabbing.sync(store_high).applied == 1
    assert store_high.record("students", child["id"]) is None
    assert store_high.records("guardians", student_id=child["id"]) == []
    mine = store_high.record("transfer_requests", asked["request_id"])
    assert (mine["status"], mine["student_id"], mine["student_name"]) == ("requested", None, None)
    assert mine["from_school_name"] == elementary.name
    assert on_server(server.engine, "students", elementary.id, child["id"]) is not None

    # The child's school sees who is asked for, and refuses with a reason.
    keeping.sync(store_elem)
    theirs = store_elem.record("transfer_requests", asked["request_id"])
    assert theirs["student_name"] == f"{child['legal_first_name']} {child['legal_last_name']}"
    assert (theirs["to_school_name"], theirs["note"]) == (high.name, "family says they moved")
    keeping.edit(store_elem, "transfer.refuse", {
        "request_id": asked["request_id"], "reason": "No request from the family; the "
                                                    "student attends here"})
    assert keeping.sync(store_elem).applied == 1
    grabbing.sync(store_high)
    refused = store_high.record("transfer_requests", asked["request_id"])
    assert refused["status"] == "refused" and "attends here" in refused["decision_note"]
    assert store_high.record("students", child["id"]) is None

    # The asking school cannot answer its own request.
    again = request_payload(child, 9, day)
    grabbing.edit(store_high, "transfer.request", again)
    grabbing.sync(store_high)
    approve = grabbing.edit(store_high, "transfer.approve", {"request_id": again["request_id"]})
    grabbing.sync(store_high)
    assert "only " + elementary.name in answer_of(store_high, approve)["reason"]
    assert on_server(server.engine, "students", elementary.id, child["id"]) is not None

    # Both schools' audits and the access log hold the request.
    with server.engine.connect() as conn:
        audited = set(conn.execute(sa.select(audit.c.school_id).where(
            audit.c.kind == "transfer_requests").where(
            audit.c.record_id == asked["request_id"])).scalars())
        looked_up = conn.execute(sa.select(access_log.c.detail).where(
            access_log.c.action == "transfer_requested")).scalars().all()
    assert audited == {elementary.id, high.id}
    assert f"district id {child['district_student_id']}: a match" in looked_up


def test_a_request_made_offline_waits_then_the_approval_moves_the_student(
        server, workstation, schools):
    _, middle, high = schools
    receiving = workstation("high", f"clerk.{high.code}")
    sending = workstation("middle", f"clerk.{middle.code}")
    store_high, store_mid = receiving.open_store(), sending.open_store()
    receiving.sync(store_high), sending.sync(store_mid)
    student = next(s for s in store_mid.records("students") if s["grade_level"] == 8)
    guardians = store_mid.records("guardians", student_id=student["id"])
    day = school_day(store_high)

    server.stop()
    asked = request_payload(student, 9, day)
    receiving.edit(store_high, "transfer.request", asked)
    assert store_high.outbox_counts()["pending"] == 1
    assert store_high.record("transfer_requests", asked["request_id"])["status"] == "requested"
    server.start()
    assert receiving.sync(store_high).applied == 1

    sending.sync(store_mid)
    sending.edit(store_mid, "transfer.approve", {"request_id": asked["request_id"]})
    assert sending.sync(store_mid).applied == 1
    assert store_mid.record("students", student["id"]) is None  # purged here
    assert store_mid.records("guardians", student_id=student["id"]) == []

    receiving.sync(store_high)
    arrived = store_high.record("students", student["id"])
    assert arrived is not None and arrived["grade_level"] == 9
    assert len(store_high.records("guardians", student_id=student["id"])) == len(guardians)
    history = store_high.records("school_enrollments", student_id=student["id"])
    assert any(h["withdrawal_code"] == "W1" for h in history)
    assert any(h["id"] == asked["school_enrollment_id"] and h["exit_date"] is None
               for h in history)
    decided = store_high.record("transfer_requests", asked["request_id"])
    assert decided["status"] == "approved"
    assert decided["student_name"] == f"{student['legal_first_name']} " \
                                      f"{student['legal_last_name']}"
    assert store_high.dump() == server_dump(server.engine, high.id)
    assert store_mid.dump() == server_dump(server.engine, middle.id)


def test_requests_that_dont_fit_are_refused_without_saying_more_than_needed(
        server, workstation, schools):
    elementary, middle, high = schools
    ws = workstation("high", f"clerk.{high.code}")
    store = ws.open_store()
    ws.sync(store)
    student = next(iter(middle.records["students"]))
    fields = ("id", "district_student_id", "legal_first_name", "legal_last_name",
              "preferred_name", "birth_date")
    student = dict(zip(fields, student))
    day = school_day(store)
    cases = {
        "grade": request_payload(student, 5, day),
        "birth date": request_payload({**student, "birth_date": "2001-01-01"}, 9, day),
        "no such id": request_payload({**student, "district_student_id": "9999999999"}, 9, day),
    }
    ids = {name: ws.edit(store, "transfer.request", payload) for name, payload in cases.items()}
    took = ws.edit(store, "enrollment.transfer_in", {
        "district_student_id": student["district_student_id"],
        "school_enrollment_id": str(uuid.uuid4()), "entry_date": day, "entry_code": "E2",
        "grade_level": 9})
    assert ws.sync(store).rejected == 4
    reasons = {name: answer_of(store, mid)["reason"] for name, mid in ids.items()}
    assert reasons["grade"] == f"grade 5 is not taught at {high.name} (grades 9–12)"
    # A wrong birth date and an unknown id read the same: nothing confirmed.
    assert "with birth date 01/01/2001" in reasons["birth date"]
    assert re.sub(r"\d", "#", reasons["birth date"]) == re.sub(r"\d", "#", reasons["no such id"])
    assert middle.name not in reasons["birth date"]
    assert "send a transfer request" in answer_of(store, took)["reason"]
    assert store.record("students", student["id"]) is None
