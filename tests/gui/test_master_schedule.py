"""The master schedule: the sections of a term as the cache holds them, the
filters, the section editor (and the clash it refuses), Excel and class lists."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from reports.class_list import paint_class_list, paint_class_lists
from tests.support.clock import SCHOOL_DAY
from ui.scheduling.master_schedule import MasterScheduleScreen
from ui.scheduling.master_schedule_model import SEATS, SEATS_ROLE
from ui.scheduling.section_editor import SectionEditorDialog

TODAY = SCHOOL_DAY  # the demo district is generated as of that day


def sql(store, text, *params):
    with store.read() as conn:
        return conn.exec_driver_sql(text, params).all()


def current_term(store) -> str:
    day = TODAY.isoformat()
    return sql(store, "SELECT id FROM terms WHERE start_date <= ? AND end_date >= ?",
               day, day)[0][0]


def section_ids(store, term_id, where="", *params) -> set[str]:
    return {r[0] for r in sql(
        store, "SELECT s.id FROM sections s JOIN courses c ON c.id = s.course_id "
               f"WHERE s.term_id = ? {where}", term_id, *params)}


def enrolled_today(store, section_id) -> int:
    day = TODAY.isoformat()
    return sql(store, "SELECT count(*) FROM section_enrollments WHERE section_id = ? "
                      "AND begin_date <= ? AND (end_date IS NULL OR end_date >= ?)",
               section_id, day, day)[0][0]


def shown_ids(screen) -> set[str]:
    return {r.section_id for r in screen.model.visible_rows()}


@pytest.fixture
def queued(school_store, school_workstation):
    """queue_edit as the main window does it: the workstation saves the edit."""
    calls = []

    def queue_edit(op, payload):
        calls.append((op, payload))
        return school_workstation.edit(school_store, op, payload)
    queue_edit.calls = calls
    return queue_edit


@pytest.fixture
def screen(qtbot, school_store, queued):
    s = MasterScheduleScreen(school_store, queued, today=TODAY, school_name="Harbor View High")
    qtbot.addWidget(s)
    with qtbot.waitSignal(s.loaded, timeout=30000):
        s.reload()
    return s


def choose(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


# --- what the table shows


def test_table_shows_exactly_the_sections_of_the_chosen_term(qtbot, screen, school_store):
    term = current_term(school_store)
    assert screen.term.currentData() == term
    assert shown_ids(screen) == section_ids(school_store, term) != set()

    rows = screen.model.visible_rows()
    busiest = sorted(rows, key=lambda r: -r.enrolled)[:3] + [rows[0], rows[-1]]
    for r in busiest:
        assert r.enrolled == enrolled_today(school_store, r.section_id)
    assert busiest[0].enrolled > 0
    seats = sum(r.capacity for r in rows)
    enrolled = sum(r.enrolled for r in rows)
    assert screen.counts.text().startswith(
        f"{len(rows)} sections · {seats:,} seats · {enrolled:,} enrolled · ")

    spring = next(t for (t,) in sql(school_store, "SELECT id FROM terms ORDER BY start_date")
                  if t != term and section_ids(school_store, t))
    with qtbot.waitSignal(screen.loaded, timeout=30000):
        choose(screen.term, spring)
    assert shown_ids(screen) == section_ids(school_store, spring)


def test_filters_narrow_to_exactly_the_matching_rows(qtbot, screen, school_store):
    term = current_term(school_store)
    choose(screen.department, "Mathematics")
    assert shown_ids(screen) == section_ids(school_store, term, "AND c.department = ?",
                                            "Mathematics") != set()
    choose(screen.period, 3)
    assert shown_ids(screen) == section_ids(
        school_store, term, "AND c.department = ? AND s.period = 3", "Mathematics") != set()
    assert screen.counts.text().startswith(f"{len(shown_ids(screen))} of ")

    screen.department.setCurrentIndex(0)
    screen.period.setCurrentIndex(0)
    teacher = screen.model.visible_rows()[0].teacher_id
    choose(screen.teacher, teacher)
    assert shown_ids(screen) == section_ids(school_store, term, "AND s.teacher_id = ?", teacher)

    screen.teacher.setCurrentIndex(0)
    qtbot.keyClicks(screen.search, "alg")
    assert shown_ids(screen) == section_ids(
        school_store, term, "AND (lower(c.code) LIKE '%alg%' OR lower(c.title) LIKE '%alg%')"
    ) != set()
    screen.search.clear()
    assert shown_ids(screen) == section_ids(school_store, term)


def test_sorting_by_a_column_sorts_the_rows(screen):
    screen.table.sortByColumn(8, Qt.SortOrder.DescendingOrder)  # Enrolled
    enrolled = [r.enrolled for r in screen.model.visible_rows()]
    assert enrolled == sorted(enrolled, reverse=True)
    screen.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)  # Teacher
    teachers = [r.teacher.lower() for r in screen.model.visible_rows()]
    assert teachers == sorted(teachers)


# --- the section editor


def free_slot(store, term):
    """A teacher and a period they don't teach in that term."""
    periods = [p for (p,) in sql(store, "SELECT number FROM bell_periods ORDER BY number")]
    for (teacher,) in sql(store, "SELECT id FROM staff WHERE title = 'Teacher' ORDER BY id"):
        busy = {p for (p,) in sql(store, "SELECT period FROM sections WHERE teacher_id = ? "
                                         "AND term_id = ?", teacher, term)}
        free = [p for p in periods if p not in busy]
        if free:
            return teacher, free[0]
    raise AssertionError("every teacher teaches every period")


def test_a_new_section_appears_at_once_and_goes_to_the_outbox(qtbot, screen, school_store,
                                                              queued):
    term = current_term(school_store)
    teacher, period = free_slot(school_store, term)
    usual_room = sql(school_store, "SELECT room FROM sections WHERE teacher_id = ? "
                                   "GROUP BY room ORDER BY count(*) DESC LIMIT 1", teacher)[0][0]
    dialog = screen.open_editor(None)
    assert isinstance(dialog, SectionEditorDialog)
    assert dialog.capacity.value() == 38
    highest = max(int(n) for (n,) in sql(school_store, "SELECT section_number FROM sections"))
    assert dialog.number.text() == f"{highest + 1:04d}"
    choose(dialog.course, "crs-1003-GEOM")
    choose(dialog.teacher, teacher)
    choose(dialog.period, period)
    assert dialog.room.text() == usual_room
    assert not dialog.problems.isVisible()

    with qtbot.waitSignal(screen.loaded, timeout=30000):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    new_id = queued.calls[-1][1]["section_id"]
    assert screen.current_section_id() == new_id
    row = screen.current_section()
    assert (row.course_code, row.period, row.teacher_id, row.room, row.enrolled,
            row.capacity) == ("GEOM", period, teacher, usual_room, 0, 38)
    entries = school_store.outbox_entries()
    assert [(e["op"], e["payload"]["section_id"]) for e in entries] == [("section.save", new_id)]
    assert entries[0]["payload"]["term_id"] == term


def test_the_teacher_period_clash_is_refused_naming_the_other_section(qtbot, screen,
                                                                       school_store, queued):
    term = current_term(school_store)
    other_id, teacher, period, number, title = sql(
        school_store, "SELECT s.id, s.teacher_id, s.period, s.section_number, c.title "
                      "FROM sections s JOIN courses c ON c.id = s.course_id "
                      "WHERE s.term_id = ? ORDER BY s.id LIMIT 1", term)[0]
    dialog = screen.open_editor(None)
    qtbot.addWidget(dialog)
    choose(dialog.course, "crs-1003-GEOM")
    choose(dialog.teacher, teacher)
    choose(dialog.period, period)
    # Said at once, before trying to save...
    assert dialog.problems.isVisible()
    assert f"{title} (section {number})" in dialog.problems.text()
    assert f"period {period}" in dialog.problems.text()
    # ...and saving is refused.
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert queued.calls == [] and school_store.outbox_entries() == []
    assert other_id in shown_ids(screen)

    free = next(p for p in range(1, 8) if dialog.period.findData(p) >= 0 and not sql(
        school_store, "SELECT 1 FROM sections WHERE teacher_id = ? AND term_id = ? "
                      "AND period = ?", teacher, term, p))
    choose(dialog.period, free)
    assert not dialog.problems.isVisible()


def test_a_year_long_section_keeps_its_teacher_busy_in_the_spring(qtbot, screen, school_store):
    fall = current_term(school_store)
    spring = sql(school_store, "SELECT id FROM terms WHERE start_date > (SELECT end_date FROM "
                               "terms WHERE id = ?) ORDER BY start_date LIMIT 1", fall)[0][0]
    teacher, period, number = sql(
        school_store, "SELECT s.teacher_id, s.period, s.section_number FROM sections s "
                      "JOIN courses c ON c.id = s.course_id WHERE s.term_id = ? "
                      "AND c.duration = 'year' ORDER BY s.id LIMIT 1", fall)[0]
    dialog = screen.open_editor(None)
    qtbot.addWidget(dialog)
    choose(dialog.term, spring)
    choose(dialog.course, "crs-1003-HLTH")
    choose(dialog.teacher, teacher)
    choose(dialog.period, period)
    assert f"(section {number}) in period {period}" in dialog.problems.text()
    assert "year-long" in dialog.problems.text()
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)


def test_lowering_capacity_below_enrollment_warns_and_marks_the_section_over(
        qtbot, screen, school_store):
    row = max(screen.model.visible_rows(), key=lambda r: r.enrolled)
    screen.select_section(row.section_id)
    dialog = screen.open_editor(screen.current_section_id())
    dialog.capacity.setValue(row.enrolled - 2)
    assert dialog.warnings.isVisible()
    assert dialog.warnings.text() == (f"• {row.enrolled} students are enrolled; capacity "
                                      f"{row.enrolled - 2} would leave it over.")
    with qtbot.waitSignal(screen.loaded, timeout=30000):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    i = screen.model.row_of(row.section_id)
    seats = screen.model.index(i, SEATS)
    assert seats.data() == "Over by 2"
    assert seats.data(SEATS_ROLE) == "over"
    assert seats.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "(1 over capacity)" in screen.counts.text()


def test_a_clerk_reads_but_does_not_edit(qtbot, school_store, queued):
    clerk = MasterScheduleScreen(school_store, queued, today=TODAY, can_edit=False)
    qtbot.addWidget(clerk)
    with qtbot.waitSignal(clerk.loaded, timeout=30000):
        clerk.reload()
    clerk.table.selectRow(0)
    assert not clerk.new_button.isEnabled() and not clerk.edit_button.isEnabled()
    assert "counselors and school administrators" in clerk.edit_button.toolTip()
    assert clerk.class_list_button.isEnabled()
    clerk.on_row_activated(clerk.model.index(0, 0))
    clerk.on_new_section()
    assert clerk.findChildren(SectionEditorDialog) == []


# --- output


def test_excel_export_writes_the_visible_rows(qtbot, screen, tmp_path):
    choose(screen.department, "Science")
    title, headers, rows = screen.table_for_output()
    path = tmp_path / "science.xlsx"
    screen.on_export(str(path))
    qtbot.waitUntil(lambda: "Exported" in screen.status.text(), timeout=30000)
    values = list(load_workbook(path).active.iter_rows(values_only=True))
    assert values[0][0] == title
    assert list(values[1]) == headers
    assert [tuple(v) for v in values[2:]] == rows
    assert len(rows) == screen.model.rowCount() > 0
    assert {v[3] for v in values[2:]} == {"Science"}


def pdf_printer(path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_a_class_list_prints_its_students_on_one_page(screen, school_store, tmp_path):
    row = max(screen.model.visible_rows(), key=lambda r: r.enrolled)
    (one,) = screen.class_lists([row])
    assert len(one.students) == row.enrolled > 0
    path = tmp_path / "class.pdf"
    printer = pdf_printer(path)
    pages = paint_class_lists(printer, school="Harbor View High", classes=[one])
    del printer
    reader = PdfReader(path)
    assert len(reader.pages) == pages == 1
    text = " ".join(reader.pages[0].extract_text().split())
    last, first = sql(school_store, "SELECT s.legal_last_name, s.legal_first_name FROM students s "
                                    "JOIN section_enrollments e ON e.student_id = s.id "
                                    "WHERE e.section_id = ? AND e.end_date IS NULL LIMIT 1",
                      row.section_id)[0]
    assert f"{last}, {first}" in text
    assert row.course_title in text and "Page 1 of 1" in text


def test_a_teachers_class_lists_take_one_page_a_section(screen, tmp_path):
    row = screen.model.visible_rows()[0]
    mine = [r for r in screen.model.all_rows() if r.teacher_id == row.teacher_id]
    classes = screen.class_lists(mine)
    path = tmp_path / "teacher.pdf"
    printer = pdf_printer(path)
    pages = paint_class_lists(printer, school="Harbor View High", classes=classes)
    del printer
    reader = PdfReader(path)
    assert len(reader.pages) == pages == len(mine) > 1
    for page, r in zip(reader.pages, mine):
        assert f"section {r.section_number}" in " ".join(page.extract_text().split())


@pytest.mark.parametrize(("count", "pages"), [(40, 1), (41, 2), (85, 3)])
def test_forty_students_fit_on_a_page(count, pages, qapp, tmp_path):
    students = [{"last_name": f"Villalobos-Hernández{n}", "first_name": "María José",
                 "district_student_id": f"{1000000000 + n}", "grade_level": 9 + n % 4}
                for n in range(count)]
    path = tmp_path / "big.pdf"
    printer = pdf_printer(path)
    painted = paint_class_list(printer, school="Harbor View High", section_title="Biology — 0028",
                               teacher="Richard Jones", room="D-101", period=1, term="Fall 2026",
                               students=students)
    del printer
    reader = PdfReader(path)
    assert len(reader.pages) == painted == pages
    last_page = " ".join(reader.pages[-1].extract_text().split())
    assert f"Villalobos-Hernández{count - 1}" in last_page
    assert f"Page {pages} of {pages}" in last_page


def test_keyboard_opens_the_editor(qtbot, screen):
    with qtbot.waitActive(screen):
        screen.show()
        screen.activateWindow()
    screen.table.setFocus()
    screen.select_section(screen.model.visible_rows()[2].section_id)
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    (editing,) = screen.findChildren(SectionEditorDialog)
    assert editing.section_id == screen.current_section_id()
    assert editing.windowTitle() == "Edit section"
    editing.close()
    editing.deleteLater()
    qtbot.waitUntil(lambda: not screen.findChildren(SectionEditorDialog))
    with qtbot.waitActive(screen):
        screen.activateWindow()
    qtbot.keyClick(screen.table, Qt.Key.Key_N,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    (new,) = screen.findChildren(SectionEditorDialog)
    assert new.windowTitle() == "New section"
