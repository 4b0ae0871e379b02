"""The attendance sheet's table model: students, their recorded marks, and the
marks the clerk has set but not yet submitted."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from domain.codes import ATTENDANCE_CODE_BY_CODE, grade_label
from domain.records import attendance_mark_id
from local_store.queries import SheetRow

DISPLAY = Qt.ItemDataRole.DisplayRole
EDIT = Qt.ItemDataRole.EditRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
FONT = Qt.ItemDataRole.FontRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole

_ROOT = QModelIndex()
_COLORS = {"absent": QBrush(QColor("#fde2e1")), "tardy": QBrush(QColor("#fef3c7")),
           "tardy_long": QBrush(QColor("#fde68a")), "suspension": QBrush(QColor("#ede9fe")),
           "activity": QBrush(QColor("#dbeafe")), "study": QBrush(QColor("#dbeafe"))}
_BOLD = QFont()
_BOLD.setBold(True)

STUDENT, STUDENT_ID, GRADE, SECTION, MARK, LATE, NOTE = range(7)
HEADERS = ("Student", "Student ID", "Grade", "Section", "Mark", "Late (min)", "Note")


@dataclass(frozen=True)
class Staged:
    """A mark set on the sheet and not yet submitted."""
    code: str
    minutes_late: int | None = None
    note: str = ""


def mark_label(code: str | None) -> str:
    if code is None:
        return ""
    known = ATTENDANCE_CODE_BY_CODE.get(code)
    return f"{code} — {known.label}" if known else code


class AttendanceSheetModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[SheetRow] = []
        self.staged: dict[tuple[str, str], Staged] = {}
        # Saved by the clerk and on their way into the cache (the writer lane
        # may be busy with a sync): shown as saved at once, by mark id.
        self.saving: dict[tuple[str, str], tuple[str, Staged]] = {}
        self.section_numbers: dict[str, str] = {}
        self.daily = False
        self.date = ""

    def load(self, rows: list[SheetRow], section_numbers: dict[str, str],
             staged: dict[tuple[str, str], Staged] | None = None, *, date: str = "",
             daily: bool = False) -> None:
        self.beginResetModel()
        self.rows = rows
        self.section_numbers = section_numbers
        self.staged = dict(staged or {})
        self.saving = {}  # the cache's rows are the truth now
        self.date, self.daily = date, daily
        self.endResetModel()

    @staticmethod
    def key(row: SheetRow) -> tuple[str, str]:
        return (row.student_id, row.section_id)

    def mark_id(self, row: SheetRow) -> str:
        if self.daily:
            return attendance_mark_id(row.student_id, None, self.date, 0)
        return attendance_mark_id(row.student_id, row.section_id, self.date, row.period)

    def mark_ids(self) -> set[str]:
        return {self.mark_id(r) for r in self.rows}

    def save_staged(self, sent: set[tuple[str, str]]) -> list[int]:
        """The staged marks were handed to be saved: those `sent` show as
        saved now (before the cache has them), the others (nothing to send:
        present with nothing on record) go back to what is on record."""
        changed = []
        for i, r in enumerate(self.rows):
            staged = self.staged.pop(self.key(r), None)
            if staged is not None:
                if self.key(r) in sent:
                    self.saving[self.key(r)] = (self.mark_id(r), staged)
                changed.append(i)
        self.staged.clear()
        for i in changed:
            self.dataChanged.emit(self.index(i, 0), self.index(i, NOTE))
        return changed

    def show_saving(self, marks: dict[str, dict]) -> None:
        """Marks on their way into the cache (by mark id): the rows they
        belong to show them now, as saved."""
        changed = []
        for i, r in enumerate(self.rows):
            m = marks.get(self.mark_id(r))
            if m is None:
                continue
            self.staged.pop(self.key(r), None)
            self.saving[self.key(r)] = (self.mark_id(r), Staged(
                m["code"], m.get("minutes_late"), m.get("note") or ""))
            changed.append(i)
        if changed:  # one signal: each call into Qt may wait for the GIL
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), NOTE))

    def update_rows(self, rows: list[SheetRow], written: frozenset[str] | None) -> None:
        """Fresh rows for the same sheet: marks the cache now holds (`written`,
        None for all) stop showing as being saved; only rows that differ repaint."""
        self.saving = {k: v for k, v in self.saving.items()
                       if written is not None and v[0] not in written}
        on_record = {self.key(r): Staged(r.code, r.minutes_late, r.note) for r in rows if r.code}
        # Marks the cache already holds as drawn need no drawing (their own
        # write's news may have come merged into a larger one).
        self.saving = {k: v for k, v in self.saving.items() if on_record.get(k) != v[1]}
        if [self.key(r) for r in rows] != [self.key(r) for r in self.rows]:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()
            return
        old, self.rows = self.rows, rows
        for i, (before, after) in enumerate(zip(old, rows, strict=True)):
            if before != after:
                self.dataChanged.emit(self.index(i, 0), self.index(i, NOTE))

    # --- what the clerk does

    def set_mark(self, row: int, code: str, *, minutes_late: int | None = None,
                 note: str | None = None) -> None:
        r = self.rows[row]
        current = self.effective(r)
        self.staged[self.key(r)] = Staged(
            code, minutes_late if minutes_late is not None else
            (current.minutes_late if current and current.code == code else None),
            note if note is not None else (current.note if current else ""))
        self.dataChanged.emit(self.index(row, 0), self.index(row, NOTE))

    def set_minutes_late(self, row: int, minutes: int | None) -> None:
        current = self.effective(self.rows[row])
        if current is None or ATTENDANCE_CODE_BY_CODE[current.code].category not in (
                "tardy", "tardy_long"):
            return
        code = current.code
        if code in ("T", "L") and minutes is not None:
            code = "L" if minutes >= 30 else "T"  # the code follows the minutes
        self.set_mark(row, code, minutes_late=minutes)

    def set_note(self, row: int, note: str) -> None:
        current = self.effective(self.rows[row])
        self.set_mark(row, current.code if current else "P", note=note)

    def mark_all_present(self) -> int:
        """Every student without a mark is present; returns how many were set."""
        count = 0
        for r in self.rows:
            if self.effective(r) is None:
                self.staged[self.key(r)] = Staged("P")
                count += 1
        if count:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, NOTE))
        return count

    # --- reading

    def effective(self, r: SheetRow) -> Staged | None:
        staged = self.staged.get(self.key(r))
        if staged is not None:
            return staged
        saving = self.saving.get(self.key(r))
        if saving is not None:
            return saving[1]
        return Staged(r.code, r.minutes_late, r.note) if r.code else None

    def changes(self) -> dict[str, list[tuple[SheetRow, Staged]]]:
        """Staged marks that differ from what is on record, by section."""
        out: dict[str, list[tuple[SheetRow, Staged]]] = {}
        for r in self.rows:
            staged = self.staged.get(self.key(r))
            if staged is None:
                continue
            recorded = Staged(r.code, r.minutes_late, r.note) if r.code else None
            if staged == recorded or (staged.code == "P" and recorded is None
                                      and not staged.note):
                continue  # present and nothing on record: nothing to send
            out.setdefault(r.section_id, []).append((r, staged))
        return out

    def pending_count(self) -> int:
        return sum(len(v) for v in self.changes().values())

    # --- Qt

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY) -> Any:
        if role not in (DISPLAY, EDIT, BACKGROUND, FONT, TOOLTIP):
            return None
        r = self.rows[index.row()]
        column = index.column()
        mark = self.effective(r)
        if role == BACKGROUND:
            if mark is None:
                return None
            return _COLORS.get(ATTENDANCE_CODE_BY_CODE[mark.code].category
                               if mark.code in ATTENDANCE_CODE_BY_CODE else "", None)
        if role == FONT:
            return _BOLD if column == MARK and self.key(r) in self.staged else None
        if role == TOOLTIP:
            if column == MARK and self.key(r) in self.staged:
                return "Set on this sheet, not yet submitted"
            if column == MARK and self.key(r) in self.saving:
                return "Saved; being written to this workstation"
            return None
        if column == STUDENT:
            return r.name
        if column == STUDENT_ID:
            return r.district_student_id
        if column == GRADE:
            return grade_label(r.grade_level)
        if column == SECTION:
            return self.section_numbers.get(r.section_id, "")
        if column == MARK:
            return mark_label(mark.code) if mark else ""
        if column == LATE:
            return "" if mark is None or mark.minutes_late is None else str(mark.minutes_late)
        return mark.note if mark else ""

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if role == DISPLAY and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (LATE, NOTE):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = EDIT) -> bool:
        if role != EDIT:
            return False
        if index.column() == NOTE:
            self.set_note(index.row(), str(value).strip())
            return True
        if index.column() == LATE:
            text = str(value).strip()
            if text and not text.isdigit():
                return False
            self.set_minutes_late(index.row(), int(text) if text else None)
            return True
        return False
