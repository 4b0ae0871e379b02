"""An edit shows on screen at once, even while a long write holds the cache's
writer lane, and the cache's own rows take over when it is written."""
from __future__ import annotations

import datetime as dt
import threading

from PySide6.QtCore import QDate, Qt

from local_store import queries
from tests.support.clock import SCHOOL_DAY
from ui.main_window import MainWindow


def a_day_with_classes(store) -> dt.date:
    assert queries.sections_meeting(store, date=SCHOOL_DAY.isoformat(), period=2, daily=False)
    return SCHOOL_DAY


def test_marks_show_at_once_while_the_lane_is_busy_then_come_from_the_cache(
        qtbot, school_workstation, school_store):
    window = MainWindow(school_workstation, school_store, school_name="Harbor View High")
    qtbot.addWidget(window)
    window.nav.setCurrentRow(window._screens().index(window.attendance))
    sheet = window.attendance
    day = a_day_with_classes(school_store)
    sheet.date.setDate(QDate(day.year, day.month, day.day))
    sheet.period.setCurrentIndex(sheet.period.findData(2))
    sheet.section.setCurrentIndex(1)
    student = sheet.model.rows[0]
    mark_id = sheet.model.mark_id(student)
    before = school_store.record("attendance_marks", mark_id)
    code = "T" if before and before["code"] == "A" else "A"

    gate, holding = threading.Event(), threading.Event()
    window.session.write(lambda: (holding.set(), gate.wait(30)))  # a long sync write
    assert holding.wait(10)
    sheet.table.setFocus()
    sheet.table.setCurrentIndex(sheet.model.index(0, 0))
    sheet.model.set_mark(0, code)
    qtbot.keyClick(sheet.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    # Drawn at once, not yet in the cache: the GUI never waited for the lane.
    assert sheet.model.effective(student).code == code
    assert school_store.outbox_entries() == []
    assert window.session.lane.busy()

    gate.set()
    qtbot.waitUntil(lambda: bool(school_store.outbox_entries()))
    qtbot.waitUntil(lambda: not sheet.model.saving)  # the cache's row took over
    assert school_store.record("attendance_marks", mark_id)["code"] == code
    assert sheet.model.effective(sheet.model.rows[0]).code == code
