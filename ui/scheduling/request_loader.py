"""The Loader tab of the course requests screen: the loader, run on the district
server for the year the screen shows (a dry run first, then Apply).

What it writes reaches this workstation with the next sync, so an applied run
asks for one.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.common import messages
from ui.common.tasks import Task, TaskRunner
from ui.scheduling.course_requests_model import ReadingModel, fit_columns
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

SchoolYear = Callable[[], tuple["str | None", str]]  # the year shown: its id (or None), name


class RequestLoaderPanel(QWidget):
    """Runs the loader on the server and shows what it placed and what it could not.

    RequestLoaderPanel(store, workstation, school_year, district_id, parent=None, *,
                       can_apply=True)
    `school_year()` is the year the screen shows, read at each run;
    `district_id(student_id)` names a student in the list of requests not placed.
    `run_button` is for the screen to place beside its year (it starts a dry run).

    Signals:
        started(): a run was sent to the server
        finished(): its answer is in `result` and shown here
        sync_requested(): the loader wrote placements on the server; sync now
    """

    started = Signal()
    finished = Signal()
    sync_requested = Signal()

    def __init__(self, store: LocalStore, workstation: Workstation, school_year: SchoolYear,
                 district_id: Callable[[str], str], parent: QWidget | None = None, *,
                 can_apply: bool = True):
        super().__init__(parent)
        self.store, self.workstation = store, workstation
        self.school_year, self.district_id = school_year, district_id
        self.can_apply = can_apply
        self.server = TaskRunner(self)  # the loader, on the district server
        self.result: dict[str, Any] | None = None  # the loader's last answer
        self._task: Task | None = None
        self._applying = False
        self._asked = 0

        # Not laid out here: the screen places it in its top bar, beside the year.
        self.run_button = named(QPushButton("&Run the loader…"), "runLoader")
        self.summary = named(QLabel(), "loaderSummary")
        self.summary.setWordWrap(True)
        self.progress = named(QProgressBar(), "loaderProgress")
        self.cancel = named(QPushButton("Stop waiting"), "cancelLoader")
        self.apply = named(QPushButton("&Apply: write the placements"), "applyLoader")
        self.unfilled_model = ReadingModel(self)
        self.unfilled_table = named(QTableView(), "unfilledTable")
        self._build()
        self._connect_signals()

    def _build(self) -> None:
        self.unfilled_table.setModel(self.unfilled_model)
        set_up_list_view(self.unfilled_table)
        self.unfilled_table.setSortingEnabled(True)
        self.unfilled_table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        if not self.can_apply:
            self.run_button.setEnabled(False)
            self.run_button.setToolTip("Only counselors and administrators run the loader")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel)
        layout.addLayout(busy)
        actions = QHBoxLayout()
        actions.addWidget(QLabel("Requests that could not be placed:"))
        actions.addStretch(1)
        actions.addWidget(self.apply)
        layout.addLayout(actions)
        layout.addWidget(self.unfilled_table, 1)
        self.summary.setText("Run the loader to see how many requests fit the master "
                             "schedule. The first run is a dry run: nothing is written.")
        self.progress.setRange(0, 0)
        self.set_busy(False)
        self.apply.setEnabled(False)

    def _connect_signals(self) -> None:
        self.run_button.clicked.connect(self.on_run_loader)
        self.apply.clicked.connect(self.on_apply)
        self.cancel.clicked.connect(self.on_cancel)

    def forget_result(self) -> None:
        """Another year is shown: the last answer, and any still to come, were
        about the one before."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
            self.set_busy(False)
        self._asked += 1
        self.result = None
        self.unfilled_model.set_rows([], [])
        self.apply.setEnabled(False)

    def on_run_loader(self) -> None:
        self._call_loader(apply=False)

    def on_apply(self) -> None:
        if not self.result:
            return
        if not messages.confirm(
                self, "Write the placements",
                f"Place {self.result['placed']:,} requests into {self.school_year()[1]} sections "
                "on the district server? Students who already have classes that year keep them "
                "as they are."):
            return
        self._call_loader(apply=True)

    def _call_loader(self, *, apply: bool) -> None:
        year, year_name = self.school_year()
        if year is None:
            return
        ws = self.workstation
        school_id = ws.settings.school_id or self.store.get("school_id") or ""
        workstation_id = ws.settings.workstation_id

        def op(_task: Task) -> dict[str, Any]:
            client = ws.client()
            try:
                return client.load_requests(school_id, school_year_id=year, apply=apply,
                                            workstation=workstation_id)
            finally:
                client.close()
        self._asked += 1
        asked = self._asked
        self._applying = apply
        self.started.emit()
        self.summary.setText(
            f"Writing the placements for {year_name} on the district server…"
            if apply else
            f"The district server is placing {year_name}'s requests into its "
            "sections (a dry run: nothing is written)…")
        self.set_busy(True)
        self._task = self.server.run(
            op, success=lambda result: self.on_loader_done(result, asked),
            failure=lambda exc: self.on_loader_failed(exc, asked))

    def set_busy(self, busy: bool) -> None:
        """The buttons and progress for a run on its way (or none): also after the year changes."""
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        self.run_button.setEnabled(not busy and self.can_apply
                                   and self.school_year()[0] is not None)
        self.apply.setEnabled(not busy and self._can_apply_result())

    def _can_apply_result(self) -> bool:
        r = self.result
        return bool(self.can_apply and r and not r.get("applied") and r.get("placed"))

    def on_cancel(self) -> None:
        """Stop waiting; the server's work can't be called back once sent."""
        if self._task is None:
            return
        self._task.cancel()
        self._task = None
        self._asked += 1  # its answer, if it comes, is not shown
        self.set_busy(False)
        if self._applying:
            self.summary.setText(
                "Stopped waiting. The district server may still finish writing the "
                "placements: sync in a few minutes to see them, and run the loader again "
                "before applying anything else.")
        else:
            self.summary.setText("Stopped waiting. The server may still finish the dry "
                                 "run; nothing was written. Run the loader again later.")

    def on_loader_done(self, result: dict[str, Any], asked: int) -> None:
        if asked != self._asked:
            return  # the person stopped waiting for it
        self._task = None
        self.result = result
        self.set_busy(False)
        unfilled = result.get("unfilled", [])
        already = result.get("already_placed", 0)
        head = (f"<b>Applied for {result['school_year']}:</b> {result['placed']:,} placements "
                "written on the district server; they reach this workstation with the sync."
                if result.get("applied") else
                f"<b>Dry run for {result['school_year']}:</b> nothing was written yet. "
                "Apply to write these placements.")
        problems = []
        if result.get("sections_over_capacity"):
            problems.append(f"{result['sections_over_capacity']} sections over capacity")
        if result.get("conflicts"):
            problems.append(f"{result['conflicts']} period conflicts")
        self.summary.setText(
            f"{head}<br>{result['placed']:,} of {result['requests'] - already:,} requests "
            f"placed (<b>{result['placed_pct']:.1f}%</b>) · {len(unfilled):,} unfilled"
            + (f" · {already:,} requests of students already scheduled left as they are"
               if already else "")
            + (f" · <span style='color:#b00020'>{', '.join(problems)}</span>" if problems else ""))
        self.unfilled_model.set_rows(
            ["Student", "Student ID", "Course", "Why it was not placed"],
            sorted(((u.get("student_name", ""), self.district_id(u["student_id"]),
                     u["course_title"], u["reason"]) for u in unfilled),
                   key=lambda row: (row[0].lower(), row[1], row[2])))
        fit_columns(self.unfilled_table)
        self.finished.emit()
        if result.get("applied"):
            self.sync_requested.emit()

    def on_loader_failed(self, exc: BaseException, asked: int) -> None:
        if asked != self._asked:
            return
        self._task = None
        self.set_busy(False)
        self.summary.setText("The loader did not run. " + (
            str(exc) if messages.is_known(exc) else "See the message for details."))
        messages.problem(self, "The loader could not run", exc)

    def busy(self) -> bool:
        return self._task is not None
