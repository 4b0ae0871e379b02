"""The master schedule's table model: the sections of a term, filtered and
sorted in Python.

../shared/MEASURED.md: a QSortFilterProxyModel calls Python `data()` for
every comparison; filtering and sorting the list inside the model and
resetting it costs a millisecond a keystroke over ~1,900 sections. `data()`
answers from texts computed once per row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from local_store.scheduling.master_schedule import MasterRow

DISPLAY = Qt.ItemDataRole.DisplayRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
# "full", "over" or "": how a section stands against its capacity.
SEATS_ROLE = Qt.ItemDataRole.UserRole + 1


def seats_state(row: MasterRow) -> str:
    if row.enrolled > row.capacity:
        return "over"
    return "full" if row.enrolled == row.capacity else ""


def seats_left(row: MasterRow) -> int | str:
    left = row.capacity - row.enrolled
    return left if left > 0 else "Full" if left == 0 else f"Over by {-left}"


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[MasterRow], Any]  # what is shown, exported and printed
    sort_key: Callable[[MasterRow], Any]
    width: int
    numeric: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("Period", lambda r: r.period, lambda r: r.period, 70, True),
    Column("Course code", lambda r: r.course_code, lambda r: r.course_code.lower(), 100),
    Column("Course title", lambda r: r.course_title, lambda r: r.course_title.lower(), 230),
    Column("Department", lambda r: r.department, lambda r: r.department.lower(), 170),
    Column("Section", lambda r: r.section_number, lambda r: r.section_number, 70),
    Column("Teacher", lambda r: r.teacher, lambda r: r.teacher.lower(), 150),
    Column("Room", lambda r: r.room, lambda r: r.room.lower(), 80),
    Column("Term", lambda r: r.term, lambda r: r.term_id, 100),
    Column("Enrolled", lambda r: r.enrolled, lambda r: r.enrolled, 75, True),
    Column("Capacity", lambda r: r.capacity, lambda r: r.capacity, 75, True),
    Column("Seats left", seats_left, lambda r: r.capacity - r.enrolled, 90, True),
)
PERIOD, TITLE, ENROLLED, SEATS = 0, 2, 8, 10

_ROOT = QModelIndex()
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_FILL = {"full": QBrush(QColor("#fde68a")), "over": QBrush(QColor("#fca5a5"))}
_INK = {"full": QBrush(QColor("#78350f")), "over": QBrush(QColor("#7f1d1d"))}


@dataclass(frozen=True)
class SectionFilter:
    text: str = ""
    department: str | None = None
    period: int | None = None
    teacher_id: str | None = None

    def keeps(self, row: MasterRow, words: list[str]) -> bool:
        if self.department is not None and row.department != self.department:
            return False
        if self.period is not None and row.period != self.period:
            return False
        if self.teacher_id is not None and row.teacher_id != self.teacher_id:
            return False
        if words:
            haystack = f"{row.course_code} {row.course_title}".lower()
            return all(w in haystack for w in words)
        return True


@dataclass
class _Line:
    row: MasterRow
    values: tuple[Any, ...]
    texts: tuple[str, ...]
    state: str
    order: int  # the position master_schedule gave it: ties keep it


class SectionsModel(QAbstractTableModel):
    """The sections of a term; filtered and sorted lists, answered from precomputed texts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[_Line] = []
        self._visible: list[_Line] = []
        self._filter = SectionFilter()
        self._sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_rows(self, rows: list[MasterRow]) -> None:
        lines = []
        for n, r in enumerate(rows):
            values = tuple(c.value(r) for c in COLUMNS)
            lines.append(_Line(r, values, tuple(str(v) for v in values), seats_state(r), n))
        self._all = lines
        self._sort_all()
        self._refilter()

    def set_filter(self, f: SectionFilter) -> None:
        if f != self._filter:
            self._filter = f
            self._refilter()

    def _refilter(self) -> None:
        f, words = self._filter, self._filter.text.lower().split()
        visible = [line for line in self._all if f.keeps(line.row, words)]
        self.beginResetModel()
        self._visible = visible
        self.endResetModel()

    def _sort_all(self) -> None:
        column, order = self._sort
        key = COLUMNS[column].sort_key
        self._all.sort(key=lambda line: line.order)
        self._all.sort(key=lambda line: key(line.row),
                       reverse=order == Qt.SortOrder.DescendingOrder)

    # --- reading

    def all_rows(self) -> list[MasterRow]:
        return [line.row for line in self._all]

    def visible_rows(self) -> list[MasterRow]:
        return [line.row for line in self._visible]

    def visible_values(self) -> list[tuple[Any, ...]]:
        return [line.values for line in self._visible]

    def row_at(self, row: int) -> MasterRow:
        return self._visible[row].row

    def row_of(self, section_id: str) -> int | None:
        return next((i for i, line in enumerate(self._visible)
                     if line.row.section_id == section_id), None)

    def total(self) -> int:
        return len(self._all)

    # --- Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if role == DISPLAY:
            return self._visible[index.row()].texts[index.column()]
        if role == ALIGN:
            return _CENTER if index.column() == PERIOD else \
                _RIGHT if COLUMNS[index.column()].numeric else None
        if role in (BACKGROUND, FOREGROUND):
            state = self._visible[index.row()].state
            if state and index.column() in (ENROLLED, SEATS):
                return (_FILL if role == BACKGROUND else _INK)[state]
            return None
        if role == SEATS_ROLE:
            return self._visible[index.row()].state
        if role == TOOLTIP and index.column() == SEATS:
            r = self._visible[index.row()].row
            state = self._visible[index.row()].state
            if state == "over":
                return f"Over capacity: {r.enrolled} students in {r.capacity} seats"
            if state == "full":
                return f"Full: all {r.capacity} seats taken"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self._sort_all()
        self._refilter()

