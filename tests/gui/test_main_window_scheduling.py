"""The scheduling screens in the main window: where a counselor finds them,
what a clerk may do there, and a program in conflict leading to the comparison."""
from __future__ import annotations

import pytest

from ui.main_window import MainWindow
from ui.scheduling.program_editor import ProgramEditorDialog
from ui.scheduling.schedule_conflict import ScheduleConflictDialog

# The main window's screens take "today" from the clock: the demo's school day.
pytestmark = pytest.mark.usefixtures("school_day_clock")


@pytest.fixture
def window_for(qtbot, school_workstation, school_store):
    made = []

    def make(role: str) -> MainWindow:
        school_workstation.settings.role = role
        window = MainWindow(school_workstation, school_store, school_name="Harbor View High")
        qtbot.addWidget(window)
        made.append(window)
        return window
    yield make
    for window in made:
        window.sync.stop()


def _screen_titles(window: MainWindow) -> list[str]:
    return [window.nav.item(i).text() for i in range(window.nav.count())]


def test_a_counselor_finds_the_scheduling_screens_and_each_loads_when_chosen(qtbot, window_for,
                                                                              school_store):
    window = window_for("counselor")
    titles = _screen_titles(window)
    assert {"Master schedule", "Incomplete schedules", "Course requests"} <= set(titles)
    window.nav.setCurrentRow(titles.index("Master schedule"))
    qtbot.waitUntil(lambda: window.master_schedule.model.rowCount() > 0)
    assert window.stack.currentWidget() is window.master_schedule
    assert window.act_rollover.isEnabled()
    # The incomplete count is fresh for a counselor without opening it.
    qtbot.waitUntil(lambda: "Total" in window.incomplete.counts.text())


def test_a_clerk_sees_the_master_schedule_but_cannot_change_it(qtbot, window_for):
    window = window_for("clerk")
    assert not window.act_rollover.isEnabled()
    assert not window.master_schedule.can_edit


def test_a_program_opens_from_the_roster_and_a_conflicted_one_leads_to_the_comparison(
        qtbot, window_for, school_store, school_workstation):
    window = window_for("counselor")
    student_id = window.roster.model.row_at(0).student_id
    window.roster.select_student(student_id)
    window.act_program.trigger()
    opened = window._dialogs[-1]
    assert isinstance(opened, ProgramEditorDialog) and opened.student_id == student_id
    opened.close()

    entry = next(r for r in school_store.records("section_enrollments")
                 if r["student_id"] == student_id and r["end_date"] is None)
    mutation_id = school_workstation.edit(school_store, "schedule.drop", {
        "student_id": student_id, "section_enrollment_id": entry["id"],
        "end_date": entry["begin_date"]})
    school_store.record_answers([{"mutation_id": mutation_id, "status": "conflict",
                                  "reason": "changed by someone else", "records": []}],
                                answered_at="2026-11-29T18:00:00Z")
    assert school_store.conflict_students() == [student_id]
    window.open_program(student_id)
    assert isinstance(window._dialogs[-1], ScheduleConflictDialog)


def test_edits_refresh_only_the_screens_that_show_what_changed(qtbot, window_for,
                                                                school_store, monkeypatch):
    """A batch of printed report cards: written off the GUI thread, counted
    on the status bar, and the roster and attendance sheet, which show none
    of it, are not read again."""
    window = window_for("clerk")
    period = next(iter(school_store.records("marking_periods")))["id"]
    students = [r["id"] for r in school_store.records("students")][:20]
    reread = []
    for screen in (window.roster, window.attendance):
        monkeypatch.setattr(screen, "reload", lambda s=screen: reread.append(s.title))
    heard = []
    window.session.changed.connect(heard.append)
    for i, sid in enumerate(students):
        window.queue_edit("report_card.printed", {
            "print_id": f"rcp-test-{i}", "student_id": sid, "marking_period_id": period,
            "printed_at": "2026-11-29T18:00:00Z"})
    printed = {f"rcp-test-{i}" for i in range(len(students))}
    qtbot.waitUntil(lambda: set().union(*(c.ids("report_card_prints") for c in heard))
                    == printed)
    qtbot.waitUntil(lambda: window.sync.state.pending == len(students))
    assert reread == []
