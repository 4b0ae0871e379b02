"""Lists to Excel (openpyxl): a title row, bold headers, frozen panes, sensible widths.

Every text is written as text. A cell that starts with = + - @ (or a tab or
carriage return) would otherwise become a live formula in every school's
export: a student entered as ``=HYPERLINK("http://…","Click")`` must stay a
name (formula injection, OWASP "CSV Injection").
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_table(path: str | Path, *, title: str, headers: Sequence[str],
                rows: Sequence[Sequence[object]], sheet: str = "List",
                progress: Callable[[int, int], None] | None = None) -> Path:
    """Write one sheet; the file appears whole or not at all (written aside, then renamed)."""
    path = Path(path)
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(list(headers))
    for cell in (ws["A1"], *ws[2]):
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
    fill = PatternFill("solid", fgColor="E5E7EB")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = fill
    widths = [len(h) for h in headers]
    for n, row in enumerate(rows, 1):
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"  # text, never a formula
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
        if progress and n % 500 == 0:
            progress(n, len(rows))
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{len(rows) + 2}"
    tmp = path.with_name(f".{path.name}.part")
    book.save(tmp)
    os.replace(tmp, path)
    return path
