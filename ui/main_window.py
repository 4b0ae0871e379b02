"""The main window: navigation, menus, the sync status bar, and the screens."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from local_store.changes import Changes
from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.attendance.lists import AttendanceListsScreen
from ui.attendance.sheet import AttendanceScreen
from ui.common import messages
from ui.common.excel_export import export_to_excel
from ui.common.screen import Screen
from ui.common.tasks import TaskRunner
from ui.marks.entry import MarksEntryScreen
from ui.marks.report_cards import ReportCardsScreen
from ui.scheduling.course_requests import CourseRequestsScreen
from ui.scheduling.incomplete import IncompleteSchedulesScreen
from ui.scheduling.master_schedule import MasterScheduleScreen
from ui.session.idle_lock import IdleWatch, LockScreen, hide_all, show_again
from ui.session.school_session import PendingEdit, SchoolSession
from ui.session.sync_controller import SyncController
from ui.students.roster import RosterScreen
from ui.students.transfers import TransferRequestsScreen
from widgets.naming import named
from widgets.sync_status import SyncStatus

log = logging.getLogger(__name__)

# What the windows a person opens from a screen show: they re-read when a
# write touches one of these.
STUDENT_RECORD_KINDS = frozenset({"students", "guardians", "guardian_contacts",
                                  "school_enrollments", "section_enrollments", "sections",
                                  "attendance_marks", "transfer_requests"})
PROGRAM_KINDS = frozenset({"programs", "section_enrollments", "sections", "course_requests",
                           "students"})


@runtime_checkable
class Reloads(Protocol):
    """A window that re-reads what it shows (those kept with `refresh_on`)."""

    def reload(self) -> None: ...


class MainWindow(QMainWindow):
    """Signals:
        signed_out(): the person signed out; the app returns to the sign-in dialog
        purged(): this school's data was removed from the workstation
        sign_in_requested(): the session ended and the person wants to sign in again
    """

    signed_out = Signal()
    purged = Signal()
    sign_in_requested = Signal()

    def __init__(self, workstation: Workstation, store: LocalStore, *, school_name: str = "",
                 user_name: str = "", session: SchoolSession | None = None,
                 sync_interval_s: float | None = None):
        super().__init__()
        self.workstation = workstation
        self.store = store
        self.session = session or SchoolSession(workstation, store)
        self.session.setParent(self)
        self.session.parent_widget = self
        self.school_name = school_name or workstation.settings.school_id
        self.user_name = user_name or workstation.settings.username
        self.sync = SyncController(self.session, interval_s=sync_interval_s, parent=self)
        self.output = TaskRunner(self)  # exports and printing, off the GUI thread
        self._after_end: Callable[[], None] | None = None
        self.setWindowTitle(f"MiSiS — {self.school_name}")
        self.setObjectName("mainWindow")
        self.status = SyncStatus()
        self.nav = named(QListWidget(), "navigation")
        self.stack = QStackedWidget()
        self.roster = RosterScreen(store)
        self.attendance = AttendanceScreen(store, self.queue_edit)
        self.attendance_lists = AttendanceListsScreen(store)
        may_schedule = workstation.settings.may_schedule
        self.master_schedule = MasterScheduleScreen(store, self.queue_edit, can_edit=may_schedule,
                                                    school_name=self.school_name)
        self.incomplete = IncompleteSchedulesScreen(store, self.open_program)
        self.course_requests = CourseRequestsScreen(store, workstation, can_apply=may_schedule,
                                                    queue_edit=self.queue_edit)
        self.marks = MarksEntryScreen(store, self.queue_edit)
        self.report_cards = ReportCardsScreen(store, self.queue_edit)
        self.transfers = TransferRequestsScreen(store, self.queue_edit,
                                                role=workstation.settings.role)
        self._dialogs: list[QWidget] = []
        self._dialog_kinds: dict[int, frozenset[str]] = {}
        self.idle = IdleWatch(workstation.settings.idle_lock_minutes * 60_000, self)
        self.lock: LockScreen | None = None
        self._hidden_by_lock: list[QWidget] = []
        self._build()
        self._make_actions()
        self._connect_signals()
        # Screens read the cache when first shown and after a sync while
        # showing; the rest are marked stale. The incomplete-schedule count
        # is a counselor's readiness alarm, so for them it is always fresh.
        # Transfers: the count of requests waiting for this school shows in
        # the navigation, so it is read after every sync too.
        self._always = [self.roster, self.attendance, self.transfers]
        if may_schedule:
            self._always.append(self.incomplete)
        self._stale: set[Screen] = set(self._screens()) - set(self._always)
        for screen in self._always:
            screen.reload()
        self.resize(QSize(1280, 740))

    # --- layout

    def _build(self) -> None:
        header = named(QLabel(f"<b>{self.school_name}</b>  ·  {self.user_name}"), "schoolHeader")
        self.nav.setFixedWidth(200)
        for screen in self._screens():
            self.nav.addItem(screen.title)
            self.stack.addWidget(screen)
        self.nav.setCurrentRow(0)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(header)
        outer.addLayout(body, 1)
        self.setCentralWidget(central)
        self.statusBar().addPermanentWidget(self.status, 1)
        self.statusBar().setSizeGripEnabled(True)

    def _screens(self) -> tuple[Screen, ...]:
        return (self.roster, self.attendance, self.attendance_lists, self.master_schedule,
                self.incomplete, self.course_requests, self.marks, self.report_cards,
                self.transfers)

    def _action(self, text: str, slot, shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _make_actions(self) -> None:
        a = self._action
        self.act_sync = a("&Sync now", self.sync.sync_now, "F5", "Send and receive changes now")
        self.act_export = a("&Export visible rows to Excel…", self.on_export, "Ctrl+E")
        self.act_print = a("&Print…", self.on_print, QKeySequence.StandardKey.Print)
        self.act_settings = a("Se&ttings…", self.on_settings, "Ctrl+,")
        self.act_sign_out = a("Sign &out", self.on_sign_out)
        self.act_lock = a("&Lock", self.lock_screen, "Ctrl+Shift+L",
                          "Hide this school's data until your password is given")
        self.act_password = a("Change &password…", self.on_change_password)
        self.act_purge = a("&Remove this school's data from this workstation…", self.on_purge)
        self.act_quit = a("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_find = a("&Find", self.on_find, QKeySequence.StandardKey.Find)
        self.act_open = a("&Open student record", self.on_open_current, "Ctrl+O")
        self.act_enroll = a("&Enroll a new student…", self.on_enroll, "Ctrl+N")
        self.act_transfer = a("&Transfer in from another school…", self.on_transfer_in, "Ctrl+T")
        self.act_withdraw = a("&Withdraw student…", self.on_withdraw, "Ctrl+Shift+W")
        self.act_attention = a("Changes waiting for &me…", self.on_attention, "Ctrl+Shift+A")
        self.act_program = a("Student &program…", self.on_program_current, "Ctrl+Shift+P",
                             "Add, drop or swap the selected student's classes")
        self.act_rollover = a("Semester &rollover…", self.on_rollover,
                              tip="Carry programs into the next term: a dry run, then apply")
        self.act_access_log = a("&Access log…", self.on_access_log,
                                tip="Who read or administered this school's records")
        self.act_users = a("&Users…", self.on_users,
                           tip="Unlock, deactivate or reset the accounts you look after")
        self.act_report = a("&Report a problem…", self.on_report_problem)
        self.act_about = a("&About MiSiS", self.on_about)
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for act in (self.act_export, self.act_print, None, self.act_settings,
                    self.act_password, None, self.act_lock, self.act_sign_out, self.act_purge,
                    None, self.act_quit):
            file_menu.addSeparator() if act is None else file_menu.addAction(act)
        students = menus.addMenu("S&tudents")
        for act in (self.act_find, self.act_open, None, self.act_enroll, self.act_transfer,
                    self.act_withdraw):
            students.addSeparator() if act is None else students.addAction(act)
        scheduling = menus.addMenu("Sc&heduling")
        for act in (self.act_program, None, self.act_rollover):
            scheduling.addSeparator() if act is None else scheduling.addAction(act)
        if self.workstation.settings.role in ("school_admin", "district_admin"):
            admin = menus.addMenu("A&dmin")
            admin.addAction(self.act_users)
            admin.addAction(self.act_access_log)
        sync_menu = menus.addMenu("S&ync")
        sync_menu.addAction(self.act_sync)
        sync_menu.addAction(self.act_attention)
        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self.act_report)
        help_menu.addAction(self.act_about)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        for act in (self.act_enroll, self.act_transfer, self.act_withdraw, None,
                    self.act_export, self.act_print, None, self.act_sync):
            toolbar.addSeparator() if act is None else toolbar.addAction(act)
        self.act_rollover.setEnabled(self.workstation.settings.may_schedule)
        self._update_actions()

    def _connect_signals(self) -> None:
        self.nav.currentRowChanged.connect(self.on_screen_chosen)
        self.status.sync_requested.connect(self.sync.sync_now)
        self.status.attention_requested.connect(self.on_attention)
        self.status.sign_in_requested.connect(self.sign_in_requested)
        self.sync.state_changed.connect(self.status.show_state)
        self.sync.rejected.connect(self.on_rejected)
        self.sync.access_ended.connect(self.on_access_ended)
        self.session.changed.connect(self.on_changes)
        self.session.edit_queued.connect(self.on_edit_queued)
        self.session.ending.connect(self.on_session_ending)
        self.session.ended.connect(self.on_session_ended)
        self.roster.student_opened.connect(self.open_student)
        self.attendance.history_requested.connect(self.open_mark_history)
        self.attendance.from_period_requested.connect(self.on_whole_day)
        for screen in self._screens():
            screen.student_changed.connect(self._update_actions)
        self.incomplete.escalation_due.connect(self.on_escalation_due)
        self.course_requests.sync_requested.connect(self.sync.sync_now)
        self.idle.idle.connect(self.lock_screen)
        self.transfers.waiting_changed.connect(self.on_transfers_waiting)

    # --- sync and data

    def start(self) -> None:
        self.status.show_state(self.sync.state)
        self.sync.start()
        self.idle.start()

    # --- the idle lock (ui/session/idle_lock.py)

    def lock_screen(self) -> QWidget:
        """Hide the students behind a lock until the person's password."""
        if self.lock is not None:
            return self.lock
        log.info("locked after %d minutes without use",
                 self.workstation.settings.idle_lock_minutes)
        self.idle.stop()
        self._hidden_by_lock = hide_all(self)
        self.lock = LockScreen(self.workstation, school_name=self.school_name)
        self.lock.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.lock.unlocked.connect(self.on_unlocked)
        self.lock.switch_user.connect(self.on_switch_user)
        self.lock.show()
        self.lock.raise_()
        self.lock.activateWindow()
        return self.lock

    def on_unlocked(self) -> None:
        self.lock = None
        show_again(self._hidden_by_lock)
        self._hidden_by_lock = []
        self.idle.start()

    def on_switch_user(self) -> None:
        """Someone else signs in: the previous person's session ends first
        (their changes sent if the server answers, else kept for them)."""
        self.lock = None
        self._hidden_by_lock = []
        self.sync.finish(then=self._end_session_for_someone_else)

    def _end_session_for_someone_else(self) -> None:
        self.workstation.sign_out()
        self.workstation.settings.username = ""
        self.workstation.save_settings()
        self.end_session(then=self.signed_out.emit)

    def on_screen_chosen(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        screen = self.current_screen()
        if screen in self._stale:
            self._stale.discard(screen)
            screen.reload()
        self._update_actions()

    def current_screen(self) -> Screen:
        return self._screens()[self.stack.currentIndex()]

    def on_changes(self, changes: Changes) -> None:
        """Writes landed in the cache: the screen showing (and the ones whose
        counts are always on view) refresh what changed; the others re-read
        when next shown, if the writes touched what they show."""
        showing = self.current_screen()
        for screen in self._screens():
            if screen is showing or screen in self._always:
                screen.refresh(changes)
            elif changes.touches(*screen.shows):
                self._stale.add(screen)
        for dialog in list(self._dialogs):
            kinds = self._dialog_kinds.get(id(dialog))
            if kinds and (changes.touches(*kinds) or "outbox" in kinds and changes.outbox):
                if isinstance(dialog, Reloads):
                    dialog.reload()
        self._update_actions()

    def on_edit_queued(self, edit: PendingEdit) -> None:
        """An edit shows at once on the screens that can draw it early."""
        for screen in {self.roster, self.current_screen()}:
            screen.show_pending(edit)

    def refresh_all(self) -> None:
        self.on_changes(Changes.all())

    def on_transfers_waiting(self, count: int) -> None:
        item = self.nav.item(self._screens().index(self.transfers))
        item.setText(f"{self.transfers.title} ({count})" if count else self.transfers.title)

    def on_rejected(self, reasons: list[str]) -> None:
        # Not a modal box: the status bar's attention button opens the list.
        self.statusBar().showMessage(
            f"The server refused {len(reasons)} change(s): {reasons[0]}", 15000)

    def on_access_ended(self, message: str) -> None:
        """The server ended this school's access: every window of the school
        closes, then its data leaves the workstation, and the person is told."""
        def told() -> None:
            messages.show(None, "warning", "Access to this school has ended",
                          f"{message}. This school's data was removed from this workstation.")
            self.purged.emit()
        self.end_session(purge=True, then=told)

    def queue_edit(self, op: str, payload: dict, *, base_version: int | None = None) -> str | None:
        """Save an edit on this workstation; it goes to the server with the next sync."""
        return self.session.queue_edit(op, payload, base_version=base_version)

    # --- the end of the session: sign out, purge, access ended, quit

    def end_session(self, *, purge: bool = False, then: Callable[[], None] | None = None
                    ) -> None:
        """The one way out: windows of the school close now, background work
        is cancelled, and the cache is closed (or purged) when the last of it
        stops; `then` runs after that. The GUI thread never waits."""
        self._after_end = then
        self.idle.stop()
        self.sync.stop()
        self.incomplete.stop()
        self.session.end(purge=purge)

    def on_session_ending(self, _reason: str) -> None:
        for dialog in list(self._dialogs):
            dialog.close()
        if self.lock is not None:
            self.lock.close()
            self.lock = None
        self.hide()

    def on_session_ended(self, _reason: str) -> None:
        then, self._after_end = self._after_end, None
        self.close()
        if then is not None:
            then()

    # --- students

    def _update_actions(self, *_args) -> None:
        """Actions act on what the person is looking at: the screen showing
        offers them, or they are disabled and say why."""
        screen = self.current_screen()
        student = screen.current_student_id() if screen.offers.student else ""
        why = "" if student else (screen.no_student_here if screen.offers.student
                                  else f"The {screen.title} screen has no student to act on")
        for act in (self.act_open, self.act_withdraw, self.act_program):
            act.setEnabled(bool(student))
            act.setToolTip(why or act.text().replace("&", "").rstrip("…"))
        for act, offered, what in ((self.act_export, screen.offers.export, "export"),
                                   (self.act_print, screen.offers.print, "print"),
                                   (self.act_find, screen.offers.find, "search")):
            act.setEnabled(offered)
            act.setToolTip(act.text().replace("&", "").rstrip("…") if offered
                           else f"The {screen.title} screen has nothing to {what}")

    def current_student_id(self) -> str:
        screen = self.current_screen()
        return screen.current_student_id() if screen.offers.student else ""

    def on_find(self) -> None:
        if self.current_screen().offers.find:
            self.current_screen().focus_find()

    def on_open_current(self) -> None:
        if self.current_student_id():
            self.open_student(self.current_student_id())

    def _opened(self, student_id: str) -> None:
        """Who opened which student's record goes to the district's access log."""
        user = self.workstation.user
        if user:
            store, event_id = self.store, str(uuid.uuid4())
            at = clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")
            self.session.write(lambda: store.record_opened(user, "students", student_id,
                                                           event_id=event_id, at=at))

    def open_student(self, student_id: str) -> QWidget:
        from ui.students.record import StudentRecordDialog
        self._opened(student_id)
        dialog = StudentRecordDialog(self.store, student_id, parent=self)
        dialog.withdraw_requested.connect(self.on_withdraw)
        dialog.program_requested.connect(self.open_program)
        self._keep(dialog, refresh_on=STUDENT_RECORD_KINDS)
        dialog.show()
        return dialog

    # --- scheduling

    def on_program_current(self) -> None:
        if self.current_student_id():
            self.open_program(self.current_student_id())

    def open_program(self, student_id: str) -> QWidget:
        """The student's program; while an edit of it is in conflict with the
        server, the comparison comes first: the counselor decides, then edits."""
        if student_id in self.store.conflict_students():
            return self.open_schedule_conflict(student_id)
        from ui.scheduling.program_editor import ProgramEditorDialog
        self._opened(student_id)
        dialog = ProgramEditorDialog(self.store, student_id, self.queue_edit, parent=self)
        self._keep(dialog, refresh_on=PROGRAM_KINDS)
        dialog.show()
        return dialog

    def open_schedule_conflict(self, student_id: str) -> QWidget:
        from ui.scheduling.schedule_conflict import ScheduleConflictDialog
        dialog = ScheduleConflictDialog(self.store, student_id, self.queue_edit, parent=self)
        dialog.resolved.connect(lambda _sid: self.sync.refresh_counts())
        dialog.resolved.connect(lambda _sid: self.refresh_all())
        self._keep(dialog, refresh_on=PROGRAM_KINDS)
        dialog.show()
        return dialog

    def on_escalation_due(self, count: int) -> None:
        """More than ten students without a complete schedule after 10:00 AM:
        the screen says so, and the server records it for the district."""
        self.statusBar().showMessage(
            f"{count} students still have no complete schedule after 10:00 AM", 15000)
        self.incomplete.report_to_district(self.workstation, self.workstation.settings.school_id)

    def on_rollover(self) -> QWidget:
        from ui.scheduling.rollover import RolloverDialog
        dialog = RolloverDialog(self.store, self.workstation, parent=self,
                                can_apply=self.workstation.settings.may_schedule)
        dialog.sync_requested.connect(self.sync.sync_now)
        self._keep(dialog, refresh_on=PROGRAM_KINDS)
        dialog.show()
        return dialog

    def on_enroll(self) -> QWidget:
        from ui.students.enrollment import EnrollDialog
        dialog = EnrollDialog(self.store, parent=self)
        dialog.submitted.connect(lambda payload: self._enrolled(payload))
        self._keep(dialog)
        dialog.show()
        return dialog

    def _enrolled(self, payload: dict) -> None:
        if self.queue_edit("enrollment.enroll", payload):
            self.roster.select_student(payload["student_id"])

    def on_transfer_in(self) -> QWidget:
        from ui.students.transfers import TransferInDialog
        dialog = TransferInDialog(self.store, parent=self)
        dialog.submitted.connect(lambda payload: self._transfer_asked(dialog.op, payload))
        self._keep(dialog)
        dialog.show()
        return dialog

    def _transfer_asked(self, op: str, payload: dict) -> None:
        if self.queue_edit(op, payload) and op == "transfer.request":
            self.statusBar().showMessage(
                "Transfer request saved: the student's school is asked with the next sync "
                "(see Transfers)", 15000)

    def on_withdraw(self, student_id: str | None = None) -> QWidget | None:
        """Withdraw the student highlighted on the screen showing (or the one
        whose record asked): never a selection the person can't see."""
        from ui.students.enrollment import WithdrawDialog
        student_id = student_id if isinstance(student_id, str) and student_id \
            else self.current_student_id()
        if not student_id:
            return None
        dialog = WithdrawDialog(self.store, student_id, parent=self)
        dialog.submitted.connect(lambda payload: self.queue_edit("enrollment.withdraw", payload))
        self._keep(dialog)
        dialog.show()
        return dialog

    def open_mark_history(self, mark_id: str, title: str) -> QWidget:
        from ui.attendance.mark_history import MarkHistoryDialog
        ws, school = self.workstation, self.workstation.settings.school_id

        def fetch() -> list[dict]:
            client = ws.client()
            try:
                return client.history(school, "attendance_marks", mark_id)
            finally:
                client.close()
        pending = self.store.pending_for("attendance_marks", mark_id)
        dialog = MarkHistoryDialog(title, fetch, pending=pending, parent=self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_whole_day(self, student_id: str, date: str, period: int) -> QWidget:
        from ui.attendance.whole_day import WholeDayDialog
        dialog = WholeDayDialog(self.store, student_id, date, period, parent=self)
        dialog.submitted.connect(lambda payloads: [self.queue_edit("attendance.mark", p)
                                                   for p in payloads])
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_attention(self) -> QWidget:
        from ui.session.attention import AttentionDialog
        dialog = AttentionDialog(self.store, parent=self, queue_edit=self.queue_edit,
                                 session=self.session)
        dialog.changed.connect(self.sync.refresh_counts)
        self._keep(dialog, refresh_on=frozenset({"outbox"}))
        dialog.show()
        return dialog

    def _keep(self, dialog: QWidget, *, refresh_on: frozenset[str] = frozenset()) -> None:
        """A window of this school: it closes with the session, and re-reads
        when writes touch the kinds it shows."""
        self._dialogs.append(dialog)
        if refresh_on:
            self._dialog_kinds[id(dialog)] = refresh_on
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def gone(*_args) -> None:
            if dialog in self._dialogs:
                self._dialogs.remove(dialog)
            self._dialog_kinds.pop(id(dialog), None)
        dialog.destroyed.connect(gone)

    # --- output

    def on_export(self, _checked: bool = False, path: str | None = None) -> None:
        """Export the table of the screen showing (the action is disabled
        where there is none)."""
        if not self.current_screen().offers.export:
            return
        title, headers, rows = self.current_screen().table_for_output()
        if export_to_excel(self, self.output, title=title, headers=headers, rows=rows,
                           sheet=title.split(" — ")[0], file_name=_file_name(title), path=path,
                           done=lambda p: self.statusBar().showMessage(f"Exported to {p}", 10000)):
            self.statusBar().showMessage(f"Exporting {len(rows):,} rows…")

    def on_print(self) -> None:
        from reports.table_print import paint_table
        from ui.common.print_preview import PrintPreview
        if not self.current_screen().offers.print:
            return
        title, headers, rows = self.current_screen().table_for_output()
        preview = PrintPreview(self)
        preview.setWindowTitle(f"Print preview — {title}")
        preview.paintRequested.connect(
            lambda p: paint_table(p, title=title, headers=headers, rows=rows,
                                  subtitle=self.school_name))
        preview.resize(1100, 720)
        self._keep(preview)
        preview.open()

    # --- around it

    def on_settings(self) -> QWidget:
        from ui.session.settings_dialog import SettingsDialog
        dialog = SettingsDialog(self.workstation, parent=self)
        dialog.saved.connect(self.on_settings_saved)
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_settings_saved(self) -> None:
        s = self.workstation.settings
        self.sync.set_interval(s.sync_interval_s)
        self.idle.set_idle_ms(s.idle_lock_minutes * 60_000)

    def on_users(self) -> QWidget:
        from ui.admin.users import UsersDialog
        dialog = UsersDialog(self.workstation, parent=self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_access_log(self) -> QWidget:
        from ui.admin.access_log import AccessLogDialog
        dialog = AccessLogDialog(self.workstation, school_name=self.school_name,
                                 store=self.store, parent=self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_change_password(self) -> QWidget:
        from ui.session.change_password import ChangePasswordDialog
        dialog = ChangePasswordDialog(self.workstation, parent=self)
        self._keep(dialog)
        dialog.show()
        return dialog

    def on_sign_out(self) -> None:
        pending = self.store.outbox_counts()["pending"]
        if not pending:
            self.sign_out()
            return
        messages.ask(self, "Sign out",
                     f"{pending} change(s) have not reached the server yet. They stay on this "
                     f"workstation and go out after the next sign-in. Sign out now?",
                     lambda yes: self.sign_out() if yes else None, default=True)

    def sign_out(self) -> None:
        self.workstation.sign_out()
        self.end_session(then=self.signed_out.emit)

    def on_purge(self) -> None:
        counts = self.store.outbox_counts()
        unsent = counts["pending"] + counts["conflict"] + counts["rejected"]
        warning = (f"\n\n{unsent} change(s) on this workstation have not been accepted by the "
                   f"server and will be lost." if unsent else "")
        messages.ask(self, "Remove this school's data",
                     f"Remove all of {self.school_name}'s data from this "
                     f"workstation? It can be loaded again by signing in.{warning}",
                     lambda yes: self.purge() if yes else None)

    def purge(self) -> None:
        self.workstation.settings.school_id = ""
        self.workstation.save_settings()
        self.end_session(purge=True, then=self.purged.emit)

    def on_report_problem(self) -> None:
        from ui.common.report_problem import ReportProblemDialog
        dialog = ReportProblemDialog(self.workstation, self.store, parent=self)
        self._keep(dialog)
        dialog.show()

    def on_about(self) -> None:
        from ui.common.about import about_text
        messages.info(self, "About MiSiS", about_text())

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Quitting ends the session like signing out does, minus the
        sign-out: the window goes at once; edits already queued are written
        before the cache closes; a sync in flight is cancelled, not waited for."""
        if self.session.is_ending and not self.session.has_ended:
            event.ignore()  # closes when the session has ended
            return
        if not self.session.is_ending:
            event.ignore()
            self.end_session()
            return
        super().closeEvent(event)


def _file_name(title: str) -> str:
    """A file name from a list's title: "Master schedule" -> "master-schedule"."""
    name = title.split(" — ")[0].lower()
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name).split()) or "list"
