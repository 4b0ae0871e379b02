"""Drawing printed pages as lists of operations, for the report card and
the transcript (reports/report_card.py, reports/transcript.py).

A page is laid out first into drawing operations (text at a point, a line,
a filled rectangle), then painted with plain QPainter calls, so the same
layout serves print preview, the printer and PDF, and a test can check that
nothing lies outside the page. `Sheet` holds one device's page and its fonts
(`Face`), made once and reused across a batch.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import QLineF, QMarginsF, QPointF, QRectF, Qt
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

FONT_FAMILY = "DejaVu Sans"
NARROW_FAMILY = "DejaVu Sans Condensed"  # table cells: more of a title fits
MIN_POINTS = 7.0  # the smallest type a page is ever set in
MARGIN_MM = 12.7

INK = QColor("#111111")
GREY = QColor("#555555")
RULE = QColor("#9ca3af")
STRIPE = QColor("#f3f4f6")

# Drawing operations: (TEXT, font, color, x, baseline, text),
# (LINE, color, x1, y1, x2, y2), (FILL, color, x, y, width, height).
TEXT, LINE, FILL = 0, 1, 2
Op = tuple[Any, ...]


class Face:
    """A font on one device, with its metrics and remembered widths."""

    def __init__(self, device: QPagedPaintDevice, points: float, *, bold: bool = False,
                 family: str = FONT_FAMILY) -> None:
        self.font = QFont(family)
        self.font.setPointSizeF(points)
        self.font.setBold(bold)
        self.points = points
        self.metrics = QFontMetricsF(self.font, device)
        self.ascent = self.metrics.ascent()
        self.height = self.metrics.height()
        self._widths: dict[str, float] = {}
        self._elided: dict[tuple[str, int], str] = {}

    def width(self, text: str) -> float:
        w = self._widths.get(text)
        if w is None:
            w = self._widths[text] = self.metrics.horizontalAdvance(text)
        return w

    def elide(self, text: str, width: float) -> str:
        if self.width(text) <= width:
            return text
        key = (text, int(width))
        out = self._elided.get(key)
        if out is None:
            out = self._elided[key] = self.metrics.elidedText(
                text, Qt.TextElideMode.ElideRight, width)
        return out


class Sheet:
    """One device's page and type, in its own units (`pt` of them make a point)."""

    def __init__(self, device: QPagedPaintDevice) -> None:
        self.device = device
        self.pt = device.logicalDpiY() / 72.0
        rect = device.pageLayout().paintRectPixels(device.logicalDpiY())
        self.width, self.height = float(rect.width()), float(rect.height())
        self._faces: dict[tuple[float, bool, str], Face] = {}

    def face(self, points: float, *, bold: bool = False, narrow: bool = False) -> Face:
        key = (points, bold, NARROW_FAMILY if narrow else FONT_FAMILY)
        face = self._faces.get(key)
        if face is None:
            face = self._faces[key] = Face(self.device, points, bold=bold, family=key[2])
        return face


def set_letter(device: QPagedPaintDevice, orientation: QPageLayout.Orientation =
               QPageLayout.Orientation.Portrait) -> None:
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), orientation,
                                     QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))


def text_op(face: Face, x: float, top: float, height: float, text: str, *,
            width: float | None = None, align: str = "left", color: QColor = INK) -> Op:
    """`text` centred vertically in a line box; cut short with "…" to `width`."""
    if width is not None:
        text = face.elide(text, width)
        if align == "right":
            x += width - face.width(text)
        elif align == "center":
            x += (width - face.width(text)) / 2
    return (TEXT, face.font, color, x, top + (height - face.height) / 2 + face.ascent, text)


def fitting_face(sheet: Sheet, text: str, width: float, points: float, *, bold: bool = False,
                 narrow: bool = False, floor: float = MIN_POINTS) -> Face:
    """The largest face from `points` down to `floor` (never below MIN_POINTS)
    in which `text` fits `width`; the caller cuts short what still doesn't."""
    floor = max(floor, MIN_POINTS)
    while True:
        face = sheet.face(points, bold=bold, narrow=narrow)
        if face.width(text) <= width or points <= floor:
            return face
        points = max(floor, points - 0.5)


def wrap(face: Face, text: str, width: float) -> list[str]:
    """Words onto lines no wider than `width` (a lone long word keeps its line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and face.width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def paint_ops(painter: QPainter, ops: Iterable[Op]) -> None:
    """Plain QPainter calls for a page's operations."""
    font = color = None
    rule = painter.device().logicalDpiY() / 144  # lines half a point wide
    for op in ops:
        kind = op[0]
        if kind == TEXT:
            if op[1] is not font:
                font = op[1]
                painter.setFont(font)
            if op[2] is not color:
                color = op[2]
                painter.setPen(color)
            painter.drawText(QPointF(op[3], op[4]), op[5])
        elif kind == LINE:
            if op[1] is not color:
                color = op[1]
                painter.setPen(QPen(color, rule, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
            painter.drawLine(QLineF(op[2], op[3], op[4], op[5]))
        else:
            painter.fillRect(QRectF(op[2], op[3], op[4], op[5]), op[1])


def paint_pages(device: QPagedPaintDevice, pages: Iterable[Sequence[Op]], *,
                progress: Callable[[int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> int:
    """Each page's operations onto its own page; returns the pages painted."""
    painter = QPainter(device)
    count = 0
    try:
        for ops in pages:
            if cancelled is not None and cancelled():
                break
            if count:
                device.newPage()
            paint_ops(painter, ops)
            count += 1
            if progress is not None:
                progress(count)
    finally:
        painter.end()
    return count
