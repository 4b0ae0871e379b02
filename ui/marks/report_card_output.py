"""Report cards and transcripts onto paper, into a PDF or a preview, for the
report cards screen (ui/marks/report_cards.py), which keeps the buttons, the
progress bar and the status line.

A batch's PDF is written off the GUI thread (`write_cards_pdf`, a TaskRunner
op) through reports.pdf_file: under a temporary name, renamed when whole,
deleted when cancelled. A printer (QPrinter) is painted off the GUI thread
too (`print_cards`), stopping between cards on Cancel. What went out is
recorded as printed by `record_as_printed`, one `report_card.printed` per
card, a few each turn of the event loop.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QPagedPaintDevice, QPdfWriter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QWidget

from domain import clock
from domain.documents import CardDocument, TranscriptDocument
from domain.report_cards import MarkingPeriod
from local_store import report_cards as documents
from local_store.store import LocalStore
from reports.pdf_file import write_pdf
from reports.report_card import paint_report_cards
from reports.transcript import paint_transcript
from ui.common.edits import QueueEdit
from ui.common.tasks import Task

# Recording cards as printed (1-2 ms each) yields to the event loop this often.
RECORD_TURN_S = 0.04


@dataclass(frozen=True)
class Batch:
    """What to print: these students' cards for one marking period."""

    period: MarkingPeriod
    student_ids: tuple[str, ...]
    label: str


def _tracked(cards: Iterable[Any], into: list[str]) -> Iterator[Any]:
    for card in cards:
        into.append(card.student_id)
        yield card


def _now_utc() -> str:
    return clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_part(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(part for part in keep.split("-") if part) or "batch"


def ask_pdf_path(parent: QWidget, caption: str, prefix: str, name: str) -> str | None:
    """Where to save a PDF, from a file dialog suggesting `prefix-name.pdf`
    in the home folder; None if the person cancelled."""
    suggested = Path.home() / f"{prefix}-{_file_part(name)}.pdf"
    path, _ = QFileDialog.getSaveFileName(parent, caption, str(suggested), "PDF (*.pdf)")
    return path or None


# --- previews


def _preview(parent: QWidget, title: str, paint: Callable[[QPagedPaintDevice], object], *,
             doc_name: str = "") -> QPrintPreviewDialog:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if doc_name:
        printer.setDocName(doc_name)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(title)
    dialog.printer_ref = printer  # type: ignore[attr-defined]  # the dialog doesn't own it
    dialog.paintRequested.connect(paint)
    dialog.resize(1100, 760)
    return dialog


def cards_preview(parent: QWidget, batch: Batch,
                  cards: Sequence[CardDocument]) -> QPrintPreviewDialog:
    """A preview of the batch's cards, not yet open. Its Print button prints,
    then accepts the dialog."""
    return _preview(parent, f"Report cards — {batch.label}",
                    lambda p: paint_report_cards(p, cards),
                    doc_name=f"Report cards, {batch.label}")


def transcript_preview(parent: QWidget, name: str,
                       doc: TranscriptDocument) -> QPrintPreviewDialog:
    """A preview of one student's transcript, not yet open."""
    return _preview(parent, f"Transcript — {name}", lambda p: paint_transcript(p, doc))


# --- PDF, off the GUI thread (TaskRunner ops: they touch no widget)


def write_cards_pdf(task: Task, store: LocalStore, batch: Batch, target: Path,
                    today: str) -> tuple[str, int, list[str]]:
    """The batch's cards into one PDF at `target`, with progress, stopping
    when the task is cancelled (`reports.pdf_file.Cancelled`): its path, the
    pages, and the students whose card is in it."""
    total = len(batch.student_ids)
    done: list[str] = []

    def progress(n: int) -> None:
        task.progress("Writing report cards", n, total)

    def paint(writer: QPdfWriter) -> int:
        cards = documents.card_documents(store, batch.period.id,
                                         list(batch.student_ids), on=today)
        return paint_report_cards(writer, _tracked(cards, done), progress=progress,
                                  cancelled=lambda: task.cancelled)
    pages = write_pdf(target, paint, title=f"Report cards, {batch.label}",
                      cancelled=lambda: task.cancelled)
    return str(target), pages, done


def write_transcript_pdf(store: LocalStore, student_id: str, target: Path, today: str) -> str:
    """One student's transcript into a PDF at `target`; its path."""
    doc = documents.transcript_document(store, student_id, on=today)
    write_pdf(target, lambda writer: paint_transcript(writer, doc), title="Transcript")
    return str(target)


# --- printer, off the GUI thread too (QPainter may paint on a QPrinter there)


@dataclass
class PrintRun:
    """What a print run sent: `sent[:pages]` went to the printer, unless the
    job was `withdrawn` (dropped by the print system on cancel)."""

    pages: int = 0
    sent: list[str] = field(default_factory=list)
    withdrawn: bool = False


def print_cards(printer: QPrinter, store: LocalStore, batch: Batch, today: str, *,
                progress: Callable[[int], None],
                cancel_asked: Callable[[], bool]) -> PrintRun:
    """Paint the batch onto `printer` (on a worker thread: QPainter may paint
    on a QPrinter outside the GUI thread, and the window stays free). Once
    `cancel_asked()`, the job is withdrawn where the print system can, and
    painting stops. If painting fails, the job is aborted and the error raised."""
    run = PrintRun()

    def painted(n: int) -> None:
        progress(n)

    def cancelled() -> bool:
        if cancel_asked() and not run.withdrawn:
            run.withdrawn = printer.abort()  # where the print system can drop the job
        return cancel_asked()

    try:
        cards = documents.card_documents(store, batch.period.id, list(batch.student_ids),
                                         on=today)
        run.pages = paint_report_cards(printer, _tracked(cards, run.sent), progress=painted,
                                       cancelled=cancelled)
    except Exception:
        printer.abort()
        raise
    return run


# --- recording what was printed


def record_as_printed(queue_edit: QueueEdit, period_id: str, student_ids: Sequence[str], *,
                      context: QObject, progress: Callable[[int, int], None],
                      finished: Callable[[int, int], None]) -> None:
    """One `report_card.printed` per card, some each turn of the event loop
    (5,000 take seconds, timed on `context`): `progress(recorded, total)`
    after each turn, `finished(recorded, total)` after the last. Recording
    stops early when `queue_edit` doesn't save one (it has said why)."""
    todo, printed_at = list(student_ids), _now_utc()
    recorded, total = 0, len(todo)

    def step() -> None:
        nonlocal recorded
        turn_ends = time.monotonic() + RECORD_TURN_S
        while recorded < len(todo) and time.monotonic() < turn_ends:
            sid = todo[recorded]
            if queue_edit("report_card.printed", {
                    "print_id": f"rcp-{uuid.uuid4()}", "student_id": sid,
                    "marking_period_id": period_id, "printed_at": printed_at}) is None:
                del todo[recorded:]  # not saved, and queue_edit has said why
                break
            recorded += 1
        progress(recorded, total)
        if recorded < len(todo):
            QTimer.singleShot(0, context, step)
            return
        finished(recorded, total)
    step()
