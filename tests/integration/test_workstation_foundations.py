"""The joints every screen stands on, against a live server (issue 11): one
session lifecycle, one error path, actions on what the person looks at, and
taking back a change before it is sent."""
from __future__ import annotations

import logging
import stat
import time

import pytest
import requests
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QPushButton

from sync.workstation import setup_log_file
from tests.integration.helpers import server_dump
from tests.integration.test_access import login
from tests.support.desktop import CLICK, type_password_and_sign_in
from tests.support.fixtures import password_of
from ui.common import messages
from ui.common.crash import CrashHandler, ProblemDialog
from ui.session.sign_in import SignInDialog

# The client and the servers run on the fixed school day's morning, whatever
# the machine's clock says (tests/support/clock.py).
pytestmark = pytest.mark.usefixtures("school_day_clock")


class StallWatch:
    """The longest gap between turns of the event loop while it runs."""

    def __init__(self):
        self.longest = 0.0
        self._last = time.monotonic()
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def stop(self) -> float:
        self.timer.stop()
        return self.longest * 1000


def cache_files(ws, school_id: str) -> list[str]:
    path = ws.cache_path(school_id)
    return sorted(p.name for p in path.parent.glob(path.name + "*"))


def test_access_ended_closes_every_window_of_the_school_and_its_data_goes(
        qtbot, quiet_messages, new_workstation, launcher_factory, demo_district, sqlite_server):
    ws = new_workstation
    ws.settings.school_id = "sch-1001"
    ws.save_settings()
    ws.sign_in(sqlite_server.url, "clerk.multi", password_of(demo_district, "clerk.multi"))
    store = ws.open_store()
    ws.sync(store)
    store.close()
    ws.lock()
    launcher = launcher_factory(ws)
    launcher.start()
    with qtbot.waitSignal(launcher.ready, timeout=60000):
        type_password_and_sign_in(qtbot, launcher.dialog, "clerk.multi",
                                  password_of(demo_district, "clerk.multi"))
    window = launcher.window
    qtbot.waitUntil(lambda: window.sync.state.online is True, timeout=30000)
    student = window.roster.model.row_at(0).student_id
    record = window.open_student(student)
    assert record.isVisible() and window.roster.model.total() > 0

    token = login(sqlite_server, demo_district, "admin.1001")
    r = requests.delete(f"{sqlite_server.url}/api/admin/users/clerk.multi/schools/sch-1001",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200
    window.sync.sync_now()

    qtbot.waitUntil(lambda: launcher.window is None, timeout=30000)
    assert isinstance(launcher.dialog, SignInDialog)
    school_windows = [w for w in QApplication.topLevelWidgets()
                      if w.isVisible() and w is not launcher.dialog
                      and not isinstance(w, QTimer)]
    assert school_windows == [], "no window of the school stays open"
    assert cache_files(ws, "sch-1001") == []
    told = [m for m in messages.shown if m.title == "Access to this school has ended"]
    assert told and "removed from this workstation" in told[0].text
    # A read through the old store is refused, and re-creates nothing.
    with pytest.raises(Exception, match="session has ended"):
        window.store.get("school_name")
    assert cache_files(ws, "sch-1001") == []


def test_purge_while_the_school_reloads_keeps_the_window_responsive_and_leaves_no_file(
        qtbot, quiet_messages, open_loaded, new_workstation, high, monkeypatch):
    launcher, window = open_loaded()
    store = window.store
    # A long write on the writer lane: the school's data loaded again from scratch.
    done = []
    window.session.write(lambda: store.put(cursor=None), success=done.append)
    qtbot.waitUntil(lambda: bool(done))
    watch = StallWatch()
    window.sync.sync_now()
    qtbot.waitUntil(lambda: window.session.lane.busy(), timeout=10000)
    monkeypatch.setattr(messages, "ask", lambda *args, **kwargs: args[3](True))
    window.act_purge.trigger()
    qtbot.waitUntil(lambda: launcher.window is None, timeout=30000)
    assert isinstance(launcher.dialog, SignInDialog)
    assert watch.stop() < 100, "the event loop never stalls while the session ends"
    assert cache_files(new_workstation, high.id) == []


def test_sign_out_while_a_long_task_runs_never_blocks_and_keeps_the_school(
        qtbot, quiet_messages, open_loaded, new_workstation, high):
    launcher, window = open_loaded()
    store = window.store
    reads = []

    def long_report(task) -> int:  # reads the cache until told to stop
        while not task.cancelled:
            reads.append(store.count("students"))
        return len(reads)
    window.output.run(long_report, failure=lambda exc: reads.append(exc))
    qtbot.waitUntil(lambda: len(reads) > 3)
    watch = StallWatch()
    window.act_sign_out.trigger()
    qtbot.waitUntil(lambda: launcher.window is None, timeout=30000)
    assert isinstance(launcher.dialog, SignInDialog)
    assert watch.stop() < 100
    assert store.closed
    assert cache_files(new_workstation, high.id) == [f"cache-{high.id}.db"], \
        "signing out keeps the school's data (closed) for the next sign-in"
    assert stat.S_IMODE(new_workstation.cache_path(high.id).stat().st_mode) == 0o600


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_and_the_person_is_told(qtbot, new_workstation):
    setup_log_file(new_workstation.data_dir)
    crash = CrashHandler()
    crash.install()
    messages.set_interactive(True)
    button = QPushButton("Go")
    qtbot.addWidget(button)

    def broken() -> None:
        raise ZeroDivisionError("a bug in a slot")
    button.clicked.connect(broken)
    try:
        qtbot.mouseClick(button, CLICK)
        qtbot.waitUntil(lambda: crash.dialog is not None and crash.dialog.isVisible())
    finally:
        crash.uninstall()
        messages.set_interactive(False)
    assert isinstance(crash.dialog, ProblemDialog)
    assert "Your saved work is safe" in crash.dialog.text.text()
    details = []
    crash.open_report = details.append
    crash.dialog.report.click()
    assert "ZeroDivisionError: a bug in a slot" in details[0]
    for handler in logging.getLogger().handlers:
        handler.flush()
    log = (new_workstation.data_dir / "misis.log").read_text()
    assert "unexpected error" in log and "Traceback" in log and "in broken" in log


def test_toolbar_withdraw_acts_on_the_student_highlighted_on_the_attendance_sheet(
        qtbot, quiet_messages, open_loaded):
    launcher, window = open_loaded()
    window.roster.select_student(window.roster.model.row_at(5).student_id)
    hidden = window.roster.current_student_id()
    window.nav.setCurrentRow(window._screens().index(window.attendance))
    sheet = window.attendance
    if not sheet.model.rows:  # no class meets: nothing highlighted, nothing to act on
        assert not window.act_withdraw.isEnabled()
        assert "attendance sheet" in window.act_withdraw.toolTip()
        return
    sheet.table.setCurrentIndex(sheet.model.index(2, 0))
    shown = sheet.model.rows[2].student_id
    assert shown != hidden and window.act_withdraw.isEnabled()
    dialog = window.on_withdraw()
    assert dialog.student_id == shown, "the student on screen, not the roster's selection"
    dialog.close()
    # A screen with no student: the action is off and says why.
    window.nav.setCurrentRow(window._screens().index(window.master_schedule))
    assert not window.act_withdraw.isEnabled()
    assert "no student" in window.act_withdraw.toolTip()
    assert window.on_withdraw() is None


def test_a_queued_withdrawal_taken_back_restores_the_student_and_sends_nothing(
        qtbot, quiet_messages, open_loaded, sqlite_server, high, monkeypatch):
    launcher, window = open_loaded()
    window.sync.stop()  # nothing goes out while the clerk thinks again
    leaving = window.roster.model.row_at(4)
    window.roster.select_student(leaving.student_id)
    withdraw = window.on_withdraw()
    code = withdraw.findChild(QComboBox, "withdrawalCode")
    code.setCurrentIndex(code.findData("W3"))
    qtbot.mouseClick(withdraw.findChild(QPushButton, "withdrawButton"), CLICK)
    qtbot.waitUntil(lambda: window.sync.state.pending == 1)
    row = next(r for r in window.roster.model._all if r[0].student_id == leaving.student_id)[0]
    assert row.status != "Enrolled"

    attention = window.on_attention()
    assert attention.take_back.isVisible()
    attention.table.selectRow(len(attention.entries) - 1)
    assert attention.take_back.isEnabled()
    monkeypatch.setattr(messages, "ask", lambda *args, **kwargs: args[3](True))
    qtbot.mouseClick(attention.take_back, CLICK)
    qtbot.waitUntil(lambda: window.sync.state.pending == 0)
    qtbot.waitUntil(lambda: next(r for r in window.roster.model._all
                                 if r[0].student_id == leaving.student_id)[0].status
                    == "Enrolled")
    assert window.store.outbox_entries() == []
    before = server_dump(sqlite_server.engine, high.id)["school_enrollments"]
    window.sync._stopped = False
    with qtbot.waitSignal(window.sync.synced, timeout=30000):
        window.sync.sync_now()
    assert server_dump(sqlite_server.engine, high.id)["school_enrollments"] == before
