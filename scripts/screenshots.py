"""Screenshots of every window and dialog of the desktop client, for review.

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py [OUTDIR]
    bash scripts/screenshots.sh [OUTDIR]          # the same, starting Xvfb itself

Starts a district server with the demo district on a throwaway SQLite file,
walks a fresh workstation through sign-in and the first sync, then opens
each screen and dialog at 1366×768 and saves a PNG of it in OUTDIR
(default: screenshots/). The district and the client live on a school-day
morning (MISIS_NOW, unless set already).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.TestKeyring")
# A school-day morning, unless MISIS_NOW says otherwise: the screens show a
# day with classes and rolls to take whenever the screenshots are taken.
os.environ.setdefault("MISIS_NOW", "2026-12-02T09:40:00-08:00")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QTabWidget, QWidget  # noqa: E402

from district_server.services.loader import create_demo_database  # noqa: E402
from domain import clock  # noqa: E402
from sync.workstation import Workstation  # noqa: E402
from tests.support.server import RunningServer  # noqa: E402
from ui.app import Launcher, style_sheet  # noqa: E402
from ui.common import messages  # noqa: E402

SIZE = (1366, 768)


class Shooter:
    def __init__(self, app: QApplication, out: Path):
        self.app, self.out = app, out
        self.count = 0

    def settle(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()

    def until(self, condition, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > end:
                raise TimeoutError("screen did not reach the expected state")
            self.app.processEvents()

    def shoot(self, widget: QWidget, name: str, *, whole_screen: bool = False) -> None:
        widget.raise_()
        widget.activateWindow()
        self.settle()
        self.count += 1
        path = self.out / f"{self.count:02d}-{name}.png"
        screen = QGuiApplication.primaryScreen()
        if whole_screen and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            screen.grabWindow(0).save(str(path))
        else:
            widget.grab().save(str(path))
        print(path)


def prepare_server(tmp: Path) -> str:
    db_url = f"sqlite:///{tmp / 'district.db'}"
    create_demo_database(db_url)
    return db_url


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    app.setStyleSheet(style_sheet())
    messages.set_interactive(False)
    shooter = Shooter(app, out)
    with tempfile.TemporaryDirectory(prefix="misis-shots-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["MISIS_TEST_KEYRING"] = str(tmp / "keyring.json")
        with RunningServer(prepare_server(tmp), log_path=tmp / "server.log") as server:
            walk(shooter, server, tmp)
            scheduling_screens(shooter, server, tmp)
            admin_screens(shooter, server, tmp)
    return 0


def walk(shot: Shooter, server: RunningServer, tmp: Path) -> None:
    ws = Workstation(tmp / "workstation")
    ws.settings.server_url = server.url
    ws.save_settings()
    launcher = Launcher(ws, sync_interval_s=3600)
    launcher.start()
    sign_in = launcher.dialog
    shot.shoot(sign_in, "sign-in")
    sign_in.username.setText("clerk.multi")
    sign_in.password.setText("wrong password")
    sign_in.on_sign_in()
    shot.until(lambda: sign_in.problem.isVisible())
    shot.shoot(sign_in, "sign-in-wrong-password")
    sign_in.password.setText("demo-clerk-2026")
    sign_in.on_sign_in()
    shot.until(lambda: launcher.dialog is not sign_in)
    shot.shoot(launcher.dialog, "school-picker")
    launcher.dialog.reject()

    # A clerk of the 5,000-student school: first sync, caught mid-load.
    ws.sign_out()
    ws.settings.school_id = ""
    launcher.show_sign_in()
    sign_in = launcher.dialog
    sign_in.username.setText("clerk.1004")
    sign_in.password.setText("demo-clerk-2026")
    sign_in.on_sign_in()
    shot.until(lambda: type(launcher.dialog).__name__ == "FirstSyncDialog")
    first = launcher.dialog
    shot.until(lambda: "Loading" in first.what.text() or launcher.window is not None)
    if launcher.window is None:
        shot.shoot(first, "first-sync")
    shot.until(lambda: launcher.window is not None)
    window = launcher.window
    window.resize(*SIZE)
    window.move(0, 0)
    shot.until(lambda: not window.sync.state.syncing)
    shot.shoot(window, "main-window-roster", whole_screen=True)

    roster = window.roster
    roster.search.setText("garc")
    roster.grade.setCurrentIndex(roster.grade.findData(11))
    shot.shoot(window, "roster-search-and-filter", whole_screen=True)
    roster.search.clear()
    roster.grade.setCurrentIndex(0)
    roster.table.selectRow(4)
    student_id = roster.current_student_id()

    record = window.open_student(student_id)
    record.resize(900, 620)
    tabs = record.findChild(QTabWidget)
    for i in range(tabs.count() if tabs else 1):
        if tabs:
            tabs.setCurrentIndex(i)
        label = tabs.tabText(i).replace("&", "").lower().replace(" ", "-") if tabs else ""
        shot.shoot(record, f"student-record-{label}" if label else "student-record")
    record.close()

    enroll = window.on_enroll()
    shot.shoot(enroll, "enroll")
    twin = roster.model.row_at(2)
    fields = {w.objectName(): w for w in enroll.findChildren(QWidget) if w.objectName()}
    fields["firstName"].setText(twin.first_name)
    fields["lastName"].setText(twin.last_name)
    fields["birthDate"].setDate(dt.date.fromisoformat(twin.birth_date))
    shot.settle()
    shot.shoot(enroll, "enroll-possible-duplicate")
    enroll.close()
    withdraw = window.on_withdraw(student_id)
    shot.shoot(withdraw, "withdraw")
    withdraw.close()
    transfer = window.on_transfer_in()
    shot.shoot(transfer, "transfer-in")
    transfer.close()
    transfer_screens(shot, window, server, tmp)
    security_screens(shot, window)

    # Offline, with a change waiting and one the server refused.
    window.queue_edit("enrollment.withdraw", {"student_id": "no-such-student",
                                              "exit_date": clock.today().isoformat(),
                                              "withdrawal_code": "W3"})
    window.sync.sync_now()
    shot.until(lambda: window.sync.state.attention > 0)
    attention = window.on_attention()
    shot.shoot(attention, "changes-waiting-for-me")
    attention.close()
    server.stop()
    window.queue_edit("enrollment.withdraw", {"student_id": student_id,
                                              "exit_date": clock.today().isoformat(),
                                              "withdrawal_code": "W2"})
    window.sync.sync_now()
    shot.until(lambda: window.sync.state.online is False)
    shot.shoot(window, "offline-with-pending-change", whole_screen=True)
    attention = window.on_attention()
    attention.table.selectRow(len(attention.entries) - 1)
    shot.shoot(attention, "changes-waiting-take-back")
    attention.close()

    attendance_screens(shot, window)

    settings = window.on_settings()
    shot.shoot(settings, "settings")
    settings.close()
    window.on_report_problem()
    report = window._dialogs[-1]
    shot.shoot(report, "report-a-problem")
    report.close()
    from ui.common.crash import ProblemDialog
    problem = ProblemDialog("Traceback (most recent call last):\n  ...\n"
                            "ZeroDivisionError: division by zero")
    problem.show()
    shot.shoot(problem, "something-went-wrong")
    problem.close()
    window.nav.setCurrentRow(window._screens().index(window.master_schedule))
    shot.settle()
    shot.shoot(window, "toolbar-on-a-screen-without-students", whole_screen=True)
    window.nav.setCurrentRow(0)
    from ui.common.about import about_text
    box = QMessageBox(QMessageBox.Icon.Information, "About MiSiS", about_text(),
                      parent=window)
    box.show()
    shot.shoot(box, "about")
    box.close()

    from PySide6.QtPrintSupport import QPrintPreviewDialog
    window.on_print()
    preview = next(d for d in window._dialogs if isinstance(d, QPrintPreviewDialog))
    preview.resize(1100, 720)
    shot.settle(1.0)
    shot.shoot(preview, "print-preview")
    preview.close()
    QTimer.singleShot(0, window.close)
    shot.settle()
    server.start()


def transfer_screens(shot: Shooter, window, server: RunningServer, tmp: Path) -> None:
    """A request this school made (waiting for the other school) and one made
    of it by another school's clerk, on the Transfers screen."""
    import uuid
    other = Workstation(tmp / "harbor-view")
    other.sign_in(server.url, "clerk.1003", "demo-clerk-2026")
    theirs = other.open_store()
    other.sync(theirs)
    day = max(r["date"] for r in theirs.records("attendance_submissions"))
    ours = next(s for s in window.store.records("students") if s["grade_level"] == 10)
    other.edit(theirs, "transfer.request", {
        "request_id": str(uuid.uuid4()), "district_student_id": ours["district_student_id"],
        "birth_date": ours["birth_date"], "grade_level": 10, "entry_date": day,
        "entry_code": "E2", "school_enrollment_id": str(uuid.uuid4()),
        "note": "The family moved to Harbor View's attendance area"})
    other.sync(theirs)
    wanted = next(s for s in theirs.records("students") if s["grade_level"] == 11)
    theirs.close()
    window.queue_edit("transfer.request", {
        "request_id": str(uuid.uuid4()), "district_student_id": wanted["district_student_id"],
        "birth_date": wanted["birth_date"], "grade_level": 11, "entry_date": day,
        "entry_code": "E2", "school_enrollment_id": str(uuid.uuid4()), "note": None})
    window.sync.sync_now()
    shot.until(lambda: window.transfers.model.rowCount() == 2 and not window.sync.state.pending)
    window.nav.setCurrentRow(window._screens().index(window.transfers))
    window.transfers.show_all.setCurrentIndex(1)
    window.transfers.table.selectRow(
        next(i for i, r in enumerate(window.transfers.requests) if r["incoming"]))
    shot.shoot(window, "transfer-requests", whole_screen=True)
    window.nav.setCurrentRow(0)


def security_screens(shot: Shooter, window) -> None:
    """The idle lock, and changing one's password."""
    lock = window.lock_screen()
    lock.password.setText("not my password")
    lock.on_unlock()
    shot.until(lambda: lock.problem.isVisible())
    shot.shoot(lock, "idle-lock-wrong-password")
    lock.password.setText("demo-clerk-2026")
    lock.on_unlock()
    shot.until(lambda: window.lock is None)
    change = window.on_change_password()
    change.current.setText("demo-clerk-2026")
    change.new.setText("short")
    change.on_change()
    shot.shoot(change, "change-password")
    change.close()


def attendance_screens(shot: Shooter, window) -> None:
    """The attendance sheet mid-entry, its dialogs, and every list."""
    from PySide6.QtCore import QDate

    from ui.attendance.lists import KINDS
    window.nav.setCurrentRow(1)
    sheet = window.attendance
    last = max(r["date"] for r in window.store.records("attendance_submissions"))
    monday = dt.date.fromisoformat(last) + dt.timedelta(days=7 - dt.date.fromisoformat(
        last).weekday())
    sheet.date.setDate(QDate(monday.year, monday.month, monday.day))
    sheet.period.setCurrentIndex(sheet.period.findData(2))
    sheet.section.setCurrentIndex(2)
    for row, code in ((0, "A"), (2, "T"), (5, "E")):
        sheet.model.set_mark(row, code)
    sheet.table.selectRow(6)
    shot.shoot(window, "attendance-sheet-being-marked", whole_screen=True)
    sheet.date.setDate(QDate.fromString(last, "yyyy-MM-dd"))
    sheet.section.setCurrentIndex(2)
    shot.shoot(window, "attendance-sheet-submitted", whole_screen=True)
    whole = window.on_whole_day(sheet.model.rows[0].student_id, last, 3)
    shot.shoot(whole, "left-after-a-period")
    whole.close()
    window.nav.setCurrentRow(2)
    screen = window.attendance_lists
    for value, label in KINDS:
        screen.kind.setCurrentIndex(screen.kind.findData(value))
        screen.date.setDate(QDate.fromString(last, "yyyy-MM-dd"))
        screen.load()
        shot.until(lambda: screen.show_list.isEnabled())
        shot.shoot(window, "list-" + label.split(" (")[0].lower().replace(" ", "-"),
                   whole_screen=True)
    pdf = shot.out / "truancy-letters.pdf"
    screen.on_letters(str(pdf))
    shot.until(lambda: "letters written" in screen.status.text(), timeout=120)
    window.nav.setCurrentRow(0)


def scheduling_screens(shot: Shooter, server: RunningServer, tmp: Path) -> None:
    """A counselor of the 5,000-student school: the master schedule, a
    program being changed, the incomplete list, requests, the rollover."""
    ws = Workstation(tmp / "counselor")
    ws.sign_in(server.url, "counselor.1004", "demo-counselor-2026")
    store = ws.open_store()
    ws.sync(store)
    store.close()
    ws.lock()  # a new start: the person signs in again
    launcher = Launcher(ws, sync_interval_s=3600, password="demo-counselor-2026")
    launcher.start()
    shot.until(lambda: launcher.window is not None)
    window = launcher.window
    window.resize(*SIZE)
    window.move(0, 0)
    shot.until(lambda: not window.sync.state.syncing)
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]

    window.nav.setCurrentRow(titles.index("Master schedule"))
    shot.until(lambda: window.master_schedule.model.rowCount() > 0)
    shot.shoot(window, "master-schedule", whole_screen=True)
    editor = window.master_schedule.open_editor(None)
    shot.shoot(editor, "section-editor")
    editor.close()

    window.nav.setCurrentRow(titles.index("Incomplete schedules"))
    screen = window.incomplete
    shot.until(lambda: screen.model.rowCount() > 0)
    shot.shoot(window, "incomplete-schedules", whole_screen=True)
    student_id = screen.model.student_at(0)
    program = window.open_program(student_id)
    program.resize(1180, 700)
    shot.shoot(program, "program-with-a-gap")
    gap = next(i for i, line in enumerate(program.model.lines) if line.kind == "gap")
    program.table.selectRow(gap)
    program.on_add()
    shot.settle()
    shot.shoot(program, "program-adding-a-class")
    taken = next(i for i, line in enumerate(program.model.lines) if line.kind == "class")
    program.period.setCurrentIndex(program.period.findData(program.model.lines[taken].period))
    program.candidates.selectRow(0)
    shot.settle()
    shot.shoot(program, "program-period-taken")
    program.close()

    window.nav.setCurrentRow(titles.index("Course requests"))
    requests = window.course_requests
    shot.until(lambda: requests.tally_model.rowCount() > 0)
    shot.shoot(window, "course-request-tallies", whole_screen=True)

    window.nav.setCurrentRow(titles.index("Marks"))
    shot.settle(1.0)
    shot.shoot(window, "marks-entry", whole_screen=True)
    window.nav.setCurrentRow(titles.index("Report cards"))
    shot.until(lambda: window.report_cards.batch() is not None)
    shot.shoot(window, "report-cards", whole_screen=True)
    report_card_samples(window.store, shot.out)

    rollover = window.on_rollover()
    rollover.resize(900, 640)
    shot.until(lambda: rollover.ends.text() != "…", timeout=120)
    shot.shoot(rollover, "semester-rollover-dry-run")
    rollover.close()
    QTimer.singleShot(0, window.close)
    shot.settle()


def admin_screens(shot: Shooter, server: RunningServer, tmp: Path) -> None:
    """The school administrator's access log of the day's work above."""
    from ui.admin.access_log import AccessLogDialog
    ws = Workstation(tmp / "admin")
    ws.sign_in(server.url, "admin.1004", "demo-admin-2026")
    store = ws.open_store()
    ws.sync(store)
    dialog = AccessLogDialog(ws, school_name="Palisade Ridge High School", store=store)
    dialog.show()
    shot.until(lambda: dialog.model.rowCount() > 0)
    shot.shoot(dialog, "access-log")
    dialog.close()
    store.close()
    import requests

    from ui.admin.users import UsersDialog
    for guess in range(5):  # someone trying a counselor's password
        requests.post(f"{server.url}/api/login", timeout=30,
                      json={"username": "counselor.1004", "password": f"guess {guess}"})
    users = UsersDialog(ws)
    users.show()
    shot.until(lambda: users.model.rowCount() > 0)
    users.table.selectRow(0)
    shot.shoot(users, "users")
    users.close()


def report_card_samples(store, out: Path) -> None:
    """Three report cards (one PDF) and a senior's transcript, as printed."""
    from itertools import islice

    from PySide6.QtGui import QPdfWriter

    from local_store import report_cards as documents
    from reports.report_card import paint_report_cards
    from reports.transcript import paint_transcript
    period = documents.latest_ended_marking_period(store)
    cards = list(islice(documents.card_documents(store, period), 3))
    writer = QPdfWriter(str(out / "report-cards.pdf"))
    paint_report_cards(writer, cards)
    del writer
    senior = next(r["id"] for r in store.records("students") if r["grade_level"] == 12)
    writer = QPdfWriter(str(out / "transcript.pdf"))
    paint_transcript(writer, documents.transcript_document(store, senior))
    del writer


if __name__ == "__main__":
    sys.exit(main())
