"""A read-only table of text rows: the shape every list and report shares."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

_ROOT = QModelIndex()
_DISPLAY = Qt.ItemDataRole.DisplayRole


class RowsModel(QAbstractTableModel):
    """Headers and rows of strings; sorting sorts the list itself (no proxy)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers: list[str] = []
        self.rows: list[tuple[str, ...]] = []
        self.keys: list[tuple[Any, ...]] = []

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.beginResetModel()
        self.headers = list(headers)
        self.keys = [tuple(_sort_key(v) for v in r) for r in rows]
        self.rows = [tuple("" if v is None else str(v) for v in r) for r in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.headers):
            return  # "unsorted": keep the order the rows came in
        pairs = sorted(zip(self.keys, self.rows), key=lambda p: p[0][column],
                       reverse=order == Qt.SortOrder.DescendingOrder)
        self.beginResetModel()
        self.keys = [k for k, _ in pairs]
        self.rows = [r for _, r in pairs]
        self.endResetModel()


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, "" if value is None else str(value).lower())
