"""A workstation away longer than the server keeps its log reloads the school
and keeps its unsent work; a school taken away is purged from a workstation.
(A student moving schools: test_transfers.py.)"""
from __future__ import annotations

import pytest
import requests

from sync.client import AccessEnded
from tests.integration.helpers import (
    a_student_in_a_section,
    mark_payload,
    school_day,
    server_dump,
    times_applied,
)
from tests.integration.test_access import login


def test_cursor_too_old_reloads_the_school_and_keeps_the_outbox(server, workstation, school,
                                                                demo_district):
    clerk = f"clerk.{school.code}"
    away, busy = workstation("away", clerk), workstation("busy", clerk)
    store_away, store_busy = away.open_store(), busy.open_store()
    away.sync(store_away), busy.sync(store_busy)
    day = school_day(store_busy)
    for i in range(5):
        student, section = a_student_in_a_section(store_busy, i)
        busy.edit(store_busy, "enrollment.withdraw", {
            "student_id": student["id"], "exit_date": day, "withdrawal_code": "W3"})
    busy.sync(store_busy)
    token = login(server, demo_district, "district.admin")
    r = requests.post(f"{server.url}/api/admin/schools/{school.id}/compact",
                      params={"keep_after": store_busy.cursor},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200

    student, section = a_student_in_a_section(store_away, 30)
    unsent = away.edit(store_away, "attendance.mark", mark_payload(student, section, day, "E"))
    report = away.sync(store_away)

    assert report.bootstrapped
    assert times_applied(server.engine, unsent) == 1
    assert store_away.outbox_counts()["pending"] == 0
    assert store_away.dump() == server_dump(server.engine, school.id)


def test_losing_access_to_a_school_purges_it_from_the_workstation(server, workstation,
                                                                  demo_district):
    ws = workstation("multi", "clerk.multi", school_id="sch-1001")
    store = ws.open_store()
    ws.sync(store)
    assert store.count("students") > 0
    token = login(server, demo_district, "admin.1001")
    r = requests.delete(f"{server.url}/api/admin/users/clerk.multi/schools/sch-1001",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200 and r.json()["removed"]

    with pytest.raises(AccessEnded) as ended:
        ws.sync(store)
    assert "removed from this workstation" in str(ended.value)
    assert not ws.cache_path("sch-1001").exists()
