"""What a screen of the main window is, and what it offers the window's actions.

The toolbar and menus act on what the person is looking at: the student
highlighted on the screen showing, that screen's table for Export and Print,
its own search for Find. A screen declares what it offers (`Offers`); an
action the screen doesn't offer is disabled with a tooltip saying why,
instead of reaching for another screen's hidden selection.

A screen also says which kinds of records it shows (`shows`), and
`refresh(changes)` re-reads only when a write touched one of them; screens
that can, refresh only the rows that changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from local_store.changes import Changes

if TYPE_CHECKING:
    from ui.session.school_session import PendingEdit


@dataclass(frozen=True)
class Offers:
    student: bool = False   # a highlighted student the Students actions can act on
    export: bool = False    # a table for File → Export
    print: bool = False     # a table for File → Print
    find: bool = False      # a search box for Ctrl+F


class Screen(QWidget):
    """Signals:
        student_changed(str): the highlighted student changed ("" for none)
    """

    student_changed = Signal(str)

    title = ""
    offers = Offers()
    shows: frozenset[str] = frozenset()  # record kinds whose changes show here
    # Said in the tooltip of a Students action when there is no student here.
    no_student_here = "This screen has no student to act on"

    def reload(self) -> None:
        """Read everything the screen shows from the cache again."""

    def refresh(self, changes: Changes) -> None:
        """Writes landed: re-read if any touched what this screen shows.
        Screens that can re-read only the changed rows override this."""
        if changes.touches(*self.shows):
            self.reload()

    def show_pending(self, edit: PendingEdit) -> None:
        """An edit was accepted but is not written yet. Screens that can draw
        it early override this; the others show it once it is written."""

    def current_student_id(self) -> str:
        return ""

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        raise NotImplementedError(f"{type(self).__name__} offers no table")

    def focus_find(self) -> None:
        """Put the cursor in the screen's search box."""
