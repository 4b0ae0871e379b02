"""The first truancy notification (California Education Code 48260.5), one page a student.

The law says what the letter must tell the family; `_TEXT` says it in plain
English and Spanish, chosen by the family's home language, with the legal
references left identical. Drawing goes through QPainter onto any paged
device, so the same code serves print preview, the printer and PDF. A letter
never runs onto a second page: the type shrinks down to a readable minimum,
and only then does the list of dates end with "and N more".
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPen,
    QTextLayout,
    QTextOption,
)

from domain.codes import grade_label
from reports.pdf_file import write_pdf

FONT_FAMILY = "DejaVu Sans"
# Body sizes tried in turn; 8 pt is the smallest a family should have to read.
BODY_SIZES = (10.5, 10.0, 9.5, 9.0, 8.5, 8.0)
# A letter always names at least the occasions that made the student truant.
MIN_OCCASIONS_SHOWN = 3

log = logging.getLogger(__name__)

# "Section 48260", "periodo 3": a legal reference or number never starts a line alone.
_KEEP_TOGETHER = re.compile(r"\b(Sections?|Secci[oó]n|Article|Art[ií]culo|Chapter|Cap[ií]tulo|"
                            r"Part|Parte|Code|period|periodo|Grade|Grado|ID) (\d)")

_INK = QColor("#111111")
_GREY = QColor("#4b5563")
_RULE = QColor("#9ca3af")


@dataclass(frozen=True)
class LetterData:
    """What one letter says; `occasions` are (ISO date, reason in the letter's language)."""

    school_name: str
    letter_date: dt.date
    language: str  # the family's home language: "es" gets Spanish, anything else English
    student_name: str
    student_id: str
    grade: str | int
    guardian_name: str  # the addressee
    occasions: Sequence[tuple[str, str]]
    school_address: str = ""
    school_phone: str = ""
    guardian_address: str = ""  # mailing lines, separated by newlines
    signer_name: str = ""
    signer_title: str = ""  # defaults to the attendance office


_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}
_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}

_TEXT = {
    "en": {
        "title": "First Notification of Truancy",
        "subtitle": "California Education Code Section 48260.5",
        "phone": "Telephone {phone}",
        "re": "Re:",
        "re_text": "{student} — Student ID {student_id} — Grade {grade}",
        "dear": "Dear {guardian},",
        "intro": "We are writing to let you know that {student} has missed school, or arrived "
                 "more than 30 minutes late, without a valid excuse on three or more days "
                 "during this school year. Under California Education Code Section 48260, "
                 "this means that {student} is considered truant.",
        "records": "Our attendance records show the following unexcused absences and tardies:",
        "more": "… and {n} more. The attendance office can give you the complete list.",
        "law": "California Education Code Section 48260.5 requires the school to inform you "
               "of the following:",
        "points": (
            "Your child is truant.",
            "As the parent or guardian, you are obligated to compel the attendance of your "
            "child at school.",
            "Parents or guardians who fail to meet this obligation may be guilty of an "
            "infraction and subject to prosecution pursuant to Article 6 (commencing with "
            "Section 48290) of Chapter 2 of Part 27 of the Education Code.",
            "Alternative educational programs are available in the district.",
            "You have the right to meet with appropriate school personnel to discuss "
            "solutions to your child's truancy.",
            "Your child may be subject to prosecution under Education Code Section 48264.",
            "Your child may be subject to suspension, restriction, or delay of his or her "
            "driving privilege pursuant to Vehicle Code Section 13202.7.",
            "It is recommended that you accompany your child to school and attend classes "
            "with your child for one day.",
        ),
        "call": "Please call the attendance office at {phone}",
        "call_no_phone": "Please contact the school's attendance office",
        "closing": "We want {student} to succeed in school, and we are here to help. {call} "
                   "to schedule a meeting or to talk with us about these absences. If you "
                   "believe that any of them should be excused, please contact us and bring "
                   "any documentation you have.",
        "sincerely": "Sincerely,",
        "office": "Attendance Office",
        "footer": "Student ID {student_id} · First notification of truancy · "
                  "Please keep this letter for your records.",
    },
    "es": {
        "title": "Primera notificación de ausentismo escolar",
        "subtitle": "Código de Educación de California, Sección 48260.5",
        "phone": "Teléfono {phone}",
        "re": "Asunto:",
        "re_text": "{student} — Número de estudiante {student_id} — Grado {grade}",
        "dear": "Estimado(a) {guardian}:",
        "intro": "Le escribimos para informarle que {student} ha faltado a la escuela, o ha "
                 "llegado más de 30 minutos tarde, sin una justificación válida en tres o más "
                 "días durante este año escolar. Según la Sección 48260 del Código de "
                 "Educación de California, esto significa que {student} se encuentra en "
                 "situación de ausentismo escolar injustificado.",
        "records": "Nuestros registros de asistencia muestran las siguientes ausencias y "
                   "llegadas tarde sin justificación:",
        "more": "… y {n} más. La oficina de asistencia puede darle la lista completa.",
        "law": "La Sección 48260.5 del Código de Educación de California exige que la escuela "
               "le informe lo siguiente:",
        "points": (
            "Su hijo(a) se encuentra en situación de ausentismo escolar injustificado.",
            "Usted, como padre, madre o tutor legal, tiene la obligación de hacer que su "
            "hijo(a) asista a la escuela.",
            "Los padres o tutores legales que no cumplan con esta obligación pueden ser "
            "culpables de una infracción y ser objeto de un proceso judicial conforme al "
            "Artículo 6 (que comienza con la Sección 48290) del Capítulo 2 de la Parte 27 "
            "del Código de Educación.",
            "En el distrito hay programas educativos alternativos disponibles.",
            "Usted tiene derecho a reunirse con el personal escolar correspondiente para "
            "hablar sobre posibles soluciones al ausentismo de su hijo(a).",
            "Su hijo(a) puede ser objeto de un proceso judicial conforme a la Sección 48264 "
            "del Código de Educación.",
            "Su hijo(a) puede estar sujeto(a) a la suspensión, restricción o aplazamiento de "
            "su privilegio de conducir, conforme a la Sección 13202.7 del Código de Vehículos.",
            "Se recomienda que usted acompañe a su hijo(a) a la escuela y asista a clases con "
            "él o ella durante un día.",
        ),
        "call": "Por favor, llame a la oficina de asistencia al {phone}",
        "call_no_phone": "Por favor, comuníquese con la oficina de asistencia de la escuela",
        "closing": "Queremos que {student} tenga éxito en la escuela y estamos aquí para "
                   "ayudarle. {call} para programar una reunión o para hablar con nosotros "
                   "sobre estas ausencias. Si usted considera que alguna de ellas debe "
                   "justificarse, comuníquese con nosotros y traiga cualquier documentación "
                   "que tenga.",
        "sincerely": "Atentamente,",
        "office": "Oficina de Asistencia",
        "footer": "Número de estudiante {student_id} · Primera notificación de ausentismo "
                  "escolar · Conserve esta carta para sus registros.",
    },
}

# Signers' titles as a Spanish letter gives them; others print as typed.
_TITLES_ES = {
    "principal": "Director(a)",
    "assistant principal": "Subdirector(a)",
    "attendance office": "Oficina de Asistencia",
    "attendance counselor": "Consejero(a) de asistencia",
    "counselor": "Consejero(a)",
    "pupil services and attendance counselor":
        "Consejero(a) de Servicios Estudiantiles y Asistencia",
}


def letter_language(language: str) -> str:
    """The letter's language: Spanish for Spanish-speaking homes, English otherwise."""
    return "es" if language.strip().lower().startswith("es") else "en"


def format_date(value: str | dt.date, language: str, *, weekday: bool = False) -> str:
    """"November 29, 2026" or "29 de noviembre de 2026", without depending on the OS locale."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    lang = letter_language(language)
    month = _MONTHS[lang][day.month - 1]
    text = (f"{day.day} de {month} de {day.year}" if lang == "es"
            else f"{month} {day.day}, {day.year}")
    return f"{_WEEKDAYS[lang][day.weekday()]}, {text}" if weekday else text


def paint_letters(device: QPagedPaintDevice, cases: Sequence[LetterData]) -> int:
    """Paint one letter per page onto a QPrinter or QPdfWriter; returns the page count."""
    if not cases:
        return 0
    device.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(19, 15, 19, 13), QPageLayout.Unit.Millimeter))
    painter = QPainter(device)
    try:
        for n, letter in enumerate(cases):
            if n:
                device.newPage()
            _paint_letter(painter, letter)
    finally:
        painter.end()
    return len(cases)


def write_letters_pdf(path: str | Path, cases: Sequence[LetterData]) -> int:
    """Write the letters to a PDF file (Letter, portrait, 300 dpi); returns the page count.
    The file appears only when whole (reports.pdf_file): a full disk is an OSError."""
    if not cases:
        raise ValueError("no letters to write")
    return write_pdf(Path(path), lambda writer: paint_letters(writer, cases),
                     title="First notifications of truancy")


# --- one page


class _Type:
    """The letter's fonts at one body size, measuring and drawing wrapped text."""

    def __init__(self, painter: QPainter, body_pt: float) -> None:
        self.painter = painter
        self.body = self._font(body_pt)
        self.bold = self._font(body_pt, bold=True)
        self.school = self._font(body_pt + 5, bold=True)
        self.title = self._font(body_pt + 2.5, bold=True)
        self.small = self._font(max(body_pt - 1.5, 7.0))
        self.gap = self.line_height(self.body) * 0.6

    @staticmethod
    def _font(points: float, *, bold: bool = False) -> QFont:
        font = QFont(FONT_FAMILY)
        font.setPointSizeF(points)
        font.setBold(bold)
        # No "fi" ligature: text copied or read aloud from the PDF stays plain letters.
        font.setFeature(QFont.Tag("liga"), 0)
        return font

    def line_height(self, font: QFont) -> float:
        return self.text("Ag", font, 0, 0, 1e6, draw=False)

    def width(self, text: str, font: QFont) -> float:
        layout = QTextLayout(text, font, self.painter.device())
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(1e6)
        layout.endLayout()
        return line.naturalTextWidth()

    def text(self, text: str, font: QFont, x: float, y: float, width: float, *,
             draw: bool, color: QColor = _INK,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> float:
        """Lay `text` out in `width` (breaking long names anywhere if they must); its height."""
        layout = QTextLayout(_KEEP_TOGETHER.sub("\\1\u00a0\\2", text), font, self.painter.device())
        option = QTextOption(align)
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        height = 0.0
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            line.setPosition(QPointF(0, height))
            height += line.height() * 1.12
        layout.endLayout()
        if draw:
            self.painter.setPen(color)
            layout.draw(self.painter, QPointF(x, y))
        return height


def _paint_letter(painter: QPainter, letter: LetterData) -> None:
    page = QRectF(painter.viewport())
    footer_type = _Type(painter, BODY_SIZES[-1])
    footer_h = footer_type.line_height(footer_type.small) * 2.2
    body = QRectF(page.left(), page.top(), page.width(), page.height() - footer_h)
    shown = len(letter.occasions)
    chosen = None
    for points in BODY_SIZES:
        chosen = _Type(painter, points)
        if _letter(chosen, letter, body, shown, draw=False) <= body.bottom():
            break
    else:
        assert chosen is not None
        while shown > MIN_OCCASIONS_SHOWN and (
                _letter(chosen, letter, body, shown, draw=False) > body.bottom()):
            shown -= 1
    if _letter(chosen, letter, body, shown, draw=True) > body.bottom():
        log.warning("a truancy letter runs into its footer even at %s pt", BODY_SIZES[-1])
    _footer(footer_type, letter, page)


def _letter(t: _Type, letter: LetterData, area: QRectF, shown: int, *, draw: bool) -> float:
    """Lay the letter out from the top of `area`; returns where it ends."""
    lang = letter_language(letter.language)
    words = _TEXT[lang]
    x, w = area.left(), area.width()
    grade = letter.grade if isinstance(letter.grade, str) else grade_label(letter.grade)
    names = {"student": letter.student_name, "student_id": letter.student_id,
             "grade": "kínder" if lang == "es" and grade == "K" else grade,
             "guardian": letter.guardian_name}

    y = area.top()
    y += t.text(letter.school_name, t.school, x, y, w, draw=draw)
    details = [letter.school_address.strip()]
    if letter.school_phone.strip():
        details.append(str(words["phone"]).format(phone=letter.school_phone.strip()))
    detail = "   ·   ".join(d for d in details if d)
    if detail:
        y += t.text(detail, t.small, x, y, w, draw=draw, color=_GREY)
    y += t.gap * 0.6
    if draw:
        t.painter.setPen(QPen(_RULE, 0))
        t.painter.drawLine(QPointF(x, y), QPointF(area.right(), y))
    y += t.gap * 1.4

    y += t.text(str(words["title"]), t.title, x, y, w, draw=draw)
    y += t.text(str(words["subtitle"]), t.small, x, y, w, draw=draw, color=_GREY)
    y += t.gap * 1.5
    y += t.text(format_date(letter.letter_date, lang), t.body, x, y, w, draw=draw)
    y += t.gap * 1.5
    for line in [letter.guardian_name, *letter.guardian_address.splitlines()]:
        if line.strip():
            y += t.text(line.strip(), t.body, x, y, w, draw=draw)
    y += t.gap * 1.5

    label = str(words["re"])
    indent = t.width(label + "  ", t.bold)
    y += max(t.text(label, t.bold, x, y, indent, draw=draw),
             t.text(str(words["re_text"]).format(**names), t.bold, x + indent, y, w - indent,
                    draw=draw))
    y += t.gap * 1.5
    y += t.text(str(words["dear"]).format(**names), t.body, x, y, w, draw=draw) + t.gap
    y += t.text(str(words["intro"]).format(**names), t.body, x, y, w, draw=draw) + t.gap

    y += t.text(str(words["records"]), t.body, x, y, w, draw=draw) + t.gap * 0.4
    dates = [format_date(d, lang, weekday=True) for d, _ in letter.occasions[:shown]]
    list_x = x + t.width("    ", t.body)
    date_w = min(max((t.width(d, t.bold) for d in dates), default=0) + t.width("   ", t.body),
                 w * 0.45)
    for date, (_, reason) in zip(dates, letter.occasions[:shown]):
        y += max(t.text(date, t.bold, list_x, y, date_w, draw=draw),
                 t.text(reason, t.body, list_x + date_w, y, area.right() - list_x - date_w,
                        draw=draw)) + t.gap * 0.15
    if shown < len(letter.occasions):
        y += t.text(str(words["more"]).format(n=len(letter.occasions) - shown), t.body,
                    list_x, y, area.right() - list_x, draw=draw, color=_GREY)
    y += t.gap

    y += t.text(str(words["law"]), t.body, x, y, w, draw=draw) + t.gap * 0.4
    number_w = t.width("8.  ", t.body)
    for n, point in enumerate(words["points"], start=1):
        t.text(f"{n}.", t.body, list_x, y, number_w, draw=draw)
        y += t.text(point, t.body, list_x + number_w, y, area.right() - list_x - number_w,
                    draw=draw) + t.gap * 0.25
    y += t.gap * 0.75

    phone = letter.school_phone.strip()
    call = (str(words["call"]).format(phone=phone) if phone else str(words["call_no_phone"]))
    y += t.text(str(words["closing"]).format(call=call, **names), t.body, x, y, w,
                draw=draw) + t.gap
    y += t.text(str(words["sincerely"]), t.body, x, y, w, draw=draw)
    y += t.line_height(t.body) * 2.6  # room to sign
    if draw:
        t.painter.setPen(QPen(_INK, 0))
        t.painter.drawLine(QPointF(x, y), QPointF(x + w * 0.45, y))
    y += t.gap * 0.4
    if letter.signer_name.strip():
        y += t.text(letter.signer_name.strip(), t.body, x, y, w * 0.6, draw=draw)
    title = letter.signer_title.strip() or str(words["office"])
    if lang == "es":
        title = _TITLES_ES.get(title.lower(), title)
    y += t.text(f"{title}, {letter.school_name}", t.body, x, y, w * 0.6, draw=draw)
    return y


def _footer(t: _Type, letter: LetterData, page: QRectF) -> None:
    words = _TEXT[letter_language(letter.language)]
    text = str(words["footer"]).format(student_id=letter.student_id)
    height = t.text(text, t.small, 0, 0, page.width(), draw=False)
    t.text(text, t.small, page.left(), page.bottom() - height, page.width(), draw=True,
           color=_GREY, align=Qt.AlignmentFlag.AlignHCenter)
