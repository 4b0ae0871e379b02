"""Printing a list (roster, absence lists) through Qt's painting system.

The same `paint_table` serves print preview, the printer and PDF. Columns
get widths in proportion to their content; the header repeats on every
page, with the page number and the time it was printed in the footer.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMarginsF, QRectF, Qt
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

_STRIPE = QColor("#f3f4f6")


def _column_widths(metrics: QFontMetricsF, bold: QFontMetricsF, headers: Sequence[str],
                   rows: Sequence[Sequence[str]], total: float) -> list[float]:
    sample = rows[:400]
    pad = metrics.averageCharWidth() * 3
    natural = [max([bold.horizontalAdvance(h)] +
                   [metrics.horizontalAdvance(str(r[i])) for r in sample]) + pad
               for i, h in enumerate(headers)]
    scale = min(1.0, total / sum(natural)) if natural else 1.0
    widths = [w * scale for w in natural]
    spare = total - sum(widths)
    if spare > 0 and widths:
        widths[-1] += spare
    return widths


def paint_table(device: QPagedPaintDevice, *, title: str, headers: Sequence[str],
                rows: Sequence[Sequence[str]], subtitle: str = "") -> int:
    """Paint the table onto `device` (a QPrinter or QPdfWriter); returns the page count."""
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Landscape,
                                     QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter))
    painter = QPainter(device)
    try:
        return _paint(painter, device, title, subtitle, headers, rows)
    finally:
        painter.end()


def _paint(painter: QPainter, device: QPagedPaintDevice, title: str, subtitle: str,
           headers: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    page = QRectF(painter.viewport())
    body = QFont("DejaVu Sans", 8)
    bold = QFont(body)
    bold.setBold(True)
    heading = QFont("DejaVu Sans", 13)
    heading.setBold(True)
    painter.setFont(bold)
    bold_metrics = QFontMetricsF(painter.fontMetrics())
    painter.setFont(body)
    # The painter's metrics are in the device's units (a printer's dots).
    metrics = QFontMetricsF(painter.fontMetrics())
    line = metrics.height() * 1.35
    widths = _column_widths(metrics, bold_metrics, headers, rows, page.width())
    printed = clock.now_local().strftime("%Y-%m-%d %H:%M")
    footer_h = line * 1.5
    pages = 1
    y = _page_head(painter, page, heading, bold, title, subtitle, headers, widths, line, metrics)
    for n, row in enumerate(rows):
        if y + line > page.bottom() - footer_h:
            _footer(painter, page, body, pages, printed, line)
            device.newPage()
            pages += 1
            y = _page_head(painter, page, heading, bold, title, subtitle, headers, widths, line,
                           metrics)
        if n % 2:
            painter.fillRect(QRectF(page.left(), y, page.width(), line), _STRIPE)
        painter.setFont(body)
        x = page.left()
        for text, width in zip(row, widths):
            painter.drawText(QRectF(x + 4, y, width - 8, line),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                             metrics.elidedText(str(text), Qt.TextElideMode.ElideRight, width - 8))
            x += width
        y += line
    _footer(painter, page, body, pages, printed, line)
    return pages


def _page_head(painter, page, heading, bold, title, subtitle, headers, widths, line, metrics):
    painter.setFont(heading)
    y = page.top()
    painter.drawText(QRectF(page.left(), y, page.width(), line * 1.6),
                     int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), title)
    y += line * 1.7
    if subtitle:
        painter.setFont(bold)
        painter.drawText(QRectF(page.left(), y, page.width(), line),
                         int(Qt.AlignmentFlag.AlignLeft), subtitle)
        y += line
    painter.setFont(bold)
    x = page.left()
    for text, width in zip(headers, widths):
        painter.drawText(QRectF(x + 4, y, width - 8, line),
                         int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text)
        x += width
    y += line
    painter.setPen(QPen(Qt.GlobalColor.black, 0))
    painter.drawLine(page.left(), y, page.right(), y)
    return y + line * 0.2


def _footer(painter, page, font, number, printed, line):
    painter.setFont(font)
    painter.drawText(QRectF(page.left(), page.bottom() - line, page.width(), line),
                     int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                     f"Printed {printed} — page {number}")
