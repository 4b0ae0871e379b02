"""Report cards and transcripts as printed: one page per card, exactly the
student's classes, in the family's language; transcripts with every year.

Pages are read back with a PDF reader (pypdf), as an office clerk would
read the printout; expected classes are worked out here with SQL, apart
from the code that chooses them.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QFontMetricsF, QPdfWriter

from domain.grades import gpa
from local_store.report_cards import (
    card_document,
    card_documents,
    latest_ended_marking_period,
    transcript_document,
)
from reports.painting import TEXT
from reports.report_card import ReportCardPainter, paint_report_cards
from reports.transcript import paint_transcript
from tests.support.clock import SCHOOL_DAY

TODAY = SCHOOL_DAY.isoformat()  # the demo district is generated as of that day

LONG_TITLE = "Advanced Placement Interdisciplinary Environmental Science and Engineering {}"
LONG_LAST = "Villaseñor-Castellanos de la Fuente Oyelaran-Whitfield"
LONG_FIRST = "Maximiliana Guadalupe Esperanza Concepción"


def _pdf_texts(path: Path) -> list[str]:
    """Each page's text, with ligatures and runs of white space made plain."""
    return [re.sub(r"\s+", " ", unicodedata.normalize("NFKC", page.extract_text()))
            for page in PdfReader(path).pages]


def _render_cards(docs, path: Path) -> int:
    writer = QPdfWriter(str(path))
    pages = paint_report_cards(writer, docs)
    del writer  # finishes the file
    return pages


def _period(store) -> tuple[str, str, str, str]:
    """The latest ended marking period: id, start, end, term."""
    mp = latest_ended_marking_period(store, on=TODAY)
    assert mp is not None
    with store.read() as conn:
        start, end, term = conn.exec_driver_sql(
            "SELECT start_date, end_date, term_id FROM marking_periods WHERE id = ?",
            (mp,)).one()
    return mp, start, end, term


def _expected_titles(conn, student_id: str, mp: str, start: str, end: str) -> set[str]:
    """Classes the student was in at the period's end, and those left during
    it with a mark for it: worked out here, apart from sections_on_card."""
    return {t for (t,) in conn.exec_driver_sql(
        "SELECT c.title FROM section_enrollments e JOIN sections s ON s.id = e.section_id "
        "JOIN courses c ON c.id = s.course_id JOIN terms t ON t.id = s.term_id "
        "WHERE e.student_id = :sid AND t.start_date <= :end "
        "AND (c.duration = 'year' OR t.end_date >= :end) AND e.begin_date <= :end "
        "AND (e.end_date IS NULL OR e.end_date >= :end "
        "     OR (e.end_date >= :start AND e.end_date >= e.begin_date AND EXISTS ("
        "         SELECT 1 FROM grade_marks g WHERE g.student_id = e.student_id "
        "         AND g.section_id = e.section_id AND g.marking_period_id = :mp)))",
        {"sid": student_id, "end": end, "start": start, "mp": mp})}


def _texts_fit_the_page(painter: ReportCardPainter, ops) -> None:
    sheet = painter.style.sheet
    for op in ops:
        if op[0] == TEXT:
            _, font, _color, x, baseline, text = op
            right = x + QFontMetricsF(font, sheet.device).horizontalAdvance(text)
            assert 0 <= x and right <= sheet.width + 1, f"{text!r} runs off the page"
            assert 0 < baseline <= sheet.height, f"{text!r} is below the page"
        else:
            ys = (op[3], op[5]) if op[0] == 1 else (op[3], op[3] + op[5])
            assert all(0 <= y <= sheet.height + 1 for y in ys), f"{op} is off the page"


def test_every_card_of_the_school_is_one_page_with_exactly_its_classes(qapp, school_store,
                                                                        tmp_path):
    mp, start, end, _term = _period(school_store)
    docs = list(card_documents(school_store, mp, on=TODAY))
    assert len(docs) > 150
    path = tmp_path / "cards.pdf"
    assert _render_cards(docs, path) == len(docs)
    texts = _pdf_texts(path)
    assert len(texts) == len(docs)  # one page a card, as a PDF reader counts them
    with school_store.read() as conn:
        every_title = {t for (t,) in conn.exec_driver_sql("SELECT title FROM courses")}
        expected = {d.student_id: _expected_titles(conn, d.student_id, mp, start, end)
                    for d in docs}
    with_classes = 0
    for doc, text in zip(docs, texts, strict=True):
        assert doc.district_student_id in text
        wanted = expected[doc.student_id]
        with_classes += bool(wanted)
        for title in wanted:
            assert title in text, f"{title} missing from {doc.student_name}'s card"
        rest = text
        for title in sorted(wanted, key=len, reverse=True):
            rest = rest.replace(title, "")
        phantom = [t for t in every_title - wanted if t in rest]
        assert not phantom, f"{doc.student_name}'s card shows {phantom}"
    assert with_classes > 150
    # Nothing is drawn off the page or clipped at its edge.
    painter = ReportCardPainter(QPdfWriter(str(tmp_path / "layout.pdf")))
    for doc in docs:
        _texts_fit_the_page(painter, painter.layout(doc))


def _force_classes(store, student_id: str, count: int, *, left: int = 0) -> None:
    """The student in `count` long-titled classes for the whole term and
    `left` more left during the latest ended period, each with its marks;
    a very long name; a teacher with a very long name."""
    mp, start, end, term = _period(store)
    with store.write() as conn:
        term_start = conn.exec_driver_sql("SELECT start_date FROM terms WHERE id = ?",
                                          (term,)).scalar()
        periods = [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM marking_periods WHERE term_id = ? AND end_date <= ?", (term, end))]
        teacher = conn.exec_driver_sql(
            "SELECT id FROM staff WHERE title = 'Teacher' ORDER BY id LIMIT 1").scalar()
        conn.exec_driver_sql(
            "UPDATE staff SET first_name = 'Bartholomew-Alexander', "
            "last_name = 'Featherstonehaugh-Montgomery' WHERE id = ?", (teacher,))
        conn.exec_driver_sql("UPDATE students SET legal_first_name = ?, legal_last_name = ?, "
                             "home_language = 'en' WHERE id = ?",
                             (LONG_FIRST, LONG_LAST, student_id))
        conn.exec_driver_sql("UPDATE guardians SET language = 'en' WHERE student_id = ?",
                             (student_id,))
        conn.exec_driver_sql("DELETE FROM section_enrollments WHERE student_id = ?",
                             (student_id,))
        for k in range(1, count + left + 1):
            course, section = f"crs-long-{k}", f"sec-long-{k}"
            conn.exec_driver_sql(
                "INSERT INTO courses (id, version, code, title, credits, department, ag_area, "
                "duration, grade_min, grade_max) VALUES (?, 1, ?, ?, 10, 'Science', 'd', "
                "'year', 9, 12)", (course, f"LONG{k}", LONG_TITLE.format(k)))
            conn.exec_driver_sql(
                "INSERT INTO sections (id, version, course_id, term_id, section_number, period, "
                "room, teacher_id, capacity) VALUES (?, 1, ?, ?, ?, ?, 'B-214', ?, 40)",
                (section, course, term, f"L{k}", (k - 1) % 8 + 1, teacher))
            ends = None if k <= count else start  # the extra ones left on the period's first day
            conn.exec_driver_sql(
                "INSERT INTO section_enrollments (id, version, student_id, section_id, "
                "begin_date, end_date) VALUES (?, 1, ?, ?, ?, ?)",
                (f"enr-long-{k}", student_id, section, term_start, ends))
            for n, period in enumerate(periods):
                conn.exec_driver_sql(
                    "INSERT INTO grade_marks (id, version, student_id, section_id, "
                    "marking_period_id, mark, work_habits, cooperation, comments, entered_by, "
                    "entered_at) VALUES (?, 1, ?, ?, ?, ?, 'E', 'U', ?, 'teacher', ?)",
                    (f"{student_id}|{section}|{period}", student_id, section, period,
                     ("NM", "A", "B", "C", "D", "F", "I")[(k + n) % 7],
                     ("01 04 10", "02 05 07", "03 06 08", "09 10 01")[k % 4], end))
    assert mp in periods


@pytest.mark.parametrize("count, left", [(8, 0), (8, 14)])
def test_eight_long_classes_and_a_very_long_name_still_fit_one_page(qapp, school_store,
                                                                    tmp_path, count, left):
    mp, *_ = _period(school_store)
    with school_store.read() as conn:
        student = conn.exec_driver_sql(
            "SELECT id FROM students WHERE grade_level = 12 ORDER BY id LIMIT 1").scalar()
    _force_classes(school_store, student, count, left=left)
    doc = card_document(school_store, student, mp)
    assert len(doc.card.lines) == count + left
    path = tmp_path / "long.pdf"
    assert _render_cards([doc], path) == 1
    (text,) = _pdf_texts(path)
    assert text.count("Advanced Placement") == count + left  # every class, none dropped
    assert LONG_LAST[:20] in text
    for code in ("01", "04", "10"):  # the comment legend is there in full
        assert code in text
    assert "In danger of failing" in text and "Parent/guardian signature" in text
    painter = ReportCardPainter(QPdfWriter(str(tmp_path / "layout.pdf")))
    _texts_fit_the_page(painter, painter.layout(doc))


def test_a_spanish_speaking_family_gets_its_card_in_spanish(qapp, school_store, tmp_path):
    mp, *_ = _period(school_store)
    with school_store.write() as conn:
        spanish = conn.exec_driver_sql(
            "SELECT id FROM students WHERE home_language = 'es' ORDER BY id LIMIT 1").scalar()
        # An English-speaking student whose primary guardian reads Spanish.
        english, = conn.exec_driver_sql(
            "SELECT s.id FROM students s JOIN guardians g ON g.student_id = s.id "
            "WHERE s.home_language = 'en' AND g.is_primary AND g.language = 'en' "
            "ORDER BY s.id LIMIT 1").one()
        other = conn.exec_driver_sql(
            "SELECT s.id FROM students s WHERE s.home_language = 'en' AND s.id <> ? "
            "AND NOT EXISTS (SELECT 1 FROM guardians g WHERE g.student_id = s.id "
            "AND g.language = 'es') ORDER BY s.id LIMIT 1", (english,)).scalar()
        conn.exec_driver_sql("UPDATE guardians SET language = 'es' "
                             "WHERE student_id = ? AND is_primary", (english,))
    docs = [card_document(school_store, sid, mp) for sid in (spanish, english, other)]
    assert [d.language for d in docs] == ["es", "es", "en"]
    path = tmp_path / "languages.pdf"
    assert _render_cards(docs, path) == 3
    for text in _pdf_texts(path)[:2]:
        for words in ("Boleta de calificaciones", "Firma del padre", "Estudiante",
                      "Promedio del semestre", "Días de ausencia", "Calificaciones:",
                      "Excelente", "Otoño" if "Fall" in docs[0].term_name else "Primavera"):
            assert words in text
        assert "Report card" not in text and "signature" not in text
    english_text = _pdf_texts(path)[2]
    assert "Report card" in english_text and "Parent/guardian signature" in english_text
    assert "Boleta" not in english_text


def test_printing_stops_between_cards_when_cancelled(qapp, school_store, tmp_path):
    mp, *_ = _period(school_store)
    done: list[int] = []
    path = tmp_path / "cancelled.pdf"
    writer = QPdfWriter(str(path))
    pages = paint_report_cards(writer, card_documents(school_store, mp, on=TODAY),
                               progress=done.append, cancelled=lambda: len(done) >= 3)
    del writer
    assert pages == 3 and done == [1, 2, 3]
    assert len(PdfReader(path).pages) == 3


def test_one_card_reads_as_the_batch_does(school_store):
    mp, *_ = _period(school_store)
    batch = list(card_documents(school_store, mp, on=TODAY))[:25]
    for doc in batch:
        assert card_document(school_store, doc.student_id, mp, on=doc.issued) == doc


def test_a_senior_transcript_lists_every_year_with_its_credits(qapp, school_store, tmp_path):
    with school_store.write() as conn:
        student = conn.exec_driver_sql(
            "SELECT s.id FROM students s WHERE s.grade_level = 12 AND EXISTS (SELECT 1 FROM "
            "transcript_entries t WHERE t.student_id = s.id) ORDER BY s.id LIMIT 1").scalar()
        past = conn.exec_driver_sql(
            "SELECT school_year, mark, credits_attempted, credits_earned "
            "FROM transcript_entries WHERE student_id = ?", (student,)).all()
        # This fall's semester mark, once posted, is on the transcript too.
        semester = conn.exec_driver_sql(
            "SELECT mp.id, s.id, c.title, c.credits, y.name FROM section_enrollments e "
            "JOIN sections s ON s.id = e.section_id JOIN courses c ON c.id = s.course_id "
            "JOIN marking_periods mp ON mp.term_id = s.term_id AND mp.week = 20 "
            "JOIN terms t ON t.id = s.term_id JOIN school_years y ON y.id = t.school_year_id "
            "WHERE e.student_id = ? AND e.end_date IS NULL AND c.duration = 'year' "
            "ORDER BY t.start_date, s.period LIMIT 1", (student,)).one()
        conn.exec_driver_sql(
            "INSERT INTO grade_marks (id, version, student_id, section_id, marking_period_id, "
            "mark, entered_by, entered_at) VALUES (?, 1, ?, ?, ?, 'B', 'teacher', 'x')",
            (f"{student}|{semester[1]}|{semester[0]}", student, semester[1], semester[0]))
    doc = transcript_document(school_store, student, on=TODAY)
    years = sorted({y for y, *_ in past})
    assert len(years) >= 3  # a senior: grades 9, 10 and 11 at least
    assert [y.school_year for y in doc.years] == [*years, semester[4]]
    path = tmp_path / "transcript.pdf"
    writer = QPdfWriter(str(path))
    pages = paint_transcript(writer, doc)
    del writer
    texts = _pdf_texts(path)
    assert len(texts) == pages and f"Page {pages} of {pages}" in texts[-1]
    text = " ".join(texts)
    for year in years:
        rows = [r for r in past if r[0] == year]
        attempted = sum(r[2] for r in rows)
        earned = sum(r[3] for r in rows)
        year_gpa = gpa(r[1] for r in rows)
        assert f"Year {year}: GPA {year_gpa:.2f} {attempted:.1f} {earned:.1f}" in text
    assert f"{semester[2]}" in text and f"{semester[3] / 2:.1f}" in text
    total_attempted = sum(r[2] for r in past) + semester[3] / 2
    total_earned = sum(r[3] for r in past) + semester[3] / 2
    cumulative = gpa([*(r[1] for r in past), "B"])
    assert (f"Cumulative: GPA {cumulative:.2f} {total_attempted:.1f} {total_earned:.1f}"
            in text)
