"""A print preview that owns its printer."""
from __future__ import annotations

from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget


class PrintPreview(QPrintPreviewDialog):
    """QPrintPreviewDialog only borrows the printer it is given: if Python
    collected that printer while the dialog lived, the preview would paint on
    freed memory. This one holds its high-resolution printer as long as itself."""

    def __init__(self, parent: QWidget | None = None):
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        super().__init__(printer, parent)
        self.own_printer = printer
