"""Reads are recorded: who loaded, pulled or looked up which school's
records, who signed in or failed to, and every admin action, in an
append-only log that admins read and no one can edit."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import requests
import sqlalchemy as sa

from district_server.store.tables import access_log
from tests.integration.test_access import call, login
from tests.integration.test_bad_input import good_mark
from tests.support.clock import SCHOOL_DAY_MORNING


def rows(engine, **where) -> list[dict]:
    query = sa.select(access_log).order_by(access_log.c.id)
    for name, value in where.items():
        query = query.where(access_log.c[name] == value)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


@pytest.fixture
def high(demo_district):
    return next(s for s in demo_district.schools if s.level == "high")


def test_each_read_endpoint_leaves_a_row_with_who_where_and_how_many(server, demo_district,
                                                                     high):
    token = login(server, demo_district, f"clerk.{high.code}")
    snapshot = call(server, "GET", f"/api/schools/{high.id}/snapshot", token)
    lines = [json.loads(line) for line in snapshot.text.splitlines()]
    cursor = lines[0]["seq"]
    student = high.records["students"][0][0]
    section = high.records["sections"][0]
    call(server, "POST", f"/api/schools/{high.id}/mutations", token,
         json={"mutations": [good_mark(student, (section[0], section[4]))]})
    pulled = call(server, "GET", f"/api/schools/{high.id}/changes?after={cursor}", token).json()
    call(server, "GET", f"/api/schools/{high.id}/changes?after={pulled['cursor']}", token)
    call(server, "GET", f"/api/schools/{high.id}/history?kind=students&record_id={student}",
         token)

    logged = rows(server.engine, username=f"clerk.{high.code}")
    by_action = {r["action"]: r for r in logged}
    assert [r["action"] for r in logged] == ["sign_in", "snapshot", "pull", "history"], \
        "an empty pull read nothing and is not logged"
    assert by_action["snapshot"]["records"] == lines[-1]["rows"]
    assert by_action["snapshot"]["endpoint"] == "GET /api/schools/{school_id}/snapshot"
    assert by_action["pull"]["records"] == len(pulled["changes"]) >= 1
    assert by_action["history"]["detail"] == f"students {student}"
    for r in logged:
        assert r["ip"] == "127.0.0.1" and r["role"] == "clerk"
        assert r["school_id"] in (high.id, None) and r["at"].endswith("Z")


def test_sign_ins_and_admin_actions_are_logged(server, demo_district, high):
    requests.post(f"{server.url}/api/login", json={"username": "admin.1003",
                                                    "password": "wrong"}, timeout=30)
    admin = login(server, demo_district, "admin.1003")
    district = login(server, demo_district, "district.admin")
    call(server, "POST", "/api/admin/users", admin, json={
        "username": "new.clerk", "display_name": "Ana Ruiz", "role": "clerk",
        "password": "a-long-password-1", "school_ids": [high.id]})
    call(server, "POST", "/api/admin/users/new.clerk/revoke", admin)
    call(server, "DELETE", f"/api/admin/users/new.clerk/schools/{high.id}", admin)
    call(server, "POST", f"/api/admin/schools/{high.id}/compact?keep_after=0", district)
    call(server, "POST", "/api/logout", admin)
    logged = [(r["action"], r["username"], r["detail"]) for r in rows(server.engine)]
    assert logged == [
        ("sign_in_failed", "admin.1003", None), ("sign_in", "admin.1003", None),
        ("sign_in", "district.admin", None), ("user_created", "admin.1003", "new.clerk (clerk)"),
        ("sessions_revoked", "admin.1003", "new.clerk: 0"),
        ("access_removed", "admin.1003", "new.clerk"),
        ("compacted", "district.admin", "floor 0"), ("sign_out", "admin.1003", None)]


@pytest.mark.usefixtures("school_day_clock")  # the server's clock: the demo's school day
def test_a_workstation_reports_the_student_records_opened_there(server, demo_district, high):
    token = login(server, demo_district, f"clerk.{high.code}")
    student = high.records["students"][3][0]
    # The workstation's clock is a day fast.
    event = {"event_id": str(uuid.uuid4()), "at": "2026-12-03T17:05:00Z",
             "action": "record_opened", "record_kind": "students", "record_id": student}
    for _ in range(2):  # a report sent again (its answer lost) is kept once
        r = call(server, "POST", f"/api/schools/{high.id}/access-events", token,
                 json={"events": [event]})
        assert r.status_code == 200, r.text
    [opened] = rows(server.engine, action="record_opened")
    assert (opened["username"], opened["school_id"], opened["detail"]) == (
        f"clerk.{high.code}", high.id,
        f"students {student} · workstation time 2026-12-03T17:05:00Z")
    # The row's own time is the server's: a workstation's clock can't move it.
    assert opened["at"].endswith("Z")
    at = dt.datetime.fromisoformat(opened["at"].replace("Z", "+00:00"))
    assert dt.timedelta(0) <= at - SCHOOL_DAY_MORNING < dt.timedelta(minutes=10)
    for bad in ("0001-01-01T00:00:00+14:00", "yesterday"):
        refused = call(server, "POST", f"/api/schools/{high.id}/access-events", token,
                       json={"events": [{**event, "event_id": str(uuid.uuid4()), "at": bad}]})
        assert refused.status_code == 422 and "at must be a time" in refused.json()["detail"]
    strange = call(server, "POST", f"/api/schools/{high.id}/access-events", token,
                   json={"events": [{**event, "event_id": str(uuid.uuid4()),
                                     "action": "record_deleted"}]})
    assert strange.status_code == 422


def test_admins_read_the_log_of_their_own_school_only_and_no_one_edits_it(server, demo_district,
                                                                        high):
    clerk = login(server, demo_district, f"clerk.{high.code}")
    call(server, "GET", f"/api/schools/{high.id}/snapshot", clerk)
    other = login(server, demo_district, "clerk.1002")
    call(server, "GET", "/api/schools/sch-1002/snapshot", other)

    admin = login(server, demo_district, f"admin.{high.code}")
    mine = call(server, "GET", f"/api/schools/{high.id}/access-log", admin).json()["entries"]
    assert {e["school_id"] for e in mine} == {high.id}
    assert any(e["action"] == "snapshot" and e["what"] == "loaded the whole school"
               for e in mine)
    assert call(server, "GET", "/api/schools/sch-1002/access-log", admin).status_code == 403
    assert call(server, "GET", "/api/district/access-log", admin).status_code == 403
    assert call(server, "GET", f"/api/schools/{high.id}/access-log", clerk).status_code == 403

    district = login(server, demo_district, "district.admin")
    everything = call(server, "GET", "/api/district/access-log?limit=1000",
                      district).json()["entries"]
    assert {"sch-1002", high.id} <= {e["school_id"] for e in everything}
    # Reading the log is recorded too: the school admin's read above is there.
    assert ("access_log_read", f"admin.{high.code}", high.id) in {
        (e["action"], e["username"], e["school_id"]) for e in everything}

    for method in ("DELETE", "PUT", "PATCH"):
        assert call(server, method, f"/api/schools/{high.id}/access-log",
                    admin).status_code == 405
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with server.engine.begin() as conn:
            conn.execute(access_log.delete())
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with server.engine.begin() as conn:
            conn.execute(access_log.update().values(username="nobody"))
