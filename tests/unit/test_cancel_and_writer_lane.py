"""Taking back a waiting edit restores the server's version, and every write
goes through the one writer lane, saying what it changed."""
from __future__ import annotations

import os
import stat
import threading

import pytest

from local_store.changes import Changes
from local_store.lane import LaneClosed, WriterLane
from local_store.store import CannotCancel, LocalStore, StoreClosed
from tests.unit.test_local_store import (
    change,
    codes,
    columns,
    mark_id,
    queue_mark,
    row,
    student,
)


@pytest.fixture
def loaded(tmp_path):
    store = LocalStore(tmp_path / "cache-sch-1.db")
    store.load_snapshot(10, [
        ("students", columns("students"), [student("stu-1"), student("stu-2")]),
        ("attendance_marks", columns("attendance_marks"), [
            row("attendance_marks", mark_id("stu-1"), 4, student_id="stu-1", section_id="sec-1",
                date="2026-11-20", period=2, code="P")])], school_id="sch-1")
    yield store
    store.close()


def test_cancelling_a_mark_restores_the_servers_mark_and_sends_nothing(loaded):
    mutation_id = queue_mark(loaded, "stu-1", "A")
    assert codes(loaded) == {mark_id("stu-1"): "A"}

    changed = loaded.cancel(mutation_id)

    assert codes(loaded) == {mark_id("stu-1"): "P"}
    assert loaded.record("attendance_marks", mark_id("stu-1"))["version"] == 4
    assert loaded.pending() == []
    assert changed.ids("attendance_marks") == {mark_id("stu-1")} and changed.outbox


def test_cancelling_a_new_record_removes_it(loaded):
    mutation_id = queue_mark(loaded, "stu-2", "T")
    loaded.cancel(mutation_id)
    assert mark_id("stu-2") not in codes(loaded)


def test_cancelling_the_first_of_two_edits_keeps_the_second(loaded):
    first = queue_mark(loaded, "stu-1", "A")
    queue_mark(loaded, "stu-1", "T")

    loaded.cancel(first)

    assert codes(loaded)[mark_id("stu-1")] == "T"  # the later edit still shows
    assert [e["payload"]["code"] for e in loaded.pending()] == ["T"]
    # ...and taking that one back too returns to the server's mark
    loaded.cancel(loaded.pending()[0]["mutation_id"])
    assert codes(loaded)[mark_id("stu-1")] == "P"


def test_cancelling_the_later_edit_shows_the_earlier_one_again(loaded):
    queue_mark(loaded, "stu-1", "A")
    later = queue_mark(loaded, "stu-1", "T")
    loaded.cancel(later)
    assert codes(loaded)[mark_id("stu-1")] == "A"


def test_a_pulled_server_version_is_what_cancelling_returns_to(loaded):
    mutation_id = queue_mark(loaded, "stu-1", "A")
    loaded.apply_changes([change("attendance_marks", mark_id("stu-1"), 9, student_id="stu-1",
                                 section_id="sec-1", date="2026-11-20", period=2, code="E")], 20)
    assert codes(loaded)[mark_id("stu-1")] == "A"  # the pull left the held mark alone
    loaded.cancel(mutation_id)
    assert (codes(loaded)[mark_id("stu-1")],
            loaded.record("attendance_marks", mark_id("stu-1"))["version"]) == ("E", 9)


def test_a_rebootstrap_keeps_the_way_back(loaded):
    mutation_id = queue_mark(loaded, "stu-1", "A")
    loaded.load_snapshot(30, [
        ("students", columns("students"), [student("stu-1")]),
        ("attendance_marks", columns("attendance_marks"), [
            row("attendance_marks", mark_id("stu-1"), 12, student_id="stu-1", section_id="sec-1",
                date="2026-11-20", period=2, code="U")])], school_id="sch-1")
    assert codes(loaded)[mark_id("stu-1")] == "A"
    loaded.cancel(mutation_id)
    assert codes(loaded)[mark_id("stu-1")] == "U"


def test_an_answered_edit_cant_be_taken_back(loaded):
    mutation_id = queue_mark(loaded, "stu-1", "A")
    loaded.record_answers([{"mutation_id": mutation_id, "status": "rejected",
                            "reason": "no"}], answered_at="2026-11-20T16:05:00Z")
    with pytest.raises(CannotCancel):
        loaded.cancel(mutation_id)


def test_every_write_runs_on_the_lane_and_says_what_it_changed(tmp_path):
    lane = WriterLane()
    store = LocalStore(tmp_path / "cache.db", lane=lane)
    heard: list[tuple[str, Changes]] = []
    store.on_changes = lambda c: heard.append((threading.current_thread().name, c))
    try:
        store.load_snapshot(10, [("students", columns("students"), [student("stu-1")])],
                            school_id="sch-1")
        queue_mark(store, "stu-1", "A")
        assert [name for name, _c in heard] == ["cache-writer", "cache-writer"]
        assert heard[0][1].everything
        assert heard[1][1].ids("attendance_marks") == {mark_id("stu-1")}
    finally:
        lane.close()
        store.close()


def test_a_closed_lane_takes_no_more_writes_but_finishes_what_it_has(tmp_path):
    lane = WriterLane()
    gate = threading.Event()
    done = []
    lane.submit(gate.wait)
    queued = lane.submit(lambda: done.append("edit"))
    dropped = lane.submit(lambda: done.append("never"))
    lane.close()
    with pytest.raises(LaneClosed):
        lane.submit(lambda: None)
    gate.set()
    queued.result(timeout=10)
    dropped.result(timeout=10)
    assert done == ["edit", "never"]


def test_cancel_queued_drops_what_has_not_started(tmp_path):
    lane = WriterLane()
    gate, started = threading.Event(), threading.Event()
    running = lane.submit(lambda: (started.set(), gate.wait()))
    waiting = lane.submit(lambda: "written")
    assert started.wait(10)
    assert lane.cancel_queued() == 1
    gate.set()
    running.result(timeout=10)
    with pytest.raises(LaneClosed):
        waiting.result(timeout=10)
    assert lane.wait_idle(10)
    lane.close()


def test_a_purged_store_refuses_reads_and_no_read_recreates_the_file(tmp_path):
    path = tmp_path / "cache-sch-1.db"
    store = LocalStore(path)
    store.put(school_id="sch-1")
    store.purge()
    with pytest.raises(StoreClosed):
        store.get("school_id")
    with pytest.raises(StoreClosed):
        store.put(school_id="sch-2")
    assert not path.exists()


def test_a_new_cache_is_private(tmp_path):
    os.umask(0o022)
    store = LocalStore(tmp_path / "cache.db")
    store.put(school_id="sch-1")
    try:
        for p in tmp_path.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    finally:
        store.close()
