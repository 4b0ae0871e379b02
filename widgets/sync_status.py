"""The status bar's sync corner: online or offline, last sync, pending, attention."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


@dataclass(frozen=True)
class SyncState:
    online: bool | None = None  # None: not known yet
    syncing: bool = False
    last_sync: str = ""  # local time text, empty if never
    pending: int = 0
    attention: int = 0  # conflicts and rejections waiting for a person
    signed_out: bool = False
    message: str = ""


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
        self.connection = QLabel(objectName="connection")
        self.last_sync = QLabel(objectName="lastSync")
        self.pending = QLabel(objectName="pending")
        self.attention = QPushButton(objectName="attention", flat=True)
        self.sign_in = QPushButton("Sign in again", objectName="signIn")
        self.sync_now = QPushButton("Sync now", objectName="syncNow")
        self.sync_now.setToolTip("Send and receive changes now (F5)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(18)
        for w in (self.connection, self.last_sync, self.pending, self.attention, self.sign_in):
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
        self.pending.setText("All changes sent" if state.pending == 0 else
                             f"{state.pending} change{'s' if state.pending != 1 else ''} "
                             f"waiting to be sent")
        self.attention.setText(f"⚠ {state.attention} need{'s' if state.attention == 1 else ''} "
                               f"your attention")
        self.attention.setVisible(state.attention > 0)
        self.sign_in.setVisible(state.signed_out)
        self.sync_now.setEnabled(not state.syncing)
