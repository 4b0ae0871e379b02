"""Report cards of the 5,000-student high school (Palisade Ridge, sch-1004) into one PDF.

    python bench/report_cards.py

Starts the demo district on a throwaway SQLite server and a clerk's
workstation loaded with the school, on a fixed school day
(tests/support/clock.py), then, for the latest marking period that had
ended by then:

* `read_s`: the cards' documents read from the cache
  (local_store.report_cards.card_documents, every student enrolled during
  the period);
* `pages_per_s`: reports.report_card.paint_report_cards into one QPdfWriter
  PDF, given the documents (layout, drawing and writing the file);
  `pages_per_s_with_reading` counts reading the documents too;
* `bare_pages_per_s`: the same page content (the same strings, lines and
  fills at the same places, laid out beforehand and not timed) drawn with
  bare QPainter calls into another PDF; `ratio_to_bare` = pages_per_s /
  bare_pages_per_s;
* `pdf_pages`: the pages of the produced PDF as pypdf counts them, which
  must equal `cards` (one page per card).

Targets: pages_per_s >= 50, ratio_to_bare >= 0.5. Prints `name=value` lines.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pypdf import PdfReader  # noqa: E402
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QPainter, QPdfWriter, QPen  # noqa: E402

from domain.documents import CardDocument  # noqa: E402
from local_store.report_cards import card_documents, latest_ended_marking_period  # noqa: E402
from reports.painting import LINE, TEXT  # noqa: E402
from reports.report_card import ReportCardPainter, paint_report_cards  # noqa: E402
from sync.workstation import Workstation  # noqa: E402
from tests.support.clock import SCHOOL_DAY  # noqa: E402
from tests.support.server import demo_workstation  # noqa: E402

SCHOOL = "sch-1004"
CLERK, PASSWORD = "clerk.1004", "demo-clerk-2026"


def _writer(path: Path) -> QPdfWriter:
    writer = QPdfWriter(str(path))
    writer.setCreator("MiSiS bench")
    return writer


def bare_drawing(docs: list[CardDocument], path: Path) -> tuple[int, float]:
    """The cards' pages laid out beforehand (not timed), then drawn with bare
    QPainter calls into a PDF: (pages, seconds to draw and write the file)."""
    writer = _writer(path)
    layout = ReportCardPainter(writer)  # sets the same page on the writer
    pages = [layout.layout(doc) for doc in docs]
    started = time.perf_counter()
    painter = QPainter(writer)
    rule = writer.logicalDpiY() / 144
    first = True
    for ops in pages:
        if not first:
            writer.newPage()
        first = False
        font = color = None
        for op in ops:
            if op[0] == TEXT:
                if op[1] is not font:
                    font = op[1]
                    painter.setFont(font)
                if op[2] is not color:
                    color = op[2]
                    painter.setPen(color)
                painter.drawText(QPointF(op[3], op[4]), op[5])
            elif op[0] == LINE:
                if op[1] is not color:
                    color = op[1]
                    painter.setPen(QPen(color, rule, Qt.PenStyle.SolidLine,
                                        Qt.PenCapStyle.FlatCap))
                painter.drawLine(QLineF(op[2], op[3], op[4], op[5]))
            else:
                painter.fillRect(QRectF(op[2], op[3], op[4], op[5]), op[1])
    painter.end()
    del writer  # finishes the file
    return len(pages), time.perf_counter() - started


def measure(data: Path, out: Path) -> dict[str, object]:
    ws = Workstation(data)
    ws.resume()  # the session kept at sign-in opens the encrypted cache
    store = ws.open_store()
    try:
        period = latest_ended_marking_period(store, on=SCHOOL_DAY.isoformat())
        assert period is not None, "no marking period has ended in the demo"
        started = time.perf_counter()
        docs = list(card_documents(store, period, on=SCHOOL_DAY.isoformat()))
        read_s = time.perf_counter() - started
    finally:
        store.close()
    cards_pdf, bare_pdf = out / "report_cards.pdf", out / "bare.pdf"
    writer = _writer(cards_pdf)
    started = time.perf_counter()
    pages = paint_report_cards(writer, docs)
    del writer  # finishes the file
    draw_s = time.perf_counter() - started
    bare_count, bare_s = bare_drawing(docs, bare_pdf)
    pdf_pages = len(PdfReader(cards_pdf).pages)
    bare_pages = len(PdfReader(bare_pdf).pages)
    assert pdf_pages == len(docs), f"{pdf_pages} pages for {len(docs)} cards"
    assert bare_pages == len(docs)
    pages_per_s = pages / draw_s
    bare_pages_per_s = bare_count / bare_s
    return {
        "marking_period": period,
        "cards": len(docs),
        "pages": pages,
        "max_classes_on_a_card": max(len(doc.card.lines) for doc in docs),
        "read_s": round(read_s, 2),
        "draw_s": round(draw_s, 2),
        "pages_per_s": round(pages_per_s, 1),
        "pages_per_s_with_reading": round(pages / (read_s + draw_s), 1),
        "bare_s": round(bare_s, 2),
        "bare_pages_per_s": round(bare_pages_per_s, 1),
        "ratio_to_bare": round(pages_per_s / bare_pages_per_s, 2),
        "pdf_pages": pdf_pages,
        "pdf_mb": round(cards_pdf.stat().st_size / 1e6, 1),
    }


def main() -> None:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="misis-bench-") as tmp:
        with demo_workstation(Path(tmp), CLERK, PASSWORD) as (_server, data):
            figures = measure(data, Path(tmp))
    for name, value in figures.items():
        print(f"{name}={value}")
    del app


if __name__ == "__main__":
    main()
