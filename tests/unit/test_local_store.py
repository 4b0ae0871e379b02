"""The workstation cache: private file, schema version, and every change
committed together with its bookkeeping (edit + outbox, page + cursor,
snapshot + sequence, answer + outbox)."""
from __future__ import annotations

import os
import sqlite3
import stat
import uuid

import pytest

from domain.mutations import check_mutation
from domain.records import BOOL, DATE, INT, REAL, TIME, attendance_mark_id, kind
from local_store import edits
from local_store.schema import INDEXES, SCHEMA_VERSION
from local_store.store import CacheTooNew, LocalStore

_SAMPLE = {INT: 1, BOOL: False, DATE: "2026-11-20", TIME: "08:00", REAL: 5.0}


def row(kind_name: str, record_id: str, version: int, **values) -> list:
    """A wire row: [id, version, *fields], sample values where none is given."""
    k = kind(kind_name)
    unknown = set(values) - set(k.field_names)
    assert not unknown, unknown
    return [record_id, version,
            *(values.get(f.name, _SAMPLE.get(f.type, f"{f.name}-{record_id}")) for f in k.fields)]


def columns(kind_name: str) -> list[str]:
    return list(kind(kind_name).wire_columns)


def change(kind_name: str, record_id: str, version: int, **values) -> dict:
    return {"kind": kind_name, "id": record_id, "row": row(kind_name, record_id, version, **values)}


def student(record_id: str, version: int = 1, last_name: str = "Reyes") -> list:
    return row("students", record_id, version, legal_last_name=last_name, grade_level=9)


def mark_payload(student_id: str, code: str = "A") -> dict:
    """A checked attendance.mark payload, as Workstation.edit queues it."""
    return check_mutation({"mutation_id": str(uuid.uuid4()), "op": "attendance.mark",
                           "payload": {"student_id": student_id, "section_id": "sec-1",
                                       "date": "2026-11-20", "period": 2, "code": code}}
                          )["payload"]


def mark_id(student_id: str) -> str:
    return attendance_mark_id(student_id, "sec-1", "2026-11-20", 2)


def queue_mark(store: LocalStore, student_id: str, code: str = "A") -> str:
    mutation_id = str(uuid.uuid4())
    store.queue("attendance.mark", mark_payload(student_id, code), base_version=None,
                mutation_id=mutation_id, created_at="2026-11-20T16:00:00Z", created_by="clerk.hs1")
    return mutation_id


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "cache-sch-1.db")
    yield s
    s.close()


@pytest.fixture
def loaded(store):
    """A cache bootstrapped with two students at sequence 10."""
    store.load_snapshot(10, [("students", columns("students"), [student("stu-1"), student("stu-2")])],
                        school_id="sch-1")
    return store


def codes(store: LocalStore) -> dict[str, str]:
    return {r["id"]: r["code"] for r in store.records("attendance_marks")}


# --- the file

def test_a_new_cache_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data" / "cache-sch-1.db"
    store = LocalStore(path)
    try:
        store.put(cursor=1)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        # SQLite gives its side files the database's permissions.
        for side in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if side.exists():
                assert stat.S_IMODE(os.stat(side).st_mode) == 0o600, side
    finally:
        store.close()


def test_a_new_cache_records_its_schema_version_and_has_no_cursor(store):
    assert store.get("schema_version") == str(SCHEMA_VERSION)
    assert store.cursor is None
    assert store.pending() == []


def test_reopening_a_cache_keeps_its_data_and_outbox(tmp_path):
    path = tmp_path / "cache-sch-1.db"
    store = LocalStore(path)
    store.load_snapshot(10, [("students", columns("students"), [student("stu-1")])],
                        school_id="sch-1")
    mid = queue_mark(store, "stu-1")
    store.close()

    again = LocalStore(path)
    try:
        assert again.cursor == 10
        assert again.get("school_id") == "sch-1"
        assert [s["id"] for s in again.records("students")] == ["stu-1"]
        assert [e["mutation_id"] for e in again.pending()] == [mid]
        assert codes(again) == {mark_id("stu-1"): "A"}
    finally:
        again.close()


def test_a_cache_from_a_newer_misis_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "cache-sch-1.db"
    store = LocalStore(path)
    store.load_snapshot(10, [("students", columns("students"), [student("stu-1")])],
                        school_id="sch-1")
    store.put(schema_version=SCHEMA_VERSION + 1)
    store.close()

    with pytest.raises(CacheTooNew) as caught:
        LocalStore(path)
    message = str(caught.value)
    assert f"schema {SCHEMA_VERSION + 1}" in message
    assert "update MiSiS on this workstation" in message
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM students").fetchone() == (1,)
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION + 1),)


# --- local edits

def test_a_queued_mark_is_in_the_cache_and_in_the_outbox(loaded):
    mid = queue_mark(loaded, "stu-1", "T")

    marks = loaded.records("attendance_marks")
    assert len(marks) == 1
    assert marks[0]["id"] == mark_id("stu-1")
    assert (marks[0]["student_id"], marks[0]["code"], marks[0]["recorded_by"]) == (
        "stu-1", "T", "clerk.hs1")
    assert marks[0]["version"] == 0  # the server has not given it one yet
    [entry] = loaded.pending()
    assert (entry["mutation_id"], entry["op"], entry["state"]) == (mid, "attendance.mark", "pending")
    assert entry["payload"] == mark_payload("stu-1", "T")
    assert loaded.outbox_counts() == {"pending": 1, "conflict": 0, "rejected": 0}


def test_an_edit_that_fails_to_apply_leaves_neither_record_nor_outbox_entry(loaded, monkeypatch):
    def mark_then_fail(conn, payload, by):
        edits._mark(conn, payload, by)  # the record is written, then something breaks
        raise RuntimeError("disk trouble")

    monkeypatch.setitem(edits._LOCAL, "attendance.mark", mark_then_fail)
    with pytest.raises(RuntimeError, match="disk trouble"):
        queue_mark(loaded, "stu-1")

    assert loaded.records("attendance_marks") == []
    assert loaded.outbox_entries() == []
    # The cache is still usable afterwards.
    monkeypatch.undo()
    queue_mark(loaded, "stu-1")
    assert len(loaded.pending()) == 1


# --- pulls

def test_a_pulled_page_skips_records_with_pending_edits_and_commits_its_cursor(loaded):
    queue_mark(loaded, "stu-1", "A")
    page = [
        change("attendance_marks", mark_id("stu-1"), 31, student_id="stu-1", section_id="sec-1",
               date="2026-11-20", period=2, code="P"),
        change("students", "stu-2", 32, legal_last_name="Reyes-Ortiz"),
        change("students", "stu-3", 33),
        {"kind": "students", "id": "stu-1", "deleted": True},
    ]

    changed = loaded.apply_changes(page, 40)

    assert changed.written == 3
    assert changed.records == {"students": {"stu-1", "stu-2", "stu-3"}}  # what screens refresh
    assert loaded.cursor == 40
    assert codes(loaded) == {mark_id("stu-1"): "A"}  # the clerk's edit still shows
    students = {s["id"]: s for s in loaded.records("students")}
    assert set(students) == {"stu-2", "stu-3"}
    assert (students["stu-2"]["version"], students["stu-2"]["legal_last_name"]) == (
        32, "Reyes-Ortiz")


def test_a_page_that_fails_before_commit_changes_neither_records_nor_cursor(loaded):
    before = loaded.dump()

    def power_cut():
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        loaded.apply_changes([change("students", "stu-2", 32, legal_last_name="Other"),
                              change("students", "stu-3", 33)], 40, before_commit=power_cut)

    assert loaded.cursor == 10
    assert loaded.dump() == before


# --- the server's answers

def test_answers_clear_applied_edits_and_keep_conflicts_and_rejections(loaded):
    applied = queue_mark(loaded, "stu-1", "A")
    conflicted = queue_mark(loaded, "stu-2", "A")
    rejected = queue_mark(loaded, "stu-3", "A")
    server_mark = row("attendance_marks", mark_id("stu-1"), 41, student_id="stu-1",
                      section_id="sec-1", date="2026-11-20", period=2, code="A",
                      recorded_by="clerk.hs1")
    server_other = row("attendance_marks", mark_id("stu-2"), 42, student_id="stu-2",
                       section_id="sec-1", date="2026-11-20", period=2, code="E",
                       recorded_by="attendance.office")
    answers = [
        {"mutation_id": applied, "status": "applied",
         "records": [{"kind": "attendance_marks", "id": mark_id("stu-1"), "row": server_mark}]},
        {"mutation_id": conflicted, "status": "conflict", "reason": "marked E by the office",
         "records": [{"kind": "attendance_marks", "id": mark_id("stu-2"), "row": server_other}]},
        {"mutation_id": rejected, "status": "rejected",
         "reason": "student 'stu-3' does not exist"},
    ]

    loaded.record_answers(answers, answered_at="2026-11-20T16:05:00Z")

    assert loaded.pending() == []
    assert loaded.outbox_counts() == {"pending": 0, "conflict": 1, "rejected": 1}
    kept = {e["mutation_id"]: e for e in loaded.outbox_entries()}
    assert set(kept) == {conflicted, rejected}
    assert kept[conflicted]["state"] == "conflict"
    assert kept[conflicted]["answer"]["reason"] == "marked E by the office"
    assert kept[rejected]["state"] == "rejected"
    assert kept[rejected]["answer"] == answers[2]
    assert kept[rejected]["answered_at"] == "2026-11-20T16:05:00Z"
    # The server's records replace the local guesses.
    marks = {m["id"]: m for m in loaded.records("attendance_marks")}
    assert (marks[mark_id("stu-1")]["version"], marks[mark_id("stu-1")]["code"]) == (41, "A")
    assert (marks[mark_id("stu-2")]["version"], marks[mark_id("stu-2")]["code"]) == (42, "E")
    # A pull no longer holds back a record whose edit was answered.
    loaded.apply_changes([change("attendance_marks", mark_id("stu-3"), 50, student_id="stu-3",
                                 section_id="sec-1", date="2026-11-20", period=2, code="P")], 50)
    assert codes(loaded)[mark_id("stu-3")] == "P"


def test_an_answer_does_not_overwrite_a_record_a_later_edit_still_holds(loaded):
    first = queue_mark(loaded, "stu-1", "A")
    queue_mark(loaded, "stu-1", "T")  # the clerk corrected it before the sync
    server_mark = row("attendance_marks", mark_id("stu-1"), 41, student_id="stu-1",
                      section_id="sec-1", date="2026-11-20", period=2, code="A")

    loaded.record_answers([{"mutation_id": first, "status": "applied", "records": [
        {"kind": "attendance_marks", "id": mark_id("stu-1"), "row": server_mark}]}],
        answered_at="2026-11-20T16:05:00Z")

    assert codes(loaded) == {mark_id("stu-1"): "T"}
    assert [e["payload"]["code"] for e in loaded.pending()] == ["T"]


def test_answers_that_fail_before_commit_leave_the_outbox_as_it_was(loaded):
    mid = queue_mark(loaded, "stu-1", "A")

    def power_cut():
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        loaded.record_answers([{"mutation_id": mid, "status": "applied"}],
                              answered_at="2026-11-20T16:05:00Z", before_commit=power_cut)

    assert [e["mutation_id"] for e in loaded.pending()] == [mid]


# --- bootstrap

def test_a_snapshot_replaces_synced_records_and_keeps_pending_edits_on_top(loaded):
    mid = queue_mark(loaded, "stu-1", "T")
    loaded.apply_changes([change("attendance_marks", mark_id("stu-2"), 11, student_id="stu-2",
                                 section_id="sec-1", date="2026-11-20", period=2, code="A")], 11)

    changed = loaded.load_snapshot(
        90, [("students", columns("students"), [student("stu-1", 80, "Reyes-Ortiz")]),
             ("students", columns("students"), [student("stu-3", 85)]),
             ("attendance_codes", columns("attendance_codes"),
              [row("attendance_codes", "T", 3, code="T")])],
        school_id="sch-1")

    assert (changed.written, changed.everything) == (3, True)
    assert loaded.cursor == 90
    assert loaded.get("bootstrap_seq") == "90"
    students = {s["id"]: s for s in loaded.records("students")}
    assert set(students) == {"stu-1", "stu-3"}  # stu-2 is gone from the school
    assert students["stu-1"]["legal_last_name"] == "Reyes-Ortiz"
    assert [a["id"] for a in loaded.records("attendance_codes")] == ["T"]
    # The unsent edit survives the reload, in the outbox and on screen.
    assert [e["mutation_id"] for e in loaded.pending()] == [mid]
    assert codes(loaded) == {mark_id("stu-1"): "T"}


def test_a_snapshot_cut_midway_leaves_the_previous_cache_intact(loaded):
    mid = queue_mark(loaded, "stu-1", "T")
    loaded.apply_changes([change("students", "stu-2", 11, legal_last_name="Reyes-Ortiz")], 11)
    before = loaded.dump()

    def cut_stream():
        yield "students", columns("students"), [student("stu-7", 80)]
        yield "attendance_codes", columns("attendance_codes"), [row("attendance_codes", "A", 81)]
        raise ConnectionResetError("the network went away")

    with pytest.raises(ConnectionResetError):
        loaded.load_snapshot(90, cut_stream(), school_id="sch-1")

    assert loaded.cursor == 11
    assert loaded.get("bootstrap_seq") == "10"
    assert loaded.dump() == before
    assert [e["mutation_id"] for e in loaded.pending()] == [mid]
    with loaded.read() as conn:
        names = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {name for name, _table, _column in INDEXES} <= names


def test_a_snapshot_of_another_shape_is_refused_and_changes_nothing(loaded):
    before = loaded.dump()
    with pytest.raises(ValueError, match="snapshot columns of students don't match"):
        loaded.load_snapshot(90, [("students", ["id", "version", "name"], [["stu-9", 1, "X"]])],
                             school_id="sch-1")
    assert loaded.dump() == before
    assert loaded.cursor == 10


# --- leaving

def test_purge_removes_the_school_from_the_workstation(loaded):
    queue_mark(loaded, "stu-1")
    path = loaded.path
    assert path.exists()

    loaded.purge()

    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert leftovers == []
