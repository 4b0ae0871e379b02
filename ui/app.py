"""The desktop application: from launch to a usable main window.

Every start asks who is there (a workstation is not a session). A workstation
that has its school's data then opens from its encrypted cache, network or
not (offline only for a user who signed in here before), and syncs in the
background. A new one picks a school when the user has several, and loads it
once.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from local_store.lane import drain_all
from local_store.store import LocalStore, WrongCacheKey
from sync.workstation import Workstation, setup_log_file
from ui.common import messages
from ui.common.crash import CrashHandler

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.session.sign_in import SignInDialog

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def style_sheet() -> str:
    return (RESOURCES / "misis.qss").read_text(encoding="utf-8")


GIL_SWITCH_S = 0.0005


class Launcher(QObject):
    """Walks a person from launch to the main window, and back to sign-in.

    Signals:
        ready(MainWindow): the main window is open
        finished(): nothing more to show (the person cancelled sign-in)
    """

    ready = Signal(object)
    finished = Signal()

    def __init__(self, workstation: Workstation, *, sync_interval_s: float | None = None,
                 password: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.workstation = workstation
        # For scripted runs (main.py --password-env): typed in for the person.
        self._password = password
        self.sync_interval_s = sync_interval_s
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None
        self.store: LocalStore | None = None

    def open_report(self, details: str) -> QWidget:
        """Help → Report a problem, filled in with what went wrong (the crash handler's)."""
        from ui.common.report_problem import ReportProblemDialog
        store = self.store if self.store is not None and not self.store.closed else None
        dialog = ReportProblemDialog(self.workstation, store, parent=self.window,
                                     details=details)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def start(self) -> None:
        dialog = self.show_sign_in()
        if self._password is not None:
            dialog.password.setText(self._password)
            self._password = None
            dialog.on_sign_in()

    # --- steps

    def show_sign_in(self, reason: str = "") -> SignInDialog:
        from ui.session.sign_in import SignInDialog
        dialog = SignInDialog(self.workstation, reason=reason)
        dialog.signed_in.connect(self.on_signed_in)
        dialog.rejected.connect(self.finished)
        self._show(dialog)
        return dialog

    def on_signed_in(self, data: dict) -> None:
        if data.get("offline"):
            self._open_offline()
            return
        schools = data["user"]["schools"]
        if not schools:
            messages.show(None, "warning", "No school",
                          "Your account has no school yet. Ask your school administrator.")
            self.finished.emit()
            return
        current = self.workstation.settings.school_id
        known = [s for s in schools if s["id"] == current]
        if known:
            self.on_school_chosen(known[0])
        elif len(schools) == 1:
            self.on_school_chosen(schools[0])
        else:
            from ui.session.sign_in import SchoolPickerDialog
            picker = SchoolPickerDialog(schools)
            picker.chosen.connect(self.on_school_chosen)
            picker.rejected.connect(self.finished)
            self._show(picker)

    def _open_offline(self) -> None:
        """Signed in without the server: the school last opened here, from its cache."""
        ws = self.workstation
        school_id = ws.settings.school_id
        store = self._open_store() if school_id and ws.cache_path(school_id).exists() else None
        if store is None or store.cursor is None:
            if store is not None:
                store.close()
            ws.lock()
            self.show_sign_in("The district server can't be reached, and this school's data "
                              "is not on this workstation yet. Sign in when the network is "
                              "back to load it.")
            return
        self._open_main(store)

    def _open_store(self) -> LocalStore | None:
        try:
            return self.workstation.open_store()
        except WrongCacheKey as exc:
            log.error("the cache can't be opened: %s", exc)
            messages.show(None, "warning", "This school's data can't be opened",
                          "This workstation's copy of the school can't be read with its key. "
                          "Ask the help desk; signing in with the server loads the school "
                          "again.")
            return None

    def on_school_chosen(self, school: dict) -> None:
        ws = self.workstation
        ws.settings.school_id = school["id"]
        ws.save_settings()
        store = self._open_store()
        if store is None:
            self.finished.emit()
            return
        store.put(school_name=school["name"])
        if store.cursor is not None:
            self._open_main(store)
            return
        from ui.session.first_sync import FirstSyncDialog
        dialog = FirstSyncDialog(ws, store, school_name=school["name"])
        dialog.loaded.connect(lambda _report: self._open_main(store))
        dialog.cancelled.connect(lambda: self._first_sync_cancelled(store))
        self._show(dialog)
        dialog.start()

    def _first_sync_cancelled(self, store: LocalStore) -> None:
        store.close()
        self.show_sign_in("Loading was cancelled; nothing was kept. Sign in to try again.")

    def _open_main(self, store: LocalStore) -> None:
        from ui.main_window import MainWindow

        self.store = store
        self.workstation.retries = 1  # a background sync says "offline" quickly, then retries
        window = MainWindow(self.workstation, store, sync_interval_s=self.sync_interval_s,
                            school_name=store.get("school_name") or "",
                            user_name=self.workstation.settings.display_name)
        window.signed_out.connect(lambda: self._back_to_sign_in(""))
        window.purged.connect(lambda: self._back_to_sign_in(
            "This school's data was removed from this workstation."))
        window.sign_in_requested.connect(self.on_sign_in_again)
        self.window = window
        window.show()
        window.start()
        log.info("main window open: %s, %d students in the cache", store.get("school_name"),
                 window.roster.model.total())
        self.ready.emit(window)

    def on_sign_in_again(self) -> None:
        from ui.session.sign_in import SignInDialog
        dialog = SignInDialog(self.workstation, self.window, fixed_user=True,
                              reason="Your session ended. Sign in again to keep syncing; "
                                     "your work on this workstation is safe.")
        if self.window is not None:
            dialog.signed_in.connect(lambda _data: self.window.sync.sync_now())
        self._show(dialog)

    def _back_to_sign_in(self, reason: str) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        self.window = None
        self.show_sign_in(reason)

    def _show(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()


def build(argv: list[str], *, sync_interval_s: float | None = None
          ) -> tuple[QApplication, Launcher]:
    """The application and its launcher, ready to start (used by `run` and the UI benchmark)."""
    parser = argparse.ArgumentParser(prog="main.py", description="MiSiS workstation")
    parser.add_argument("--data", help="data folder (default: $MISIS_DATA or "
                                       "~/.local/share/misis)")
    parser.add_argument("--server", help="district server address for a new workstation")
    parser.add_argument("--user", help="user name to offer at sign-in")
    parser.add_argument("--password-env", metavar="VAR",
                        help="sign in with the password in this environment variable "
                             "(scripted runs, screenshots, benchmarks)")
    args, qt_args = parser.parse_known_args(argv)
    # The GUI thread gives the GIL up at every call into Qt; while a sync
    # parses and writes a school on its threads, getting it back could take
    # the default 5 ms each time (a 35-row repaint stalled 110 ms in one
    # measurement). A shorter switch interval keeps the window responsive.
    sys.setswitchinterval(GIL_SWITCH_S)
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("MiSiS")
    app.setOrganizationName("MiSiS")
    app.setStyleSheet(style_sheet())
    workstation = Workstation(args.data)
    setup_log_file(workstation.data_dir)
    if args.server and not workstation.settings.school_id:
        workstation.settings.server_url = args.server.rstrip("/")
    if args.user:
        workstation.settings.username = args.user
    workstation.save_settings()
    log.info("MiSiS starting; data folder %s", workstation.data_dir)
    password = os.environ.get(args.password_env) if args.password_env else None
    launcher = Launcher(workstation, sync_interval_s=sync_interval_s, password=password,
                        parent=app)
    launcher.finished.connect(app.quit)
    app.setQuitOnLastWindowClosed(True)
    # One error path: whatever nobody caught is logged and told, calmly.
    crash = CrashHandler(launcher.open_report, parent=app)
    crash.install()
    app.aboutToQuit.connect(crash.uninstall)
    return app, launcher


def run(argv: list[str]) -> int:
    app, launcher = build(argv)
    # A polite stop (logout, shutdown, kill) closes the window cleanly.
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    heartbeat = QTimer(interval=250)
    heartbeat.timeout.connect(lambda: None)  # lets Python see the signal
    heartbeat.start()
    launcher.start()
    code = app.exec()
    if launcher.window is not None:
        launcher.window.close()
    # Edits already handed to the cache's writer are written before the
    # process ends (the event loop is over: waiting here blocks no one).
    drain_all(timeout=60)
    log.info("MiSiS closed")
    return code
