"""Report cards and transcripts, printed at the school: one student or a batch
(a grade, a homeroom, a counselor's caseload, the whole school) into one PDF,
onto the printer or into a preview, with progress and cancel.

A PDF is written off the GUI thread to a temporary name and renamed when it
is whole; a cancelled one is deleted. A printer (QPrinter) is painted on the
GUI thread, which keeps answering between cards. Only a batch that finished
is recorded as printed (`report_card.printed`, one per card), and a card
whose marks changed after it was printed is listed for reprinting.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QFile, QIODevice, Qt, QTimer, Signal
from PySide6.QtGui import QPdfWriter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QDialog,
    QFileDialog,
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

from domain.report_cards import MarkingPeriod, PostedMark, sections_on_card
from domain.scheduling import Catalog, Entry
from local_store import report_cards as documents
from local_store import scheduling
from local_store.store import LocalStore
from reports.report_card import paint_report_cards
from reports.transcript import paint_transcript
from ui import messages
from ui.edits import QueueEdit
from ui.tasks import Task, TaskRunner
from widgets.list_view import set_up_list_view
from widgets.naming import named
from widgets.rows_table import RowsModel

log = logging.getLogger(__name__)


ONE, GRADE, HOMEROOM, COUNSELOR, SCHOOL, REPRINT = (
    "one", "grade", "homeroom", "counselor", "school", "reprint")
# A preview draws every page up front: bigger batches go to a PDF or the printer.
PREVIEW_LIMIT = 60
# Recording cards as printed (1-2 ms each) yields to the event loop this often.
RECORD_TURN_S = 0.04


def _now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what the screen knows of the school (read off the GUI thread; no Qt)


@dataclass(frozen=True)
class Pupil:
    student_id: str
    district_id: str
    name: str  # "Last, First"
    grade: int
    counselor_id: str | None
    homeroom_id: str | None  # the period-1 section this term


@dataclass
class SchoolFacts:
    periods: list[MarkingPeriod]  # to choose from, newest first
    pupils: list[Pupil]  # in card order: by homeroom, then name
    homerooms: list[tuple[str, str]]  # (section id, label)
    counselors: list[tuple[str, str]]  # (staff id, name)
    catalog: Catalog
    entries: dict[str, list[Entry]] = field(default_factory=dict)  # by student


def choosable_periods(periods: Iterable[MarkingPeriod], catalog: Catalog,
                      today: str) -> list[MarkingPeriod]:
    """The ended marking periods of the current term — and, early in a term,
    of the school year's earlier term, whose semester cards go out then —
    newest first."""
    term = catalog.term_on(today) or max(
        (t for t in catalog.terms.values() if t.start_date <= today),
        key=lambda t: t.start_date, default=None)
    if term is None:
        return []
    terms = {t.id for t in catalog.terms.values()
             if t.school_year_id == term.school_year_id and t.start_date <= term.start_date}
    return sorted((p for p in periods if p.term_id in terms and p.end_date < today),
                  key=lambda p: p.end_date, reverse=True)


def load_facts(store: LocalStore, today: str) -> SchoolFacts:
    catalog = scheduling.catalog(store)
    with store.read() as conn:
        periods = [MarkingPeriod(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
                   for r in conn.exec_driver_sql(
                       "SELECT id, term_id, name, week, start_date, end_date, is_report_card "
                       "FROM marking_periods")]
        entries: dict[str, list[Entry]] = {}
        for r in conn.exec_driver_sql("SELECT id, student_id, section_id, begin_date, end_date "
                                      "FROM section_enrollments"):
            entries.setdefault(r[1], []).append(Entry(*r))
        staff = {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
            "SELECT id, first_name, last_name FROM staff")}
        students = list(conn.exec_driver_sql(
            "SELECT id, district_student_id, legal_last_name, legal_first_name, grade_level, "
            "counselor_id FROM students"))
    chosen = choosable_periods(periods, catalog, today)
    # Homerooms as they are today; out of term, as they were when the card's period ended.
    day = today if catalog.term_on(today) or not chosen else chosen[0].end_date
    homeroom_of: dict[str, str] = {}
    for student_id, mine in entries.items():
        for e in mine:
            section = catalog.sections.get(e.section_id)
            if section is None or section.period != 1:
                continue
            first, last = catalog.entry_span(e)
            if first <= day <= last:
                homeroom_of[student_id] = e.section_id
    homerooms = []
    for sid in sorted(set(homeroom_of.values()), key=lambda s: (catalog.sections[s].room, s)):
        section = catalog.sections[sid]
        first, last = staff.get(section.teacher_id, ("", ""))
        homerooms.append((sid, f"Room {section.room} · {last}, {first} · "
                               f"{catalog.course_of(section).title}"))
    pupils = sorted((Pupil(r[0], r[1], f"{r[2]}, {r[3]}", r[4], r[5], homeroom_of.get(r[0]))
                     for r in students),
                    key=lambda p: (p.homeroom_id is None, _room(catalog, p.homeroom_id),
                                   p.name.casefold(), p.student_id))
    caseloads = {p.counselor_id for p in pupils if p.counselor_id}
    counselors = sorted(((c, "{1}, {0}".format(*staff.get(c, ("", c)))) for c in caseloads),
                        key=lambda pair: pair[1].casefold())
    return SchoolFacts(chosen, pupils, homerooms, counselors, catalog, entries)


def _room(catalog: Catalog, section_id: str | None) -> tuple[str, str]:
    if section_id is None:
        return ("", "")
    return (catalog.sections[section_id].room, section_id)


def students_with_a_card(store: LocalStore, facts: SchoolFacts,
                         period: MarkingPeriod) -> set[str]:
    """The students whose card for `period` lists at least one class
    (domain.report_cards.sections_on_card decides, as on the card itself)."""
    marks: dict[str, list[PostedMark]] = {}
    with store.read() as conn:
        for r in conn.exec_driver_sql(
                "SELECT student_id, section_id, mark FROM grade_marks "
                "WHERE marking_period_id = ?", (period.id,)):
            marks.setdefault(r[0], []).append(PostedMark(r[1], period.id, r[2]))
    return {p.student_id for p in facts.pupils
            if sections_on_card(catalog=facts.catalog, entries=facts.entries.get(p.student_id, []),
                                marks=marks.get(p.student_id, []), period=period)}


@dataclass(frozen=True)
class Reprint:
    student_id: str
    district_id: str
    name: str
    grade: int
    printed_at: str
    changed_at: str


def cards_to_reprint(store: LocalStore, period: MarkingPeriod,
                     shown: Sequence[MarkingPeriod]) -> list[Reprint]:
    """Students whose card for `period` was printed and whose marks on it
    (this period's, or an earlier one of the term shown on the same card)
    were entered after the last printing."""
    ids = [p.id for p in shown] or [period.id]
    marks_in = ", ".join("?" * len(ids))
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            f"""SELECT s.id, s.district_student_id, s.legal_last_name, s.legal_first_name,
                       s.grade_level, p.printed, m.changed
                FROM (SELECT student_id, max(printed_at) AS printed FROM report_card_prints
                      WHERE marking_period_id = ? GROUP BY student_id) p
                JOIN (SELECT student_id, max(entered_at) AS changed FROM grade_marks
                      WHERE marking_period_id IN ({marks_in}) GROUP BY student_id) m
                  ON m.student_id = p.student_id
                JOIN students s ON s.id = p.student_id
                WHERE m.changed > p.printed
                ORDER BY s.legal_last_name COLLATE NOCASE, s.legal_first_name COLLATE NOCASE""",
            (period.id, *ids))
        return [Reprint(r[0], r[1], f"{r[2]}, {r[3]}", r[4], r[5], r[6]) for r in rows]


# --- writing a PDF (off the GUI thread)


class Cancelled(Exception):
    """The person cancelled: the partial file is gone and nothing was printed."""


def _calm(exc: OSError, path: Path) -> OSError:
    return OSError(f"{path.name} could not be saved in {path.parent}: "
                   f"{exc.strerror or exc}.")


def _ends_whole(file: QFile) -> bool:
    """Whether the file on disk ends as a finished PDF does. A full disk
    truncates it without telling QPdfWriter."""
    if not file.flush() or file.error() != QFile.FileError.NoError:
        return False
    file.seek(max(0, file.size() - 64))
    return b"%%EOF" in bytes(file.read(64).data())


def write_pdf(path: Path, paint: Callable[[QPdfWriter], int], *, title: str,
              cancelled: Callable[[], bool] = lambda: False) -> int:
    """Paint into a PDF at `path`, written under a temporary name beside it
    and renamed only when whole; on cancel or failure no file is left (and
    an older file at `path` is untouched). Returns the pages."""
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    file = QFile(str(part))
    if not file.open(QIODevice.OpenModeFlag.ReadWrite | QIODevice.OpenModeFlag.NewOnly):
        raise OSError(f"{path.name} could not be saved in {path.parent}: "
                      f"{file.errorString()}.")
    try:
        writer = QPdfWriter(file)
        writer.setResolution(300)
        writer.setTitle(title)
        writer.setCreator("MiSiS")
        pages = paint(writer)
        del writer  # the PDF is finished when its painter ends
        if cancelled():
            raise Cancelled()
        whole = _ends_whole(file)
        file.close()
        if not whole:
            raise OSError(f"{path.name} could not be written completely in {path.parent}: "
                          f"{file.errorString() if file.error() else 'the disk may be full'}.")
        try:
            os.replace(part, path)
        except OSError as exc:
            raise _calm(exc, path) from exc
        return pages
    except BaseException:
        file.close()
        part.unlink(missing_ok=True)
        raise


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


# --- the screen


class ReportCardsScreen(QWidget):
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

    def __init__(self, store: LocalStore, queue_edit: QueueEdit, parent: QWidget | None = None,
                 *, today: dt.date | None = None):
        super().__init__(parent)
        self.store = store
        self.queue_edit = queue_edit
        self.today = (today or dt.date.today()).isoformat()
        self.facts: SchoolFacts | None = None
        self.with_card: dict[str, set[str]] = {}  # marking period -> students with a card
        self.reprints: list[Reprint] = []
        self.task: Task | None = None  # the PDF being written
        self.printing = False  # a printer being painted on the GUI thread
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
        return self.task is not None or self.printing or self.recording

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
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"Report cards, {batch.label}")
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(f"Report cards — {batch.label}")
        dialog.printer_ref = printer  # type: ignore[attr-defined]  # the dialog doesn't own it
        dialog.paintRequested.connect(lambda p: paint_report_cards(p, cards))
        # The preview's Print button prints, then accepts the dialog.
        dialog.finished.connect(lambda result: self.on_preview_closed(result, batch, cards))
        dialog.resize(1100, 760)
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
            suggested = Path.home() / f"report-cards-{_file_part(batch.label)}.pdf"
            path, _ = QFileDialog.getSaveFileName(self, "Save report cards", str(suggested),
                                                  "PDF (*.pdf)")
            if not path:
                return None
        target, store, today, total = Path(path), self.store, self.today, len(batch.student_ids)

        def op(task: Task) -> tuple[str, int, list[str]]:
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

        self._start_progress(total, f"Writing {total:,} report cards to {target.name}…")
        self.task = self.output.run(
            op, progress=self.on_progress,
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

    # --- printer, on the GUI thread (QPrinter lives there)

    def on_print(self, printer: QPrinter | None = None) -> int:
        """Print the batch; returns the pages sent. A test passes a `printer`
        ready to go instead of asking with the dialog."""
        batch = self.batch()
        if batch is None or not batch.student_ids or self.busy():
            return 0
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setDocName(f"Report cards, {batch.label}")
            if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
                return 0
        total, withdrawn = len(batch.student_ids), [False]
        done: list[str] = []
        self.printing = True
        self._start_progress(total, f"Printing {total:,} report cards…")
        self._enable()

        def progress(n: int) -> None:
            self.on_progress("", n, total)
            QCoreApplication.processEvents()  # Cancel stays clickable, the window repaints

        def cancelled() -> bool:
            if self.cancel_printing and not withdrawn[0]:
                withdrawn[0] = printer.abort()  # where the print system can drop the job
            return self.cancel_printing

        try:
            cards = documents.card_documents(self.store, batch.period.id,
                                             list(batch.student_ids), on=self.today)
            pages = paint_report_cards(printer, _tracked(cards, done), progress=progress,
                                       cancelled=cancelled)
        except Exception as exc:
            printer.abort()
            self.on_output_failed("The report cards were not printed", exc)
            return 0
        finally:
            self.printing = False
            self._stop_progress()
        if withdrawn[0]:
            self.on_output_failed("", Cancelled())
            return 0
        where = printer.printerName() or printer.outputFileName()
        if self.cancel_printing:
            # The job could not be withdrawn: what was painted goes to paper.
            text = (f"Cancelled after {pages:,} of {total:,} cards; the {pages:,} already "
                    f"sent to {where} are recorded as printed.")
        else:
            text = f"{pages:,} report {'card' if pages == 1 else 'cards'} sent to {where}"
        self.record_printed(batch.period.id, done[:pages], done_text=text)
        return pages

    # --- recording what was printed

    def record_printed(self, period_id: str, student_ids: Sequence[str], *,
                       done_text: str = "") -> None:
        """One `report_card.printed` per card, some each turn of the event
        loop (5,000 take seconds); the screen stays busy until the last."""
        todo, printed_at = list(student_ids), _now_utc()
        recorded, total = 0, len(todo)
        self.recording = True
        self.status.setText("Recording the cards as printed…")
        self.cancel.hide()
        self.progress.show()
        self._enable()

        def step() -> None:
            nonlocal recorded
            turn_ends = time.monotonic() + RECORD_TURN_S
            while recorded < len(todo) and time.monotonic() < turn_ends:
                sid = todo[recorded]
                if self.queue_edit("report_card.printed", {
                        "print_id": f"rcp-{uuid.uuid4()}", "student_id": sid,
                        "marking_period_id": period_id, "printed_at": printed_at}) is None:
                    del todo[recorded:]  # not saved, and queue_edit has said why
                    break
                recorded += 1
            self.on_progress("", recorded, total)
            if recorded < len(todo):
                QTimer.singleShot(0, self, step)
                return
            self.recording = False
            self._stop_progress()
            self.status.setText(done_text if recorded == total else
                                f"Only {recorded:,} of {total:,} cards were recorded as printed.")
            self.printed.emit(recorded)
            self.on_period_changed()  # the reprint list changes
        step()

    # --- transcripts

    def on_transcript_preview(self) -> QPrintPreviewDialog | None:
        student_id = self.chosen_student()
        if student_id is None:
            return None
        doc = documents.transcript_document(self.store, student_id, on=self.today)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintPreviewDialog(printer, self)
        dialog.setWindowTitle(f"Transcript — {self.student.currentText().split(' · ')[0]}")
        dialog.printer_ref = printer  # type: ignore[attr-defined]
        dialog.paintRequested.connect(lambda p: paint_transcript(p, doc))
        dialog.resize(1100, 760)
        dialog.open()
        return dialog

    def on_transcript_pdf(self, path: str | None = None) -> Task | None:
        student_id = self.chosen_student()
        if student_id is None:
            return None
        if path is None:
            name = _file_part(self.student.currentText().split(" · ")[0])
            path, _ = QFileDialog.getSaveFileName(
                self, "Save transcript", str(Path.home() / f"transcript-{name}.pdf"),
                "PDF (*.pdf)")
            if not path:
                return None
        target, store, today = Path(path), self.store, self.today

        def op(_task: Task) -> str:
            doc = documents.transcript_document(store, student_id, on=today)
            write_pdf(target, lambda writer: paint_transcript(writer, doc),
                      title="Transcript")
            return str(target)
        self.status.setText("Writing the transcript…")
        return self.output.run(op, success=self.on_transcript_written,
                               failure=lambda exc: self.on_output_failed(
                                   "The transcript was not saved", exc))

    def on_transcript_written(self, path: str) -> None:
        self.status.setText(f"Transcript saved to {path}")
        self.transcript_written.emit(path)


def _file_part(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.casefold())
    return "-".join(part for part in keep.split("-") if part) or "batch"


def _local(stamp: str) -> str:
    """A UTC stamp as the workstation's local date and time."""
    try:
        moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")

