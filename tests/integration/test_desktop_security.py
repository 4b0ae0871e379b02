"""The desktop client's doors (pytest-qt, against a live server): every start
asks who is there, an idle workstation locks, another person's sign-in ends
the previous session, plain HTTP off this computer is refused at sign-in."""
from __future__ import annotations

import re

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sync.workstation import Workstation
from tests.support.desktop import type_password_and_sign_in
from tests.support.fixtures import password_of
from ui.session.idle_lock import LockScreen
from ui.session.sign_in import SignInDialog

CLICK = Qt.MouseButton.LeftButton
# The whole client takes "today" and "now" from the clock: the demo's school day,
# for it and for the server (started after the clock is set).
pytestmark = pytest.mark.usefixtures("school_day_clock", "quiet_messages")


def test_after_sign_out_the_next_start_asks_for_the_password(
        qtbot, open_loaded, new_workstation, launcher_factory, high, demo_district):
    """A signed-out workstation once reopened the school from its cache, no
    token and no password asked (5,022 students shown)."""
    launcher, window = open_loaded()
    window.act_sign_out.trigger()
    assert isinstance(launcher.dialog, SignInDialog)

    restarted = Workstation(new_workstation.data_dir)
    again = launcher_factory(restarted)
    again.start()
    assert again.window is None and isinstance(again.dialog, SignInDialog)
    qtbot.keyClicks(again.dialog.password, "not-my-password")
    qtbot.mouseClick(again.dialog.sign_in_button, CLICK)
    qtbot.waitUntil(lambda: again.dialog.problem.isVisible(), timeout=30000)
    assert again.window is None
    assert "Wrong user name or password" in again.dialog.problem.text()


def test_an_idle_workstation_hides_the_students_until_the_password(
        qtbot, open_loaded, high, demo_district):
    launcher, window = open_loaded()
    window.idle.set_idle_ms(1000)
    record = window.open_student(window.roster.model.visible_rows()[0].student_id)
    qtbot.waitExposed(record)
    qtbot.mouseMove(window.roster)  # someone is there: the idle time starts over
    with qtbot.waitSignal(window.idle.idle, timeout=10000):
        pass
    lock = window.lock
    assert isinstance(lock, LockScreen) and lock.isVisible()
    assert window.isHidden() and record.isHidden()
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert visible == [lock], "nothing but the lock shows"

    qtbot.keyClicks(lock.password, "not-my-password")
    qtbot.mouseClick(lock.unlock, CLICK)
    qtbot.waitUntil(lambda: lock.problem.isVisible(), timeout=30000)
    assert "not the password of the person signed in" in lock.problem.text()
    assert window.isHidden()

    user = f"clerk.{high.code}"
    with qtbot.waitSignal(lock.unlocked, timeout=30000):
        qtbot.keyClicks(lock.password, password_of(demo_district, user))
        qtbot.mouseClick(lock.unlock, CLICK)
    assert window.isVisible() and record.isVisible()
    assert window.lock is None


def test_someone_else_signing_in_at_the_lock_ends_the_first_session(
        qtbot, open_loaded, sqlite_server, new_workstation, high, demo_district):
    launcher, window = open_loaded()
    token = new_workstation.client().token
    lock = window.lock_screen()
    qtbot.mouseClick(lock.other, CLICK)
    qtbot.waitUntil(lambda: isinstance(launcher.dialog, SignInDialog), timeout=30000)
    assert launcher.window is None
    assert launcher.dialog.username.text() == ""
    qtbot.waitUntil(lambda: requests.get(f"{sqlite_server.url}/api/me", timeout=10, headers={
        "Authorization": f"Bearer {token}"}).status_code == 401, timeout=10000)

    counselor = f"counselor.{high.code}"
    with qtbot.waitSignal(launcher.ready, timeout=60000) as opened:
        type_password_and_sign_in(qtbot, launcher.dialog, counselor,
                                  password_of(demo_district, counselor))
    assert opened.args[0].workstation.user == counselor


@pytest.mark.parametrize("address", ["http://10.20.30.40:8470", "http://misis.district.example"])
def test_sign_in_refuses_plain_http_to_another_machine(qtbot, new_workstation,
                                                       launcher_factory, address):
    launcher = launcher_factory(new_workstation)
    launcher.start()
    dialog = launcher.dialog
    dialog.server.setText(address)
    type_password_and_sign_in(qtbot, dialog, "clerk.1003", "demo-clerk-2026")
    assert dialog.problem.isVisible() and "only over https://" in dialog.problem.text()
    assert not new_workstation.has_token()


def test_allowed_plain_http_shows_a_warning_in_the_status_bar(qtbot, open_loaded,
                                                              new_workstation):
    launcher, window = open_loaded()
    assert window.status.insecure.isHidden()  # loopback: nothing crosses a network
    new_workstation.settings.allow_plain_http = True
    new_workstation.settings.server_url = "http://10.20.30.40:8470"
    from ui.session.sync_controller import SyncController
    sync = SyncController(window.session, parent=window)
    window.status.show_state(sync.state)
    assert window.status.insecure.isVisible()
    assert "Unencrypted" in window.status.insecure.text()


def test_a_student_record_opened_here_reaches_the_access_log(qtbot, open_loaded, sqlite_server,
                                                             high):
    import sqlalchemy as sa

    from district_server.store.tables import access_log
    launcher, window = open_loaded()
    student_id = window.roster.model.visible_rows()[3].student_id
    window.open_student(student_id)
    with qtbot.waitSignal(window.sync.synced, timeout=30000):
        window.sync.sync_now()
    with sqlite_server.engine.connect() as conn:
        rows = conn.execute(sa.select(access_log.c.username, access_log.c.detail,
                                      access_log.c.school_id, access_log.c.workstation)
                            .where(access_log.c.action == "record_opened")).all()
    assert [(r[0], r[1].split(" · ")[0], r[2]) for r in rows] == [
        (f"clerk.{high.code}", f"students {student_id}", high.id)]
    assert rows[0].workstation == window.workstation.settings.workstation_id
    assert window.store.access_events(f"clerk.{high.code}", 10) == []  # sent, then forgotten


def test_a_school_admin_reads_the_schools_access_log_and_exports_it(
        qtbot, sqlite_server, new_workstation, launcher_factory, high, demo_district, tmp_path):
    from openpyxl import load_workbook

    from ui.admin.access_log import AccessLogDialog
    admin = f"admin.{high.code}"
    new_workstation.sign_in(sqlite_server.url, admin, password_of(demo_district, admin))
    store = new_workstation.open_store()
    new_workstation.sync(store)
    store.close()
    dialog = AccessLogDialog(new_workstation, school_name=high.name)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=30000)
    rows = dialog.model.rows
    assert ("loaded the whole school", admin) in {(r[3], r[1]) for r in rows}
    assert all(r[4] == high.name for r in rows)  # the school by name
    assert rows[0][0][2] == "/" and rows[0][0].endswith(("AM", "PM"))  # 12/04/2026 5:05:09 PM
    assert dialog.district.isHidden()  # a school admin sees their school only
    assert dialog.on_export(str(tmp_path / "log.xlsx"))
    qtbot.waitUntil(lambda: "Exported" in dialog.note.text(), timeout=30000)
    sheet = list(load_workbook(tmp_path / "log.xlsx").active.iter_rows(values_only=True))
    assert sheet[1][0] == "When" and len(sheet) - 2 == len(rows)


def test_the_district_admin_sees_a_locked_account_first_and_unlocks_it(
        qtbot, sqlite_server, new_workstation, high, demo_district):
    from ui.admin.users import UsersDialog
    for i in range(5):
        requests.post(f"{sqlite_server.url}/api/login", timeout=30,
                      json={"username": f"clerk.{high.code}", "password": f"guess-{i}"})
    admin = "district.admin"
    new_workstation.sign_in(sqlite_server.url, admin, password_of(demo_district, admin))
    dialog = UsersDialog(new_workstation)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=30000)
    first = dialog.model.rows[0]
    assert first[0] == f"clerk.{high.code}" and first[5] == "5" and first[6]
    assert first[3] == high.name  # schools by name
    assert "1 locked" in dialog.note.text()
    dialog.table.selectRow(0)
    assert dialog.unlock.isEnabled()
    qtbot.mouseClick(dialog.unlock, CLICK)
    # The list comes back from the server without the lock (not merely "asking").
    qtbot.waitUntil(lambda: re.fullmatch(r"\d+ users", dialog.note.text()) is not None,
                    timeout=30000)
    assert dialog.model.rows[0][6] == ""
    r = requests.post(f"{sqlite_server.url}/api/login", timeout=30, json={
        "username": f"clerk.{high.code}", "password": password_of(demo_district,
                                                                  f"clerk.{high.code}")})
    assert r.status_code == 200
