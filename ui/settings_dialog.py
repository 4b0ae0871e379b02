"""File → Settings: where the district server is and how often to sync.

The rest is shown, not edited: where this workstation keeps its data, who is
signed in, which workstation this is (what the help desk asks for first).
"""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sync.workstation import Workstation
from ui import messages
from ui.edit_form import PROBLEM_STYLE

log = logging.getLogger(__name__)

NOTE_STYLE = "color: #7a5a00;"
INTERVAL_RANGE = (15, 3600)
SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


def server_problem(url: str) -> str | None:
    """Why an address can't be the district server's, or None when it can."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        return "The server address starts with http:// or https://"
    if not parsed.netloc or " " in url:
        return "The server address needs a host name after http:// or https://"
    return None


class SettingsDialog(QDialog):
    """The workstation's settings.

    Signals:
        saved(): the settings were written (the sync interval may have changed)
    """

    saved = Signal()

    def __init__(self, workstation: Workstation, parent: QWidget | None = None):
        super().__init__(parent)
        self.workstation = workstation
        settings = workstation.settings
        self.setWindowTitle("Settings")
        self.setObjectName("settingsDialog")
        self.setModal(False)
        self.server = QLineEdit(settings.server_url, objectName="serverUrl",
                                placeholderText="https://misis.district.example")
        self.interval = QSpinBox(objectName="syncInterval", suffix=" seconds")
        self.interval.setRange(*INTERVAL_RANGE)
        self.interval.setSingleStep(15)
        self.interval.setValue(min(max(settings.sync_interval_s, INTERVAL_RANGE[0]),
                                   INTERVAL_RANGE[1]))
        self.interval.setMaximumWidth(180)
        self.data_folder = QLineEdit(str(workstation.data_dir), objectName="dataFolder",
                                     readOnly=True)
        self.copy_folder = QPushButton("&Copy", objectName="copyFolder")
        self.open_folder = QPushButton("&Open folder", objectName="openFolder")
        self.user = QLabel(settings.username or "Nobody is signed in", objectName="user",
                           textInteractionFlags=SELECTABLE)
        self.school = QLabel(settings.school_id or "—", objectName="school",
                             textInteractionFlags=SELECTABLE)
        self.workstation_id = QLabel(settings.workstation_id, objectName="workstationId",
                                     textInteractionFlags=SELECTABLE)
        self.server_note = QLabel(objectName="serverNote", wordWrap=True, visible=False)
        self.server_note.setStyleSheet(NOTE_STYLE)
        self.problems = QLabel(objectName="problems", wordWrap=True, visible=False)
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.save = QPushButton("&Save", objectName="saveButton", default=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._build()
        self._connect_signals()
        self.resize(560, self.sizeHint().height())

    def _build(self) -> None:
        folder = QHBoxLayout()
        folder.addWidget(self.data_folder, 1)
        folder.addWidget(self.copy_folder)
        folder.addWidget(self.open_folder)
        form = QFormLayout()
        form.addRow("District &server:", self.server)
        form.addRow("", self.server_note)
        form.addRow("Sync &every:", self.interval)
        form.addRow("Data folder:", folder)
        form.addRow("Signed in as:", self.user)
        form.addRow("School:", self.school)
        form.addRow("Workstation:", self.workstation_id)
        self.buttons.addButton(self.save, QDialogButtonBox.ButtonRole.AcceptRole)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        QWidget.setTabOrder(self.server, self.interval)
        QWidget.setTabOrder(self.interval, self.save)

    def _connect_signals(self) -> None:
        self.server.textChanged.connect(self.on_server_changed)
        self.copy_folder.clicked.connect(self.on_copy_folder)
        self.open_folder.clicked.connect(self.on_open_folder)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)

    def on_server_changed(self, text: str) -> None:
        changed = text.strip().rstrip("/") != self.workstation.settings.server_url.rstrip("/")
        self.server_note.setText("A different server: after you save, the next sync asks "
                                 "you to sign in again.")
        self.server_note.setVisible(changed)
        self.problems.setVisible(False)

    def on_copy_folder(self) -> None:
        QGuiApplication.clipboard().setText(self.data_folder.text())

    def on_open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.data_folder.text()))

    def on_save(self) -> None:
        url = self.server.text().strip().rstrip("/")
        problem = server_problem(url)
        if problem:
            self.problems.setText(problem)
            self.problems.setVisible(True)
            self.server.setFocus()
            return
        settings = self.workstation.settings
        if url != settings.server_url.rstrip("/"):
            log.info("district server changed from %s to %s", settings.server_url, url)
            settings.server_url = url
        settings.sync_interval_s = self.interval.value()
        try:
            self.workstation.save_settings()
        except OSError as exc:
            messages.problem(self, "The settings could not be saved", exc)
            return
        self.saved.emit()
        self.accept()
