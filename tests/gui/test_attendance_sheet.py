"""The attendance sheet from the keyboard: one key per code, minutes late,
notes, mark all present, submit, and corrections with a reason."""
from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from domain.mutations import check_mutation, new_mutation_id
from tests.support.clock import SCHOOL_DAY
from ui.attendance.sheet import ALL_SECTIONS, AttendanceScreen


def next_monday() -> dt.date:
    """A school day after the demo district's: no roll taken yet."""
    return SCHOOL_DAY + dt.timedelta(days=7 - SCHOOL_DAY.weekday())


class Queue:
    """Stands in for MainWindow.queue_edit: records the edits the sheet makes."""

    def __init__(self):
        self.edits: list[tuple[str, dict]] = []

    def __call__(self, op: str, payload: dict, **_kwargs) -> str:
        check_mutation({"mutation_id": new_mutation_id(), "op": op, "payload": payload})
        self.edits.append((op, payload))
        return "queued"


@pytest.fixture
def sheet(qtbot, school_store):
    queue = Queue()
    day = next_monday()
    screen = AttendanceScreen(school_store, queue,
                              today=lambda: dt.datetime(day.year, day.month, day.day, 9, 20))
    qtbot.addWidget(screen)
    screen.reload()
    screen.table.setFocus()
    return screen, queue


def press(qtbot, screen, *keys):
    for key in keys:
        if isinstance(key, str):
            qtbot.keyClicks(screen.table, key)
        else:
            qtbot.keyClick(screen.table, key)


def test_a_new_day_opens_on_the_current_period_with_a_section_to_mark(sheet):
    screen, _ = sheet
    assert screen.current_period() == 2  # 09:20 falls in period 2 of the demo bell schedule
    assert screen.section.currentData() not in (None, ALL_SECTIONS)
    assert screen.model.rowCount() > 10
    assert screen.state.text().startswith("Not submitted yet")
    assert screen.missing.count() == len(screen._sections)  # nothing submitted yet


def test_keyboard_entry_of_a_whole_section_and_its_submission(qtbot, sheet):
    screen, queue = sheet
    rows = list(screen.model.rows)
    press(qtbot, screen, "a")                       # row 0 absent, moves to row 1
    press(qtbot, screen, "t")                       # row 1 tardy, moves to row 2
    screen.table.setCurrentIndex(screen.model.index(1, 0))
    press(qtbot, screen, "45", Qt.Key.Key_Return)   # 45 minutes late: the code becomes L
    press(qtbot, screen, "e")                       # row 2 excused
    for _ in range(len(rows) - 3):
        press(qtbot, screen, Qt.Key.Key_Space)      # the rest present
    assert screen.model.pending_count() == 3
    assert "3 changes not saved yet" in screen.state.text()

    qtbot.keyClick(screen.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert [op for op, _ in queue.edits] == ["attendance.submit"]
    payload = queue.edits[0][1]
    assert payload["section_id"] == screen.section.currentData()
    assert payload["period"] == 2
    marks = {m["student_id"]: m for m in payload["marks"]}
    assert marks[rows[0].student_id]["code"] == "A"
    assert marks[rows[1].student_id] == {"student_id": rows[1].student_id, "code": "L",
                                         "minutes_late": 45}
    assert marks[rows[2].student_id]["code"] == "E"
    assert len(marks) == 3  # present students are not sent: no mark means present
    assert screen.model.pending_count() == 0


def test_mark_all_present_then_submit_sends_no_marks(qtbot, sheet):
    screen, queue = sheet
    qtbot.mouseClick(screen.mark_all, Qt.MouseButton.LeftButton)
    assert all(screen.model.effective(r).code == "P" for r in screen.model.rows)
    qtbot.mouseClick(screen.submit, Qt.MouseButton.LeftButton)
    assert queue.edits == [("attendance.submit", {
        "section_id": screen.section.currentData(), "date": screen.current_date(),
        "period": 2, "marks": []})]


def test_a_submitted_section_takes_corrections_with_a_reason(qtbot, school_store):
    queue = Queue()
    last_day = max(r["date"] for r in school_store.records("attendance_submissions"))
    day = dt.date.fromisoformat(last_day)
    screen = AttendanceScreen(school_store, queue,
                              today=lambda: dt.datetime(day.year, day.month, day.day, 8, 10))
    qtbot.addWidget(screen)
    screen.reload()
    assert screen.state.text().startswith("Submitted")
    assert "Save corrections" in screen.submit.text() and not screen.submit.isEnabled()
    screen.table.setFocus()
    screen.reason.setCurrentText("Phone call")
    press(qtbot, screen, "e")
    qtbot.mouseClick(screen.submit, Qt.MouseButton.LeftButton)
    assert len(queue.edits) == 1
    op, payload = queue.edits[0]
    assert op == "attendance.mark" and payload["code"] == "E"
    assert payload["reason"] == "Phone call"
    assert payload["period"] == 1


def test_staged_marks_survive_a_refresh_but_not_a_new_period(qtbot, sheet):
    screen, _ = sheet
    press(qtbot, screen, "a")
    screen.reload()  # a sync brought changes
    assert screen.model.pending_count() == 1
    screen.period.setCurrentIndex(screen.period.findData(3))
    assert screen.model.pending_count() == 0
