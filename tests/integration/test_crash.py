"""A workstation killed (SIGKILL) at the worst moments of a sync loses nothing
and duplicates nothing once it runs again on the same files."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from sync import faults
from tests.integration.helpers import (
    a_student_in_a_section,
    mark_payload,
    new_student_payload,
    school_day,
    server_dump,
    times_applied,
)
from tests.support.fixtures import password_of
from tests.support.server import ROOT


def run_sync(ws, password: str, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MISIS_PASSWORD": password, "PYTHONPATH": str(ROOT)}
    env.pop("MISIS_CRASH_AT", None)
    if crash_at:
        env["MISIS_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "main.py", "--data", str(ws.data_dir), "sync"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("point", faults.POINTS)
def test_killed_sync_resumes_without_loss_or_duplicates(point, server, workstation, school,
                                                        demo_district):
    username = f"clerk.{school.code}"
    other = workstation("other", username)
    other_store = other.open_store()
    other.sync(other_store)
    day = school_day(other_store)

    ws = workstation("victim", username)
    store = ws.open_store()
    if point != "bootstrap.mid_load":
        ws.sync(store)
        # Something to pull: another workstation's marks.
        for i in range(5):
            student, section = a_student_in_a_section(other_store, 10 + i)
            other.edit(other_store, "attendance.mark", mark_payload(student, section, day, "A"))
        other.sync(other_store)
    queued = []
    for i in range(3):
        student, section = a_student_in_a_section(other_store, 20 + i)
        queued.append(ws.edit(store, "attendance.mark",
                              mark_payload(student, section, day, "T", minutes_late=7)))
    queued.append(ws.edit(store, "enrollment.enroll",
                          new_student_payload("Wilhelmina", "Okonkwo-Barrett")))
    store.close()

    password = password_of(demo_district, username)
    crashed = run_sync(ws, password, crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    resumed = run_sync(ws, password)
    assert resumed.returncode == 0, resumed.stderr

    store = ws.open_store()
    assert store.outbox_counts() == {"pending": 0, "conflict": 0, "rejected": 0}
    for mutation_id in queued:
        assert times_applied(server.engine, mutation_id) == 1
    state = server_dump(server.engine, school.id)
    assert sum(1 for s in state["students"].values() if s[4] == "Okonkwo-Barrett") == 1
    assert store.dump() == state
