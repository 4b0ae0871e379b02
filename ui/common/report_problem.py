"""Help → Report a problem: a diagnostic bundle to attach to a help ticket.

The bundle itself is made by `sync.diagnostics.write_bundle` (no Qt, no
student data); this dialog asks what happened, where to save, and says
where it went.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from local_store.store import LocalStore
from sync.diagnostics import default_bundle_path, write_bundle
from sync.workstation import Workstation
from ui.common import messages
from ui.common.about import toolkit_versions
from ui.common.tasks import TaskRunner
from widgets.naming import named

log = logging.getLogger(__name__)


class ReportProblemDialog(QDialog):
    """Ask what happened and save a diagnostic bundle.

    Signals:
        bundle_saved(str): the bundle was written at this path
    """

    bundle_saved = Signal(str)

    def __init__(self, workstation: Workstation, store: LocalStore | None,
                 parent: QWidget | None = None, *, details: str = ""):
        super().__init__(parent)
        self.workstation = workstation
        self.store = store
        self.runner = TaskRunner(self)
        self.setWindowTitle("Report a problem")
        self.setObjectName("reportProblem")
        self.setModal(False)
        self.intro = QLabel(
            "Describe what happened, then save a diagnostic bundle and attach it to your help "
            "ticket. The bundle holds this workstation's log, the versions of MiSiS and its "
            "parts, and the state of its sync (counts only). It holds no student data.",
            wordWrap=True)
        self.description = named(QPlainTextEdit(), "description")
        self.description.setPlaceholderText("What were you doing? What did you expect, and "
                                            "what happened instead?")
        self.description.setTabChangesFocus(True)
        if details:  # from the crash handler: what happened, for the help desk
            self.description.setPlainText(
                "What I was doing: \n\n--- What MiSiS recorded ---\n" + details.strip())
        self.outcome = named(QLabel(wordWrap=True), "result")
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.outcome.hide()
        self.save = named(QPushButton("&Save diagnostic bundle…", default=True), "saveBundle")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._build()
        self._connect_signals()
        self.resize(560, 400)

    def _build(self) -> None:
        self.buttons.addButton(self.save, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        question = QLabel("&What happened?")
        question.setBuddy(self.description)
        layout.addWidget(question)
        layout.addWidget(self.description, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.save.clicked.connect(self.on_save_clicked)
        self.buttons.rejected.connect(self.reject)
        self.outcome.linkActivated.connect(self.on_link_activated)

    def on_save_clicked(self) -> None:
        suggested = str(default_bundle_path(self.workstation.data_dir))
        path, _ = QFileDialog.getSaveFileName(self, "Save diagnostic bundle", suggested,
                                              "Zip archive (*.zip)")
        if path:
            self.save_bundle(path)

    def save_bundle(self, path: str | Path | None = None) -> None:
        """Write the bundle off the GUI thread (to the default place without a path)."""
        target = Path(path) if path else default_bundle_path(self.workstation.data_dir)
        if target.suffix != ".zip":
            target = target.with_name(target.name + ".zip")
        description = self.description.toPlainText()
        ws, store, versions = self.workstation, self.store, toolkit_versions()
        self.save.setEnabled(False)
        self.outcome.setText("Saving…")
        self.outcome.setVisible(True)
        self.runner.run(lambda task: write_bundle(target, ws, store, description,
                                                  extra_versions=versions),
                        success=self.on_bundle_written, failure=self.on_bundle_failed,
                        done=lambda: self.save.setEnabled(True))

    def on_bundle_written(self, path: Path) -> None:
        folder = QUrl.fromLocalFile(str(path.parent)).toString()
        self.outcome.setText(f"Saved to <b>{html.escape(str(path))}</b> — attach this file "
                            f"to your help ticket. <a href=\"{folder}\">Open the folder</a>")
        self.bundle_saved.emit(str(path))

    def on_bundle_failed(self, exc: BaseException) -> None:
        self.outcome.setVisible(False)
        messages.problem(self, "The diagnostic bundle could not be saved", exc)

    def on_link_activated(self, link: str) -> None:
        QDesktopServices.openUrl(QUrl(link))

    def done(self, result: int) -> None:
        self.runner.wait(30000)  # a bundle being written is finished, not cut
        super().done(result)
