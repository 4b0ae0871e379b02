"""The counselor's program editor: the day by period, the checks before a
save, and what is queued; and the one-page printed schedule."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt

from domain.scheduling import BLOCK, OVERRIDE
from reports.student_schedule import write_student_schedule_pdf
from tests.support.clock import SCHOOL_DAY
from ui.scheduling.program_editor import ProgramEditorDialog
from ui.scheduling.program_lines import CLASS, ENDED, GAP, NO_CLASS

# A class is in a student's program on a day when its entry covers the day
# and its section meets then (a year-long section through its school year).
ACTIVE_SQL = """
SELECT sec.period, c.title, sec.section_number, e.id
FROM section_enrollments e
JOIN sections sec ON sec.id = e.section_id
JOIN courses c ON c.id = sec.course_id
JOIN terms t ON t.id = sec.term_id
JOIN school_years y ON y.id = t.school_year_id
WHERE e.student_id = :student AND e.begin_date <= :day
  AND (e.end_date IS NULL OR e.end_date >= :day)
  AND t.start_date <= :day
  AND (CASE WHEN c.duration = 'year' THEN y.end_date ELSE t.end_date END) >= :day
ORDER BY sec.period, c.title
"""


@pytest.fixture
def today(school_store) -> dt.date:
    """The demo data's today (a day of its fall term)."""
    day = SCHOOL_DAY
    with school_store.read() as conn:
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM terms WHERE start_date <= ? AND end_date >= ?",
            (day.isoformat(), day.isoformat())).scalar() == 1
    return day


@pytest.fixture
def queued(school_store, school_workstation):
    """A queue_edit that saves through the workstation, and what it was given."""
    calls: list[tuple[str, dict]] = []

    def queue_edit(op, payload):
        calls.append((op, payload))
        return school_workstation.edit(school_store, op, payload)
    queue_edit.calls = calls
    return queue_edit


def active_classes(store, student_id: str, day: dt.date) -> list[tuple]:
    with store.read() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            ACTIVE_SQL, {"student": student_id, "day": day.isoformat()})]


def student_with(store, sql: str, *params) -> str:
    with store.read() as conn:
        found = conn.exec_driver_sql(sql, params).scalar()
    assert found, "the demo school has no such student"
    return found


def open_editor(qtbot, store, student_id, queue_edit, today) -> ProgramEditorDialog:
    dialog = ProgramEditorDialog(store, student_id, queue_edit, today=today)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):  # shortcuts go to the active window
        dialog.show()
        dialog.activateWindow()
    return dialog


def select_period(dialog, period: int, kind: str = CLASS) -> None:
    row = next(i for i, line in enumerate(dialog.model.lines)
               if line.period == period and line.kind == kind)
    dialog.table.setFocus()
    dialog.table.selectRow(row)


def shown_classes(dialog) -> list[tuple]:
    return [(line.period, line.texts[1], line.texts[2], line.entry_id)
            for line in dialog.model.lines if line.kind == CLASS]


def severities(dialog) -> dict[str, str]:
    return {f.check: f.severity for f in dialog.findings}


def first_candidate_without(dialog, *bad: str) -> str:
    """A listed section whose checks find nothing in `bad` severities."""
    for section_id in dialog.candidate_sections():
        dialog.select_candidate(section_id)
        if not any(f.severity in bad for f in dialog.findings):
            return section_id
    pytest.fail("no section in this period passes the checks")


def outbox_ops(store) -> list[str]:
    with store.read() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT op FROM outbox ORDER BY rowid")]


# --- the program by period


def test_shows_the_classes_by_period_as_the_cache_holds_them(qtbot, school_store, queued,
                                                             today):
    # A student missing period 1 or 2..6: the gap must show.
    student = student_with(school_store, """
        SELECT s.id FROM students s WHERE (SELECT count(*) FROM section_enrollments e
          JOIN sections sec ON sec.id = e.section_id WHERE e.student_id = s.id
          AND e.end_date IS NULL AND sec.period BETWEEN 1 AND 6) BETWEEN 3 AND 5
        ORDER BY s.id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    expected = active_classes(school_store, student, today)
    assert expected
    assert sorted(shown_classes(dialog)) == sorted(expected)
    with school_store.read() as conn:
        last, first, grade = conn.exec_driver_sql(
            "SELECT legal_last_name, legal_first_name, grade_level FROM students WHERE id = ?",
            (student,)).one()
    assert dialog.windowTitle() == f"Program — {last}, {first} (grade {grade})"
    # Every bell period is a row; the ones without a class say so, in their own style.
    periods = {line.period for line in dialog.model.lines}
    assert periods == set(range(1, 8))
    taken = {p for p, *_ in expected}
    gaps = [line for line in dialog.model.lines if line.kind == GAP]
    assert {line.period for line in gaps} == set(range(1, 7)) - taken
    assert all(line.texts[1] == NO_CLASS for line in gaps)
    row = dialog.model.lines.index(gaps[0])
    index = dialog.model.index(row, 1)
    assert dialog.model.data(index, Qt.ItemDataRole.BackgroundRole) is not None
    assert dialog.model.data(index, Qt.ItemDataRole.FontRole).italic()
    a_class = next(i for i, line in enumerate(dialog.model.lines) if line.kind == CLASS)
    assert dialog.model.data(dialog.model.index(a_class, 1),
                             Qt.ItemDataRole.BackgroundRole) is None


def test_the_next_term_shows_year_long_classes_and_empty_semester_periods(
        qtbot, school_store, queued, today):
    student = student_with(school_store, """
        SELECT e.student_id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
        JOIN courses c ON c.id = sec.course_id WHERE c.duration = 'semester'
        AND e.end_date IS NULL ORDER BY e.student_id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    assert dialog.term.count() >= 2
    dialog.term.setCurrentIndex(1)
    term = dialog.current_term()
    start = dt.date.fromisoformat(term.start_date)
    assert sorted(shown_classes(dialog)) == sorted(active_classes(school_store, student, start))
    assert len(shown_classes(dialog)) < len(active_classes(school_store, student, today))


# --- the checks, as soon as a section is highlighted


def test_a_section_in_a_period_already_taken_is_a_conflict_and_cannot_be_saved(
        qtbot, school_store, queued, today):
    student = student_with(school_store, """
        SELECT e.student_id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
        WHERE sec.period = 2 AND e.end_date IS NULL ORDER BY e.student_id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    select_period(dialog, 2)
    taken = dialog.selected_line()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Insert)
    assert dialog.mode == dialog.ADD and dialog.change_box.isVisible()
    other = next(s for s, line in zip(dialog.candidate_sections(), dialog.candidate_model.lines,
                                      strict=True)
                 if line.texts[0] != taken.texts[1])
    dialog.select_candidate(other)
    assert severities(dialog).get("period_conflict") == BLOCK
    conflict = [label for label in dialog.findings_panel.labels
                if label.property("check") == "period_conflict"]
    assert conflict and conflict[0].isVisible()
    assert "Period 2 is taken by" in conflict[0].text()
    assert not dialog.save_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert queued.calls == [] and outbox_ops(school_store) == []


def test_a_full_section_needs_a_reason_that_goes_out_with_the_edit(
        qtbot, school_store, queued, today):
    student = student_with(school_store, """
        SELECT s.id FROM students s WHERE s.grade_level BETWEEN 9 AND 12 AND NOT EXISTS (
          SELECT 1 FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
          WHERE e.student_id = s.id AND sec.period = 7)
        AND (SELECT count(*) FROM section_enrollments e WHERE e.student_id = s.id
             AND e.end_date IS NULL) = 6 ORDER BY s.id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    select_period(dialog, 7, kind="free")
    dialog.add_button.click()
    section = first_candidate_without(dialog, BLOCK, OVERRIDE)
    assert dialog.save_button.isEnabled()
    # Someone else fills the section: the next sync brings it, the check follows.
    with school_store.write() as conn:
        conn.exec_driver_sql(
            "UPDATE sections SET capacity = (SELECT count(*) FROM section_enrollments e "
            "WHERE e.section_id = sections.id AND e.end_date IS NULL) WHERE id = ?", (section,))
    dialog.reload()
    assert dialog.candidate().section_id == section
    assert severities(dialog).get("section_full") == OVERRIDE
    assert "full" in dialog.candidate().texts[4]
    assert dialog.reason.isVisible()
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "   ")
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.reason, "IEP: needs this teacher")
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    assert [op for op, _ in queued.calls] == ["schedule.add"]
    payload = queued.calls[0][1]
    assert payload["override_reason"] == "IEP: needs this teacher"
    assert payload["section_id"] == section and payload["begin_date"] == today.isoformat()
    assert outbox_ops(school_store) == ["schedule.add"]
    # The cache shows it at once: period 7 has the class.
    seven = [line for line in dialog.model.lines if line.period == 7]
    assert [line.section_id for line in seven] == [section]
    assert seven[0].kind == CLASS
    assert not dialog.change_box.isVisible()
    assert "Saved" in dialog.status.text()


# --- drop and swap


def test_a_drop_ends_the_class_on_the_chosen_day_and_keeps_it_in_the_history(
        qtbot, school_store, queued, today):
    student = student_with(school_store, """
        SELECT e.student_id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
        JOIN courses c ON c.id = sec.course_id JOIN students s ON s.id = e.student_id
        WHERE c.code = 'ENG' || s.grade_level AND e.end_date IS NULL AND e.begin_date < ?
        ORDER BY e.student_id LIMIT 1""", (today - dt.timedelta(days=3)).isoformat())
    dialog = open_editor(qtbot, school_store, student, queued, today)
    english = next(line for line in dialog.model.lines if line.texts[1].startswith("English"))
    select_period(dialog, english.period)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert dialog.mode == dialog.DROP
    assert dialog.date.date() == QDate(today.year, today.month, today.day)  # default: today
    last_day = today - dt.timedelta(days=2)
    dialog.date.setDate(QDate(last_day.year, last_day.month, last_day.day))
    # Dropping the grade's English leaves a requirement unmet: the counselor is told.
    assert severities(dialog).get("required_missing") == "warn"
    assert any("English" in t for t in dialog.findings_panel.texts())
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    assert queued.calls == [("schedule.drop", {"student_id": student,
                                               "section_enrollment_id": english.entry_id,
                                               "end_date": last_day.isoformat()})]
    row = [line for line in dialog.model.lines if line.period == english.period]
    assert [line.kind for line in row] == [GAP]
    dialog.show_ended.setChecked(True)
    ended = [line for line in dialog.model.lines if line.entry_id == english.entry_id]
    assert len(ended) == 1 and ended[0].kind == ENDED
    assert ended[0].texts[1] == english.texts[1] and ended[0].texts[7] == last_day.isoformat()
    index = dialog.model.index(dialog.model.lines.index(ended[0]), 1)
    grey = dialog.model.data(index, Qt.ItemDataRole.ForegroundRole).color()
    assert grey.saturation() < 40 and grey.lightness() > 120


def test_a_swap_is_one_edit_and_the_new_section_shows_at_once(qtbot, school_store, queued,
                                                                today):
    student = student_with(school_store, """
        SELECT e.student_id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
        JOIN students s ON s.id = e.student_id
        WHERE sec.period = 5 AND e.end_date IS NULL AND s.grade_level = 11
        ORDER BY e.student_id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    select_period(dialog, 5)
    old = dialog.selected_line()
    qtbot.keyClick(dialog, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert dialog.mode == dialog.SWAP
    assert old.section_id not in dialog.candidate_sections()
    new = first_candidate_without(dialog, BLOCK, OVERRIDE)
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [op for op, _ in queued.calls] == ["schedule.swap"]
    payload = queued.calls[0][1]
    assert payload["section_enrollment_id"] == old.entry_id and payload["section_id"] == new
    assert payload["begin_date"] == today.isoformat()
    assert payload["end_date"] == (today - dt.timedelta(days=1)).isoformat()
    assert outbox_ops(school_store) == ["schedule.swap"]
    five = [line for line in dialog.model.lines if line.period == 5]
    assert [(line.kind, line.section_id) for line in five] == [(CLASS, new)]
    assert dialog.selected_line().section_id == new
    assert sorted(shown_classes(dialog)) == sorted(active_classes(school_store, student, today))


def test_the_filter_narrows_the_sections_and_esc_leaves_the_change(qtbot, school_store, queued,
                                                                   today):
    student = student_with(school_store, "SELECT id FROM students ORDER BY id LIMIT 1")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    select_period(dialog, 1)
    dialog.on_add()
    everything = dialog.candidate_model.lines
    title = everything[-1].texts[0]
    qtbot.keyClicks(dialog.filter, title.lower()[:5])
    assert 0 < len(dialog.candidate_model.lines) < len(everything)
    assert all(title.lower()[:5] in " ".join(line.texts).lower()
               for line in dialog.candidate_model.lines)
    qtbot.keyClick(dialog.filter, Qt.Key.Key_Return)
    assert dialog.candidate() is not None and dialog.findings  # highlighted: checked
    qtbot.keyClick(dialog.candidates, Qt.Key.Key_Escape)
    assert dialog.mode is None and not dialog.change_box.isVisible()
    assert dialog.isVisible()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


# --- the printed schedule


def test_the_printed_schedule_is_one_page_with_every_class(qtbot, school_store, queued, today,
                                                           tmp_path):
    # A senior with Principles of American Democracy: the longest title there is.
    student = student_with(school_store, """
        SELECT e.student_id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id
        JOIN courses c ON c.id = sec.course_id WHERE c.code = 'PAD' AND e.end_date IS NULL
        ORDER BY e.student_id LIMIT 1""")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    path = tmp_path / "schedule.pdf"
    assert write_student_schedule_pdf(path, printed=today, **dialog.schedule_for_print()) == 1
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    with school_store.read() as conn:
        last, first = conn.exec_driver_sql(
            "SELECT legal_last_name, legal_first_name FROM students WHERE id = ?",
            (student,)).one()
    assert f"{last}, {first}" in text
    titles = {title for _, title, *_ in active_classes(school_store, student, today)}
    assert "Principles of American Democracy" in titles
    for title in titles:
        assert title in text
    empty = 7 - len({p for p, *_ in active_classes(school_store, student, today)})
    assert text.count(NO_CLASS) == empty


def test_print_schedule_opens_a_one_page_preview(qtbot, school_store, queued, today):
    from PySide6.QtPrintSupport import QPrintPreviewDialog, QPrintPreviewWidget
    student = student_with(school_store, "SELECT id FROM students ORDER BY id LIMIT 1")
    dialog = open_editor(qtbot, school_store, student, queued, today)
    qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    (preview,) = dialog.findChildren(QPrintPreviewDialog)
    qtbot.waitUntil(lambda: preview.findChild(QPrintPreviewWidget).pageCount() == 1)
    preview.close()
