"""A teacher's class list: who is in the section, numbered, with blank boxes to tick.

Drawn with QPainter onto any paged device, so print preview, the printer
and a PDF share one code path. A class of 40 always fits on one page: the
rows shrink to fit 40 before a list runs onto a second page. Several
sections (all of a teacher's classes) each start on a page of their own.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from PySide6.QtCore import QLineF, QMarginsF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
)

from domain import clock
from domain.codes import grade_label

FONT_FAMILY = "DejaVu Sans"
ROWS_THAT_MUST_FIT = 40
TICK_COLUMNS = 8

_INK = QColor("#111111")
_GREY = QColor("#4b5563")
_RULE = QColor("#9ca3af")
_STRIPE = QColor("#f3f4f6")
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)


@dataclass(frozen=True)
class ClassList:
    """One section's list. `students` are mappings with last_name, first_name,
    district_student_id and grade_level (what
    local_store.scheduling.master_schedule.class_list gives)."""

    section_title: str
    teacher: str
    room: str
    period: int | str
    term: str
    students: Sequence[Mapping[str, Any]] = field(default_factory=list)


def paint_class_list(device: QPagedPaintDevice, *, school: str, section_title: str,
                     teacher: str, room: str, period: int | str, term: str,
                     students: Sequence[Mapping[str, Any]], as_of: str = "") -> int:
    """Paint one section's class list onto `device`; returns the page count."""
    return paint_class_lists(device, school=school, as_of=as_of, classes=[
        ClassList(section_title, teacher, room, period, term, students)])


def paint_class_lists(device: QPagedPaintDevice, *, school: str,
                      classes: Sequence[ClassList], as_of: str = "") -> int:
    """Paint several class lists, each starting on a new page; returns the page count."""
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 14, 15, 12), QPageLayout.Unit.Millimeter))
    painter = QPainter(device)
    try:
        sheet = _Sheet(painter, school, as_of)
        pages = 0
        for n, one in enumerate(classes or [ClassList("", "", "", "", "")]):
            if n:
                device.newPage()
            pages += sheet.paint(device, one)
        return pages
    finally:
        painter.end()


class _Sheet:
    """Fonts and measures for one device, in its own units (a printer's dots)."""

    def __init__(self, painter: QPainter, school: str, as_of: str):
        self.p = painter
        self.school = school
        self.as_of = as_of
        self.printed = clock.now_local().strftime("%Y-%m-%d %H:%M")
        self.page = QRectF(painter.viewport())
        self.body = QFont(FONT_FAMILY, 9)
        self.small = QFont(FONT_FAMILY)
        self.small.setPointSizeF(7.5)
        self.bold = QFont(self.body)
        self.bold.setBold(True)
        self.title = QFont(FONT_FAMILY, 13)
        self.title.setBold(True)
        self.heading = QFont(FONT_FAMILY, 11)
        self.heading.setBold(True)
        painter.setFont(self.body)
        self.metrics = QFontMetricsF(painter.fontMetrics())
        self.line = self.metrics.height()
        w = self.page.width()
        # #, student, id, grade, then the boxes the teacher ticks.
        self.number_w = self.metrics.horizontalAdvance("000") + self.line * 1.2
        self.id_w = self.metrics.horizontalAdvance("0000000000") + self.line
        self.grade_w = self.metrics.horizontalAdvance("Grade") + self.line
        self.tick_w = self.line * 1.55
        self.name_w = w - self.number_w - self.id_w - self.grade_w - self.tick_w * TICK_COLUMNS

    # --- one section

    def paint(self, device: QPagedPaintDevice, one: ClassList) -> int:
        top = self._head_height()
        footer = self.line * 1.6
        room_for_rows = self.page.bottom() - footer - (self.page.top() + top) - self.line * 1.4
        row_h = min(self.line * 1.55, room_for_rows / ROWS_THAT_MUST_FIT)
        per_page = max(1, int(room_for_rows / row_h + 1e-6))
        pages = max(1, ceil(len(one.students) / per_page))
        for page in range(pages):
            if page:
                device.newPage()
            y = self._head(one, page, pages)
            y = self._column_heads(y)
            chunk = one.students[page * per_page:(page + 1) * per_page]
            for i, student in enumerate(chunk):
                self._row(y, page * per_page + i + 1, student, row_h, i % 2 == 1)
                y += row_h
            self._footer(one, page + 1, pages)
        return pages

    def _head_height(self) -> float:
        return self.line * 6.6

    def _head(self, one: ClassList, page: int, pages: int) -> float:
        p, r, line = self.p, self.page, self.line
        y = r.top()
        p.setPen(_INK)
        p.setFont(self.title)
        p.drawText(QRectF(r.left(), y, r.width() * 0.7, line * 1.7), _LEFT, self.school)
        p.drawText(QRectF(r.left(), y, r.width(), line * 1.7), _RIGHT, "Class list")
        y += line * 1.9
        p.setPen(QPen(_RULE, 0))
        p.drawLine(QLineF(r.left(), y, r.right(), y))
        y += line * 0.4
        p.setPen(_INK)
        p.setFont(self.heading)
        title = one.section_title + ("  (continued)" if page else "")
        p.drawText(QRectF(r.left(), y, r.width(), line * 1.5), _LEFT, title)
        y += line * 1.5
        p.setFont(self.body)
        period = f"Period {one.period}" if isinstance(one.period, int) else str(one.period)
        facts = "     ".join(x for x in (f"Teacher: {one.teacher}" if one.teacher else "",
                                         f"Room: {one.room}" if one.room else "",
                                         period, one.term) if x)
        p.drawText(QRectF(r.left(), y, r.width(), line * 1.2), _LEFT, facts)
        y += line * 1.2
        count = len(one.students)
        p.setPen(_GREY)
        p.drawText(QRectF(r.left(), y, r.width(), line * 1.2), _LEFT,
                   f"{count} {'student' if count == 1 else 'students'}"
                   + (f" enrolled on {self.as_of}" if self.as_of else ""))
        p.setPen(_INK)
        return r.top() + self._head_height()

    def _column_heads(self, y: float) -> float:
        p, r, h = self.p, self.page, self.line * 1.4
        p.setFont(self.bold)
        x = r.left()
        for text, width, align in (("#", self.number_w, _RIGHT), ("Student", self.name_w, _LEFT),
                                   ("Student ID", self.id_w, _LEFT),
                                   ("Grade", self.grade_w, _CENTER)):
            self._cell(text, x, y, width, h, align)
            x += width
        p.setPen(QPen(_RULE, 0))
        for _ in range(TICK_COLUMNS):
            p.drawRect(QRectF(x, y, self.tick_w, h))
            x += self.tick_w
        p.setPen(QPen(_INK, 0))
        p.drawLine(QLineF(r.left(), y + h, r.right(), y + h))
        return y + h

    def _row(self, y: float, number: int, student: Mapping[str, Any], h: float,
             striped: bool) -> None:
        p, r, m = self.p, self.page, self.metrics
        if striped:
            p.fillRect(QRectF(r.left(), y, r.width() - self.tick_w * TICK_COLUMNS, h), _STRIPE)
        p.setPen(_INK)
        p.setFont(self.body)
        name = f"{student.get('last_name', '')}, {student.get('first_name', '')}".strip(", ")
        grade = student.get("grade_level")
        cells = ((str(number), self.number_w, _RIGHT),
                 (m.elidedText(name, Qt.TextElideMode.ElideRight, self.name_w - self.line * 0.7),
                  self.name_w, _LEFT),
                 (str(student.get("district_student_id") or "(new)"), self.id_w, _LEFT),
                 (grade_label(grade) if isinstance(grade, int) else str(grade or ""),
                  self.grade_w, _CENTER))
        x = r.left()
        for text, width, align in cells:
            self._cell(text, x, y, width, h, align)
            x += width
        p.setPen(QPen(_RULE, 0))
        for _ in range(TICK_COLUMNS):
            p.drawRect(QRectF(x, y, self.tick_w, h))
            x += self.tick_w
        p.drawLine(QLineF(r.left(), y + h, r.right() - self.tick_w * TICK_COLUMNS, y + h))

    def _cell(self, text: str, x: float, y: float, width: float, h: float, align: int) -> None:
        pad = self.line * 0.35
        self.p.drawText(QRectF(x + pad, y, width - 2 * pad, h), align, text)

    def _footer(self, one: ClassList, number: int, pages: int) -> None:
        p, r, line = self.p, self.page, self.line
        p.setPen(_GREY)
        p.setFont(self.small)
        box = QRectF(r.left(), r.bottom() - line, r.width(), line)
        p.drawText(box, _LEFT, f"{one.section_title} — printed {self.printed}")
        p.drawText(box, _RIGHT, f"Page {number} of {pages}")
        p.setPen(_INK)
