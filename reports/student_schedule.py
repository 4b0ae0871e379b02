"""A student's schedule on one page: what the counselor hands the student.

One page always, whatever the program holds: the rows share the room the
page has, and the type shrinks (down to a readable minimum) before any row
is left off. Drawing goes through QPainter onto any paged device, so the
same code serves print preview, the printer and PDF. Empty periods are
printed as such, so a gap in the day is seen on paper too.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    QPdfWriter,
    QPen,
)

from domain import clock
from domain.codes import grade_label

FONT_FAMILY = "DejaVu Sans"
NO_CLASS = "— no class —"
HEADERS = ("Period", "Time", "Course", "Section", "Teacher", "Room")
# Share of the table's width per column (course and teacher take the most).
WIDTHS = (0.09, 0.15, 0.36, 0.10, 0.19, 0.11)
BODY_PT, MIN_BODY_PT = 10.5, 6.5

_INK = QColor("#111111")
_GREY = QColor("#6b7280")
_RULE = QColor("#9ca3af")
_STRIPE = QColor("#f3f4f6")
_EMPTY = QColor("#fff7e0")


@dataclass(frozen=True)
class ScheduleStudent:
    name: str  # as printed: "Last, First"
    student_id: str  # the district's student number
    grade: int
    counselor: str = ""


@dataclass(frozen=True)
class ScheduleRow:
    """One printed line; an empty `course` is a period without a class."""

    period: int
    times: str = ""
    course: str = ""
    section: str = ""
    teacher: str = ""
    room: str = ""
    note: str = ""  # "from 2026-12-01", "until 2026-12-18": a class not there all term

    @property
    def empty(self) -> bool:
        return not self.course


def rows_by_period(bell_periods: Iterable[dict[str, Any]], classes: Iterable[ScheduleRow]
                   ) -> list[ScheduleRow]:
    """Every bell period in order with its classes, an empty row where there
    are none; the bell's times fill in each row's `times`."""
    times = {int(p["number"]): f"{p['start_time']}–{p['end_time']}" for p in bell_periods}
    by_period: dict[int, list[ScheduleRow]] = {p: [] for p in times}
    for row in classes:
        by_period.setdefault(row.period, []).append(row)
    out = []
    for period in sorted(by_period):
        found = by_period[period] or [ScheduleRow(period)]
        out += [ScheduleRow(r.period, times.get(period, r.times), r.course, r.section,
                            r.teacher, r.room, r.note) for r in found]
    return out


def write_student_schedule_pdf(path: str | Path, *, school: str, student: ScheduleStudent,
                               term: str, rows: Sequence[ScheduleRow],
                               printed: dt.date | None = None) -> int:
    """The schedule as a PDF file (Letter, portrait); returns the page count (1)."""
    writer = QPdfWriter(str(path))
    writer.setResolution(300)
    writer.setTitle(f"Schedule — {student.name}")
    writer.setCreator("MiSiS")
    pages = paint_student_schedule(writer, school=school, student=student, term=term, rows=rows,
                                   printed=printed)
    del writer  # finishes the file
    return pages


def paint_student_schedule(device: QPagedPaintDevice, *, school: str, student: ScheduleStudent,
                           term: str, rows: Sequence[ScheduleRow],
                           printed: dt.date | None = None) -> int:
    """Paint the schedule onto `device` (a QPrinter or QPdfWriter): one page."""
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(18, 16, 18, 16), QPageLayout.Unit.Millimeter))
    painter = QPainter(device)
    try:
        _paint(painter, school, student, term, list(rows), printed or clock.today())
    finally:
        painter.end()
    return 1


def _font(points: float, *, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(FONT_FAMILY)
    font.setPointSizeF(points)
    font.setBold(bold)
    font.setItalic(italic)
    return font


def _height(painter: QPainter, font: QFont) -> float:
    painter.setFont(font)
    return QFontMetricsF(painter.fontMetrics()).height()


def _text(painter: QPainter, rect: QRectF, text: str, font: QFont, *,
          color: QColor = _INK, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
    """One line in `rect`: a long text gets smaller type (down to
    MIN_BODY_PT) before it is cut short."""
    painter.setFont(font)
    painter.setPen(color)
    metrics = QFontMetricsF(painter.fontMetrics())
    if metrics.horizontalAdvance(text) > rect.width():
        smaller = QFont(font)
        while (metrics.horizontalAdvance(text) > rect.width()
               and smaller.pointSizeF() - 0.5 >= MIN_BODY_PT):
            smaller.setPointSizeF(smaller.pointSizeF() - 0.5)
            painter.setFont(smaller)
            metrics = QFontMetricsF(painter.fontMetrics())
    painter.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter),
                     metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()))


def _paint(painter: QPainter, school: str, student: ScheduleStudent, term: str,
           rows: list[ScheduleRow], printed: dt.date) -> None:
    page = QRectF(painter.viewport())
    left, width = page.left(), page.width()
    y = page.top()
    # The school, then what this is.
    big = _font(16, bold=True)
    line = _height(painter, big) * 1.25
    _text(painter, QRectF(left, y, width, line), school, big)
    y += line
    sub = _font(12)
    line = _height(painter, sub) * 1.4
    _text(painter, QRectF(left, y, width, line), f"Student schedule — {term}", sub, color=_GREY)
    y += line
    painter.setPen(QPen(_RULE, 0))
    painter.drawLine(QLineF(left, y, page.right(), y))
    y += line * 0.5
    # Who it is for.
    label, value = _font(9.5), _font(11.5, bold=True)
    line = _height(painter, value) * 1.45
    half = width / 2
    block = (("Student", student.name, "Student ID", student.student_id),
             ("Grade", grade_label(student.grade), "Counselor", student.counselor or "—"))
    label_w = width * 0.14
    for a, a_value, b, b_value in block:
        _text(painter, QRectF(left, y, label_w, line), a, label, color=_GREY)
        _text(painter, QRectF(left + label_w, y, half - label_w, line), a_value, value)
        _text(painter, QRectF(left + half, y, label_w, line), b, label, color=_GREY)
        _text(painter, QRectF(left + half + label_w, y, half - label_w, line), b_value, value)
        y += line
    y += line * 0.6
    # The footer's place is kept; the table has the rest.
    foot = _font(8.5)
    foot_h = _height(painter, foot) * 1.6
    bottom = page.bottom() - foot_h
    _table(painter, QRectF(left, y, width, bottom - y), rows)
    painter.setPen(QPen(_RULE, 0))
    painter.drawLine(QLineF(left, bottom + foot_h * 0.2, page.right(), bottom + foot_h * 0.2))
    _text(painter, QRectF(left, bottom + foot_h * 0.25, width, foot_h * 0.75),
          f"Printed {printed.isoformat()}", foot, color=_GREY)
    _text(painter, QRectF(left, bottom + foot_h * 0.25, width, foot_h * 0.75),
          "Please see your counselor about any change.", foot, color=_GREY,
          align=Qt.AlignmentFlag.AlignRight)


def _table(painter: QPainter, area: QRectF, rows: list[ScheduleRow]) -> None:
    # The largest type at which every row (and the heading) fits the area.
    points = BODY_PT
    while True:
        body_h = _height(painter, _font(points))
        row_h = body_h * (2.3 if points >= 9 else 1.6)
        if row_h * (len(rows) + 1) <= area.height() or points <= MIN_BODY_PT:
            break
        points -= 0.5
    shown = rows
    fits = max(1, int(area.height() // row_h) - 1)
    if len(rows) > fits:  # never onto a second page: say what was left off
        shown = rows[:fits - 1] + [ScheduleRow(rows[fits - 1].period,
                                               course=f"and {len(rows) - fits + 1} more")]
    body, bold = _font(points), _font(min(points, 9.5), bold=True)
    note_font = _font(max(points - 2, 6), italic=True)
    empty_font = _font(points, italic=True)
    xs = [area.left()]
    for share in WIDTHS:
        xs.append(xs[-1] + area.width() * share)
    pad = area.width() * 0.008
    y = area.top()
    for i, header in enumerate(HEADERS):
        _text(painter, QRectF(xs[i] + pad, y, xs[i + 1] - xs[i] - 2 * pad, row_h), header, bold)
    y += row_h
    painter.setPen(QPen(_INK, 0))
    painter.drawLine(QLineF(area.left(), y, area.right(), y))
    previous = None
    for n, row in enumerate(shown):
        cell = QRectF(area.left(), y, area.width(), row_h)
        if row.empty:
            painter.fillRect(cell, _EMPTY)
        elif n % 2:
            painter.fillRect(cell, _STRIPE)
        same_period = row.period == previous
        texts = ("" if same_period else str(row.period), "" if same_period else row.times)
        for i, text in enumerate(texts):
            _text(painter, QRectF(xs[i] + pad, y, xs[i + 1] - xs[i] - 2 * pad, row_h), text,
                  body)
        if row.empty:
            _text(painter, QRectF(xs[2] + pad, y, xs[3] - xs[2] - 2 * pad, row_h), NO_CLASS,
                  empty_font, color=_GREY)
        else:
            course_rect = QRectF(xs[2] + pad, y, xs[3] - xs[2] - 2 * pad, row_h)
            if row.note and row_h < body_h * 2:  # no room for a second line
                _text(painter, course_rect, f"{row.course} ({row.note})", body)
            elif row.note:
                upper = QRectF(course_rect.left(), y, course_rect.width(), row_h * 0.62)
                lower = QRectF(course_rect.left(), y + row_h * 0.5, course_rect.width(),
                               row_h * 0.45)
                _text(painter, upper, row.course, body)
                _text(painter, lower, row.note, note_font, color=_GREY)
            else:
                _text(painter, course_rect, row.course, body)
            for i, text in ((3, row.section), (4, row.teacher), (5, row.room)):
                _text(painter, QRectF(xs[i] + pad, y, xs[i + 1] - xs[i] - 2 * pad, row_h),
                      text, body)
        y += row_h
        previous = row.period
        painter.setPen(QPen(_RULE, 0))
        painter.drawLine(QLineF(area.left(), y, area.right(), y))
