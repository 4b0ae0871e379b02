"""Malformed pushes get a 4xx with a reason a person can read, and write nothing."""
from __future__ import annotations

import uuid

import pytest
import requests

from domain.mutations import MAX_BATCH
from domain.records import kind
from tests.integration.helpers import last_seq, mutation_count
from tests.integration.test_access import login


def good_mark(student_id: str, section: tuple) -> dict:
    return {"mutation_id": str(uuid.uuid4()), "op": "attendance.mark",
            "payload": {"student_id": student_id, "section_id": section[0],
                        "date": "2026-11-20", "period": section[1], "code": "A"}}


@pytest.fixture
def context(server, demo_district):
    school = next(s for s in demo_district.schools if s.level == "high")
    token = login(server, demo_district, f"clerk.{school.code}")
    student = school.records["students"][0][0]
    section = school.records["sections"][0]
    sec = dict(zip(("id", *kind("sections").field_names), section))
    return server, school, token, student, (sec["id"], sec["period"])


BAD_BODIES = [
    ("not json", b'{"mutations": [', 400, "not valid JSON"),
    ("not an object", b"[1, 2]", 422, "list 'mutations'"),
    ("bad id", {"mutation_id": "42"}, 422, "mutation_id must be a UUID"),
    ("not utf-8", b'{"mutations": ["\xff"]}', 400, "not UTF-8"),
    ("nested 1000 deep", b'{"mutations": ' + b"[" * 1000 + b"]" * 1000 + b"}", 400,
     "nested too deeply"),
    ("nested 100000 deep", b"[" * 100_000, 400, "nested too deeply"),
    ("huge number", b'{"mutations": [], "n": ' + b"9" * 5000 + b"}", 400, "not valid JSON"),
]

BAD_EDITS = [
    ("unknown kind", {"op": "grades.erase"}, "unknown operation 'grades.erase'"),
    ("wrong type", {"payload.period": "first"}, "period must be a whole number"),
    ("bad date", {"payload.date": "20/11/2026"}, "date must be a date like"),
    ("missing field", {"payload.-student_id": None}, "student_id is required"),
    ("unknown field", {"payload.grade": "A+"}, "unknown field 'grade'"),
    ("NUL in a note", {"payload.note": "bus\x00late"}, "note holds a NUL byte"),
    ("lone surrogate", {"payload.note": "bus \ud83d late"}, "note holds a broken character"),
    ("huge base version", {"base_version": 2**70}, "base_version must be a whole number"),
]


def _mangle(mutation: dict, changes: dict) -> dict:
    for path, value in changes.items():
        if path.startswith("payload.-"):
            mutation["payload"].pop(path[len("payload.-"):])
        elif path.startswith("payload."):
            mutation["payload"][path[len("payload."):]] = value
        else:
            mutation[path] = value
    return mutation


def _push(server, school, token, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return requests.post(f"{server.url}/api/schools/{school.id}/mutations", headers=headers,
                         timeout=30, **kwargs)


@pytest.mark.parametrize("name,bad,status,reason", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_a_push_that_cant_be_read_is_refused_and_writes_nothing(context, name, bad, status,
                                                                 reason):
    server, school, token, student, section = context
    before = (last_seq(server.engine, school.id), mutation_count(server.engine))
    if isinstance(bad, bytes):
        r = _push(server, school, token, data=bad)
    else:
        r = _push(server, school, token, json={"mutations": [
            good_mark(student, section), _mangle(good_mark(student, section), bad)]})
    assert r.status_code == status, r.text
    assert reason in r.json()["detail"]
    assert (last_seq(server.engine, school.id), mutation_count(server.engine)) == before


@pytest.mark.parametrize("name,bad,reason", BAD_EDITS, ids=[b[0] for b in BAD_EDITS])
def test_a_malformed_edit_is_refused_on_its_own_and_the_next_goes_through(context, name, bad,
                                                                          reason):
    """One bad edit never blocks the edits behind it (DESIGN.md): a note
    with a NUL once stuck in a workstation's outbox and stopped every sync."""
    server, school, token, student, section = context
    before = last_seq(server.engine, school.id)
    good = good_mark(student, section)
    malformed = _mangle(good_mark(student, section), bad)
    # json.dumps writes a lone surrogate as its \\u escape: exactly what arrives.
    r = _push(server, school, token, json={"mutations": [malformed, good]})
    assert r.status_code == 200, r.text
    refused, applied = r.json()["results"]
    assert refused["status"] == "rejected" and reason in refused["reason"]
    assert applied["status"] == "applied"
    assert last_seq(server.engine, school.id) == before + 1  # the good mark alone
    again = _push(server, school, token, json={"mutations": [malformed]})
    assert again.json()["results"][0]["reason"] == refused["reason"]


def test_oversized_batch_is_refused(context):
    server, school, token, student, section = context
    before = last_seq(server.engine, school.id)
    body = {"mutations": [good_mark(student, section) for _ in range(MAX_BATCH + 1)]}
    r = requests.post(f"{server.url}/api/schools/{school.id}/mutations", json=body,
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 413 and f"at most {MAX_BATCH}" in r.json()["detail"]
    assert last_seq(server.engine, school.id) == before


def test_references_to_missing_records_are_rejected_with_a_reason(context):
    """A reference that doesn't resolve is the normal fate of an offline edit
    (the student left meanwhile): that mutation is answered `rejected` with
    a reason, writes nothing, and the rest of the batch goes on."""
    server, school, token, student, section = context
    before = last_seq(server.engine, school.id)
    ghost = good_mark("stu-does-not-exist", section)
    nowhere = good_mark(student, ("sec-does-not-exist", 1))
    bad_code = good_mark(student, section)
    bad_code["payload"]["code"] = "Q"
    r = requests.post(f"{server.url}/api/schools/{school.id}/mutations",
                      json={"mutations": [ghost, nowhere, bad_code]},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200
    answers = r.json()["results"]
    assert [a["status"] for a in answers] == ["rejected"] * 3
    assert "student 'stu-does-not-exist' does not exist" in answers[0]["reason"]
    assert "section 'sec-does-not-exist' does not exist" in answers[1]["reason"]
    assert "attendance code 'Q' does not exist" in answers[2]["reason"]
    assert last_seq(server.engine, school.id) == before


def test_login_with_missing_fields_says_which(server):
    r = requests.post(f"{server.url}/api/login", json={"username": "x"}, timeout=10)
    assert r.status_code == 422 and "password" in r.json()["detail"]
