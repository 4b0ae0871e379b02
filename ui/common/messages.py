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
from dataclasses import dataclass

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


def is_known(exc: BaseException) -> bool:
    return isinstance(exc, (SyncError, InvalidValue, OSError))


def show(parent: QWidget | None, kind: str, title: str, text: str, details: str = "") -> None:
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
    box.exec()


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


def confirm(parent: QWidget | None, title: str, text: str, *, default: bool = False) -> bool:
    shown.append(Shown("confirm", title, text))
    if not _interactive:
        return default
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes
