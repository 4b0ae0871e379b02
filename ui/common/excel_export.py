"""Export a list to Excel, the same way from every screen: ask where (unless
told), add the missing ".xlsx", write off the GUI thread, say calmly when it
fails."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from ui.common import messages
from ui.common.tasks import TaskRunner


def export_to_excel(parent: QWidget, runner: TaskRunner, *, title: str,
                    headers: Sequence[str], rows: Sequence[Sequence[Any]], sheet: str,
                    file_name: str, done: Callable[[str], None],
                    path: str | None = None) -> bool:
    """Write `rows` to a workbook; `done(path)` once written. False when the
    person chose no file."""
    if path is None:
        path, _ = QFileDialog.getSaveFileName(parent, "Export to Excel",
                                              str(Path.home() / f"{file_name}.xlsx"),
                                              "Excel workbook (*.xlsx)")
        if not path:
            return False
    if not path.endswith(".xlsx"):
        path += ".xlsx"
    from reports.excel import write_table
    target = path
    runner.run(lambda _task: write_table(target, title=title, headers=headers, rows=rows,
                                         sheet=sheet[:31]),
               success=lambda written: done(str(written)),
               failure=lambda exc: messages.problem(parent, "Export failed", exc))
    return True
