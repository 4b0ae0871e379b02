"""File → Settings: where the district server is, how to trust it, how often
to sync, and when the screen locks.

The rest is shown, not edited: where this workstation keeps its data, who is
signed in, which workstation this is (what the help desk asks for first).
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sync.client import plain_http_problem
from sync.workstation import Workstation
from ui.common import messages
from ui.common.edit_form import PROBLEM_STYLE
from widgets.naming import named

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
        self.server = named(QLineEdit(settings.server_url,
                                      placeholderText="https://misis.district.example"),
                            "serverUrl")
        self.interval = named(QSpinBox(suffix=" seconds"), "syncInterval")
        self.interval.setRange(*INTERVAL_RANGE)
        self.interval.setSingleStep(15)
        self.interval.setValue(min(max(settings.sync_interval_s, INTERVAL_RANGE[0]),
                                   INTERVAL_RANGE[1]))
        self.interval.setMaximumWidth(180)
        self.idle_lock = named(QSpinBox(suffix=" minutes"), "idleLock")
        self.idle_lock.setRange(1, 60)
        self.idle_lock.setValue(min(max(settings.idle_lock_minutes, 1), 60))
        self.idle_lock.setMaximumWidth(180)
        self.idle_lock.setToolTip("After this long without a key or a click, the screen locks "
                                  "and asks for your password")
        self.ca_bundle = named(QLineEdit(settings.ca_bundle,
                                         placeholderText="the system's certificates"),
                               "caBundle")
        self.browse_ca = named(QPushButton("&Browse…"), "browseCa")
        self.plain_http = named(QCheckBox("Allow an &unencrypted (http://) connection to the "
                                          "district server"), "allowPlainHttp")
        self.plain_http.setChecked(settings.allow_plain_http)
        self.plain_http.setToolTip("Only if the district's IT says so: passwords and students' "
                                   "records could then be read on the network")
        self.data_folder = named(QLineEdit(str(workstation.data_dir), readOnly=True),
                                 "dataFolder")
        self.copy_folder = named(QPushButton("&Copy"), "copyFolder")
        self.open_folder = named(QPushButton("&Open folder"), "openFolder")
        self.user = named(QLabel(settings.username or "Nobody is signed in",
                                 textInteractionFlags=SELECTABLE), "user")
        self.school = named(QLabel(settings.school_id or "—", textInteractionFlags=SELECTABLE),
                            "school")
        self.workstation_id = named(QLabel(settings.workstation_id,
                                           textInteractionFlags=SELECTABLE), "workstationId")
        self.server_note = named(QLabel(wordWrap=True), "serverNote")
        self.server_note.hide()
        self.server_note.setStyleSheet(NOTE_STYLE)
        self.problems = named(QLabel(wordWrap=True), "problems")
        self.problems.hide()
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.save = named(QPushButton("&Save", default=True), "saveButton")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._build()
        self._connect_signals()
        self.resize(560, self.sizeHint().height())

    def _build(self) -> None:
        ca = QHBoxLayout()
        ca.addWidget(self.ca_bundle, 1)
        ca.addWidget(self.browse_ca)
        folder = QHBoxLayout()
        folder.addWidget(self.data_folder, 1)
        folder.addWidget(self.copy_folder)
        folder.addWidget(self.open_folder)
        form = QFormLayout()
        form.addRow("District &server:", self.server)
        form.addRow("", self.server_note)
        ca_label = QLabel("District &certificates:")
        ca_label.setBuddy(self.ca_bundle)
        form.addRow(ca_label, ca)
        form.addRow("", self.plain_http)
        form.addRow("Sync &every:", self.interval)
        form.addRow("&Lock the screen after:", self.idle_lock)
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
        self.browse_ca.clicked.connect(self.on_browse_ca)
        self.open_folder.clicked.connect(self.on_open_folder)
        self.buttons.accepted.connect(self.on_save)
        self.buttons.rejected.connect(self.reject)

    def on_server_changed(self, text: str) -> None:
        changed = text.strip().rstrip("/") != self.workstation.settings.server_url.rstrip("/")
        self.server_note.setText("A different server: after you save, the next sync asks "
                                 "you to sign in again.")
        self.server_note.setVisible(changed)
        self.problems.setVisible(False)

    def on_browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "The district's certificate bundle", self.ca_bundle.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.ca_bundle.setText(path)

    def on_copy_folder(self) -> None:
        QGuiApplication.clipboard().setText(self.data_folder.text())

    def on_open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.data_folder.text()))

    def on_save(self) -> None:
        url = self.server.text().strip().rstrip("/")
        ca_bundle = self.ca_bundle.text().strip()
        problem = server_problem(url) or plain_http_problem(
            url, allow_plain_http=self.plain_http.isChecked())
        if not problem and ca_bundle and not Path(ca_bundle).is_file():
            problem = f"There is no certificate file {ca_bundle}"
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
        settings.idle_lock_minutes = self.idle_lock.value()
        settings.ca_bundle = ca_bundle
        if self.plain_http.isChecked() != settings.allow_plain_http:
            log.warning("unencrypted connections to the server %s",
                        "allowed" if self.plain_http.isChecked() else "refused again")
        settings.allow_plain_http = self.plain_http.isChecked()
        try:
            self.workstation.save_settings()
        except OSError as exc:
            messages.problem(self, "The settings could not be saved", exc)
            return
        self.saved.emit()
        self.accept()
