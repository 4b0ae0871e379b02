"""Report cards and transcripts, printed at the school: one student or a batch
(a grade, a homeroom, a counselor's caseload, the whole school) into one PDF,
onto the printer or into a preview, with progress and cancel.

A PDF is written off the GUI thread to a temporary name and renamed when it
is whole; a cancelled one is deleted. A printer (QPrinter) is painted off
the GUI thread too, stopping between cards on Cancel. What went out is
recorded as printed (`report_card.printed`, one per card), and a card
whose marks changed after it was printed is listed for reprinting.

What the screen chooses from is read by local_store.report_cards; the
writing, printing and recording are in ui/marks/report_card_output.py.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.report_cards import MarkingPeriod
from local_store import report_cards as documents
from local_store.report_cards import (
    Reprint,
    SchoolFacts,
    cards_to_reprint,
    load_facts,
    students_with_a_card,
)
from local_store.store import LocalStore
from reports.pdf_file import Cancelled
from ui.common import messages
from ui.common.edits import QueueEdit
from ui.common.screen import Offers, Screen
from ui.common.tasks import Task, TaskRunner
from ui.marks.report_card_output import (
    Batch,
    PrintRun,
    ask_pdf_path,
    cards_preview,
    print_cards,
    record_as_printed,
    transcript_preview,
    write_cards_pdf,
    write_transcript_pdf,
)
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)


ONE, GRADE, HOMEROOM, COUNSELOR, SCHOOL, REPRINT = (
    "one", "grade", "homeroom", "counselor", "school", "reprint")
# A preview draws every page up front: bigger batches go to a PDF or the printer.
PREVIEW_LIMIT = 60


class ReportCardsScreen(Screen):
    """Print report cards and transcripts.

    ReportCardsScreen(store, queue_edit, parent=None, *, today=None):
    `queue_edit(op, payload)` records each card of a finished batch as
    printed; `today` (a date) decides which marking periods have ended.

    Signals:
        pdf_written(str, int): a batch's PDF was saved (its path, pages)
        printed(int): that many cards were recorded as printed
        transcript_written(str): a transcript PDF was saved (its path)
    """

    pdf_written = Signal(str, int)
    printed = Signal(int)
    transcript_written = Signal(str)

    title = "Report cards"
    offers = Offers()
    shows = frozenset({"grade_marks", "report_card_prints", "students",
                       "section_enrollments", "marking_periods"})

    def __init__(self, store: LocalStore, queue_edit: QueueEdit, parent: QWidget | None = None,
                 *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.today = (today or clock.today()).isoformat()
        self.facts: SchoolFacts | None = None
        self.with_card: dict[str, set[str]] = {}  # marking period -> students with a card
        self.reprints: list[Reprint] = []
        self.task: Task | None = None  # the PDF being written
        self._printer: QPrinter | None = None  # the one being painted on, while printing
        self.cancel_printing = False
        self.recording = False  # cards being recorded as printed
        self.preview: QPrintPreviewDialog | None = None
        self.loader = TaskRunner(self)
        self.output = TaskRunner(self)

        self.period = named(QComboBox(), "markingPeriod")
        self.who = QButtonGroup(self)
        self.choices: dict[str, QRadioButton] = {}
        for key, label in ((ONE, "One &student"), (GRADE, "&Grade"), (HOMEROOM, "&Homeroom"),
                           (COUNSELOR, "Counselor &caseload"), (SCHOOL, "&Whole school"),
                           (REPRINT, "Cards to &reprint")):
            button = named(QRadioButton(label), f"who_{key}")
            self.choices[key] = button
            self.who.addButton(button)
        self.student = named(QComboBox(), "student")
        self.student.setEditable(True)
        self.student.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.grade = named(QComboBox(), "grade")
        self.homeroom = named(QComboBox(), "homeroom")
        self.counselor = named(QComboBox(), "counselor")
        self.count = named(QLabel(), "cardCount")
        self.preview_button = named(QPushButton("Pre&view…"), "previewCards")
        self.pdf_button = named(QPushButton("Save as &PDF…"), "saveCardsPdf")
        self.print_button = named(QPushButton("P&rint…"), "printCards")
        self.transcript_button = named(QPushButton("&Transcript…"), "transcript")
        self.progress = named(QProgressBar(), "progress")
        self.cancel = named(QPushButton("Cancel"), "cancelOutput")
        self.status = named(QLabel(), "status")
        self.reprint_model = RowsModel(self)
        self.reprint_note = named(QLabel(), "reprintNote")
        self.reprint_table = named(QTableView(), "reprintTable")
        self.select_reprints = named(QPushButton("&Select these"), "selectReprints")
        self._build()
        self._connect_signals()
        self.choices[GRADE].setChecked(True)
        # The school is read at the first reload(), when the screen is first shown.

    def _build(self) -> None:
        completer = QCompleter(self.student.model(), self.student)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.student.setCompleter(completer)
        self.student_text = self.student.lineEdit() or QLineEdit()
        self.student_text.setPlaceholderText("Name or student ID")
        self.student.setMinimumWidth(320)
        menu = QMenu(self.transcript_button)
        self.transcript_preview = menu.addAction("Preview transcript…")
        self.transcript_pdf = menu.addAction("Save transcript as PDF…")
        self.transcript_button.setMenu(menu)
        self.progress.setMinimumWidth(260)
        bold = self.count.font()
        bold.setBold(True)
        self.count.setFont(bold)

        top = QHBoxLayout()
        period_label = QLabel("Marking &period:")
        period_label.setBuddy(self.period)
        top.addWidget(period_label)
        top.addWidget(self.period, 1)

        who = QGroupBox("Who")
        grid = QGridLayout(who)
        for row, (key, chooser) in enumerate(((ONE, self.student), (GRADE, self.grade),
                                              (HOMEROOM, self.homeroom),
                                              (COUNSELOR, self.counselor), (SCHOOL, None),
                                              (REPRINT, None))):
            grid.addWidget(self.choices[key], row, 0)
            if chooser is not None:
                grid.addWidget(chooser, row, 1)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.count, 6, 0, 1, 2)
        buttons = QHBoxLayout()
        for b in (self.preview_button, self.pdf_button, self.print_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.transcript_button)
        grid.addLayout(buttons, 7, 0, 1, 2)
        grid.setRowStretch(8, 1)

        reprint = QGroupBox("Cards to reprint")
        box = QVBoxLayout(reprint)
        self.reprint_note.setWordWrap(True)
        box.addWidget(self.reprint_note)
        set_up_list_view(self.reprint_table)
        self.reprint_table.setModel(self.reprint_model)
        box.addWidget(self.reprint_table, 1)
        under = QHBoxLayout()
        under.addStretch(1)
        under.addWidget(self.select_reprints)
        box.addLayout(under)

        middle = QHBoxLayout()
        middle.addWidget(who, 1)
        middle.addWidget(reprint, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel)
        self.progress.hide()
        self.cancel.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 8)
        layout.addLayout(top)
        layout.addLayout(middle, 1)
        layout.addLayout(bottom)

    def _connect_signals(self) -> None:
        self.period.currentIndexChanged.connect(self.on_period_changed)
        self.who.buttonToggled.connect(self.on_who_changed)
        self.student.activated.connect(lambda _i: self.on_chooser_used(ONE))
        self.student.currentIndexChanged.connect(lambda _i: self.on_who_changed())
        self.student_text.textEdited.connect(lambda _t: self.on_chooser_used(ONE))
        self.grade.activated.connect(lambda _i: self.on_chooser_used(GRADE))
        self.homeroom.activated.connect(lambda _i: self.on_chooser_used(HOMEROOM))
        self.counselor.activated.connect(lambda _i: self.on_chooser_used(COUNSELOR))
        for combo in (self.grade, self.homeroom, self.counselor):
            combo.currentIndexChanged.connect(lambda _i: self.on_who_changed())
        self.preview_button.clicked.connect(lambda: self.on_preview())
        self.pdf_button.clicked.connect(lambda: self.on_save_pdf())
        self.print_button.clicked.connect(lambda: self.on_print())
        self.transcript_preview.triggered.connect(lambda: self.on_transcript_preview())
        self.transcript_pdf.triggered.connect(lambda: self.on_transcript_pdf())
        self.cancel.clicked.connect(self.on_cancel)
        self.select_reprints.clicked.connect(self.on_select_reprints)

    # --- loading

    def reload(self) -> None:
        """Read the school again (after a sync): periods, students, reprints."""
        store, today = self.store, self.today
        self.status.setText("Reading the school…")
        self.loader.run(lambda _task: load_facts(store, today), success=self.on_loaded,
                        failure=lambda exc: messages.problem(self, "Report cards", exc))

    def on_loaded(self, facts: SchoolFacts) -> None:
        self.facts = facts
        self.with_card.clear()
        self.status.setText("")
        was = (self.period.currentData(), self.student.currentData(), self.grade.currentData(),
               self.homeroom.currentData(), self.counselor.currentData())
        for combo in (self.period, self.student, self.grade, self.homeroom, self.counselor):
            combo.blockSignals(True)
            combo.clear()
        for p in facts.periods:
            self.period.addItem(f"{p.name} (ended {p.end_date})", p.id)
        for pupil in sorted(facts.pupils, key=lambda p: p.name.casefold()):
            self.student.addItem(f"{pupil.name} · {pupil.district_id} · grade {pupil.grade}",
                                 pupil.student_id)
        for g in sorted({p.grade for p in facts.pupils}):
            self.grade.addItem(f"Grade {g}", g)
        for sid, label in facts.homerooms:
            self.homeroom.addItem(label, sid)
        for cid, name in facts.counselors:
            self.counselor.addItem(name, cid)
        for combo, value in zip((self.period, self.student, self.grade, self.homeroom,
                                 self.counselor), was):
            index = combo.findData(value) if value is not None else -1
            if index < 0 and combo is not self.student:  # a student is never guessed
                index = 0 if combo.count() else -1
            combo.setCurrentIndex(index)
            combo.blockSignals(False)
        if not facts.periods:
            self.count.setText("No marking period of this term has ended yet.")
        self.on_period_changed()

    def chosen_period(self) -> MarkingPeriod | None:
        if self.facts is None:
            return None
        return next((p for p in self.facts.periods if p.id == self.period.currentData()), None)

    def on_period_changed(self, *_args) -> None:
        period = self.chosen_period()
        if period is None or self.facts is None:
            self._enable()
            return
        store, facts = self.store, self.facts
        shown = [p for p in facts.periods if p.term_id == period.term_id
                 and p.end_date <= period.end_date]

        def op(_task: Task) -> tuple[str, set[str], list[Reprint]]:
            return (period.id, students_with_a_card(store, facts, period),
                    cards_to_reprint(store, period, shown))
        self.count.setText("Counting…")
        self.loader.run(op, success=self.on_counted,
                        failure=lambda exc: messages.problem(self, "Report cards", exc))

    def on_counted(self, result: tuple[str, set[str], list[Reprint]]) -> None:
        period_id, with_card, reprints = result
        self.with_card[period_id] = with_card
        if period_id != self.period.currentData():
            return
        self.reprints = reprints
        self.reprint_model.set_rows(
            ["Student ID", "Name", "Grade", "Printed", "Mark changed"],
            [(r.district_id, r.name, r.grade, _local(r.printed_at), _local(r.changed_at))
             for r in reprints])
        for column in range(4):
            self.reprint_table.resizeColumnToContents(column)
        self.choices[REPRINT].setText(f"Cards to &reprint ({len(reprints)})")
        self.reprint_note.setText(
            "Printed for this marking period, then a mark on the card changed." if reprints
            else "None: no mark changed after its card was printed.")
        self.select_reprints.setEnabled(bool(reprints))
        self.on_who_changed()

    # --- who

    def on_chooser_used(self, key: str) -> None:
        self.choices[key].setChecked(True)
        self.on_who_changed()

    def chosen_student(self) -> str | None:
        index = self.student.currentIndex()
        if index < 0 or self.student.currentText() != self.student.itemText(index):
            return None
        return self.student.itemData(index)

    def who_key(self) -> str:
        return next(k for k, b in self.choices.items() if b.isChecked())

    def group(self) -> tuple[list[str], str]:
        """The chosen students, in card order, and how to name them."""
        if self.facts is None:
            return [], ""
        key, pupils = self.who_key(), self.facts.pupils
        if key == ONE:
            sid = self.chosen_student()
            return ([sid] if sid else []), self.student.currentText().split(" · ")[0]
        if key == GRADE:
            g = self.grade.currentData()
            return [p.student_id for p in pupils if p.grade == g], self.grade.currentText()
        if key == HOMEROOM:
            h = self.homeroom.currentData()
            return ([p.student_id for p in pupils if p.homeroom_id == h],
                    self.homeroom.currentText().split(" · ")[0])
        if key == COUNSELOR:
            c = self.counselor.currentData()
            return ([p.student_id for p in pupils if p.counselor_id == c],
                    f"caseload of {self.counselor.currentText()}")
        if key == REPRINT:
            wanted = {r.student_id for r in self.reprints}
            return [p.student_id for p in pupils if p.student_id in wanted], "reprints"
        return [p.student_id for p in pupils], "whole school"

    def batch(self) -> Batch | None:
        """The cards the chosen students will get (those with a class in the period)."""
        period = self.chosen_period()
        if period is None or period.id not in self.with_card:
            return None
        ids, label = self.group()
        with_card = self.with_card[period.id]
        return Batch(period, tuple(s for s in ids if s in with_card), label)

    def on_who_changed(self, *_args) -> None:
        key = self.who_key() if any(b.isChecked() for b in self.choices.values()) else None
        for k, chooser in ((ONE, self.student), (GRADE, self.grade), (HOMEROOM, self.homeroom),
                           (COUNSELOR, self.counselor)):
            chooser.setEnabled(k == key or k == ONE)
        batch, (ids, _label) = self.batch(), self.group()
        if batch is None:
            self.count.setText("" if self.chosen_period() is None else "Counting…")
        elif key == ONE and not ids:
            self.count.setText("Choose a student by name or student ID.")
        elif not batch.student_ids:
            self.count.setText("No report cards: " + (
                "this student had no class in this marking period." if key == ONE
                else "none of these students had a class in this marking period."))
        else:
            n, skipped = len(batch.student_ids), len(ids) - len(batch.student_ids)
            self.count.setText(f"{n:,} report {'card' if n == 1 else 'cards'}" + (
                f" ({skipped:,} {'student' if skipped == 1 else 'students'} with no class "
                "in this marking period)" if skipped else ""))
        self._enable()

    def busy(self) -> bool:
        return self.task is not None or self.recording

    def _enable(self) -> None:
        busy = self.busy()
        batch = self.batch()
        cards = bool(batch and batch.student_ids) and not busy
        self.preview_button.setEnabled(cards and len(batch.student_ids) <= PREVIEW_LIMIT
                                       if batch else False)
        self.preview_button.setToolTip("" if not batch or len(batch.student_ids) <= PREVIEW_LIMIT
                                       else f"Preview shows up to {PREVIEW_LIMIT} cards: save "
                                            "a bigger batch as a PDF")
        self.pdf_button.setEnabled(cards)
        self.print_button.setEnabled(cards)
        self.transcript_button.setEnabled(not busy and self.chosen_student() is not None)
        self.period.setEnabled(not busy)
        self.select_reprints.setEnabled(bool(self.reprints) and not busy)

    def on_select_reprints(self) -> None:
        self.choices[REPRINT].setChecked(True)
        self.on_who_changed()

    # --- preview

    def on_preview(self) -> QPrintPreviewDialog | None:
        batch = self.batch()
        if batch is None or not batch.student_ids or self.busy():
            return None
        if len(batch.student_ids) > PREVIEW_LIMIT:
            messages.info(self, "Preview", f"The preview shows up to {PREVIEW_LIMIT} cards; "
                                           "save a bigger batch as a PDF.")
            return None
        cards = list(documents.card_documents(self.store, batch.period.id,
                                              list(batch.student_ids), on=self.today))
        dialog = cards_preview(self, batch, cards)
        # The preview's Print button prints, then accepts the dialog.
        dialog.finished.connect(lambda result: self.on_preview_closed(result, batch, cards))
        self.preview = dialog
        dialog.open()
        return dialog

    def on_preview_closed(self, result: int, batch: Batch, cards: Sequence[Any]) -> None:
        self.preview = None
        if result == QDialog.DialogCode.Accepted:
            self.record_printed(batch.period.id, [c.student_id for c in cards])

    # --- PDF, off the GUI thread

    def on_save_pdf(self, path: str | None = None) -> Task | None:
        batch = self.batch()
        if batch is None or not batch.student_ids or self.busy():
            return None
        if path is None:
            path = ask_pdf_path(self, "Save report cards", "report-cards", batch.label)
            if path is None:
                return None
        target, store, today, total = Path(path), self.store, self.today, len(batch.student_ids)
        self._start_progress(total, f"Writing {total:,} report cards to {target.name}…")
        self.task = self.output.run(
            lambda task: write_cards_pdf(task, store, batch, target, today),
            progress=self.on_progress,
            success=lambda result: self.on_pdf_written(batch, result),
            failure=lambda exc: self.on_output_failed("The report cards were not saved", exc),
            done=self.on_output_done)
        self._enable()
        return self.task

    def on_progress(self, _what: str, done: int, total: int) -> None:
        self.progress.setFormat(f"{done:,} of {total:,}")
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def on_pdf_written(self, batch: Batch, result: tuple[str, int, list[str]]) -> None:
        path, pages, done = result
        self.pdf_written.emit(path, pages)
        self.record_printed(batch.period.id, done, done_text=(
            f"{pages:,} report {'card' if pages == 1 else 'cards'} saved to {path}"))

    def on_output_failed(self, title: str, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            self.status.setText("Cancelled: no file was saved and no card is marked printed.")
            return
        self.status.setText("")
        messages.problem(self, title, exc)

    def on_output_done(self) -> None:
        self.task = None
        if not self.recording:
            self._stop_progress()

    def on_cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.cancel_printing = True
        self.cancel.setEnabled(False)
        self.status.setText("Cancelling…")

    def _start_progress(self, total: int, text: str) -> None:
        self.cancel_printing = False
        self.status.setText(text)
        self.on_progress("", 0, total)
        self.progress.show()
        self.cancel.setEnabled(True)
        self.cancel.show()

    def _stop_progress(self) -> None:
        self.progress.hide()
        self.cancel.hide()
        self._enable()

    # --- printer, off the GUI thread too (QPainter may paint on a QPrinter there)

    def on_print(self, printer: QPrinter | None = None) -> Task | None:
        """Print the batch off the GUI thread, with progress and Cancel. A test
        passes a `printer` ready to go instead of asking with the dialog."""
        batch = self.batch()
        if batch is None or not batch.student_ids or self.busy():
            return None
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(f"Report cards, {batch.label}")
            if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
                return None
        store, today, total = self.store, self.today, len(batch.student_ids)
        self._printer = printer  # the worker paints on it: keep it alive until done
        self._start_progress(total, f"Printing {total:,} report cards…")
        self.task = self.output.run(
            lambda task: print_cards(printer, store, batch, today,
                                     progress=lambda n: task.progress("", n, total),
                                     cancel_asked=lambda: task.cancelled),
            progress=self.on_progress,
            success=lambda run: self.on_printed(batch, printer, run, total),
            failure=lambda exc: self.on_output_failed("The report cards were not printed", exc),
            done=self.on_output_done)
        self._enable()
        return self.task

    def on_printed(self, batch: Batch, printer: QPrinter, run: PrintRun, total: int) -> None:
        self._printer = None
        if run.withdrawn:
            self.on_output_failed("", Cancelled())
            return
        pages = run.pages
        where = printer.printerName() or printer.outputFileName()
        if self.cancel_printing:
            # The job could not be withdrawn: what was painted goes to paper.
            text = (f"Cancelled after {pages:,} of {total:,} cards; the {pages:,} already "
                    f"sent to {where} are recorded as printed.")
        else:
            text = f"{pages:,} report {'card' if pages == 1 else 'cards'} sent to {where}"
        self.record_printed(batch.period.id, run.sent[:pages], done_text=text)

    # --- recording what was printed

    def record_printed(self, period_id: str, student_ids: Sequence[str], *,
                       done_text: str = "") -> None:
        """One `report_card.printed` per card, some each turn of the event
        loop (5,000 take seconds); the screen stays busy until the last."""
        self.recording = True
        self.status.setText("Recording the cards as printed…")
        self.cancel.hide()
        self.progress.show()
        self._enable()

        def finished(recorded: int, total: int) -> None:
            self.recording = False
            self._stop_progress()
            self.status.setText(done_text if recorded == total else
                                f"Only {recorded:,} of {total:,} cards were recorded as printed.")
            self.printed.emit(recorded)
            self.on_period_changed()  # the reprint list changes
        record_as_printed(self.queue_edit, period_id, student_ids, context=self,
                          progress=lambda recorded, total: self.on_progress("", recorded, total),
                          finished=finished)

    # --- transcripts

    def on_transcript_preview(self) -> QPrintPreviewDialog | None:
        student_id = self.chosen_student()
        if student_id is None:
            return None
        doc = documents.transcript_document(self.store, student_id, on=self.today)
        dialog = transcript_preview(self, self.student.currentText().split(" · ")[0], doc)
        dialog.open()
        return dialog

    def on_transcript_pdf(self, path: str | None = None) -> Task | None:
        student_id = self.chosen_student()
        if student_id is None:
            return None
        if path is None:
            path = ask_pdf_path(self, "Save transcript", "transcript",
                                self.student.currentText().split(" · ")[0])
            if path is None:
                return None
        target, store, today = Path(path), self.store, self.today
        self.status.setText("Writing the transcript…")
        return self.output.run(lambda _task: write_transcript_pdf(store, student_id, target,
                                                                  today),
                               success=self.on_transcript_written,
                               failure=lambda exc: self.on_output_failed(
                                   "The transcript was not saved", exc))

    def on_transcript_written(self, path: str) -> None:
        self.status.setText(f"Transcript saved to {path}")
        self.transcript_written.emit(path)


def _local(stamp: str) -> str:
    """A UTC stamp as the workstation's local date and time."""
    try:
        moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")

