"""Report cards through Qt's painting system: one page each, always.

Each card is laid out first into a list of drawing operations (text at a
point, a line, a filled rectangle), then painted with plain QPainter calls,
so the same code serves print preview, the printer and PDF, and a test can
check that nothing lies outside the page. Fonts and their metrics are made
once per batch; a card that would not fit at the usual size is drawn at the
largest of a few tighter settings that fits (smaller type, less padding,
then one-line rows), down to 7 pt, and a course title too long for its
column is set smaller or cut short with "…". Nothing ever goes onto a
second page.

The page, type and drawing helpers (`Sheet`, `Face`, `text_op`,
`paint_pages`) are in reports/painting.py, shared with the transcript.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPagedPaintDevice

from domain.codes import grade_label
from domain.documents import CardDocument
from domain.grades import COMMENT_BY_CODE, CONDUCT_LABELS, MARK_LABELS
from reports.painting import (
    FILL,
    GREY,
    INK,
    LINE,
    MIN_POINTS,
    RULE,
    STRIPE,
    Face,
    Op,
    Sheet,
    fitting_face,
    paint_pages,
    set_letter,
    text_op,
    wrap,
)

CURRENT = QColor("#e8eefc")  # the column of the marking period the card is for

# Every word on a card, in English and Spanish.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("Report card", "Boleta de calificaciones"),
    "student": ("Student", "Estudiante"),
    "student_id": ("Student ID", "Núm. de estudiante"),
    "grade": ("Grade", "Grado"),
    "counselor": ("Counselor", "Consejero(a)"),
    "marking_period": ("Marking period", "Periodo"),
    "date": ("Date", "Fecha"),
    "period": ("Per.", "Per."),
    "course": ("Course / teacher", "Curso / maestro(a)"),
    "work_habits": ("Work habits", "Hábitos de trabajo"),
    "cooperation": ("Cooper- ation", "Coope- ración"),
    "comments": ("Comments", "Comen- tarios"),
    "absences": ("Absen- ces", "Ausen- cias"),
    "tardies": ("Tardies", "Tardan- zas"),
    "week": ("Week", "Semana"),
    "final": ("Final", "Final"),
    "gpa": ("Term GPA", "Promedio del semestre"),
    "days_absent": ("Days absent", "Días de ausencia"),
    "tardies_total": ("Tardies", "Tardanzas"),
    "comments_legend": ("Comments", "Comentarios"),
    "marks_legend": ("Marks", "Calificaciones"),
    "conduct_legend": ("Work habits and cooperation", "Hábitos de trabajo y cooperación"),
    "signature": ("Parent/guardian signature", "Firma del padre, madre o tutor"),
    "return": ("Please sign this card and return it to the school.",
               "Por favor firme esta boleta y devuélvala a la escuela."),
    "no_classes": ("No classes in this marking period.", "Sin clases en este periodo."),
    "more": ("more classes: see the student's record", "clases más: vea el expediente"),
}
MARKING_PERIODS: dict[int, tuple[str, str]] = {
    5: ("5-week progress report", "Informe de progreso de 5 semanas"),
    10: ("10-week report card", "Boleta de 10 semanas"),
    15: ("15-week progress report", "Informe de progreso de 15 semanas"),
    20: ("Semester report card", "Boleta semestral"),
}
TERM_WORDS = {"Fall": "Otoño", "Spring": "Primavera", "Winter": "Invierno", "Summer": "Verano"}


def label(key: str, language: str) -> str:
    en, es = LABELS[key]
    return es if language == "es" else en


def term_name(name: str, language: str) -> str:
    if language != "es":
        return name
    first, _, rest = name.partition(" ")
    return f"{TERM_WORDS.get(first, first)} {rest}".strip()


def marking_period_name(week: int, name: str, language: str) -> str:
    names = MARKING_PERIODS.get(week)
    if names is None:
        return name
    return names[1] if language == "es" else names[0]


# ------------------------------------------------------------ the report card


@dataclass(frozen=True)
class _Density:
    points: float  # table type
    row: float  # row height, in lines of table type
    two_lines: bool  # the teacher under the course title (else beside it)
    gap: float  # space between blocks, in lines


# From roomy to tight: the first that fits the card is used.
DENSITIES = (
    _Density(10.0, 1.25, True, 1.0),
    _Density(9.5, 1.2, True, 0.9),
    _Density(9.0, 1.15, True, 0.8),
    _Density(8.5, 1.1, True, 0.7),
    _Density(8.0, 1.05, True, 0.6),
    _Density(8.0, 1.5, False, 0.5),
    _Density(7.5, 1.35, False, 0.4),
    _Density(7.0, 1.2, False, 0.3),
)


class _Columns:
    """The table's columns for one density, language and number of marks."""

    def __init__(self, sheet: Sheet, density: _Density, language: str, marks: int) -> None:
        pt = sheet.pt
        self.pad = 2.5 * pt
        head_pt = max(MIN_POINTS, density.points - 1.5)
        self.head = sheet.face(head_pt, bold=True, narrow=True)
        self.body = sheet.face(density.points, narrow=True)
        self.mark = sheet.face(density.points, bold=True, narrow=True)
        self.small = sheet.face(max(MIN_POINTS, density.points - 1.5), narrow=True)
        week = label("week", language)
        # (key, header text, widest content): course takes what is left.
        fixed = [("period", label("period", language), "88")]
        fixed += [(f"mark{i}", f"{week} 20", "NM") for i in range(marks)]
        fixed += [("work_habits", label("work_habits", language), "E"),
                  ("cooperation", label("cooperation", language), "E"),
                  ("comments", label("comments", language), "00 00 00"),
                  ("absences", label("absences", language), "888"),
                  ("tardies", label("tardies", language), "888")]
        widths: dict[str, float] = {}
        for key, header, content in fixed:
            words = max((self.head.width(w) for w in header.split()), default=0.0)
            widths[key] = max(words, self.body.width(content)) + 2 * self.pad
        widths["course"] = sheet.width - sum(widths.values())
        order = ["period", "course", *(f"mark{i}" for i in range(marks)), "work_habits",
                 "cooperation", "comments", "absences", "tardies"]
        self.x: dict[str, float] = {}
        self.w: dict[str, float] = {}
        x = 0.0
        for key in order:
            self.x[key], self.w[key] = x, widths[key]
            x += widths[key]
        self.headers: dict[str, list[str]] = {}
        for key, header, _content in fixed:
            self.headers[key] = wrap(self.head, header, widths[key] - 2 * self.pad)
        self.headers["course"] = wrap(self.head, label("course", language),
                                      widths["course"] - 2 * self.pad)
        self.header_lines = max(2, max(len(v) for v in self.headers.values()))
        self.header_h = self.header_lines * self.head.height + 2 * self.pad
        line_h = self.body.height
        self.two_lines = density.two_lines
        self.row_h = (line_h + self.small.height if density.two_lines else line_h) * density.row


@dataclass
class _CardStyle:
    """Everything a batch of cards shares: the page, the type, the columns."""

    sheet: Sheet

    def __post_init__(self) -> None:
        s, pt = self.sheet, self.sheet.pt
        self.school = s.face(15, bold=True)
        self.title = s.face(13, bold=True)
        self.label = s.face(8)
        self.value = s.face(10, bold=True)
        self.note = s.face(8)
        self.note_bold = s.face(8, bold=True)
        self.totals = s.face(9.5, bold=True)
        self.rule_gap = 4 * pt
        self._columns: dict[tuple[int, str, int], _Columns] = {}
        self._legends: dict[tuple[int, str], list[tuple[str, float, list[str]]]] = {}
        # The part above the table and the signature below it never change size.
        self.top_h = (self.school.height * 1.25 + self.rule_gap * 2
                      + 3 * self.value.height * 1.35 + self.rule_gap)
        self.signature_h = self.value.height * 3.2 + self.note.height * 1.2

    def columns(self, level: int, language: str, marks: int) -> _Columns:
        key = (level, language, marks)
        cols = self._columns.get(key)
        if cols is None:
            cols = self._columns[key] = _Columns(self.sheet, DENSITIES[level], language, marks)
        return cols

    def legend_face(self, level: int) -> Face:
        return self.sheet.face(max(MIN_POINTS, DENSITIES[level].points - 1.5))

    def legend_bold(self, level: int) -> Face:
        return self.sheet.face(max(MIN_POINTS, DENSITIES[level].points - 1.5), bold=True)

    def legends(self, level: int, language: str) -> list[tuple[str, float, list[str]]]:
        """What marks and conduct marks mean: (heading, its width, lines)."""
        key = (level, language)
        found = self._legends.get(key)
        if found is None:
            face, bold = self.legend_face(level), self.legend_bold(level)
            found = []
            for name, table in (("marks_legend", MARK_LABELS),
                                ("conduct_legend", CONDUCT_LABELS)):
                head = f"{label(name, language)}: "
                indent = bold.width(head)
                lines: list[str] = []
                for mark, names in table.items():
                    entry = f"{mark} {names[1] if language == 'es' else names[0]}"
                    if lines and face.width(f"{lines[-1]}   {entry}") <= self.sheet.width - indent:
                        lines[-1] = f"{lines[-1]}   {entry}"
                    else:
                        lines.append(entry)
                found.append((head, indent, lines))
            self._legends[key] = found
        return found

    def below_table_h(self, level: int, language: str, comments: int) -> float:
        """Totals, legends and signature under a table at this density."""
        d, face = DENSITIES[level], self.legend_face(level)
        line = face.height * 1.2
        legends = (math.ceil(comments / 2) + 1 if comments else 0)
        legends += sum(len(lines) for _head, _indent, lines in self.legends(level, language))
        return (self.totals.height * 1.4 + legends * line + 3 * d.gap * face.height
                + self.signature_h)


def layout_report_card(style: _CardStyle, doc: CardDocument) -> list[Op]:
    """The page of one card, as drawing operations inside the page's rectangle."""
    sheet, lang, card = style.sheet, doc.language, doc.card
    lines = card.lines
    codes = sorted({c for line in lines for c in line.comments if c in COMMENT_BY_CODE})
    marks = max(1, len(card.periods))
    # The roomiest density at which the whole card fits the page.
    level = len(DENSITIES) - 1
    for i in range(len(DENSITIES)):
        cols = style.columns(i, lang, marks)
        need = (style.top_h + cols.header_h + max(1, len(lines)) * cols.row_h
                + style.below_table_h(i, lang, len(codes)))
        if need <= sheet.height:
            level = i
            break
    cols = style.columns(level, lang, marks)
    ops: list[Op] = []
    y = _header(style, doc, ops)
    room = sheet.height - y - cols.header_h - style.below_table_h(level, lang, len(codes))
    y = _table(style, cols, doc, ops, y, max(1, int(room // cols.row_h)))
    _footer(style, level, doc, codes, ops, y)
    return ops


def _header(style: _CardStyle, doc: CardDocument, ops: list[Op]) -> float:
    sheet, lang, w = style.sheet, doc.language, style.sheet.width
    title = label("title", lang)
    title_w = style.title.width(title)
    h = style.school.height * 1.25
    ops.append(text_op(style.school, 0, 0, h, doc.school, width=w - title_w - 12 * sheet.pt))
    ops.append(text_op(style.title, w - title_w, 0, h, title))
    y = h + style.rule_gap
    period = doc.marking_period
    ops.append((LINE, RULE, 0, y, w, y))
    y += style.rule_gap
    h = style.value.height * 1.35
    label_w = max(style.label.width(label(k, lang)) for k in
                  ("student", "grade", "marking_period", "student_id", "counselor", "date"))
    label_w += 6 * sheet.pt
    half = w * 0.62
    block = (("student", doc.student_name, "student_id", doc.district_student_id),
             ("grade", grade_label(doc.grade_level), "counselor", doc.counselor or "—"),
             ("marking_period", f"{term_name(doc.term_name, lang)} — "
              f"{marking_period_name(period.week, period.name, lang)}", "date", doc.issued))
    for left_key, left, right_key, right in block:
        ops.append(text_op(style.label, 0, y, h, label(left_key, lang), color=GREY))
        room = half - label_w - 8 * sheet.pt
        face = fitting_face(sheet, left, room, style.value.points, bold=True, floor=8)
        ops.append(text_op(face, label_w, y, h, left, width=room))
        ops.append(text_op(style.label, half, y, h, label(right_key, lang), color=GREY))
        ops.append(text_op(style.value, half + label_w, y, h, right,
                           width=w - half - label_w))
        y += h
    y += style.rule_gap
    return y


def _table(style: _CardStyle, cols: _Columns, doc: CardDocument, ops: list[Op], y: float,
           fit: int) -> float:
    sheet, lang, card = style.sheet, doc.language, doc.card
    w, pad = sheet.width, cols.pad
    marks = max(1, len(card.periods))
    top = y
    keys = ["period", "course", *(f"mark{i}" for i in range(marks)), "work_habits",
            "cooperation", "comments", "absences", "tardies"]
    headers = dict(cols.headers)
    week = label("week", lang)
    for i, p in enumerate(card.periods):
        headers[f"mark{i}"] = ([label("final", lang)] if p.week == 20 else [week, str(p.week)])
    current = f"mark{len(card.periods) - 1}" if card.periods else None
    if current:
        ops.append((FILL, CURRENT, cols.x[current], y, cols.w[current], cols.header_h))
    line_h = cols.head.height
    for key in keys:
        for n, part in enumerate(headers.get(key, [])):
            align = "left" if key == "course" else "center"
            ops.append(text_op(cols.head, cols.x[key] + pad, y + pad + n * line_h, line_h, part,
                               width=cols.w[key] - 2 * pad, align=align))
    y += cols.header_h
    ops.append((LINE, INK, 0, y, w, y))
    lines = card.lines
    shown = lines if len(lines) <= fit else lines[:fit - 1]
    density_two = cols.two_lines
    for n, line in enumerate(shown):
        h = cols.row_h
        if n % 2:
            ops.append((FILL, STRIPE, 0, y, w, h))
        if current:
            ops.append((FILL, CURRENT, cols.x[current], y, cols.w[current], h))
        ops.append(text_op(cols.body, cols.x["period"] + pad, y, h, str(line.period),
                           width=cols.w["period"] - 2 * pad, align="center"))
        course_w = cols.w["course"] - 2 * pad
        x = cols.x["course"] + pad
        if density_two:
            block = cols.body.height + cols.small.height
            first = y + (h - block) / 2
            face = fitting_face(sheet, line.course_title, course_w, cols.body.points,
                                narrow=True, floor=cols.body.points - 1.5)
            ops.append(text_op(face, x, first, cols.body.height, line.course_title,
                               width=course_w))
            ops.append(text_op(cols.small, x, first + cols.body.height, cols.small.height,
                               line.teacher, width=course_w, color=GREY))
        else:
            teacher = cols.small.elide(line.teacher, course_w * 0.38)
            teacher_w = cols.small.width(teacher) if teacher else 0.0
            title_w = course_w - teacher_w - 6 * sheet.pt
            face = fitting_face(sheet, line.course_title, title_w, cols.body.points,
                                narrow=True, floor=cols.body.points - 1)
            ops.append(text_op(face, x, y, h, line.course_title, width=title_w))
            if teacher:
                ops.append(text_op(cols.small, x + course_w - teacher_w, y, h, teacher,
                                   color=GREY))
        for i, mark in enumerate(line.marks):
            key = f"mark{i}"
            ops.append(text_op(cols.mark, cols.x[key], y, h, mark, width=cols.w[key],
                               align="center"))
        for key, text in (("work_habits", line.work_habits), ("cooperation", line.cooperation),
                          ("comments", " ".join(line.comments)),
                          ("absences", str(line.absences)), ("tardies", str(line.tardies))):
            ops.append(text_op(cols.body, cols.x[key] + pad, y, h, text,
                               width=cols.w[key] - 2 * pad, align="center"))
        y += h
        ops.append((LINE, RULE, 0, y, w, y))
    if len(shown) < len(lines):
        h = cols.row_h
        ops.append(text_op(cols.body, cols.x["course"] + pad, y, h,
                           f"+ {len(lines) - len(shown)} {label('more', lang)}", color=GREY,
                           width=cols.w["course"] + cols.w.get("mark0", 0)))
        y += h
    elif not lines:
        h = cols.row_h
        ops.append(text_op(cols.body, cols.x["course"] + pad, y, h, label("no_classes", lang),
                           color=GREY, width=w - cols.x["course"]))
        y += h
    ops.append((LINE, INK, 0, top, w, top))
    ops.append((LINE, INK, 0, y, w, y))
    return y


def _footer(style: _CardStyle, level: int, doc: CardDocument, codes: list[str],
            ops: list[Op], y: float) -> None:
    sheet, lang, w = style.sheet, doc.language, style.sheet.width
    d = DENSITIES[level]
    face, bold = style.legend_face(level), style.legend_bold(level)
    gap = d.gap * face.height
    # Totals.
    h = style.totals.height * 1.4
    y += gap
    gpa = doc.card.gpa
    totals = ((label("gpa", lang), "—" if gpa is None else f"{gpa:.2f}"),
              (label("days_absent", lang), str(doc.days_absent)),
              (label("tardies_total", lang), str(doc.tardies)))
    x = 0.0
    for name, value in totals:
        text = f"{name}: {value}"
        ops.append(text_op(style.totals, x, y, h, text))
        x += max(w / 3, style.totals.width(text) + 12 * sheet.pt)
    y += h + gap
    # Legends: the comments on this card, then what marks mean.
    line = face.height * 1.2
    if codes:
        ops.append(text_op(bold, 0, y, line, f"{label('comments_legend', lang)}:"))
        y += line
        half = w / 2
        rows = math.ceil(len(codes) / 2)
        code_w = face.width("00") + 4 * sheet.pt
        for n, code in enumerate(codes):
            comment = COMMENT_BY_CODE[code]
            x = 0.0 if n < rows else half
            top = y + (n % rows) * line
            ops.append(text_op(bold, x, top, line, code))
            ops.append(text_op(face, x + code_w, top, line,
                               comment.es if lang == "es" else comment.en,
                               width=half - code_w - 6 * sheet.pt))
        y += rows * line
    for head, indent, lines in style.legends(level, lang):
        ops.append(text_op(bold, 0, y, line, head))
        for text in lines:
            ops.append(text_op(face, indent, y, line, text, width=w - indent))
            y += line
    # The signature, at the foot of the page.
    h = style.value.height * 1.6
    y = max(y + gap, sheet.height - style.signature_h)
    base = y + style.value.height * 1.6
    sig_w = w * 0.58
    ops.append((LINE, INK, 0, base, sig_w, base))
    ops.append((LINE, INK, sig_w + 24 * sheet.pt, base, w, base))
    ops.append(text_op(style.label, 0, base, h * 0.7, label("signature", lang), color=GREY))
    ops.append(text_op(style.label, sig_w + 24 * sheet.pt, base, h * 0.7, label("date", lang),
                       color=GREY))
    ops.append(text_op(style.note, 0, base + h * 0.7, style.note.height * 1.2,
                       label("return", lang), color=GREY, width=w))


class ReportCardPainter:
    """Lays out cards for one device; fonts and columns are made once and reused."""

    def __init__(self, device: QPagedPaintDevice) -> None:
        set_letter(device)
        self.style = _CardStyle(Sheet(device))

    def layout(self, doc: CardDocument) -> list[Op]:
        return layout_report_card(self.style, doc)


def paint_report_cards(device: QPagedPaintDevice, cards: Iterable[CardDocument], *,
                       progress: Callable[[int], None] | None = None,
                       cancelled: Callable[[], bool] | None = None) -> int:
    """One page per card onto `device` (a QPrinter or QPdfWriter); returns
    the pages painted. Stops between cards once `cancelled()` is true."""
    painter = ReportCardPainter(device)
    return paint_pages(device, (painter.layout(doc) for doc in cards), progress=progress,
                       cancelled=cancelled)
