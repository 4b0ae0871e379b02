"""Writing a PDF file so that it is either whole or not there at all.

QPdfWriter doesn't report a full disk: the file just ends early. So the PDF
is written under a temporary name in the folder it is meant for, checked to
end as a finished PDF does, and only then renamed over the name asked for.
On cancel or failure nothing is left behind, and an older file of the same
name is untouched. Report cards, transcripts and truancy letters are all
written this way.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtGui import QPdfWriter


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
    """Paint into a PDF at `path` (300 dpi), written under a temporary name
    beside it and renamed only when whole; on cancel (`Cancelled`) or failure
    (a calm OSError) no file is left, and an older file at `path` is
    untouched. Returns the pages `paint` reports."""
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
