"""The desktop client against a live district server on loopback (pytest-qt).

Sign-in, first sync, cancelling it, the roster, offline edits, the status
bar, and pending changes flushed when the server comes back.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QPushButton

from tests.support.clock import SCHOOL_DAY, at
from tests.support.desktop import CLICK, type_password_and_sign_in
from tests.support.fixtures import password_of
from ui.common import messages
from ui.session.first_sync import FirstSyncDialog
from ui.session.sign_in import SignInDialog

# The whole client takes "today" and "now" from the clock: the demo's school day,
# for it and for the server (started after the clock is set).
pytestmark = pytest.mark.usefixtures("school_day_clock", "quiet_messages")


def test_sign_in_wrong_then_right_password_then_first_sync_with_progress(
        qtbot, new_workstation, launcher_factory, high, demo_district, tmp_path, monkeypatch):
    progress: list[str] = []
    original = FirstSyncDialog.on_progress
    monkeypatch.setattr(FirstSyncDialog, "on_progress",
                        lambda self, what, done, total: (progress.append(what),
                                                         original(self, what, done, total)))
    launcher = launcher_factory(new_workstation)
    launcher.start()
    dialog = launcher.dialog
    assert isinstance(dialog, SignInDialog)
    user = f"clerk.{high.code}"

    type_password_and_sign_in(qtbot, dialog, user, "not-my-password")
    qtbot.waitUntil(lambda: dialog.problem.isVisible())
    assert "Wrong user name or password" in dialog.problem.text()
    assert not new_workstation.has_token()
    assert not list(new_workstation.data_dir.glob("cache-*.db"))
    keyring = tmp_path / "keyring.json"
    assert not keyring.exists() or json.loads(keyring.read_text()) == {}

    with qtbot.waitSignal(launcher.ready, timeout=60000) as opened:
        type_password_and_sign_in(qtbot, dialog, user, password_of(demo_district, user))
    window = opened.args[0]
    assert window.roster.model.total() == len(high.records["students"])
    assert any(p.startswith("Loading students") for p in progress)
    assert high.name in window.windowTitle()
    assert new_workstation.has_token()
    assert "not-my-password" not in (new_workstation.data_dir / "settings.json").read_text()


def test_cancelling_the_first_sync_leaves_an_empty_cache_and_returns_to_sign_in(
        qtbot, new_workstation, launcher_factory, high, demo_district, monkeypatch):
    original = FirstSyncDialog.start

    def start_then_cancel(self):
        original(self)
        self.reject()  # the person presses Cancel (or Esc) at once
    monkeypatch.setattr(FirstSyncDialog, "start", start_then_cancel)
    launcher = launcher_factory(new_workstation)
    launcher.start()
    user = f"clerk.{high.code}"
    type_password_and_sign_in(qtbot, launcher.dialog, user, password_of(demo_district, user))

    qtbot.waitUntil(lambda: isinstance(launcher.dialog, SignInDialog)
                    and launcher.dialog.findChild(type(launcher.dialog.problem), "reason")
                    is not None, timeout=60000)
    assert launcher.window is None
    store = new_workstation.open_store()
    assert store.cursor is None
    assert store.count("students") == 0
    assert store.outbox_counts() == {"pending": 0, "conflict": 0, "rejected": 0}
    store.close()


def test_roster_search_and_filters(qtbot, open_loaded):
    _, window = open_loaded()
    roster = window.roster
    everyone = roster.model.rowCount()
    target = roster.model.row_at(17)

    qtbot.keyClicks(roster.search, target.last_name[:4])
    some = roster.model.rowCount()
    assert 0 < some < everyone
    assert all(target.last_name[:4].lower() in r.search_key for r in roster.model.visible_rows())
    roster.search.clear()
    qtbot.keyClicks(roster.search, target.district_student_id)
    assert [r.student_id for r in roster.model.visible_rows()] == [target.student_id]
    qtbot.keyClick(roster.search, Qt.Key.Key_Escape)
    assert roster.search.text() == "" and roster.model.rowCount() == everyone

    roster.grade.setCurrentIndex(roster.grade.findData(10))
    assert {r.grade_level for r in roster.model.visible_rows()} == {10}
    roster.english.setCurrentIndex(roster.english.findData("EL"))
    assert {r.english_learner_status for r in roster.model.visible_rows()} == {"EL"}
    assert "of" in roster.count.text()
    roster.grade.setCurrentIndex(0)
    roster.english.setCurrentIndex(0)
    roster.status.setCurrentIndex(roster.status.findData("Withdrawn"))
    withdrawn = roster.model.visible_rows()
    assert withdrawn and all(r.status == "Withdrawn" for r in withdrawn)

    roster.status.setCurrentIndex(roster.status.findData(None))
    roster.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
    grades = [r.grade_level for r in roster.model.visible_rows()]
    assert grades == sorted(grades, reverse=True)


def test_offline_enroll_and_withdraw_then_flushed_when_the_server_returns(
        qtbot, open_loaded, sqlite_server):
    _, window = open_loaded(sync_interval_s=0.3)

    sqlite_server.stop()
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.sync.state.online is False, timeout=30000)
    assert "Offline" in window.status.connection.text()
    assert not [m for m in messages.shown if m.kind in ("warning", "bug")], \
        "a passing network failure never pops a message"

    # The window keeps working: search, enroll, withdraw.
    leaving = window.roster.model.row_at(3)
    qtbot.keyClicks(window.roster.search, leaving.district_student_id)
    assert window.roster.model.rowCount() == 1
    window.roster.search.clear()
    enroll = window.on_enroll()
    qtbot.keyClicks(enroll.findChild(QLineEdit, "firstName"), "Anneliese")
    qtbot.keyClicks(enroll.findChild(QLineEdit, "lastName"), "Vandermolen-Ruiz")
    enroll.findChild(QDateEdit, "birthDate").setDate(QDate(2011, 5, 17))
    enroll.findChild(QComboBox, "gender").setCurrentIndex(0)
    qtbot.keyClicks(enroll.findChild(QLineEdit, "guardianLastName"), "Vandermolen")
    qtbot.keyClicks(enroll.findChild(QLineEdit, "guardianPhone"), "(213) 555-0142")
    qtbot.mouseClick(enroll.findChild(QPushButton, "enrollButton"), CLICK)
    qtbot.waitUntil(lambda: window.sync.state.pending == 1)  # written off the GUI thread
    window.roster.select_student(leaving.student_id)
    withdraw = window.on_withdraw()
    code = withdraw.findChild(QComboBox, "withdrawalCode")
    code.setCurrentIndex(code.findData("W3"))
    qtbot.mouseClick(withdraw.findChild(QPushButton, "withdrawButton"), CLICK)
    qtbot.waitUntil(lambda: window.sync.state.pending == 2)
    assert window.status.pending.text() == "2 changes waiting to be sent"
    pending = [r for r in window.roster.model.visible_rows() if r.status == "Pending"]
    assert {r.last_name for r in pending} >= {"Vandermolen-Ruiz"}

    sqlite_server.start()  # no click: the next automatic attempt flushes the outbox
    qtbot.waitUntil(lambda: window.sync.state.online and window.sync.state.pending == 0,
                    timeout=60000)
    assert window.status.pending.text() == "All changes sent"
    qtbot.waitUntil(lambda: any(r.last_name == "Vandermolen-Ruiz" and r.status == "Enrolled"
                                and r.district_student_id
                                for r in window.roster.model.visible_rows()), timeout=30000)
    window.roster.status.setCurrentIndex(window.roster.status.findData("Withdrawn"))
    assert leaving.student_id in {r.student_id for r in window.roster.model.visible_rows()}


def test_sign_out_forgets_the_session_and_returns_to_sign_in(qtbot, open_loaded, new_workstation,
                                                            high, sqlite_server):
    launcher, window = open_loaded()
    token = new_workstation.client().token
    window.act_sign_out.trigger()
    assert not new_workstation.has_token()
    qtbot.waitUntil(lambda: launcher.window is None)
    assert isinstance(launcher.dialog, SignInDialog)
    assert new_workstation.cache_path(high.id).exists()  # the school stays for next time
    # The server hears of it too: the old session no longer opens anything.
    qtbot.waitUntil(lambda: requests.get(f"{sqlite_server.url}/api/me", timeout=10, headers={
        "Authorization": f"Bearer {token}"}).status_code == 401, timeout=10000)


def test_removing_the_schools_data_deletes_the_cache(qtbot, open_loaded, new_workstation, high,
                                                     monkeypatch):
    launcher, window = open_loaded()
    monkeypatch.setattr(messages, "ask", lambda *args, **kwargs: args[3](True))
    window.act_purge.trigger()
    qtbot.waitUntil(lambda: launcher.window is None)
    assert isinstance(launcher.dialog, SignInDialog)
    assert not new_workstation.cache_path(high.id).exists()
    assert "removed from this workstation" in launcher.dialog.findChild(
        type(launcher.dialog.problem), "reason").text()


# The next morning: the demo district holds every roll of its own school day.
@pytest.mark.clock(at(SCHOOL_DAY + dt.timedelta(days=1), 9, 40))
def test_a_section_marked_from_the_keyboard_reaches_the_server_and_a_correction_keeps_history(
        qtbot, open_loaded, sqlite_server, high):
    from domain.records import attendance_mark_id
    from tests.integration.helpers import server_dump
    launcher, window = open_loaded()
    window.nav.setCurrentRow(1)
    sheet = window.attendance
    sheet.table.setFocus()
    rows = list(sheet.model.rows)
    for key in ["a", "t", "e"] + [" "] * (len(rows) - 3):
        qtbot.keyClicks(sheet.table, key)
    qtbot.keyClick(sheet.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    # Shown as submitted at once ("by you"), then as the server recorded it.
    qtbot.waitUntil(lambda: window.sync.state.pending == 0
                    and sheet.state.text().startswith("Submitted")
                    and "by you" not in sheet.state.text(), timeout=30000)

    marks = server_dump(sqlite_server.engine, high.id)["attendance_marks"]
    date, section = sheet.current_date(), sheet.section.currentData()
    absent_id = attendance_mark_id(rows[0].student_id, section, date, sheet.current_period())
    assert marks[absent_id][6] == "A"  # wire columns: id, version, student, section, date, period, code
    assert sum(1 for m in marks.values() if m[3] == section and m[4] == date) == 3

    # A parent calls: the absence was excused. A correction needs a reason.
    sheet.table.setCurrentIndex(sheet.model.index(0, 0))
    sheet.reason.setCurrentText("Phone call")
    qtbot.keyClicks(sheet.table, "e")
    qtbot.keyClick(sheet.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: server_dump(sqlite_server.engine, high.id)["attendance_marks"]
                    [absent_id][6] == "E", timeout=30000)
    sheet.table.setCurrentIndex(sheet.model.index(0, 0))
    history = window.open_mark_history(absent_id, "test")
    qtbot.waitUntil(lambda: history.table.rowCount() == 2, timeout=30000)
    changes = [history.table.item(i, 3).text() for i in range(2)]
    assert "marked A" in changes[0] and "A (Absent, unexcused) → E" in changes[1]
    assert history.table.item(1, 4).text() == "Phone call"
