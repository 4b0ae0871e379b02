"""The semester rollover: fall's semester classes end, each student goes on in
the spring section that follows them, year-long classes carry on.

Step 1 is a dry run on this workstation, from the cache
(`local_store.scheduling.rollover.rollover_dry_run`): what would change, and who would
start the new term without a complete schedule. Step 2 asks the district
server to carry it out; what it writes arrives with the next sync.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from domain import clock
from domain.scheduling import RolloverPlan, Term, next_term
from local_store.scheduling.catalog import catalog as load_catalog
from local_store.scheduling.rollover import RolloverGap, rollover_dry_run, rollover_gaps
from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.common import messages
from ui.common.excel_export import export_to_excel
from ui.common.tasks import Task, TaskRunner
from ui.scheduling.course_requests_model import ReadingModel
from widgets.list_view import set_up_list_view
from widgets.naming import named

log = logging.getLogger(__name__)

NOTE_STYLE = "color: #7a5a00;"
DONE_STYLE = "color: #166534;"


@dataclass(frozen=True)
class DryRun:
    """The dry run as the dialog shows it."""

    plan: RolloverPlan
    gaps: list[RolloverGap]

    @property
    def counts(self) -> dict[str, int]:
        """The numbers the server's answer is compared with (its names)."""
        return {"ended": len(self.plan.ends), "added": len(self.plan.adds),
                "carried": self.plan.carried}

    @property
    def students_placed(self) -> int:
        return len({e.student_id for e in self.plan.adds})


def _terms(store: LocalStore, from_term_id: str | None, day: str) -> tuple[Term | None,
                                                                          Term | None]:
    """The term rolled over (the given one, or today's) and the one after it."""
    cat = load_catalog(store)  # the same rules rollover_dry_run plans with
    start = cat.terms.get(from_term_id) if from_term_id else cat.term_on(day)
    return (start, next_term(cat, start)) if start is not None else (None, None)


class RolloverDialog(QDialog):
    """The semester rollover, dry run then apply.

    RolloverDialog(store, workstation, parent=None, *, can_apply=True,
                   from_term_id=None, today=None)
    Only counselors and administrators may apply it (`can_apply`); anyone
    may look at the dry run. Call `reload()` after a sync to see the state
    the rollover left (then there is nothing left to do).

    Signals:
        sync_requested(): the server applied the rollover; sync now to receive it
    """

    sync_requested = Signal()

    def __init__(self, store: LocalStore, workstation: Workstation,
                 parent: QWidget | None = None, *, can_apply: bool = True,
                 from_term_id: str | None = None, today: str | None = None):
        super().__init__(parent)
        self.store, self.workstation = store, workstation
        self.can_apply = can_apply
        self.day = today or clock.today().isoformat()
        self.from_term, self.to_term = _terms(store, from_term_id, self.day)
        self.runner = TaskRunner(self)  # the dry run
        self.server = TaskRunner(self)  # the apply
        self.output = TaskRunner(self)  # Excel
        self.dry_run: DryRun | None = None
        self.server_result: dict[str, Any] | None = None
        self.setObjectName("rolloverDialog")
        self.setMinimumSize(760, 560)
        self.resize(900, 700)
        title = "Semester rollover"
        if self.from_term and self.to_term:
            title += f": {self.from_term.name} → {self.to_term.name}"
        self.setWindowTitle(title)
        self.heading = named(QLabel(f"<b>{title}</b>"), "rolloverHeading")
        self.ends = named(QLabel("…"), "rolloverEnds")
        self.adds = named(QLabel("…"), "rolloverAdds")
        self.carried = named(QLabel("…"), "rolloverCarried")
        self.unplaced = named(QLabel("…"), "rolloverUnplaced")
        self.incomplete = named(QLabel("…"), "rolloverIncomplete")
        self.dry_status = named(QLabel("Working out what would change…"), "dryRunStatus")
        self.gaps_model = ReadingModel(self)
        self.gaps_table = named(QTableView(), "rolloverGaps")
        self.export = named(QPushButton("Export to &Excel…"), "exportGaps")
        self.apply = named(QPushButton("&Apply rollover…"), "applyRollover")
        self.progress = named(QProgressBar(), "rolloverProgress")
        self.outcome = named(QLabel(), "rolloverOutcome")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._build()
        self._connect_signals()
        self.reload()

    # --- layout

    def _build(self) -> None:
        step1 = QGroupBox("1. Dry run, on this workstation (nothing is changed)")
        form = QFormLayout()
        frm, to = (self.from_term.name if self.from_term else "this term",
                   self.to_term.name if self.to_term else "the next term")
        form.addRow(f"{frm} semester classes that end:", self.ends)
        form.addRow(f"Students placed into {to} sections:", self.adds)
        form.addRow("Year-long classes that carry on:", self.carried)
        form.addRow(f"Classes with no {to} section to go to:", self.unplaced)
        form.addRow(f"Students who would start {to} without a complete schedule:",
                    self.incomplete)
        self.gaps_table.setModel(self.gaps_model)
        set_up_list_view(self.gaps_table)
        self.gaps_table.setMinimumHeight(120)
        export_row = QHBoxLayout()
        export_row.addWidget(self.dry_status, 1)
        export_row.addWidget(self.export)
        s1 = QVBoxLayout(step1)
        s1.addLayout(form)
        s1.addWidget(self.gaps_table, 1)
        s1.addLayout(export_row)

        step2 = QGroupBox("2. Apply, on the district server")
        explain = QLabel(f"The server ends {frm}'s semester classes on the term's last day and "
                         f"places each student in the {to} section that follows; year-long "
                         "classes go on. Every workstation receives the new programs with its "
                         "next sync.")
        explain.setWordWrap(True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(False)
        self.apply.setEnabled(False)
        if not self.can_apply:
            self.apply.setToolTip("Only counselors and school administrators apply the rollover")
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addStretch(0)
        row.addWidget(self.apply)
        s2 = QVBoxLayout(step2)
        s2.addWidget(explain)
        s2.addLayout(row)
        s2.addWidget(self.outcome)
        if not self.can_apply:
            note = QLabel("Only counselors and school administrators can apply the rollover.")
            note.setStyleSheet(NOTE_STYLE)
            s2.addWidget(note)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(step1, 1)
        layout.addWidget(step2)
        layout.addWidget(self.buttons)

    def _connect_signals(self) -> None:
        self.apply.clicked.connect(self.on_apply)
        self.export.clicked.connect(lambda: self.on_export())
        self.buttons.rejected.connect(self.reject)

    # --- step 1: the dry run, off the GUI thread

    def reload(self) -> None:
        """Run the dry run again from the cache (after a sync)."""
        store, day = self.store, self.day
        term_id = self.from_term.id if self.from_term else None

        def op(_task: Task) -> DryRun | None:
            found = rollover_dry_run(store, from_term_id=term_id, on=day)
            if found is None:
                return None
            plan, incomplete = found
            return DryRun(plan, rollover_gaps(store, plan, incomplete, on=day))
        self.apply.setEnabled(False)
        self.dry_status.setText("Working out what would change…")
        self.runner.run(op, success=self.on_dry_run,
                        failure=lambda exc: messages.problem(self, "The dry run failed", exc))

    def on_dry_run(self, dry: DryRun | None) -> None:
        self.dry_run = dry
        if dry is None:
            for label in (self.ends, self.adds, self.carried, self.unplaced, self.incomplete):
                label.setText("—")
            self.gaps_model.set_rows([], [])
            self.dry_status.setText(
                f"{self.from_term.name} is the last term of its school year: next year's "
                "programs come from course requests." if self.from_term else
                "No term is under way today: there is nothing to roll over.")
            self.apply.setEnabled(False)
            return
        plan = dry.plan
        self.ends.setText(f"{len(plan.ends):,}")
        self.adds.setText(f"{dry.students_placed:,} students, {len(plan.adds):,} classes")
        self.carried.setText(f"{plan.carried:,}")
        self.unplaced.setText(f"{len(plan.unplaced):,}")
        self.incomplete.setText(f"{len(dry.gaps):,}")
        self.gaps_model.set_rows(
            ["Student ID", "Name", "Grade", "Missing periods", "Why"],
            [(g.district_student_id, f"{g.last_name}, {g.first_name}", g.grade_level,
              ", ".join(map(str, g.missing)), g.why) for g in dry.gaps])
        for column in range(self.gaps_model.columnCount() - 1):  # the last one stretches
            self.gaps_table.resizeColumnToContents(column)
        if not plan.changes:
            self.dry_status.setText(f"Nothing to do: {plan.to_term.name} programs are already "
                                    "in place.")
            self.dry_status.setStyleSheet(DONE_STYLE)
            self.apply.setEnabled(False)
            return
        self.dry_status.setStyleSheet("")
        self.dry_status.setText(
            f"{len(dry.gaps):,} students would start {plan.to_term.name} without a complete "
            "schedule." if dry.gaps else
            f"Every student would start {plan.to_term.name} with a complete schedule.")
        self.apply.setEnabled(self.can_apply and not self.server.busy())

    def _relayout(self) -> None:
        """Make room for labels whose text changed (a group box doesn't ask for it)."""
        for box in self.findChildren(QGroupBox):
            inner = box.layout()
            if inner is not None:
                inner.invalidate()
                inner.activate()
        layout = self.layout()
        if layout is not None:
            layout.invalidate()
            layout.activate()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._relayout()

    def nothing_to_do(self) -> bool:
        return self.dry_run is not None and not self.dry_run.plan.changes

    # --- step 2: apply, on the server

    def on_apply(self) -> None:
        dry = self.dry_run
        if dry is None or not dry.plan.changes or not self.can_apply:
            return
        pending = self.store.outbox_counts()["pending"]
        waiting = (f"\n\n{pending} changes made on this workstation have not reached the "
                   "server yet: the rollover works from the server's programs, so sync first "
                   "if they are schedule changes." if pending else "")
        if not messages.confirm(
                self, "Apply the rollover",
                f"End {len(dry.plan.ends):,} {dry.plan.from_term.name} semester classes and place "
                f"{dry.students_placed:,} students into {dry.plan.to_term.name} sections on the "
                f"district server? Every workstation receives the new programs with its next "
                f"sync.{waiting}"):
            return
        ws = self.workstation
        school_id = ws.settings.school_id or self.store.get("school_id") or ""
        term_id, workstation_id = dry.plan.from_term.id, ws.settings.workstation_id

        def op(_task: Task) -> dict[str, Any]:
            client = ws.client()
            try:
                return client.rollover(school_id, from_term_id=term_id, apply=True,
                                       workstation=workstation_id)
            finally:
                client.close()
        self.apply.setEnabled(False)
        self.progress.setVisible(True)
        self.outcome.setStyleSheet("")
        self.outcome.setText("The district server is applying the rollover…")
        self._relayout()
        self.server.run(op, success=self.on_applied, failure=self.on_apply_failed)

    def on_applied(self, result: dict[str, Any]) -> None:
        self.progress.setVisible(False)
        self.server_result = result
        lines = [
            "<b>Applied on the server.</b> Syncing brings the new programs to this workstation."
            if result.get("applied") else
            f"<b>Nothing to do on the server:</b> {result['to_term']} programs are already in "
            "place. Syncing brings them to this workstation.",
            f"{result['from_term']} semester classes ended: {result['ended']:,} · "
            f"{result['to_term']} classes added: {result['added']:,} for "
            f"{result['students']:,} students",
            f"Year-long classes carried on: {result['carried']:,} · Students without a complete "
            f"schedule: {result['incomplete_after']:,}"]
        differ = self.differences(result)
        if differ:
            lines += ["<b>The server's counts differ from this workstation's dry run</b>: "
                      "programs changed meanwhile, here or on another workstation.",
                      "; ".join(differ).capitalize() + ". The server's counts are the ones "
                      "carried out."]
        self.outcome.setStyleSheet(NOTE_STYLE if differ else DONE_STYLE)
        self.outcome.setText("<br>".join(lines))
        self._relayout()
        self.sync_requested.emit()

    def differences(self, result: dict[str, Any]) -> list[str]:
        """Where the server's counts and the dry run's disagree, in words."""
        if self.dry_run is None:
            return []
        names = {"ended": "classes ended", "added": "classes added",
                 "carried": "year-long classes carried on"}
        return [f"{names[k]}: {result.get(k, 0):,} on the server, {mine:,} here"
                for k, mine in self.dry_run.counts.items() if result.get(k, 0) != mine]

    def on_apply_failed(self, exc: BaseException) -> None:
        self.progress.setVisible(False)
        self.outcome.setText("The rollover was not applied. " + (
            str(exc) if messages.is_known(exc) else "See the message for details."))
        self._relayout()
        self.apply.setEnabled(self.can_apply and not self.nothing_to_do())
        messages.problem(self, "The rollover could not be applied", exc)

    def applying(self) -> bool:
        return self.server.busy()

    # --- output

    def table_for_output(self) -> tuple[str, list[str], list[tuple[str, ...]]]:
        to = self.to_term.name if self.to_term else "the next term"
        return (f"Students who would start {to} without a complete schedule",
                list(self.gaps_model.headers), list(self.gaps_model.rows))

    def on_export(self, path: str | None = None) -> None:
        title, headers, rows = self.table_for_output()
        if not rows:
            messages.info(self, "Export to Excel", "Every student would have a complete "
                          "schedule: there is no list to export.")
            return
        export_to_excel(self, self.output, title=title, headers=headers, rows=rows,
                        sheet="Incomplete schedules", file_name="rollover-incomplete",
                        path=path, done=lambda p: self.dry_status.setText(f"Exported to {p}"))

    # --- closing

    def reject(self) -> None:
        """Close (button, Esc): not while the server is applying, so its answer is seen."""
        if self.server.busy():
            self.outcome.setText("The district server is applying the rollover: wait for its "
                                "answer before closing.")
            return
        super().reject()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.server.busy():
            event.ignore()
            self.reject()
            return
        super().closeEvent(event)


def can_apply_role(role: str) -> bool:
    """Who may apply the rollover (and run the loader): the server's rule."""
    return role in ("counselor", "school_admin", "district_admin")
