"""Next year's course requests entered at a workstation: saved offline, sent
with the next sync, refused with a reason when they can't be right."""
from __future__ import annotations

import uuid

from tests.integration.helpers import server_dump

SCHOOL = "sch-1003"


def _next_year(store) -> str:
    years = sorted(store.records("school_years"), key=lambda y: y["start_date"])
    return years[-1]["id"]


def _request(store, student_id: str, course_code: str, rank: int) -> dict:
    course = next(c for c in store.records("courses") if c["code"] == course_code)
    return {"request_id": f"req-{uuid.uuid4()}", "student_id": student_id,
            "school_year_id": _next_year(store), "course_id": course["id"], "rank": rank}


def test_a_counselor_adds_and_removes_requests_offline_and_the_server_keeps_them(
        server, workstation):
    ws = workstation("a", "counselor.1003")
    store = ws.open_store()
    ws.sync(store)
    student = next(r for r in store.records("course_requests"))["student_id"]
    before = {r["id"] for r in store.records("course_requests") if r["student_id"] == student}
    added = _request(store, student, "CERAM", 8)
    ws.edit(store, "request.add", added)
    first = next(iter(before))
    ws.edit(store, "request.remove", {"request_id": first, "student_id": student})
    # Shown at once on the workstation, before any sync.
    mine = {r["id"] for r in store.records("course_requests") if r["student_id"] == student}
    assert mine == before - {first} | {added["request_id"]}

    ws.sync(store)
    assert store.outbox_counts() == {"pending": 0, "conflict": 0, "rejected": 0}
    on_server = {rid for rid, row in server_dump(server.engine, SCHOOL)["course_requests"].items()
                 if row[2] == student}
    assert on_server == mine
    store.close()


def test_a_course_requested_twice_is_refused_with_its_name_and_nothing_changes(
        server, workstation):
    ws = workstation("a", "counselor.1003")
    store = ws.open_store()
    ws.sync(store)
    existing = next(r for r in store.records("course_requests"))
    course = next(c for c in store.records("courses") if c["id"] == existing["course_id"])
    before = server_dump(server.engine, SCHOOL)["course_requests"]
    ws.edit(store, "request.add", {
        "request_id": f"req-{uuid.uuid4()}", "student_id": existing["student_id"],
        "school_year_id": existing["school_year_id"], "course_id": existing["course_id"],
        "rank": 9})
    ws.sync(store)
    refused = store.outbox_entries("rejected")
    assert len(refused) == 1
    assert course["title"] in refused[0]["answer"]["reason"]
    assert server_dump(server.engine, SCHOOL)["course_requests"] == before
    # The refused request is no longer shown as if it were saved.
    assert sum(1 for r in store.records("course_requests")
               if r["student_id"] == existing["student_id"]
               and r["course_id"] == existing["course_id"]) == 1
    store.close()


def test_a_clerk_cannot_enter_requests(server, workstation):
    ws = workstation("c", "clerk.1003")
    store = ws.open_store()
    ws.sync(store)
    student = next(r for r in store.records("course_requests"))["student_id"]
    before = server_dump(server.engine, SCHOOL)["course_requests"]
    ws.edit(store, "request.add", _request(store, student, "ART1", 9))
    ws.sync(store)
    [refused] = store.outbox_entries("rejected")
    assert "a clerk may not enter a course request" in refused["answer"]["reason"]
    assert server_dump(server.engine, SCHOOL)["course_requests"] == before
    store.close()


def test_a_request_id_of_another_student_is_refused_not_taken_over(server, workstation):
    ws = workstation("a", "counselor.1003")
    store = ws.open_store()
    ws.sync(store)
    requests = store.records("course_requests")
    theirs = requests[0]
    other = next(r["student_id"] for r in requests if r["student_id"] != theirs["student_id"])
    before = server_dump(server.engine, SCHOOL)["course_requests"]
    ws.edit(store, "request.add", {**_request(store, other, "CERAM", 9),
                                   "request_id": theirs["id"]})
    ws.sync(store)
    [refused] = store.outbox_entries("rejected")
    assert "belongs to another student" in refused["answer"]["reason"]
    assert server_dump(server.engine, SCHOOL)["course_requests"] == before
    store.close()
