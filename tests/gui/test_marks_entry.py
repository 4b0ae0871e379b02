"""Marks entry by section from the keyboard: only valid marks reach the grid,
Enter and Tab move on, Ctrl+S queues one grade.mark per changed student,
and a closed marking period's changes carry a reason."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from domain.grades import ACADEMIC_MARKS
from domain.records import grade_mark_id
from local_store import grades
from tests.support.clock import SCHOOL_DAY
from ui.common import messages
from ui.marks.entry import MarksEntryScreen
from ui.marks.entry_model import COMMENTS, COOPERATION, IN_CLASS, MARK, PREVIOUS, WORK_HABITS

TODAY = SCHOOL_DAY  # the demo district is generated as of that day


class Queue:
    """MainWindow.queue_edit for a test: the workstation's own edit(), recorded."""

    def __init__(self, workstation, store):
        self.workstation, self.store = workstation, store
        self.edits: list[tuple[str, dict]] = []

    def __call__(self, op: str, payload: dict, **_kwargs) -> str:
        mutation_id = self.workstation.edit(self.store, op, payload)
        self.edits.append((op, payload))
        return mutation_id


@pytest.fixture
def queue(school_store, school_workstation) -> Queue:
    return Queue(school_workstation, school_store)


@pytest.fixture
def screen(qtbot, school_store, queue) -> MarksEntryScreen:
    s = MarksEntryScreen(school_store, queue, today=TODAY)
    qtbot.addWidget(s)
    s.resize(1280, 740)
    s.show()
    qtbot.waitExposed(s)
    s.activateWindow()
    s.reload()
    return s


def choose(screen: MarksEntryScreen, period_id: str, section_id: str) -> None:
    screen.period.setCurrentIndex(screen.period.findData(period_id))
    screen.section.setCurrentIndex(screen.section.findData(section_id))
    assert (screen.current_period().id, screen.current_section_id()) == (period_id, section_id)


def row_of(screen: MarksEntryScreen, student_id: str) -> int:
    return next(i for i, r in enumerate(screen.model.rows) if r.student_id == student_id)


def type_in(qtbot, screen: MarksEntryScreen, row: int, column: int, text: str,
            end: Qt.Key | None = Qt.Key.Key_Return) -> None:
    """Go to a cell and type, as a person would: the first key opens the
    cell's editor, the rest go to it; `end` finishes (Enter by default)."""
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(row, column))
    for ch in text:
        qtbot.keyClicks(screen.delegate.editor or screen.table, ch)
    if end is not None:
        qtbot.keyClick(screen.delegate.editor or screen.table, end)


def save(qtbot, screen: MarksEntryScreen) -> None:
    qtbot.keyClick(screen.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def cell(screen: MarksEntryScreen, row: int, column: int) -> str:
    return screen.model.index(row, column).data()


def is_bold(screen: MarksEntryScreen, row: int, column: int) -> bool:
    font = screen.model.index(row, column).data(Qt.ItemDataRole.FontRole)
    return font is not None and font.bold()


def grade_mark_edits(store) -> list[dict]:
    return [e["payload"] for e in store.pending() if e["op"] == "grade.mark"]


def periods_with_marks(store) -> list:
    """The current term's marking periods that have marks (they have ended)."""
    with store.read() as conn:
        marked = {r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT marking_period_id FROM grade_marks")}
    return [p for p in grades.term_periods_on(store, TODAY) if p.id in marked]


# --- choosing


def test_opens_on_the_latest_marking_period_begun_and_marks_closed_ones(screen, school_store):
    periods = grades.term_periods_on(school_store, TODAY)
    begun = max((p for p in periods if p.start_date <= TODAY.isoformat()),
                key=lambda p: p.start_date)
    assert screen.current_period().id == begun.id
    assert screen.period.count() == len(periods) == 4
    for i, p in enumerate(periods):
        assert screen.period.itemText(i).endswith(" — closed") == (
            p.end_date < TODAY.isoformat())
    assert screen.section.count() > 10
    assert screen.section.currentText().startswith("P")  # period · course · section · teacher
    assert screen.model.rowCount() > 5
    marked, total = screen.model.marked_count(), screen.model.rowCount()
    assert f"{marked} of {total} marked" in screen.counter.text()


def test_the_section_chooser_finds_a_section_by_any_part_of_its_name(screen):
    target = screen.section.itemText(screen.section.count() - 1)
    teacher = target.split(" · ")[-1].split("  (")[0]
    completer = screen.section.completer()
    completer.setCompletionPrefix(teacher)
    found = [completer.completionModel().index(i, 0).data()
             for i in range(completer.completionCount())]
    assert target in found and all(teacher in text for text in found)


# --- typing marks


def test_typing_b_then_enter_and_ctrl_s_queues_one_mark_and_shows_it_saved(
        qtbot, screen, school_store, queue):
    row = next(i for i in range(screen.model.rowCount()) if not screen.model.value(i, MARK))
    student = screen.model.rows[row]
    period, section = screen.current_period(), screen.current_section_id()
    before = screen.model.marked_count()

    type_in(qtbot, screen, row, MARK, "b")
    assert cell(screen, row, MARK) == "B" and is_bold(screen, row, MARK)  # typed, not saved
    assert screen.table.currentIndex().row() == row + 1  # Enter: the next student
    assert screen.table.currentIndex().column() == MARK
    assert "1 student not saved" in screen.counter.text()
    assert f"{before + 1} of" in screen.counter.text()
    assert queue.edits == []

    save(qtbot, screen)
    assert queue.edits == [("grade.mark", {"student_id": student.student_id,
                                           "section_id": section,
                                           "marking_period_id": period.id, "mark": "B"})]
    assert len(grade_mark_edits(school_store)) == 1
    saved = school_store.record("grade_marks",
                                grade_mark_id(student.student_id, section, period.id))
    assert saved["mark"] == "B"
    # The grid reads it back from the cache: saved, no longer marked as typed.
    row = row_of(screen, student.student_id)
    assert screen.model.rows[row].saved.mark == "B"
    assert cell(screen, row, MARK) == "B" and not is_bold(screen, row, MARK)
    assert "not saved" not in screen.counter.text()
    assert screen.message.text().startswith("Saved 1 mark")

    # Reopening shows what was saved.
    again = MarksEntryScreen(school_store, queue, today=TODAY)
    qtbot.addWidget(again)
    again.reload()
    choose(again, period.id, section)
    assert cell(again, row_of(again, student.student_id), MARK) == "B"


@pytest.mark.parametrize("typed", ["Q", "A+", "7"])
def test_an_invalid_mark_is_refused_and_nothing_is_queued(qtbot, screen, school_store, queue,
                                                          typed):
    row = 0
    was = cell(screen, row, MARK)
    type_in(qtbot, screen, row, MARK, typed, end=None)
    assert screen.delegate.editor.text() == typed  # every key reached the cell
    qtbot.keyClick(screen.delegate.editor, Qt.Key.Key_Return)
    assert cell(screen, row, MARK) == was
    assert not is_bold(screen, row, MARK)
    assert screen.table.currentIndex().row() == row  # stays to be typed again
    text = screen.message.text()
    assert screen.message.isVisible()
    assert "is not a mark" in text and ", ".join(ACADEMIC_MARKS) in text
    assert screen.model.unsaved_count() == 0
    save(qtbot, screen)
    assert queue.edits == [] and grade_mark_edits(school_store) == []


def test_refusal_shows_while_typing_before_enter(qtbot, screen):
    type_in(qtbot, screen, 0, MARK, "Q", end=None)
    assert "is not a mark: use A, B, C, D, F, I, NM" in screen.message.text()
    type_in(qtbot, screen, 1, MARK, "N", end=None)  # on its way to NM: fine so far
    assert screen.message.text() == ""
    qtbot.keyClicks(screen.delegate.editor, "m")
    qtbot.keyClick(screen.delegate.editor, Qt.Key.Key_Return)
    assert cell(screen, 1, MARK) == "NM"


def test_conduct_marks_take_e_s_u_in_either_case_and_nothing_else(qtbot, screen, queue):
    type_in(qtbot, screen, 0, WORK_HABITS, "x")
    assert cell(screen, 0, WORK_HABITS) == screen.model.saved_value(screen.model.rows[0],
                                                                    WORK_HABITS)
    assert "is not a work habits mark: use E, S or U" in screen.message.text()
    assert screen.model.unsaved_count() == 0

    type_in(qtbot, screen, 0, WORK_HABITS, "e", end=Qt.Key.Key_Tab)
    assert cell(screen, 0, WORK_HABITS) == "E"
    assert screen.table.currentIndex().column() == COOPERATION  # Tab: the next column
    assert screen.message.text() == ""
    type_in(qtbot, screen, 0, COOPERATION, "u", end=Qt.Key.Key_Tab)
    assert cell(screen, 0, COOPERATION) == "U"
    assert screen.table.currentIndex().column() == COMMENTS
    assert queue.edits == []


def test_comment_codes_are_checked(qtbot, screen):
    type_in(qtbot, screen, 0, COMMENTS, "99")
    assert "comment code '99' does not exist: use 01–10" in screen.message.text()
    assert screen.model.unsaved_count() == 0
    type_in(qtbot, screen, 0, COMMENTS, "01 07")
    assert cell(screen, 0, COMMENTS) == "01 07"
    type_in(qtbot, screen, 1, COMMENTS, "01 02 03 04")
    assert "at most 3 comment codes" in screen.message.text()


def test_tab_from_the_last_column_goes_to_the_next_students_mark(qtbot, screen):
    type_in(qtbot, screen, 0, COMMENTS, "02", end=Qt.Key.Key_Tab)
    here = screen.table.currentIndex()
    assert (here.row(), here.column()) == (1, MARK)
    qtbot.keyClick(screen.table, Qt.Key.Key_Backtab)
    here = screen.table.currentIndex()
    assert (here.row(), here.column()) == (0, COMMENTS)


def test_conduct_without_a_mark_is_not_saved(qtbot, screen, queue):
    row = next(i for i in range(screen.model.rowCount()) if not screen.model.value(i, MARK))
    type_in(qtbot, screen, row, WORK_HABITS, "s")
    save(qtbot, screen)
    assert queue.edits == []
    assert "no mark" in screen.message.text()
    assert screen.table.currentIndex().column() == MARK


def test_leaving_a_section_with_typed_marks_asks_first(qtbot, screen):
    type_in(qtbot, screen, 0, MARK, "C")
    shown = screen.current_section_id()
    screen.section.setCurrentIndex(screen.section.currentIndex() + 1)  # confirm says no
    assert messages.shown[-1].kind == "confirm"
    assert screen.current_section_id() == shown and cell(screen, 0, MARK) == "C"


def test_typed_marks_survive_a_reload_after_a_sync(qtbot, screen):
    type_in(qtbot, screen, 0, MARK, "D")
    screen.reload()
    assert cell(screen, 0, MARK) == "D" and is_bold(screen, 0, MARK)


def test_a_sync_while_typing_waits_for_the_cell_to_be_finished(qtbot, screen):
    type_in(qtbot, screen, 2, MARK, "F", end=None)
    screen.reload()  # the sync's refresh
    assert screen.delegate.editor is not None and screen.delegate.editor.text() == "F"
    qtbot.keyClick(screen.delegate.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not screen._reload_waiting)
    assert cell(screen, 2, MARK) == "F" and is_bold(screen, 2, MARK)


# --- a closed marking period


def test_a_closed_marking_periods_changes_need_a_reason(qtbot, screen, school_store, queue):
    closed = periods_with_marks(school_store)[-1]
    assert closed.end_date < TODAY.isoformat()
    with school_store.read() as conn:
        section = conn.exec_driver_sql(
            "SELECT section_id FROM grade_marks WHERE marking_period_id = ? LIMIT 1",
            (closed.id,)).scalar_one()
    choose(screen, closed.id, section)
    assert screen.period_state.text().startswith(f"Closed {closed.end_date}")
    row = next(i for i, r in enumerate(screen.model.rows) if r.saved and r.saved.mark != "A")
    student = screen.model.rows[row]
    type_in(qtbot, screen, row, MARK, "A")
    type_in(qtbot, screen, row + 1, WORK_HABITS,
            "S" if screen.model.value(row + 1, WORK_HABITS) != "S" else "E")

    save(qtbot, screen)
    dialog = screen.reason_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert queue.edits == []  # nothing before the reason
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # a reason is required
    qtbot.keyClicks(dialog.field, "Teacher corrected a grading error")
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    assert len(queue.edits) == 2
    for op, payload in queue.edits:
        assert op == "grade.mark" and payload["marking_period_id"] == closed.id
        assert payload["reason"] == "Teacher corrected a grading error"
    first = queue.edits[0][1]
    assert first["student_id"] == student.student_id and first["mark"] == "A"
    # The whole record goes: the student's other marks are kept as they were.
    assert first.get("work_habits", "") == student.saved.work_habits
    assert [p["reason"] for p in grade_mark_edits(school_store)] == [
        "Teacher corrected a grading error"] * 2
    assert screen.model.unsaved_count() == 0


def test_cancelling_the_reason_saves_nothing(qtbot, screen, school_store, queue):
    closed = periods_with_marks(school_store)[-1]
    choose(screen, closed.id, screen.section.itemData(0))
    type_in(qtbot, screen, 0, MARK, "I")
    save(qtbot, screen)
    qtbot.waitUntil(screen.reason_dialog.isVisible)
    screen.reason_dialog.reject()
    assert queue.edits == [] and screen.model.unsaved_count() == 1


# --- who is on the grid, and the previous mark


def _left_entry(store, periods):
    """A student's only entry in a section, left before the last of `periods` began."""
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT student_id, section_id, end_date FROM section_enrollments e "
            "WHERE end_date IS NOT NULL AND (SELECT count(*) FROM section_enrollments o "
            "WHERE o.student_id = e.student_id AND o.section_id = e.section_id) = 1 "
            "ORDER BY end_date").all()
    for student_id, section_id, end_date in rows:
        during = [p for p in periods if p.start_date <= end_date < p.end_date]
        after = [p for p in periods if p.start_date > end_date]
        if during and after:
            return student_id, section_id, end_date, during[0], after[0]
    raise AssertionError("the demo has no student who left a section this term")


def test_a_student_who_left_before_the_marking_period_is_not_listed(screen, school_store):
    periods = grades.term_periods_on(school_store, TODAY)
    student_id, section_id, left, during, after = _left_entry(school_store, periods)

    choose(screen, during.id, section_id)
    row = row_of(screen, student_id)
    assert cell(screen, row, IN_CLASS) == f"left {left}"

    choose(screen, after.id, section_id)
    assert student_id not in {r.student_id for r in screen.model.rows}
    assert screen.model.rowCount() > 0


def test_the_previous_marking_periods_mark_shows_for_reference(screen, school_store):
    five, ten = grades.term_periods_on(school_store, TODAY)[:2]
    assert (five.week, ten.week) == (5, 10)
    with school_store.read() as conn:
        student_id, section_id, mark = conn.exec_driver_sql(
            "SELECT student_id, section_id, mark FROM grade_marks WHERE marking_period_id = ? "
            "ORDER BY id LIMIT 1", (five.id,)).one()
    choose(screen, ten.id, section_id)
    assert screen.model.headerData(PREVIOUS, Qt.Orientation.Horizontal) == "5-week"
    assert not screen.table.isColumnHidden(PREVIOUS)
    row = row_of(screen, student_id)
    assert cell(screen, row, PREVIOUS) == mark
    assert not screen.model.flags(screen.model.index(row, PREVIOUS)) & Qt.ItemFlag.ItemIsEditable

    choose(screen, five.id, section_id)  # nothing before the first
    assert screen.table.isColumnHidden(PREVIOUS)


def test_delete_clears_a_conduct_mark_but_never_a_saved_mark(qtbot, screen, school_store):
    period = periods_with_marks(school_store)[0]
    choose(screen, period.id, screen.section.itemData(0))
    row = next(i for i, r in enumerate(screen.model.rows) if r.saved and r.saved.work_habits)
    screen.table.setFocus()
    screen.table.setCurrentIndex(screen.model.index(row, WORK_HABITS))
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    assert cell(screen, row, WORK_HABITS) == "" and screen.model.unsaved_count() == 1
    screen.table.setCurrentIndex(screen.model.index(row, MARK))
    qtbot.keyClick(screen.table, Qt.Key.Key_Delete)
    assert cell(screen, row, MARK) == screen.model.rows[row].saved.mark
    assert "is not a mark" in screen.message.text()
