"""The course requests screen's table models, tallies, placements and entry rules
(beside course_requests.py, as students/roster_model.py is beside students/roster.py).

`make_tallies` runs off the GUI thread: it touches no widget. The entry
rules say, before anything is queued, what the server would refuse.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QTableView

from domain.loader import CourseInfo, CourseTally, Request, tally_requests
from domain.scheduling import Course
from local_store.scheduling.course_requests import RequestDemand, RequestedCourse
from widgets.rows_table import RowsModel

_DISPLAY = Qt.ItemDataRole.DisplayRole
_AMBER_TEXT = QBrush(QColor("#92400e"))
_AMBER_BACK = QBrush(QColor("#fef3c7"))
_MUTED = QBrush(QColor("#9ca3af"))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_BOLD = QFont()
_BOLD.setBold(True)


class Shortfall(int):
    """Sections still to add (positive) or to spare (negative); sorts as a number."""

    def __str__(self) -> str:
        n = int(self)
        return f"+{n} needed" if n > 0 else "enough" if n == 0 else f"{-n} spare"


class TallyModel(RowsModel):
    """The tallies: counts right-aligned, zeros muted, a shortfall in amber."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.first_number = 3
        self.shortfall_column = -1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        row, column = index.row(), index.column()
        if role == _DISPLAY:
            return self.rows[row][column]
        if column < self.first_number:
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT
        short = column == self.shortfall_column and self.keys[row][column][1] > 0
        if role == Qt.ItemDataRole.ForegroundRole:
            return _AMBER_TEXT if short else _MUTED if self.rows[row][column] == "0" else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return _AMBER_BACK if short else None
        if role == Qt.ItemDataRole.FontRole:
            return _BOLD if short else None
        return None


class ReadingModel(RowsModel):
    """Rows with long texts (reasons) shown whole in a tooltip."""

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.rows[index.row()][index.column()]
            return text if len(text) > 40 else None
        return None


@dataclass(frozen=True)
class TallyTable:
    """What the tallies tab shows for one target class size."""

    target: int
    grades: tuple[int, ...]
    tallies: list[CourseTally]
    outside: dict[str, int]  # course id -> requests the course's grades don't admit
    sections: dict[str, int]  # course id -> sections already in that year's schedule
    requests: int
    students: int

    @property
    def short(self) -> list[CourseTally]:
        return [t for t in self.tallies if t.sections_needed > self.sections.get(t.course_id, 0)]

    def headers(self) -> list[str]:
        """The tallies tab's columns; the shortfall is the last."""
        grades = [f"Gr {g}" for g in self.grades]
        return ["Code", "Course", "Department", *grades, "Total", "Outside\ngrades",
                "Sections\nneeded", "In master\nschedule", "Difference"]

    def rows(self) -> list[tuple[Any, ...]]:
        """A course a row, under `headers()`."""
        rows = []
        for t in self.tallies:
            have = self.sections.get(t.course_id, 0)
            rows.append((t.code, t.title, t.department,
                         *(t.by_grade.get(g, 0) for g in self.grades), t.students,
                         self.outside.get(t.course_id, 0), t.sections_needed, have,
                         Shortfall(t.sections_needed - have)))
        return rows


def make_tallies(demand: RequestDemand, target: int) -> TallyTable:
    """The domain's tally (`tally_requests`) of the cache's requests."""
    requests = [Request(*r) for r in demand.requests]
    courses = {c[0]: CourseInfo(*c) for c in demand.courses}
    outside: Counter[str] = Counter(r.course_id for r in requests if r.course_id in courses
                                    and not courses[r.course_id].admits(r.grade_level))
    tallies = tally_requests(requests, courses, target)
    grades = tuple(sorted(set(demand.grades).union(*(t.by_grade for t in tallies))))
    return TallyTable(target, grades, tallies, dict(outside), demand.sections, demand.rows,
                      len({r.student_id for r in requests}))


# --- on screen


def fit_columns(view: QTableView) -> None:
    """Columns as wide as their contents, except the last, which takes the room left."""
    for column in range(view.model().columnCount() - 1):
        view.resizeColumnToContents(column)


# --- on paper and in spreadsheets

# Short names on paper, where the title says what the columns count.
_PAPER_NAMES = {"Sections\nneeded": "Needed", "In master\nschedule": "Scheduled"}


def flat(headers: list[str]) -> list[str]:
    """Headers on one line, for paper and spreadsheets."""
    return [_PAPER_NAMES.get(h, h.replace("\n", " ")) for h in headers]


def output_rows(model: RowsModel) -> list[tuple[Any, ...]]:
    """The model's rows with counts as numbers (a spreadsheet can add them up)."""
    return [tuple(k[1] if k[0] == 0 and type(k[1]) in (int, float) else text
                  for k, text in zip(keys, row)) for keys, row in zip(model.keys, model.rows)]


# --- a student's requests, placed or not


def request_rows(requested: Sequence[RequestedCourse], student_id: str,
                 result: dict[str, Any] | None) -> list[tuple[Any, ...]]:
    """The requests table's rows: each request's section, or why the loader's last
    answer (`result`, None before it runs) did not place it."""
    unfilled = {(u["student_id"], u["course_id"]): u["reason"]
                for u in (result or {}).get("unfilled", [])}
    placed_any = any(r.section_id for r in requested)
    out = []
    for r in requested:
        section = ""
        if r.section_id:
            section = f"period {r.period} · section {r.section_number}" \
                + (f" · {r.teacher}" if r.teacher else "") \
                + (f" · {r.term}" if r.duration == "semester" else "")
        out.append((r.rank, r.course_code, r.course_title, section,
                    _placement(r, unfilled.get((student_id, r.course_id)), result, placed_any)))
    return out


def _placement(r: RequestedCourse, reason: str | None,
               result: dict[str, Any] | None, placed_any: bool) -> str:
    if r.section_id:
        return "Placed"
    if reason:
        return f"Not placed: {reason}"
    if result is None:
        return "Not loaded yet"
    if placed_any:
        return "Not placed: the loader leaves students who already have classes that year"
    if result.get("applied"):
        return "Placed on the server; the section shows after the next sync"
    return "Would be placed (dry run)"


# --- entering a student's requests

MAX_REQUESTS = 12  # as the server has it (district_server/services/mutations/schedule_edits.py)


def choice_text(course: Course) -> str:
    """How a course is offered in the entry line's completer."""
    return f"{course.code} — {course.title}"


def grades_text(course: Course) -> str:
    return (f"grade {course.grade_min}" if course.grade_min == course.grade_max
            else f"grades {course.grade_min}–{course.grade_max}")


def find_course(text: str, courses: Sequence[Course], *,
                among: Sequence[Course] | None = None) -> Course | list[Course]:
    """The course typed: a completer choice, a code or a title (any case) of
    any course; or else the one course of `among` (all, by default) whose
    choice holds every word typed. Several, or none: the list of them."""
    typed = " ".join(text.split()).casefold()
    if not typed:
        return []
    for c in courses:
        if typed in (choice_text(c).casefold(), c.code.casefold(), c.title.casefold()):
            return c
    words = typed.split()
    found = [c for c in (courses if among is None else among)
             if all(w in choice_text(c).casefold() for w in words)]
    return found[0] if len(found) == 1 else found


def next_rank(ranks: Iterable[int]) -> int | None:
    """The rank a new request takes: after the last, or the first one free."""
    taken = set(ranks)
    after = max(taken, default=0) + 1
    if after <= MAX_REQUESTS:
        return after
    return next((r for r in range(1, MAX_REQUESTS + 1) if r not in taken), None)


def refusal(course: Course, grade: int, requested: Sequence[RequestedCourse]
            ) -> str | None:
    """Why the course can't be added to these requests (None: it can)."""
    if any(r.course_id == course.id or r.course_title.casefold() == course.title.casefold()
           for r in requested):
        return f"{course.title} is already among this student's requests."
    if len(requested) >= MAX_REQUESTS or next_rank(r.rank for r in requested) is None:
        return f"This student already has {MAX_REQUESTS} requests, the most there can be."
    if not course.admits(grade):
        return (f"{course.title} is for {grades_text(course)}; this student will be in "
                f"grade {grade}, so the loader could not place it.")
    return None
