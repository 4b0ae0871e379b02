"""The Transfers screen: what is asked of this school and what it asked, in
words and US dates, and the answers a clerk gives."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ui.common import messages
from ui.students.transfers import TransferRequestsScreen


def put_request(store, **fields) -> dict:
    """A request as a sync delivers it (the server's copy for this school)."""
    record = {"id": "req-1", "version": 7, "district_student_id": "1003000042",
              "birth_date": "2011-03-04", "student_id": None, "student_name": None,
              "grade_level": 10, "entry_date": "2026-12-07", "entry_code": "E2",
              "school_enrollment_id": "enr-x", "from_school_id": None,
              "from_school_name": None, "to_school_id": "sch-9", "to_school_name": "Other High",
              "status": "requested", "requested_by": "Ana Ruiz",
              "requested_at": "2026-12-04T22:05:00Z", "decided_by": None, "decided_at": None,
              "note": None, "decision_note": None, **fields}
    with store.write() as conn:
        conn.exec_driver_sql(
            f"INSERT INTO transfer_requests ({', '.join(record)}) "
            f"VALUES ({', '.join('?' * len(record))})", tuple(record.values()))
    return record


@pytest.fixture
def queued():
    edits = []

    def queue(op, payload, **_):
        edits.append((op, payload))
        return "m"
    return edits, queue


def test_a_request_of_this_school_is_approved_after_a_confirmation(
        qtbot, school_store, queued, monkeypatch):
    here = school_store.get("school_id")
    student = school_store.records("students")[0]
    put_request(school_store, from_school_id=here, from_school_name="This High",
                student_id=student["id"], student_name="Maya Okafor")
    edits, queue = queued
    screen = TransferRequestsScreen(school_store, queue, role="clerk")
    qtbot.addWidget(screen)
    waiting = []
    screen.waiting_changed.connect(waiting.append)
    screen.reload()
    assert waiting == [1]
    row = screen.model.rows[0]
    assert row[0] == "Maya Okafor" and row[2] == "Asked of us" and row[3] == "Other High"
    assert row[4] == "Waiting for us" and row[6].startswith("12/04/2026 ")
    assert row[6].endswith(("AM", "PM"))
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    assert screen.approve.isEnabled() and screen.refuse.isEnabled()
    assert not screen.take_back.isEnabled()

    asked = []
    monkeypatch.setattr(messages, "confirm",
                        lambda _p, _t, text, **kw: asked.append(text) or True)
    qtbot.mouseClick(screen.approve, Qt.MouseButton.LeftButton)
    assert edits == [("transfer.approve", {"request_id": "req-1"})]
    assert "Transfer Maya Okafor to Other High in grade 10 from 12/07/2026" in asked[0]


def test_a_counselor_sees_the_request_but_cannot_answer_it(qtbot, school_store, queued):
    here = school_store.get("school_id")
    put_request(school_store, from_school_id=here, from_school_name="This High",
                student_name="Maya Okafor")
    screen = TransferRequestsScreen(school_store, queued[1], role="counselor")
    qtbot.addWidget(screen)
    screen.reload()
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    assert not screen.approve.isEnabled() and not screen.refuse.isEnabled()


def test_our_own_request_shows_no_student_and_can_be_taken_back(qtbot, school_store, queued,
                                                                 monkeypatch):
    here = school_store.get("school_id")
    put_request(school_store, to_school_id=here, to_school_name="This High",
                from_school_id="sch-9", from_school_name="Other Middle")
    edits, queue = queued
    screen = TransferRequestsScreen(school_store, queue, role="clerk")
    qtbot.addWidget(screen)
    screen.reload()
    row = screen.model.rows[0]
    assert row[0] == "Student 1003000042, born 03/04/2011"
    assert row[2] == "We asked" and row[4] == "Waiting for Other Middle"
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    assert not screen.approve.isEnabled() and screen.take_back.isEnabled()
    monkeypatch.setattr(messages, "confirm", lambda *a, **kw: True)
    qtbot.mouseClick(screen.take_back, Qt.MouseButton.LeftButton)
    assert edits == [("transfer.cancel", {"request_id": "req-1"})]


def test_a_refusal_needs_a_reason(qtbot, school_store, queued, monkeypatch):
    here = school_store.get("school_id")
    put_request(school_store, from_school_id=here, from_school_name="This High",
                student_name="Maya Okafor")
    edits, queue = queued
    screen = TransferRequestsScreen(school_store, queue, role="school_admin")
    qtbot.addWidget(screen)
    screen.reload()
    screen.table.setCurrentIndex(screen.model.index(0, 0))
    from PySide6.QtWidgets import QInputDialog
    answers = iter([("   ", True), ("The family is staying with us", True)])
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *a, **kw: next(answers))
    qtbot.mouseClick(screen.refuse, Qt.MouseButton.LeftButton)
    assert edits == [] and "Say why" in messages.shown[-1].text
    qtbot.mouseClick(screen.refuse, Qt.MouseButton.LeftButton)
    assert edits == [("transfer.refuse", {"request_id": "req-1",
                                          "reason": "The family is staying with us"})]
