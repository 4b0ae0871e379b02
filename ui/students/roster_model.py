"""The roster's table model: a list of rows, filtered and sorted in Python.

../shared/MEASURED.md: a QSortFilterProxyModel calls Python `data()` for
every comparison (81 ms a keystroke on 5,000 rows, 1.4 s a sort); filtering
and sorting the list and resetting the model takes 1–2 ms. `data()` answers
from strings computed once per row, and answers every other role at once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from domain.codes import LANGUAGES, grade_label
from local_store.queries import RosterRow

DISPLAY = Qt.ItemDataRole.DisplayRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
FONT = Qt.ItemDataRole.FontRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole


@dataclass(frozen=True)
class Column:
    title: str
    text: Callable[[RosterRow], str]
    sort_key: Callable[[RosterRow], Any]
    width: int


COLUMNS: tuple[Column, ...] = (
    Column("Student ID", lambda r: r.district_student_id or "(new)",
           lambda r: r.district_student_id, 110),
    Column("Last name", lambda r: r.last_name, lambda r: r.last_name.lower(), 170),
    Column("First name", lambda r: r.first_name + (f" ({r.preferred_name})"
                                                    if r.preferred_name else ""),
           lambda r: r.first_name.lower(), 170),
    Column("Grade", lambda r: grade_label(r.grade_level), lambda r: r.grade_level, 60),
    Column("EL status", lambda r: r.english_learner_status, lambda r: r.english_learner_status,
           80),
    Column("Language", lambda r: LANGUAGES.get(r.home_language, r.home_language),
           lambda r: r.home_language, 90),
    Column("Birth date", lambda r: r.birth_date, lambda r: r.birth_date, 100),
    Column("Status", lambda r: r.status if r.status != "Withdrawn"
           else f"Withdrawn {r.exit_date}", lambda r: (r.status, r.exit_date), 160),
)

STATUSES = ("Enrolled", "Withdrawn", "Pending")
_ROOT = QModelIndex()
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_MUTED = QBrush(QColor("#6b7280"))
_PENDING = QBrush(QColor("#1d4ed8"))
_ITALIC = QFont()
_ITALIC.setItalic(True)


@dataclass(frozen=True)
class RosterFilter:
    text: str = ""
    grade: int | None = None
    english_learner_status: str | None = None
    # None: everyone; otherwise one of STATUSES ("Enrolled" includes pending enrollments)
    status: str | None = "Enrolled"

    def keeps(self, row: RosterRow) -> bool:
        if self.grade is not None and row.grade_level != self.grade:
            return False
        if self.english_learner_status and row.english_learner_status != \
                self.english_learner_status:
            return False
        if self.status == "Enrolled" and row.status == "Withdrawn":
            return False
        if self.status in ("Withdrawn", "Pending") and row.status != self.status:
            return False
        return True


class RosterModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[tuple[RosterRow, tuple[str, ...]]] = []
        self._visible: list[tuple[RosterRow, tuple[str, ...]]] = []
        self._filter = RosterFilter()
        self._sort: tuple[int, Qt.SortOrder] = (1, Qt.SortOrder.AscendingOrder)

    # --- content

    def set_rows(self, rows: list[RosterRow]) -> None:
        self._all = [(r, tuple(c.text(r) for c in COLUMNS)) for r in rows]
        self._sort_all()
        self._refilter()

    @property
    def sort_order(self) -> tuple[int, Qt.SortOrder]:
        return self._sort

    @staticmethod
    def prepare(rows: list[RosterRow], sort: tuple[int, Qt.SortOrder]
                ) -> list[tuple[RosterRow, tuple[str, ...]]]:
        """Rows with their cell texts, sorted: the costly part of showing a
        whole roster (130 ms for 5,000 students), done off the GUI thread."""
        column, order = sort
        key = COLUMNS[column].sort_key
        pairs = [(r, tuple(c.text(r) for c in COLUMNS)) for r in rows]
        pairs.sort(key=lambda pair: key(pair[0]), reverse=order == Qt.SortOrder.DescendingOrder)
        return pairs

    def set_prepared(self, pairs: list[tuple[RosterRow, tuple[str, ...]]],
                     sort: tuple[int, Qt.SortOrder]) -> None:
        self._all = pairs
        if sort != self._sort:  # the person sorted meanwhile
            self._sort_all()
        self._refilter()

    def replace_rows(self, student_ids: set[str], rows: list[RosterRow]) -> None:
        """Some students changed: their rows are replaced (or go, when the
        cache no longer has them), the rest stay as they are."""
        fresh = {r.student_id: (r, tuple(c.text(r) for c in COLUMNS)) for r in rows}
        kept = [pair for pair in self._all if pair[0].student_id not in student_ids]
        self._all = kept + list(fresh.values())
        self._sort_all()
        self._refilter()

    def mark_pending(self, student_id: str) -> bool:
        """Show a student's row as changed here and not yet confirmed (at once,
        before the edit is written)."""
        for i, (row, _texts) in enumerate(self._all):
            if row.student_id == student_id:
                pending = replace(row, status="Pending")
                self._all[i] = (pending, tuple(c.text(pending) for c in COLUMNS))
                self._refilter()
                return True
        return False

    def pending_ids(self) -> set[str]:
        return {r.student_id for r, _texts in self._all if r.status == "Pending"}

    def set_filter(self, f: RosterFilter) -> None:
        if f != self._filter:
            self._filter = f
            self._refilter()

    @property
    def filter(self) -> RosterFilter:
        return self._filter

    def _refilter(self) -> None:
        f = self._filter
        words = f.text.lower().split()
        # _all is kept sorted, so the filtered list comes out in order.
        visible = [pair for pair in self._all
                   if all(w in pair[0].search_key for w in words) and f.keeps(pair[0])]
        self.beginResetModel()
        self._visible = visible
        self.endResetModel()

    def _sort_all(self) -> None:
        column, order = self._sort
        key = COLUMNS[column].sort_key
        self._all.sort(key=lambda pair: key(pair[0]),
                       reverse=order == Qt.SortOrder.DescendingOrder)

    def row_at(self, row: int) -> RosterRow:
        return self._visible[row][0]

    def visible_rows(self) -> list[RosterRow]:
        return [pair[0] for pair in self._visible]

    def visible_texts(self) -> list[tuple[str, ...]]:
        return [pair[1] for pair in self._visible]

    def total(self) -> int:
        return len(self._all)

    def row_of(self, student_id: str) -> int | None:
        for i, (r, _) in enumerate(self._visible):
            if r.student_id == student_id:
                return i
        return None

    # --- Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if role == DISPLAY:
            return self._visible[index.row()][1][index.column()]
        if role == FOREGROUND:
            status = self._visible[index.row()][0].status
            return _PENDING if status == "Pending" else _MUTED if status == "Withdrawn" else None
        if role == FONT:
            return _ITALIC if self._visible[index.row()][0].status == "Pending" else None
        if role == ALIGN and index.column() == 3:
            return _CENTER
        if role == TOOLTIP and index.column() == 7 and \
                self._visible[index.row()][0].status == "Pending":
            return "Saved on this workstation; the district server hasn't confirmed it yet"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self._sort_all()
        self._refilter()
