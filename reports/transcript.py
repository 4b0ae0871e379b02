"""A student's transcript: every year's marks and credits, cumulative GPA.

Drawn with the report card's helpers (reports/painting.py): laid out into
pages of drawing operations first, so each page can say "page 2 of 3",
then painted with plain QPainter calls onto any paged device. A transcript
runs onto as many pages as it needs; a year's heading never ends a page.
"""
from __future__ import annotations

from PySide6.QtGui import QPagedPaintDevice

from domain.codes import grade_label
from domain.documents import TranscriptDocument, TranscriptYear
from reports.painting import (
    FILL,
    GREY,
    INK,
    LINE,
    RULE,
    STRIPE,
    Face,
    Op,
    Sheet,
    paint_pages,
    set_letter,
    text_op,
    wrap,
)

TITLE = "Academic transcript"
# (key, header, share of the width)
COLUMNS = (("term", "Term", 0.12), ("code", "Course", 0.14), ("title", "Title", 0.44),
           ("mark", "Mark", 0.08), ("attempted", "Credits attempted", 0.11),
           ("earned", "Credits earned", 0.11))


def _credits(value: float) -> str:
    return f"{value:.1f}"


def _gpa(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


class _Layout:
    def __init__(self, sheet: Sheet, doc: TranscriptDocument) -> None:
        self.sheet, self.doc = sheet, doc
        pt = sheet.pt
        self.school = sheet.face(15, bold=True)
        self.title = sheet.face(13, bold=True)
        self.label = sheet.face(8)
        self.value = sheet.face(10, bold=True)
        self.head = sheet.face(8, bold=True, narrow=True)
        self.body = sheet.face(9.5, narrow=True)
        self.bold = sheet.face(9.5, bold=True, narrow=True)
        self.note = sheet.face(8)
        self.row_h = self.body.height * 1.3
        self.pad = 3 * pt
        self.x: dict[str, float] = {}
        self.w: dict[str, float] = {}
        x = 0.0
        for key, _header, share in COLUMNS:
            self.x[key], self.w[key] = x, sheet.width * share
            x += sheet.width * share
        self.footer_h = self.note.height * 2
        self.bottom = sheet.height - self.footer_h
        self.pages: list[list[Op]] = []
        self.ops: list[Op] = []
        self.y = 0.0

    # -- pages

    def new_page(self) -> None:
        self.ops = []
        self.pages.append(self.ops)
        self.y = self._page_head(first=len(self.pages) == 1)
        self._column_heads()

    def room(self, height: float) -> None:
        """Start a new page unless `height` fits above the footer."""
        if self.y + height > self.bottom:
            self.new_page()

    def _page_head(self, *, first: bool) -> float:
        sheet, doc, ops, w = self.sheet, self.doc, self.ops, self.sheet.width
        title_w = self.title.width(TITLE)
        h = self.school.height * 1.25
        ops.append(text_op(self.school, 0, 0, h, doc.school, width=w - title_w - 12 * sheet.pt))
        ops.append(text_op(self.title, w - title_w, 0, h, TITLE))
        y = h + 4 * sheet.pt
        ops.append((LINE, RULE, 0, y, w, y))
        y += 4 * sheet.pt
        h = self.value.height * 1.35
        if not first:
            ops.append(text_op(self.value, 0, y, h,
                               f"{doc.student_name} — {doc.district_student_id} (continued)",
                               width=w))
            return y + h * 1.3
        block = (("Student", doc.student_name, "Student ID", doc.district_student_id),
                 ("Grade", grade_label(doc.grade_level), "Birth date", doc.birth_date),
                 ("Counselor", doc.counselor or "—", "Date issued", doc.issued))
        label_w = max(self.label.width(t) for row in block for t in (row[0], row[2]))
        label_w += 6 * sheet.pt
        half = w * 0.62
        for left_label, left, right_label, right in block:
            ops.append(text_op(self.label, 0, y, h, left_label, color=GREY))
            ops.append(text_op(self.value, label_w, y, h, left, width=half - label_w))
            ops.append(text_op(self.label, half, y, h, right_label, color=GREY))
            ops.append(text_op(self.value, half + label_w, y, h, right,
                               width=w - half - label_w))
            y += h
        return y + h * 0.5

    def _column_heads(self) -> None:
        line = self.head.height * 1.1
        heads = {key: wrap(self.head, header, self.w[key] - 2 * self.pad)
                 for key, header, _share in COLUMNS}
        lines = max(len(v) for v in heads.values())
        for key, parts in heads.items():
            align = "right" if key in ("attempted", "earned") else "left"
            top = self.y + (lines - len(parts)) * line  # headers sit on the rule
            for part in parts:
                self.ops.append(text_op(self.head, self.x[key] + self.pad, top, line, part,
                                        width=self.w[key] - 2 * self.pad, align=align))
                top += line
        self.y += lines * line + self.head.height * 0.3
        self.ops.append((LINE, INK, 0, self.y, self.sheet.width, self.y))

    # -- content

    def year(self, year: TranscriptYear) -> None:
        band = self.row_h * 1.15
        # The heading, the first class and the totals at least, together.
        self.room(band + self.row_h * min(2, len(year.lines)) + self.row_h)
        self.ops.append((FILL, STRIPE, 0, self.y, self.sheet.width, band))
        self.ops.append(text_op(self.bold, self.pad, self.y, band,
                                f"{year.school_year} — Grade {grade_label(year.grade_level)}",
                                width=self.sheet.width / 2))
        self.y += band
        for n, line in enumerate(year.lines):
            self.room(self.row_h * (2 if n == len(year.lines) - 1 else 1))
            cells = (("term", line.term), ("code", line.course_code),
                     ("title", line.course_title), ("mark", line.mark),
                     ("attempted", _credits(line.attempted)),
                     ("earned", _credits(line.earned)))
            for key, text in cells:
                face: Face = self.bold if key == "mark" else self.body
                align = "right" if key in ("attempted", "earned") else "left"
                self.ops.append(text_op(face, self.x[key] + self.pad, self.y, self.row_h, text,
                                        width=self.w[key] - 2 * self.pad, align=align))
            self.y += self.row_h
        self.ops.append((LINE, RULE, 0, self.y, self.sheet.width, self.y))
        self._totals(f"Year {year.school_year}: GPA {_gpa(year.gpa)}", year.attempted,
                     year.earned)
        self.y += self.row_h * 0.4

    def _totals(self, caption: str, attempted: float, earned: float) -> None:
        ops, h = self.ops, self.row_h
        ops.append(text_op(self.bold, self.x["code"] + self.pad, self.y, h, caption,
                           width=self.x["attempted"] - self.x["code"]))
        for key, value in (("attempted", attempted), ("earned", earned)):
            ops.append(text_op(self.bold, self.x[key] + self.pad, self.y, h, _credits(value),
                               width=self.w[key] - 2 * self.pad, align="right"))
        self.y += h

    def summary(self) -> None:
        doc, h = self.doc, self.row_h
        self.room(h * 3.5)
        self.y += h * 0.3
        self.ops.append((LINE, INK, 0, self.y, self.sheet.width, self.y))
        self._totals(f"Cumulative: GPA {_gpa(doc.gpa)}", doc.attempted, doc.earned)
        self.ops.append(text_op(self.note, self.x["code"] + self.pad, self.y, h,
                                "GPA: unweighted, A = 4, B = 3, C = 2, D = 1, F = 0; "
                                "I and NM are not counted.", color=GREY,
                                width=self.sheet.width - self.x["code"]))
        self.y += h

    def footers(self) -> None:
        total = len(self.pages)
        for n, ops in enumerate(self.pages, 1):
            top = self.sheet.height - self.note.height * 1.3
            ops.append((LINE, RULE, 0, top - self.note.height * 0.3, self.sheet.width,
                        top - self.note.height * 0.3))
            ops.append(text_op(self.note, 0, top, self.note.height * 1.3,
                               f"{self.doc.student_name} — issued {self.doc.issued}",
                               color=GREY, width=self.sheet.width * 0.7))
            ops.append(text_op(self.note, 0, top, self.note.height * 1.3,
                               f"Page {n} of {total}", color=GREY, width=self.sheet.width,
                               align="right"))


def layout_transcript(sheet: Sheet, doc: TranscriptDocument) -> list[list[Op]]:
    """The transcript's pages, each a list of drawing operations."""
    layout = _Layout(sheet, doc)
    layout.new_page()
    if not doc.years:
        layout.ops.append(text_op(layout.body, layout.pad, layout.y, layout.row_h,
                                  "No marks on record.", color=GREY))
        layout.y += layout.row_h
    for year in doc.years:
        layout.year(year)
    layout.summary()
    layout.footers()
    return layout.pages


def paint_transcript(device: QPagedPaintDevice, doc: TranscriptDocument) -> int:
    """The transcript onto `device` (a QPrinter or QPdfWriter); returns the pages painted."""
    set_letter(device)
    return paint_pages(device, layout_transcript(Sheet(device), doc))
