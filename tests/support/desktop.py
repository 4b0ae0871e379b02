"""Fixtures for the desktop client against a live server (pytest-qt): a new
workstation, launchers closed after the test, a client opened as a person
opens it (signing in at every start)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from sync.workstation import Workstation
from tests.support.fixtures import password_of
from ui.app import Launcher
from ui.common import messages
from ui.session.sign_in import SignInDialog

CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def quiet_messages():
    messages.set_interactive(False)
    messages.shown.clear()
    yield
    messages.set_interactive(True)


@pytest.fixture
def high(demo_district):
    return next(s for s in demo_district.schools if s.level == "high")


@pytest.fixture
def new_workstation(tmp_path, sqlite_server):
    ws = Workstation(tmp_path / "ws")
    ws.settings.server_url = sqlite_server.url
    ws.save_settings()
    return ws


@pytest.fixture
def launcher_factory(qtbot):
    made = []

    def make(ws: Workstation, **kwargs) -> Launcher:
        launcher = Launcher(ws, **kwargs)
        made.append(launcher)
        return launcher
    yield make
    for launcher in made:
        if launcher.window is not None:
            launcher.window.close()
        if launcher.dialog is not None:
            try:
                launcher.dialog.close()
            except RuntimeError:  # already deleted on close
                pass


def type_password_and_sign_in(qtbot, dialog: SignInDialog, user: str, password: str) -> None:
    dialog.username.clear()
    qtbot.keyClicks(dialog.username, user)
    dialog.password.clear()
    qtbot.keyClicks(dialog.password, password)
    qtbot.mouseClick(dialog.sign_in_button, CLICK)


@pytest.fixture
def open_loaded(qtbot, new_workstation, launcher_factory, high, demo_district, sqlite_server):
    """The client opened on a workstation that already has the high school."""
    def open_window(sync_interval_s: float = 3600):
        user = f"clerk.{high.code}"
        new_workstation.sign_in(sqlite_server.url, user, password_of(demo_district, user))
        store = new_workstation.open_store()
        new_workstation.sync(store)
        store.close()
        new_workstation.lock()  # as a new start of MiSiS: nobody signed in yet
        launcher = launcher_factory(new_workstation, sync_interval_s=sync_interval_s)
        launcher.start()
        assert launcher.window is None and isinstance(launcher.dialog, SignInDialog), \
            "every start asks who is there"
        with qtbot.waitSignal(launcher.ready, timeout=60000):
            type_password_and_sign_in(qtbot, launcher.dialog, user,
                                      password_of(demo_district, user))
        assert launcher.window is not None, "a loaded workstation opens from its cache"
        qtbot.waitUntil(lambda: launcher.window.sync.state.online is True, timeout=30000)
        return launcher, launcher.window
    return open_window
