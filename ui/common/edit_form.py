"""What every form that submits one edit shares: problems said on the form, checked payloads.

A form shows what a person can fix in red under its fields (never a message
box), lets Enter press its submit button and Esc cancel, and emits only a
payload that `domain.mutations.check_mutation` accepts for its operation.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from domain.mutations import check_mutation, new_mutation_id
from domain.values import InvalidValue
from local_store.store import LocalStore
from widgets.naming import named

log = logging.getLogger(__name__)

PROBLEM_STYLE = "color: #b00020;"


# Staff read and type dates as 12/04/2026.
US_DATE = "MM/dd/yyyy"


def date_edit(name: str, value: dt.date) -> QDateEdit:
    edit = named(QDateEdit(QDate(value.year, value.month, value.day)), name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(US_DATE)
    edit.setMinimumWidth(140)
    edit.setMaximumWidth(180)
    return edit


def coded_combo(name: str, codes: dict[str, str], default: str | None = None) -> QComboBox:
    combo = named(QComboBox(), name)
    for code, description in codes.items():
        combo.addItem(f"{code} — {description}", code)
    if default is not None:
        combo.setCurrentIndex(combo.findData(default))
    return combo


def iso_date(edit: QDateEdit) -> str:
    return edit.date().toString("yyyy-MM-dd")


class EditForm(QDialog):
    """A form that submits one edit.

    Signals:
        submitted(dict): the payload of a valid edit; the form closes right after
    """

    submitted = Signal(dict)

    op = ""

    def __init__(self, store: LocalStore, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.setModal(False)
        self.problems = named(QLabel(wordWrap=True), "problems")
        self.problems.hide()
        self.problems.setStyleSheet(PROBLEM_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self._tried = False

    def _finish(self, layout: QVBoxLayout, submit: QPushButton,
                focus_chain: list[QWidget], width: int) -> None:
        """Lay the form out (problems, then buttons, under `layout`); Enter presses submit."""
        self.submit = submit
        submit.setDefault(True)
        self.buttons.addButton(submit, QDialogButtonBox.ButtonRole.ActionRole)
        layout.addWidget(self.problems)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setLayout(layout)
        for first, second in zip(focus_chain, [*focus_chain[1:], submit]):
            QWidget.setTabOrder(first, second)
        self.resize(width, self.sizeHint().height())

    def _connect_signals(self) -> None:
        """Subclasses wire their fields here too, after calling this."""
        self.submit.clicked.connect(self.on_submit)
        self.buttons.rejected.connect(self.reject)

    # --- what each form says

    def problems_found(self) -> list[str]:
        raise NotImplementedError

    def payload(self) -> dict[str, Any]:
        raise NotImplementedError

    # --- checking and submitting

    def on_field_changed(self, *_args: Any) -> None:
        if self._tried:  # once a submit was refused, say as soon as it's fixed
            self._show_problems(self.problems_found())

    def on_submit(self) -> None:
        if not self.submit.isEnabled():
            return
        self._tried = True
        problems = self.problems_found()
        if not problems:
            payload = self.payload()
            try:  # the same check the workstation and the server make
                check_mutation({"mutation_id": new_mutation_id(), "op": self.op,
                                "payload": payload})
            except InvalidValue as exc:
                problems = [str(exc)]
        self._show_problems(problems)
        if problems:
            return
        log.info("%s submitted", self.op)
        self.submitted.emit(payload)
        self.accept()

    def _show_problems(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(f"• {p}" for p in problems))
        self.problems.setVisible(bool(problems))
