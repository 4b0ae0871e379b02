"""Attendance lists on screen, to Excel, and truancy letters as real PDFs."""
from __future__ import annotations

import datetime as dt
import subprocess

from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtCore import QDate

from ui.attendance.lists import DAILY, PERIOD, SUMMARY, TRUANCY, AttendanceListsScreen


def a_school_day(store) -> dt.date:
    return dt.date.fromisoformat(max(r["date"] for r in store.records("attendance_submissions")))


def show(qtbot, screen, kind, **dates):
    screen.kind.setCurrentIndex(screen.kind.findData(kind))
    for name, day in dates.items():
        getattr(screen, name).setDate(QDate(day.year, day.month, day.day))
    with qtbot.waitSignal(screen.model.modelReset, timeout=30000):
        screen.load()


def test_period_absence_list_matches_the_marks_of_the_day(qtbot, school_store):
    day = a_school_day(school_store)
    screen = AttendanceListsScreen(school_store, today=day)
    qtbot.addWidget(screen)
    show(qtbot, screen, PERIOD, date=day)
    expected = [m for m in school_store.records("attendance_marks", date=day.isoformat())
                if m["section_id"] and m["code"] != "P"]
    assert screen.model.rowCount() == len(expected) > 0
    assert f"{len(expected):,} students" in screen.status.text()


def test_daily_list_has_full_days_first_and_exports_to_excel(qtbot, school_store, tmp_path):
    day = a_school_day(school_store)
    screen = AttendanceListsScreen(school_store, today=day)
    qtbot.addWidget(screen)
    show(qtbot, screen, DAILY, date=day)
    kinds = [row[3] for row in screen.model.rows]
    assert kinds and kinds == sorted(kinds, key=lambda k: k != "Full day")
    screen.on_export(str(tmp_path / "daily.xlsx"))
    qtbot.waitUntil(lambda: "Exported" in screen.status.text(), timeout=30000)
    values = list(load_workbook(tmp_path / "daily.xlsx").active.iter_rows(values_only=True))
    assert values[0][0] == f"Daily absence list, {day.isoformat()}"
    assert len(values) - 2 == screen.model.rowCount()


def test_summary_over_the_year_counts_absences_per_student(qtbot, school_store):
    day = a_school_day(school_store)
    screen = AttendanceListsScreen(school_store, today=day)
    qtbot.addWidget(screen)
    show(qtbot, screen, SUMMARY, until=day)
    top = screen.model.rows[0]
    days_absent, excused, unexcused = int(top[3]), int(top[4]), int(top[5])
    assert days_absent == excused + unexcused > 0
    assert [int(r[3]) for r in screen.model.rows] == sorted(
        (int(r[3]) for r in screen.model.rows), reverse=True)


def test_truancy_letters_are_one_page_per_student(qtbot, school_store, tmp_path):
    screen = AttendanceListsScreen(school_store)
    qtbot.addWidget(screen)
    show(qtbot, screen, TRUANCY)
    assert screen.model.rowCount() == len(screen._cases) > 0
    assert all(int(r[4]) >= 3 for r in screen.model.rows)
    path = tmp_path / "letters.pdf"
    with qtbot.waitSignal(screen.letters_ready, timeout=120000):
        screen.on_letters(str(path))
    pages = PdfReader(path).pages
    assert len(pages) == len(screen._cases)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
    assert f"Pages:           {len(screen._cases)}" in info.stdout
    first_case, first_info = screen._cases[0]
    text = " ".join(pages[0].extract_text().split())
    assert first_info["name"].split()[-1] in text
