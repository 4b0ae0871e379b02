"""The marks-entry grid's model and cell editor: a section's students with
their saved marks, the marks typed but not yet saved, and a check of every
value against domain.grades before it reaches the grid."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from domain.grades import (
    ACADEMIC_MARKS,
    COMMENT_BY_CODE,
    CONDUCT_LABELS,
    CONDUCT_MARKS,
    MARK_LABELS,
    MAX_COMMENTS,
    InvalidMark,
    check_marks,
)
from local_store.grades import MarkSheetRow

DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
FONT = Qt.ItemDataRole.FontRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FOREGROUND = Qt.ItemDataRole.ForegroundRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole

STUDENT, STUDENT_ID, PREVIOUS, MARK, WORK_HABITS, COOPERATION, COMMENTS, IN_CLASS = range(8)
EDITABLE = (MARK, WORK_HABITS, COOPERATION, COMMENTS)
FIELDS = {MARK: "mark", WORK_HABITS: "work_habits", COOPERATION: "cooperation",
          COMMENTS: "comments"}
HEADERS = ("Student", "ID", "Previous", "Mark", "Work habits", "Cooperation", "Comments",
           "In class")
# How much each cell takes: "NM", one letter, three comment codes.
MAX_LENGTH = {MARK: 2, WORK_HABITS: 1, COOPERATION: 1, COMMENTS: 3 * 3 + 2}

_ROOT = QModelIndex()
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_UNSAVED = QBrush(QColor("#fef3c7"))
_QUIET = QBrush(QColor("#6b7280"))
_BOLD = QFont()
_BOLD.setBold(True)


def check_value(column: int, text: str) -> str:
    """A cell's value as stored ("" for none), or InvalidMark in
    domain.grades' words."""
    if column == MARK:
        return check_marks(text)[0]
    if column == WORK_HABITS:
        return check_marks("NM", work_habits=text)[1] or ""
    if column == COOPERATION:
        return check_marks("NM", cooperation=text)[2] or ""
    return check_marks("NM", comments=text)[3] or ""


def problem_while_typing(column: int, text: str) -> str:
    """What is wrong with a value being typed that no further typing can
    mend ("Q", "A+", "x", "99"), or "" while it can still become valid."""
    typed = text.strip().upper()
    if not typed:
        return ""
    allowed = ACADEMIC_MARKS if column == MARK else CONDUCT_MARKS if column in (
        WORK_HABITS, COOPERATION) else None
    if allowed is not None:
        if any(a.startswith(typed) for a in allowed):
            return ""
        return _refusal(column, text)
    codes = typed.replace(",", " ").split()
    finished = codes if text.endswith((" ", ",")) else codes[:-1]
    partial = "" if finished is codes else codes[-1]
    if any(c not in COMMENT_BY_CODE for c in finished) or len(codes) > MAX_COMMENTS or (
            partial and not any(c.startswith(partial) for c in COMMENT_BY_CODE)):
        return _refusal(column, text)
    return ""


def _refusal(column: int, text: str) -> str:
    try:
        check_value(column, text)
    except InvalidMark as exc:
        return str(exc)
    return ""


def describe(column: int, value: str) -> str:
    """A value in words, for a tooltip."""
    if column == MARK and value in MARK_LABELS:
        return f"{value} — {MARK_LABELS[value][0]}"
    if column in (WORK_HABITS, COOPERATION) and value in CONDUCT_LABELS:
        return f"{value} — {CONDUCT_LABELS[value][0]}"
    if column == COMMENTS:
        return "\n".join(f"{c} — {COMMENT_BY_CODE[c].en}" for c in value.split()
                         if c in COMMENT_BY_CODE)
    return value


class MarksSheetModel(QAbstractTableModel):
    """A section's students for one marking period and their marks.

    Signals:
        refused(str): a typed value was not taken; the text says what is allowed
        staged_changed(): the marks typed and not yet saved changed
    """

    refused = Signal(str)
    staged_changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[MarkSheetRow] = []
        # Typed and not yet saved: student id -> column -> value as stored.
        self.staged: dict[str, dict[int, str]] = {}
        self.previous_label = ""
        self.last_refused = False

    def load(self, rows: list[MarkSheetRow], *, previous_label: str = "",
             staged: dict[str, dict[int, str]] | None = None) -> None:
        """Show a sheet; `staged` (marks typed before a refresh) stays on top
        wherever it still differs from what is saved."""
        self.beginResetModel()
        self.rows = rows
        self.previous_label = previous_label
        self.staged = {}
        by_id = {r.student_id: r for r in rows}
        for student_id, values in (staged or {}).items():
            row = by_id.get(student_id)
            if row is None:
                continue
            kept = {c: v for c, v in values.items() if v != self.saved_value(row, c)}
            if kept:
                self.staged[student_id] = kept
        self.endResetModel()
        self.staged_changed.emit()

    # --- values

    @staticmethod
    def saved_value(row: MarkSheetRow, column: int) -> str:
        if row.saved is None:
            return ""
        return getattr(row.saved, FIELDS[column])

    def value(self, row: int, column: int) -> str:
        r = self.rows[row]
        staged = self.staged.get(r.student_id)
        if staged is not None and column in staged:
            return staged[column]
        return self.saved_value(r, column)

    def is_unsaved(self, row: int, column: int) -> bool:
        return column in self.staged.get(self.rows[row].student_id, {})

    def unsaved_count(self) -> int:
        return len(self.staged)

    def marked_count(self) -> int:
        return sum(1 for i in range(len(self.rows)) if self.value(i, MARK))

    def changed_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.rows) if r.student_id in self.staged]

    def row_values(self, row: int) -> dict[str, str]:
        """A row's marks as they would be saved (every field: a save replaces the record)."""
        return {FIELDS[c]: self.value(row, c) for c in EDITABLE}

    def discard(self, rows: list[int] | None = None) -> None:
        """Forget typed marks (of some rows, or all)."""
        if rows is None:
            self.staged.clear()
        else:
            for i in rows:
                self.staged.pop(self.rows[i].student_id, None)
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, IN_CLASS))
        self.staged_changed.emit()

    # --- Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        column = index.column()
        if role == DISPLAY or role == EDIT:
            r = self.rows[index.row()]
            if column in EDITABLE:
                return self.value(index.row(), column)
            if column == STUDENT:
                return r.name
            if column == STUDENT_ID:
                return r.district_student_id
            if column == PREVIOUS:
                return r.previous_mark
            return "   ".join(t for t in (r.joined and f"joined {r.joined}",
                                          r.left and f"left {r.left}") if t)
        if role == FONT:
            return _BOLD if column in EDITABLE and self.is_unsaved(index.row(), column) else None
        if role == BACKGROUND:
            return _UNSAVED if column in EDITABLE and self.is_unsaved(index.row(), column) \
                else None
        if role == ALIGN:
            return _CENTER if PREVIOUS <= column < COMMENTS else None
        if role == FOREGROUND:
            return _QUIET if column in (PREVIOUS, IN_CLASS) else None
        if role == TOOLTIP:
            if column in EDITABLE:
                text = describe(column, self.value(index.row(), column))
                if self.is_unsaved(index.row(), column):
                    text = (text + "\n" if text else "") + "Not saved yet (Ctrl+S saves)"
                return text or None
            if column == PREVIOUS and self.rows[index.row()].previous_mark:
                return describe(MARK, self.rows[index.row()].previous_mark)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == DISPLAY:
            if section == PREVIOUS:
                return self.previous_label or HEADERS[PREVIOUS]
            return HEADERS[section]
        if role == TOOLTIP:
            return {PREVIOUS: "The previous marking period's mark, for reference",
                    MARK: f"Type {', '.join(ACADEMIC_MARKS)}",
                    WORK_HABITS: "Type E, S or U", COOPERATION: "Type E, S or U",
                    COMMENTS: f"Up to {MAX_COMMENTS} comment codes, e.g. 01 07"}.get(section)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = EDIT) -> bool:
        """Take a typed value if it is a valid one; otherwise the cell keeps
        its value and `refused` says what is allowed."""
        column, row = index.column(), index.row()
        if role != EDIT or column not in EDITABLE or not 0 <= row < len(self.rows):
            return False
        text = "" if value is None else str(value)
        r = self.rows[row]
        try:
            if column == MARK and not text.strip() and not self.saved_value(r, MARK):
                new = ""  # nothing typed where nothing was saved: back to blank
            else:
                new = check_value(column, text)
        except InvalidMark as exc:
            self.last_refused = True
            self.refused.emit(str(exc))
            return False
        self.last_refused = False
        staged = self.staged.setdefault(r.student_id, {})
        if new == self.saved_value(r, column):
            staged.pop(column, None)
        else:
            staged[column] = new
        if not staged:
            del self.staged[r.student_id]
        self.dataChanged.emit(index, index)
        self.staged_changed.emit()
        return True


class MarkCellDelegate(QStyledItemDelegate):
    """A one-line editor that types in capitals, says at once when what is
    typed can't be a mark, and moves on with Enter, the arrows and Tab.

    Signals:
        advance(str): after a value was taken, move "down", "up", "next" or "previous"
        typing(int, str): the column and the text as it is being typed
    """

    advance = Signal(str)
    typing = Signal(int, str)

    _MOVES = {Qt.Key.Key_Return: "down", Qt.Key.Key_Enter: "down", Qt.Key.Key_Down: "down",
              Qt.Key.Key_Up: "up", Qt.Key.Key_Tab: "next", Qt.Key.Key_Backtab: "previous"}

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.editor: QLineEdit | None = None
        self._taken = True
        self.closeEditor.connect(self._forget)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        column = index.column()
        editor = QLineEdit(parent)
        editor.setObjectName("markEditor")
        editor.setMaxLength(MAX_LENGTH.get(column, 32))
        editor.setFrame(False)
        if column != COMMENTS:
            editor.setAlignment(Qt.AlignmentFlag.AlignCenter)

        def typed(text: str) -> None:
            if text != text.upper():
                position = editor.cursorPosition()
                editor.setText(text.upper())
                editor.setCursorPosition(position)
            bad = bool(problem_while_typing(column, text))
            editor.setStyleSheet("background: #fde2e1; color: #991b1b;" if bad else "")
            self.typing.emit(column, text)
        editor.textEdited.connect(typed)
        editor.destroyed.connect(self._forget)
        self.editor = editor
        return editor

    def _forget(self, *_args) -> None:
        self.editor = None

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setText(index.data(EDIT) or "")
        editor.selectAll()  # typing replaces, as in a spreadsheet

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        if editor.isModified() or editor.text() != (index.data(EDIT) or ""):
            self._taken = model.setData(index, editor.text().strip(), EDIT)

    def commit_and_close(self, move: str = "") -> None:
        """Commit what the open editor holds (if any), close it, then move."""
        editor = self.editor
        if editor is None:
            return
        self._taken = True
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
        self.editor = None
        if move and self._taken:  # a refused value keeps the cursor on its cell
            self.advance.emit(move)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and watched is self.editor:
            assert isinstance(event, QKeyEvent)
            move = self._MOVES.get(Qt.Key(event.key()))
            if move is not None and not event.modifiers() & (
                    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                self.commit_and_close(move)
                return True
        return super().eventFilter(watched, event)
