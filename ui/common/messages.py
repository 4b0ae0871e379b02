"""One error path (after qutebrowser's KnownError/BugError, Anki's SyncError).

The environment's faults (network down, wrong password, a file that can't be
written, input the server refused) get a calm message a person can act on.
Anything else is a bug: a dialog with the details to copy into a help ticket.
Every message box goes through `show`, which tests and scripted runs switch
to logging instead of blocking (`set_interactive(False)`).
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from domain.values import InvalidValue
from sync.client import SyncError

log = logging.getLogger(__name__)

_interactive = True


@dataclass
class Shown:
    kind: str
    title: str
    text: str


# What was shown, newest last: tests read it when messages don't block.
shown: list[Shown] = []


def set_interactive(on: bool) -> None:
    global _interactive
    _interactive = on


def is_interactive() -> bool:
    return _interactive


def is_known(exc: BaseException) -> bool:
    return isinstance(exc, (SyncError, InvalidValue, OSError))


# Boxes on screen without a parent, kept alive until closed.
_open: list[QMessageBox] = []


def show(parent: QWidget | None, kind: str, title: str, text: str, details: str = "") -> None:
    """Tell the person, without a nested event loop: the box shows and this
    returns at once (work in flight goes on; the window stays responsive)."""
    shown.append(Shown(kind, title, text))
    log.log(logging.ERROR if kind == "bug" else logging.INFO, "%s: %s — %s", kind, title, text)
    if not _interactive:
        return
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setText(text)
    box.setIcon({"info": QMessageBox.Icon.Information, "warning": QMessageBox.Icon.Warning,
                 "bug": QMessageBox.Icon.Critical}.get(kind, QMessageBox.Icon.Information))
    if details:
        box.setDetailedText(details)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    _open.append(box)
    box.finished.connect(lambda _result: _open.remove(box) if box in _open else None)
    box.show()


def info(parent: QWidget | None, title: str, text: str) -> None:
    show(parent, "info", title, text)


def problem(parent: QWidget | None, title: str, exc: BaseException) -> None:
    """Report a failure: calmly when it's the environment, as a bug otherwise."""
    if is_known(exc):
        show(parent, "warning", title, str(exc))
        return
    details = "".join(traceback.format_exception(exc))
    log.error("unexpected error: %s", title, exc_info=exc)
    show(parent, "bug", title,
         "Something went wrong inside MiSiS. Your saved work is safe. Please send the "
         "details below with Help → Report a problem.", details)


def ask(parent: QWidget | None, title: str, text: str, then: Callable[[bool], None], *,
        default: bool = False) -> None:
    """A yes/no question that doesn't nest an event loop: `then(answer)`
    runs when the person answers (at once with `default` in scripted runs)."""
    shown.append(Shown("confirm", title, text))
    if not _interactive:
        then(default)
        return
    box = QMessageBox(QMessageBox.Icon.Question, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.Yes if default
                         else QMessageBox.StandardButton.No)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _open.append(box)

    def answered(_result: int) -> None:
        if box in _open:
            _open.remove(box)
        clicked = box.clickedButton()
        then(clicked is not None and
             box.standardButton(clicked) == QMessageBox.StandardButton.Yes)
    box.finished.connect(answered)
    box.open()


def confirm(parent: QWidget | None, title: str, text: str, *, default: bool = False) -> bool:
    shown.append(Shown("confirm", title, text))
    if not _interactive:
        return default
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes
