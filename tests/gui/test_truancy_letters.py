"""First truancy notifications: from the year's marks to a PDF the office mails, one page each."""
from __future__ import annotations

import datetime as dt
import logging
import shutil
import subprocess
import unicodedata

import pytest
from pypdf import PdfReader

from domain.attendance import Occasion, truants
from reports.truancy_letter import LetterData, format_date, write_letters_pdf

YEAR = {"year_start": "2026-08-13", "year_end": "2027-06-10"}
# A made-up school: its address and phone number are fiction (555-01xx).
SCHOOL = {"school_name": "Harbor View Senior High School",
          "school_address": "1200 Harbor View Drive, Pacific Coast, CA 90000",
          "school_phone": "(555) 010-0120", "letter_date": dt.date(2026, 11, 29),
          "signer_name": "Dr. Angela Ruiz", "signer_title": "Principal"}
LONG_NAME = ("Maximiliano Alejandro de la Santísima Trinidad "
             "Fernández-Villaseñor y Gutiérrez de Mendoza")
LONG_REASON = ("Unexcused absence, periods 2, 3, 4, 5; Tardy 45 minutes, period 1; "
               "Tardy 35 minutes, period 6 after returning from the nurse's office "
               "without a pass, as recorded by the attendance office")
ENGLISH_BODY = "We are writing to let you know that"


def mark(student, date, code, *, period=0, minutes=None):
    return {"student_id": student, "section_id": f"sec-{period}" if period else None,
            "date": date, "period": period, "code": code, "minutes_late": minutes}


MARKS = [
    mark("jordan", "2026-09-01", "A"), mark("jordan", "2026-09-15", "A", period=3),
    mark("jordan", "2026-10-02", "T", period=1, minutes=45),
    mark("maria", "2026-09-08", "A"), mark("maria", "2026-09-09", "L", period=2),
    mark("maria", "2026-09-10", "A"), mark("maria", "2026-09-11", "E"),
    mark("ana", "2026-10-05", "A", period=4), mark("ana", "2026-10-06", "A", period=4),
    mark("ana", "2026-10-07", "A"),
    mark("luis", "2026-11-02", "L", period=1), mark("luis", "2026-11-03", "A"),
    mark("luis", "2026-11-04", "A"),
    mark("max", "2026-09-01", "A"), mark("max", "2026-09-02", "A"),
    mark("max", "2026-09-03", "A"),
]
FAMILIES = {  # student id -> (district id, name, grade, guardian, home language)
    "jordan": ("1002003001", "Jordan Lee", 10, "Ms. Karen Lee", "en"),
    "maria": ("1002003002", "María Fernanda López", 9, "Sra. Rosa López", "es"),
    "ana": ("1002003003", "Ana Sofía Ramírez", 12, "Sr. Luis Ramírez", "es"),
    "luis": ("1002003004", "Luis Kim", 11, "Mr. David Kim", "en"),
    "max": ("1002003005", LONG_NAME, 11, "Mr. and Mrs. Ignacio Fernández-Villaseñor", "en"),
}


def letter(student_id, occasions, *, lines=None):
    """The letter for one of FAMILIES; `lines` replaces the occasions' own words."""
    district_id, name, grade, guardian, language = FAMILIES[student_id]
    fields = dict(SCHOOL, language=language, student_name=name, student_id=district_id,
                  grade=grade, guardian_name=guardian,
                  guardian_address="4512 Seabreeze Lane\nPacific Coast, CA 90000",
                  occasions=lines or [(o.date, o.describe(language)) for o in occasions])
    return LetterData(**fields)


@pytest.fixture
def letters():
    cases = truants(MARKS, **YEAR)
    assert [c.student_id for c in cases] == ["max", "maria", "jordan", "ana", "luis"]
    out = [letter(c.student_id, c.occasions) for c in cases]
    out[0] = letter("max", cases[0].occasions,
                    lines=[(o.date, LONG_REASON) for o in cases[0].occasions])
    return out


def page_texts(path):
    """Each page's words, with no-break spaces and any ligature folded to plain text."""
    return [" ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
            for page in PdfReader(path).pages]


def test_five_students_get_exactly_five_pages(qtbot, letters, tmp_path, caplog):
    path = tmp_path / "letters.pdf"
    with caplog.at_level(logging.WARNING, logger="reports.truancy_letter"):
        assert write_letters_pdf(path, letters) == 5
    assert not caplog.records  # nothing ran into the footer
    assert len(PdfReader(path).pages) == 5
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                              check=True, timeout=30).stdout
        assert "Pages:           5" in info
        assert "letter" in info
    texts = page_texts(path)
    # Each page is one student's letter, in the order given.
    for text, data in zip(texts, letters):
        assert f"Student ID {data.student_id}" in text or f"estudiante {data.student_id}" in text
    squeezed = "".join(texts[0].split())
    assert "".join(LONG_NAME.split()) in squeezed
    assert squeezed.count("".join(LONG_REASON.split())) == 3


def test_english_letter_says_what_48260_5_requires(qtbot, letters, tmp_path):
    path = tmp_path / "letters.pdf"
    write_letters_pdf(path, letters)
    text = page_texts(path)[2]
    assert "Jordan Lee" in text and "Dear Ms. Karen Lee," in text
    assert "November 29, 2026" in text
    assert "truant" in text and "48260" in text and "48260.5" in text
    for day in ("2026-09-01", "2026-09-15", "2026-10-02"):
        assert format_date(day, "en") in text
    assert "Unexcused full-day absence" in text and "Tardy 45 minutes, period 1" in text
    for required in ("Your child is truant", "compel the attendance",
                     "infraction and subject to prosecution", "Section 48290",
                     "Alternative educational programs are available",
                     "right to meet with appropriate school personnel", "Section 48264",
                     "Vehicle Code Section 13202.7", "attend classes with your child for one day",
                     "(555) 010-0120"):
        assert required in text, required


def test_spanish_letter_is_in_spanish_throughout(qtbot, letters, tmp_path):
    path = tmp_path / "letters.pdf"
    write_letters_pdf(path, letters)
    text = page_texts(path)[1]
    assert "María Fernanda López" in text and "Estimado(a) Sra. Rosa López:" in text
    assert "29 de noviembre de 2026" in text and "8 de septiembre de 2026" in text
    assert "asistencia" in text and "Ausencia injustificada de todo el día" in text
    assert "Llegada tarde de 30 minutos o más, periodo 2" in text
    for reference in ("48260", "48260.5", "48290", "48264", "13202.7"):
        assert reference in text, reference
    assert "Director(a)" in text and "Atentamente" in text
    assert ENGLISH_BODY not in text and "truant" not in text and "Dear" not in text


def test_a_dozen_occasions_still_fit_on_one_page(qtbot, tmp_path):
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=7 * n) for n in range(12)]
    occasions = [Occasion(d.isoformat(), absent_periods=(n % 6 + 1,), tardies=((1, 40),))
                 for n, d in enumerate(days)]
    path = tmp_path / "dozen.pdf"
    assert write_letters_pdf(path, [letter("ana", occasions)]) == 1
    [text] = page_texts(path)
    assert all(format_date(d, "es") in text for d in days)
    assert "13202.7" in text and "Atentamente" in text


def test_a_long_history_is_cut_short_rather_than_spill_onto_a_second_page(qtbot, tmp_path):
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=n) for n in range(60)]
    occasions = [Occasion(d.isoformat(), full_day=True) for d in days]
    path = tmp_path / "long.pdf"
    assert write_letters_pdf(path, [letter("jordan", occasions)]) == 1
    [text] = page_texts(path)
    assert format_date(days[0], "en") in text and format_date(days[2], "en") in text
    assert format_date(days[-1], "en") not in text
    assert "more. The attendance office can give you the complete list." in text
    assert "attend classes with your child for one day" in text
