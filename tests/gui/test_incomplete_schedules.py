"""Students without a complete schedule: the list, its counts by grade,
opening a program from it, and the district's 10:00 AM escalation."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from sync.client import ServerUnreachable
from tests.support.clock import SCHOOL_DAY
from ui.scheduling.incomplete import (
    IncompleteSchedulesScreen,
    escalation_due_at,
    report_to_district,
)

LA = ZoneInfo("America/Los_Angeles")

# Students enrolled on a day whose active classes don't cover periods
# 1..required_periods of their grade; a year-long section runs through its
# school year, a semester one through its term.
INCOMPLETE_SQL = """
WITH enrolled AS (
  SELECT DISTINCT student_id, grade_level FROM school_enrollments
  WHERE entry_date <= :day AND (exit_date IS NULL OR exit_date >= :day)),
active AS (
  SELECT DISTINCT e.student_id, sec.period FROM section_enrollments e
  JOIN sections sec ON sec.id = e.section_id
  JOIN courses c ON c.id = sec.course_id
  JOIN terms t ON t.id = sec.term_id
  JOIN school_years y ON y.id = t.school_year_id
  WHERE e.begin_date <= :day AND (e.end_date IS NULL OR e.end_date >= :day)
    AND t.start_date <= :day
    AND (CASE WHEN c.duration = 'year' THEN y.end_date ELSE t.end_date END) >= :day)
SELECT en.student_id, en.grade_level FROM enrolled en
JOIN grade_requirements g ON g.grade_level = en.grade_level
WHERE (SELECT count(*) FROM active a WHERE a.student_id = en.student_id
       AND a.period BETWEEN 1 AND g.required_periods) < g.required_periods
"""


def incomplete_by_sql(store, day: dt.date) -> dict[str, int]:
    with store.read() as conn:
        return dict(conn.exec_driver_sql(INCOMPLETE_SQL, {"day": day.isoformat()}).all())


@pytest.fixture
def school_day(school_store) -> dt.date:
    """The day the demo district is generated as of: a weekday of a term."""
    day = SCHOOL_DAY
    with school_store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM terms WHERE start_date <= ? "
                                    "AND end_date >= ?", (day.isoformat(),) * 2).scalar()
    return day


def make_incomplete(store, day: dt.date, how_many: int) -> None:
    """Take the period 1 class away from students who have one."""
    with store.write() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(
            "SELECT e.id FROM section_enrollments e JOIN sections sec ON sec.id = e.section_id "
            "WHERE sec.period = 1 AND e.end_date IS NULL AND e.begin_date <= ? "
            "ORDER BY e.student_id LIMIT ?", (day.isoformat(), how_many))]
        conn.exec_driver_sql(
            f"DELETE FROM section_enrollments WHERE id IN ({', '.join('?' * len(ids))})",
            tuple(ids))


def make_screen(qtbot, store, day, *, at: dt.time = dt.time(8, 0), opened=None):
    """The screen as of `day` at `at` (school time); its list is being made."""
    now = dt.datetime.combine(day, at, tzinfo=LA)
    screen = IncompleteSchedulesScreen(store, (opened if opened is not None else []).append,
                                       today=day, now=now)
    qtbot.addWidget(screen)
    screen.resize(1100, 600)
    screen.show()
    screen.reload()  # as the main window does: at once for a counselor, on first show for a clerk
    return screen


def wait_loaded(qtbot, screen) -> None:
    qtbot.waitUntil(lambda: screen.status.text() != "Working…", timeout=30000)


def open_screen(qtbot, store, day, **kwargs):
    screen = make_screen(qtbot, store, day, **kwargs)
    wait_loaded(qtbot, screen)
    return screen


def strip_counts(screen) -> tuple[dict[int, int], int]:
    text = screen.counts.text()
    grades = {int(g): int(n) for g, n in re.findall(r"Grade (\d+): (\d+)", text)}
    total = int(re.search(r"Total (\d+)", text).group(1))
    return grades, total


def test_the_total_and_the_counts_by_grade_match_the_cache(qtbot, school_store, school_day):
    make_incomplete(school_store, school_day, 3)
    expected = incomplete_by_sql(school_store, school_day)
    screen = open_screen(qtbot, school_store, school_day)
    grades, total = strip_counts(screen)
    assert total == len(expected) == screen.model.rowCount() > 0
    assert sum(grades.values()) == total
    for grade, n in grades.items():
        assert n == sum(1 for g in expected.values() if g == grade)
    assert set(screen.model.students) == set(expected)
    # The missing periods say which: a student who lost period 1 misses "1".
    assert any(row[3].split(", ")[0] == "1" for row in screen.model.rows)
    # A grade shows its own students only.
    grade = next(g for g, n in grades.items() if n)
    screen.grade.setCurrentIndex(screen.grade.findData(grade))
    assert screen.model.rowCount() == grades[grade]
    assert {row[2] for row in screen.model.rows} == {str(grade)}


def test_double_click_and_enter_open_the_students_program(qtbot, school_store, school_day):
    make_incomplete(school_store, school_day, 3)
    opened: list[str] = []
    screen = open_screen(qtbot, school_store, school_day, opened=opened)
    row = 1
    rect = screen.table.visualRect(screen.model.index(row, 0))
    qtbot.mouseClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(screen.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with school_store.read() as conn:
        expected = conn.exec_driver_sql("SELECT id FROM students WHERE district_student_id = ?",
                                        (screen.model.rows[row][1],)).scalar()
    assert opened == [expected]
    with qtbot.waitActive(screen):
        screen.activateWindow()
    screen.table.setFocus()
    screen.table.selectRow(0)
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    assert opened[-1] == screen.model.students[0]


def test_the_banner_shows_over_ten_after_ten_oclock_on_a_school_day(qtbot, school_store,
                                                                    school_day):
    make_incomplete(school_store, school_day, 12)
    count = len(incomplete_by_sql(school_store, school_day))
    assert count > 10
    early = make_screen(qtbot, school_store, school_day, at=dt.time(9, 30))
    with qtbot.assertNotEmitted(early.escalation_due):
        wait_loaded(qtbot, early)
    assert early.banner.isHidden()

    late = make_screen(qtbot, school_store, school_day, at=dt.time(10, 30))
    with qtbot.waitSignal(late.escalation_due, timeout=30000) as blocker:
        pass  # the list is made off the GUI thread; the signal follows it
    assert blocker.args == [count]
    assert late.banner.isVisible()
    assert late.banner.text() == (f"{count} students still have no complete schedule after "
                                  "10:00 AM — the district is notified")
    # Once a day: the next sync's reload doesn't report again, the banner stays.
    with qtbot.assertNotEmitted(late.escalation_due):
        late.reload()
        wait_loaded(qtbot, late)
    assert late.banner.isVisible()


def test_escalation_due_at_follows_the_districts_rule():
    monday = dt.datetime(2026, 11, 30, 10, 30, tzinfo=LA)
    assert escalation_due_at(11, monday)
    assert not escalation_due_at(10, monday)
    assert not escalation_due_at(11, monday.replace(hour=9, minute=59))
    assert escalation_due_at(11, monday.replace(hour=10, minute=0))
    assert not escalation_due_at(11, monday + dt.timedelta(days=5))  # Saturday
    assert not escalation_due_at(11, monday, school_year=("2027-08-01", "2028-06-15"))


def test_export_writes_the_list_to_excel(qtbot, school_store, school_day, tmp_path):
    make_incomplete(school_store, school_day, 4)
    screen = open_screen(qtbot, school_store, school_day)
    path = tmp_path / "incomplete.xlsx"
    screen.on_export(str(path))
    qtbot.waitUntil(lambda: "Exported" in screen.status.text(), timeout=30000)
    sheet = load_workbook(path).active
    assert sheet["A1"].value.startswith("Students without a complete schedule")
    assert [c.value for c in sheet[2]] == ["Name", "ID", "Grade", "Missing periods", "Counselor"]
    assert sheet.max_row - 2 == screen.model.rowCount()


class FakeClient:
    def __init__(self, answer):
        self.answer, self.closed = answer, False

    def report_incomplete(self, school_id):
        if isinstance(self.answer, Exception):
            raise self.answer
        return {**self.answer, "school_id": school_id}

    def close(self):
        self.closed = True


class FakeWorkstation:
    def __init__(self, answer):
        self.clients: list[FakeClient] = []
        self.answer = answer

    def client(self):
        self.clients.append(FakeClient(self.answer))
        return self.clients[-1]


def test_report_to_district_calls_the_server_and_closes_the_client():
    ws = FakeWorkstation({"incomplete": 12, "escalated": True})
    assert report_to_district(ws, "sch-1003")["school_id"] == "sch-1003"
    assert ws.clients[0].closed


def test_an_unreachable_server_is_said_calmly_and_tried_again(qtbot, school_store, school_day):
    make_incomplete(school_store, school_day, 12)
    screen = open_screen(qtbot, school_store, school_day, at=dt.time(10, 30))
    ws = FakeWorkstation(ServerUnreachable("The server can't be reached"))
    screen.report_to_district(ws, "sch-1003")
    qtbot.waitUntil(lambda: "when the server is back" in screen.banner_note.text())
    assert screen.banner_note.isVisible()
    ws.answer = {"incomplete": 12, "escalated": True}
    screen.reload()  # after a sync: the server is back
    qtbot.waitUntil(lambda: "Reported to the district" in screen.banner_note.text())
    assert len(ws.clients) == 2 and all(c.closed for c in ws.clients)


def test_print_previews_the_list_as_shown(qtbot, school_store, school_day):
    from PySide6.QtPrintSupport import QPrintPreviewDialog, QPrintPreviewWidget
    make_incomplete(school_store, school_day, 4)
    screen = open_screen(qtbot, school_store, school_day)
    title, headers, rows = screen.table_for_output()
    assert title.startswith("Students without a complete schedule") and len(rows) >= 4
    screen.print_.click()
    (preview,) = screen.findChildren(QPrintPreviewDialog)
    qtbot.waitUntil(lambda: preview.findChild(QPrintPreviewWidget).pageCount() >= 1)
    preview.close()
