"""Object names on widgets: what tests, style sheets and screenshots find them by."""
from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """The widget with its object name, so it can be built and named in one expression."""
    widget.setObjectName(name)
    return widget
