"""The status bar's sync corner: online or offline, last sync, pending, attention."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from widgets.naming import named

# Undecided schedule conflicts stand out (the app's style sheet styles the
# plain attention button): a counselor must compare and decide them.
DECIDE_STYLE = ("QPushButton#attention { color: #7c2d12; background: #fde68a; "
                "border: 1px solid #d97706; border-radius: 3px; font-weight: bold; "
                "padding: 2px 8px; }")




@dataclass(frozen=True)
class SyncState:
    online: bool | None = None  # None: not known yet
    syncing: bool = False
    last_sync: str = ""  # local time text, empty if never
    pending: int = 0
    attention: int = 0  # conflicts and rejections waiting for a person
    schedule_conflicts: int = 0  # students whose schedule edit is in conflict, undecided
    signed_out: bool = False
    message: str = ""
    # Plain http:// to a server off this computer (allowed by a setting).
    plain_http: bool = False
    # Changes made here by other users, waiting for them to sign in.
    others_pending: int = 0
    others: str = ""


class SyncStatus(QWidget):
    """Shows a SyncState; knows nothing of where it comes from.

    Signals:
        sync_requested: the person asked for a sync now
        attention_requested: the person wants to see changes needing them
        sign_in_requested: the session ended and the person wants to sign in
    """

    sync_requested = Signal()
    attention_requested = Signal()
    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.connection = named(QLabel(), "connection")
        self.last_sync = named(QLabel(), "lastSync")
        self.pending = named(QLabel(), "pending")
        self.attention = named(QPushButton(flat=True), "attention")
        self.sign_in = named(QPushButton("Sign in again"), "signIn")
        self.insecure = named(QLabel("⚠ Unencrypted connection to the server"), "insecure")
        self.insecure.setStyleSheet("color: #b91c1c; font-weight: bold;")
        self.insecure.setToolTip("This workstation is allowed to talk to the district server "
                                 "without encryption (File → Settings): passwords and "
                                 "students' records can be read on the network.")
        self.sync_now = named(QPushButton("Sync now"), "syncNow")
        self.sync_now.setToolTip("Send and receive changes now (F5)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(18)
        for w in (self.connection, self.insecure, self.last_sync, self.pending, self.attention,
                  self.sign_in):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.sync_now)
        self._connect_signals()
        self.state = SyncState()
        self.show_state(self.state)

    def _connect_signals(self) -> None:
        self.sync_now.clicked.connect(self.sync_requested)
        self.attention.clicked.connect(self.attention_requested)
        self.sign_in.clicked.connect(self.sign_in_requested)

    def show_state(self, state: SyncState) -> None:
        self.state = state
        if state.syncing:
            text, mode = "⟳ Syncing…", "syncing"
        elif state.online is None:
            text, mode = "○ Connecting…", "unknown"
        elif state.online:
            text, mode = "● Online", "online"
        else:
            text, mode = "○ Offline — working from this workstation", "offline"
        self.connection.setText(text)
        self.connection.setProperty("mode", mode)
        self.connection.setToolTip(state.message)
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)
        self.last_sync.setText(f"Last sync {state.last_sync}" if state.last_sync
                               else "Not synced yet")
        mine = state.pending - state.others_pending
        text = ("All changes sent" if mine == 0 else
                f"{mine} change{'s' if mine != 1 else ''} waiting to be sent")
        if state.others_pending:
            text += f" · {state.others_pending} more wait for {state.others} to sign in"
        self.pending.setText(text)
        self.insecure.setVisible(state.plain_http)
        self._show_attention(state)
        self.sign_in.setVisible(state.signed_out)
        self.sync_now.setEnabled(not state.syncing)

    def _show_attention(self, state: SyncState) -> None:
        button, conflicts = self.attention, state.schedule_conflicts
        if conflicts:
            button.setText(f"⚠ {conflicts} schedule conflict{'s' if conflicts != 1 else ''} "
                           f"— decide")
            button.setToolTip(
                "Someone else changed a schedule you changed on this workstation: compare "
                "both versions and decide. "
                f"{state.attention} change{'s' if state.attention != 1 else ''} in all "
                f"need{'s' if state.attention == 1 else ''} your attention.")
        else:
            button.setText(f"⚠ {state.attention} need{'s' if state.attention == 1 else ''} "
                           f"your attention")
            button.setToolTip("Changes the server refused or found in conflict")
        urgency = "decide" if conflicts else ""
        if button.property("urgency") != urgency:
            button.setProperty("urgency", urgency)
            button.setStyleSheet(DECIDE_STYLE if conflicts else "")
        button.setVisible(state.attention > 0 or conflicts > 0)
