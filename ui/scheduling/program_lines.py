"""The program editor's tables and findings: the rows of a student's program
and of the sections that could go in a period, worked out once from the
cache's rows (never in `data()`), the model that shows them, and the panel
that lists what the checks found.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QFrame, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from domain.scheduling import BLOCK, OVERRIDE, Catalog, Entry, Finding, Term
from local_store.scheduling.master_schedule import MasterRow
from local_store.scheduling.program import ProgramRow
from widgets.naming import named

NO_CLASS = "— no class —"
_ROOT = QModelIndex()

# What a line of a table is: a class now or later this term, a class that
# ended (dropped, swapped), an empty period the grade needs, an empty
# optional period; a candidate section with room, or a full one.
CLASS, UPCOMING, ENDED, GAP, FREE = "class", "upcoming", "ended", "gap", "free"
OPEN, FULL = "open", "full"

FINDING_STYLES = {
    BLOCK: ("Can't save", "color: #7f1d1d; background: #fef2f2; border: 1px solid #f87171;"),
    OVERRIDE: ("Needs a reason", "color: #78350f; background: #fff7e0; "
                                 "border: 1px solid #e0b44c;"),
}
WARN_STYLE = ("Note", "color: #1f3a5f; background: #eef3fb; border: 1px solid #a9bfdc;")


@dataclass(frozen=True)
class Line:
    """One row of a table, its texts worked out once (never in `data()`)."""

    kind: str
    texts: tuple[str, ...]
    period: int = 0
    entry_id: str = ""
    section_id: str = ""
    tooltip: str = ""


class LinesModel(QAbstractTableModel):
    """Fixed headers over a list of `Line`s, styled by their kind."""

    def __init__(self, headers: Sequence[str], parent=None):
        super().__init__(parent)
        self.headers = list(headers)
        self.lines: list[Line] = []
        grey, muted = QBrush(QColor("#9ca3af")), QBrush(QColor("#6b7280"))
        red = QBrush(QColor("#b45309"))
        italic = QFont()
        italic.setItalic(True)
        struck = QFont()
        struck.setStrikeOut(True)
        self._foreground = {ENDED: grey, FREE: muted, GAP: red, FULL: red}
        self._background = {GAP: QBrush(QColor("#fff4d6"))}
        self._font = {GAP: italic, FREE: italic, UPCOMING: italic, ENDED: struck}

    def set_lines(self, lines: Sequence[Line]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return line.texts[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground.get(line.kind)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background.get(line.kind)
        if role == Qt.ItemDataRole.FontRole:
            return self._font.get(line.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.tooltip or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None


# ------------------------------------------------------------ the program


def program_lines(rows: Sequence[ProgramRow], catalog: Catalog, *, periods: Sequence[int],
                  required_periods: int, term: Term | None, day: str,
                  show_ended: bool) -> list[Line]:
    """The program of one term by period: its classes (and, if asked, those
    that ended), an empty row where a period has no class."""
    first, last = (term.start_date, term.end_date) if term else (day, day)
    by_period: dict[int, list[Line]] = {p: [] for p in periods}
    ended: dict[int, list[Line]] = {}
    for r in rows:
        section = catalog.sections.get(r.section_id)
        if section is None:
            continue
        span = catalog.span(section)
        if span[0] > last or span[1] < first:
            continue  # another term's
        start, end = catalog.entry_span(Entry(r.entry_id, "", r.section_id, r.begin_date,
                                              r.end_date))
        year_long = catalog.course_of(section).duration == "year"
        texts = (str(r.period), r.course_title, r.section_number, r.teacher, r.room,
                 "Full year" if year_long else r.term, r.begin_date, r.end_date or "")
        if start <= day <= end:
            kind, tip = CLASS, ""
        elif day < start <= min(end, last):
            kind, tip = UPCOMING, f"Begins {start}"
        elif start > end or end < day:
            if end < first and start <= end:
                continue  # ended before this term began: an earlier term's history
            kind, tip = ENDED, (f"Dropped: last day in class {r.end_date}" if r.end_date
                                else "Ended")
        else:
            continue
        line = Line(kind, texts, r.period, r.entry_id, r.section_id, tip)
        (ended if kind == ENDED else by_period).setdefault(r.period, []).append(line)
    out = []
    for period in sorted(set(by_period) | set(ended)):
        current = by_period.get(period, [])
        if current:
            out += current
        else:
            needed = period <= required_periods
            out.append(Line(
                GAP if needed else FREE, (str(period), NO_CLASS, "", "", "", "", "", ""), period,
                tooltip=(f"No class in period {period}: this grade needs periods "
                         f"1–{required_periods}. Add one (Ins)." if needed
                         else f"Period {period} is free (not required for this grade).")))
        if show_ended:
            out += sorted(ended.get(period, []), key=lambda x: x.texts[7])
    return out


def candidate_lines(rows: Sequence[MasterRow], catalog: Catalog, *, period: int, day: str,
                    exclude_section: str = "") -> list[Line]:
    """The sections meeting in a period on a day, with room first."""
    out = []
    for r in rows:
        section = catalog.sections.get(r.section_id)
        if r.period != period or r.section_id == exclude_section or section is None:
            continue
        start, end = catalog.span(section)
        if not start <= day <= end:
            continue
        full = r.enrolled >= r.capacity
        size = f"{r.enrolled}/{r.capacity}" + (" full" if full else "")
        out.append(Line(FULL if full else OPEN,
                        (r.course_title, r.section_number, r.teacher, r.room, size),
                        r.period, section_id=r.section_id,
                        tooltip=f"{r.course_code} · {r.term}" + (" · full" if full else "")))
    out.sort(key=lambda x: (x.kind == FULL, x.texts[0].lower(), x.texts[1]))
    return out


class FindingsPanel(QFrame):
    """What the checks found, one coloured line each, the worst first."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("findings")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.labels: list[QLabel] = []

    def set_findings(self, findings: Sequence[Finding], *, empty_text: str = "") -> None:
        for label in self.labels:
            self.layout_.removeWidget(label)
            label.hide()
            label.deleteLater()
        self.labels = []
        order = {BLOCK: 0, OVERRIDE: 1}
        for f in sorted(findings, key=lambda f: order.get(f.severity, 2)):
            prefix, style = FINDING_STYLES.get(f.severity, WARN_STYLE)
            label = named(QLabel(f"<b>{prefix}:</b> {_escape(f.message)}"),
                          f"finding_{f.severity}")
            label.setWordWrap(True)
            label.setStyleSheet(style + " border-radius: 4px; padding: 5px 7px;")
            label.setProperty("check", f.check)
            self.labels.append(label)
            self.layout_.addWidget(label)
            label.show()  # at once, not when the layout gets round to it
        if not findings and empty_text:
            label = named(QLabel(empty_text), "finding_none")
            label.setWordWrap(True)
            label.setStyleSheet("color: #15803d; padding: 5px 7px;")
            self.labels.append(label)
            self.layout_.addWidget(label)

    def texts(self) -> list[str]:
        return [label.text() for label in self.labels]


def stretch_column(view: QTableView, stretch: int) -> None:
    """The course name takes the room left: no sideways scrolling."""
    view.horizontalHeader().setStretchLastSection(False)
    header = view.horizontalHeader()
    for column in range(view.model().columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch
                                    if column == stretch
                                    else QHeaderView.ResizeMode.ResizeToContents)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
