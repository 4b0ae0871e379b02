"""Printing report cards at the school: one student or a batch into one PDF or
onto a printer, off the GUI thread where it can be, with progress and cancel;
a finished batch is recorded as printed, and a later mark change flags a reprint."""
from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QThread
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication

import ui.marks.report_card_output as output_module
from local_store.report_cards import card_documents
from tests.support.clock import SCHOOL_DAY, SCHOOL_DAY_MORNING
from ui.common import messages
from ui.marks.report_cards import GRADE, HOMEROOM, ONE, REPRINT, SCHOOL, ReportCardsScreen

TODAY = SCHOOL_DAY  # the demo district is generated as of that day


def queued(store, op: str = "report_card.printed") -> list[dict]:
    return [e for e in store.outbox_entries() if e["op"] == op]


@pytest.fixture
def screen(qtbot, school_store, school_workstation) -> ReportCardsScreen:
    def queue_edit(op, payload):
        return school_workstation.edit(school_store, op, payload)
    widget = ReportCardsScreen(school_store, queue_edit, today=TODAY)
    qtbot.addWidget(widget)
    widget.resize(1280, 740)
    widget.show()
    widget.reload()  # as the main window does when the screen is first shown
    qtbot.waitUntil(lambda: widget.batch() is not None)
    yield widget
    widget.output.wait()
    widget.loader.wait()


def choose(qtbot, screen: ReportCardsScreen, key: str, value=None) -> None:
    combo = {GRADE: screen.grade, HOMEROOM: screen.homeroom, ONE: screen.student}.get(key)
    if combo is not None and value is not None:
        combo.setCurrentIndex(combo.findData(value))
    screen.choices[key].setChecked(True)
    qtbot.waitUntil(lambda: screen.batch() is not None)


def ended_periods_to_choose(store) -> list[dict]:
    """This term's ended marking periods, and an earlier term's of the same
    school year (its semester card goes out after the term is over)."""
    day = TODAY.isoformat()
    terms = sorted(store.records("terms"), key=lambda t: t["start_date"])
    now = next((t for t in terms if t["start_date"] <= day <= t["end_date"]), None) \
        or [t for t in terms if t["start_date"] <= day][-1]
    year = {t["id"] for t in terms if t["school_year_id"] == now["school_year_id"]
            and t["start_date"] <= now["start_date"]}
    return sorted((p for p in store.records("marking_periods")
                   if p["term_id"] in year and p["end_date"] < day),
                  key=lambda p: p["end_date"], reverse=True)


def with_a_card(store, period_id: str, student_ids: list[str]) -> set[str]:
    return {d.student_id for d in card_documents(store, period_id, student_ids) if d.card.lines}


def test_the_marking_periods_offered_have_ended_latest_first(screen, school_store):
    ended = ended_periods_to_choose(school_store)
    assert ended, "the demo has ended marking periods this term"
    assert [screen.period.itemData(i) for i in range(screen.period.count())] == \
        [p["id"] for p in ended]
    assert screen.period.currentData() == ended[0]["id"]
    assert ended[0]["name"] in screen.period.currentText()
    assert all(p["end_date"] < TODAY.isoformat() for p in ended)


def test_saving_grade_10_as_pdf_runs_off_the_gui_thread_and_records_each_card(
        qtbot, screen, school_store, tmp_path, monkeypatch):
    painted_on = []
    real_paint = output_module.paint_report_cards

    def paint(device, cards, **kwargs):
        painted_on.append(QThread.currentThread())
        return real_paint(device, cards, **kwargs)
    monkeypatch.setattr(output_module, "paint_report_cards", paint)
    period = screen.period.currentData()
    grade_10 = [s["id"] for s in school_store.records("students", grade_level=10)]
    expected = with_a_card(school_store, period, grade_10)
    assert 0 < len(expected) <= len(grade_10)
    choose(qtbot, screen, GRADE, 10)
    assert screen.count.text().startswith(f"{len(expected)} report cards")
    progress = []
    path = tmp_path / "out" / "grade-10.pdf"
    path.parent.mkdir()

    with qtbot.waitSignal(screen.printed, timeout=60000) as recorded:
        task = screen.on_save_pdf(str(path))
        assert task is not None
        screen.progress.valueChanged.connect(lambda _v: progress.append(screen.progress.text()))
        assert screen.cancel.isVisible() and not screen.pdf_button.isEnabled()
    assert recorded.args == [len(expected)]
    assert painted_on and painted_on[0] is not QApplication.instance().thread()
    assert len(PdfReader(path).pages) == len(expected)
    assert [p.name for p in path.parent.iterdir()] == ["grade-10.pdf"]  # no temporary left
    assert progress[-1] == f"{len(expected)} of {len(expected)}"
    edits = queued(school_store)
    assert sorted(e["payload"]["student_id"] for e in edits) == sorted(expected)
    assert {e["payload"]["marking_period_id"] for e in edits} == {period}
    assert len({e["payload"]["print_id"] for e in edits}) == len(expected)
    assert all(e["payload"]["print_id"].startswith("rcp-") for e in edits)
    qtbot.waitUntil(lambda: screen.pdf_button.isEnabled())
    assert not screen.progress.isVisible()
    assert screen.status.text() == f"{len(expected)} report cards saved to {path}"


def test_cancelling_a_whole_school_batch_leaves_no_file_and_marks_nothing_printed(
        qtbot, screen, school_store, tmp_path):
    choose(qtbot, screen, SCHOOL)
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "school.pdf"
    with qtbot.assert_not_emitted(screen.printed), qtbot.assert_not_emitted(screen.pdf_written):
        assert screen.on_save_pdf(str(path)) is not None
        screen.cancel.click()
        qtbot.waitUntil(lambda: screen.task is None, timeout=60000)
    assert list(path.parent.iterdir()) == []  # neither the PDF nor a temporary file
    assert queued(school_store) == []
    assert "Cancelled" in screen.status.text()
    assert screen.pdf_button.isEnabled() and not screen.cancel.isVisible()


def test_a_mark_changed_after_printing_puts_the_card_on_the_reprint_list(
        qtbot, screen, school_store, school_workstation, clock_at):
    clock_at(SCHOOL_DAY_MORNING)  # the correction's entered_at is read from the clock
    period = screen.period.currentData()
    mark = next(m for m in school_store.records("grade_marks", marking_period_id=period)
                if m["mark"] != "A")
    student, other = mark["student_id"], next(
        m["student_id"] for m in school_store.records("grade_marks", marking_period_id=period)
        if m["student_id"] != mark["student_id"])
    an_hour_ago = (SCHOOL_DAY_MORNING - dt.timedelta(hours=1)).astimezone(dt.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    for sid in (student, other):
        school_workstation.edit(school_store, "report_card.printed", {
            "print_id": f"rcp-test-{sid}", "student_id": sid, "marking_period_id": period,
            "printed_at": an_hour_ago})
    screen.reload()
    qtbot.waitUntil(lambda: screen.batch() is not None and not screen.loader.busy())
    assert screen.reprint_model.rowCount() == 0  # printed after every mark was entered

    school_workstation.edit(school_store, "grade.mark", {
        "student_id": student, "section_id": mark["section_id"], "marking_period_id": period,
        "mark": "A", "reason": "The teacher corrected a typing error"})
    screen.reload()
    qtbot.waitUntil(lambda: screen.reprint_model.rowCount() == 1)
    district_id = school_store.record("students", student)["district_student_id"]
    assert screen.reprint_model.rows[0][0] == district_id
    assert "(1)" in screen.choices[REPRINT].text()

    screen.select_reprints.click()
    assert screen.choices[REPRINT].isChecked()
    assert screen.batch().student_ids == (student,)
    assert screen.count.text() == "1 report card"


def test_one_students_transcript_is_saved_as_a_pdf(qtbot, screen, school_store, tmp_path):
    student = next(r["student_id"] for r in school_store.records("transcript_entries"))
    choose(qtbot, screen, ONE, student)
    assert screen.transcript_button.isEnabled()
    path = tmp_path / "transcript.pdf"
    with qtbot.waitSignal(screen.transcript_written, timeout=30000):
        assert screen.on_transcript_pdf(str(path)) is not None
    assert len(PdfReader(path).pages) >= 1
    assert queued(school_store) == []  # a transcript isn't a report card


def test_a_homeroom_prints_off_the_gui_thread_and_is_recorded(qtbot, screen, school_store,
                                                              tmp_path, monkeypatch):
    painted_on = []
    real_paint = output_module.paint_report_cards

    def paint(device, cards, **kwargs):
        painted_on.append(QThread.currentThread())
        return real_paint(device, cards, **kwargs)
    monkeypatch.setattr(output_module, "paint_report_cards", paint)
    homeroom = screen.homeroom.itemData(0)
    choose(qtbot, screen, HOMEROOM, homeroom)
    expected = screen.batch().student_ids
    day = TODAY.isoformat()
    in_homeroom = {e["student_id"] for e in school_store.records("section_enrollments",
                                                                   section_id=homeroom)
                   if e["begin_date"] <= day and (e["end_date"] or day) >= day}
    assert expected and set(expected) <= in_homeroom
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printer.pdf"))
    with qtbot.waitSignal(screen.printed, timeout=60000) as recorded:
        assert screen.on_print(printer) is not None
        assert screen.cancel.isVisible() and not screen.print_button.isEnabled()
    assert recorded.args == [len(expected)]
    assert painted_on and painted_on[0] is not QThread.currentThread()
    assert len(PdfReader(tmp_path / "printer.pdf").pages) == len(expected)
    assert sorted(e["payload"]["student_id"] for e in queued(school_store)) == sorted(expected)


def test_cancelling_a_print_run_the_printer_cannot_withdraw_records_only_what_was_sent(
        qtbot, screen, school_store, tmp_path):
    choose(qtbot, screen, GRADE, 11)
    total = len(screen.batch().student_ids)
    assert total > 5
    # A PDF "printer" can't withdraw a job, like many real ones.
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printer.pdf"))
    screen.progress.valueChanged.connect(lambda v: v == 3 and screen.cancel.click())
    with qtbot.waitSignal(screen.printed, timeout=60000) as recorded:
        assert screen.on_print(printer) is not None
    # The worker sees the cancel between cards: a card or two more may go out,
    # and exactly what went out is recorded.
    [sent] = recorded.args
    assert 3 <= sent < total
    assert len(PdfReader(tmp_path / "printer.pdf").pages) == sent
    assert len(queued(school_store)) == sent
    assert screen.status.text().startswith(f"Cancelled after {sent} of {total} cards")


def test_the_preview_shows_one_page_for_one_student_and_closing_it_prints_nothing(
        qtbot, screen, school_store):
    period = screen.period.currentData()
    student = next(iter(screen.with_card[period]))
    choose(qtbot, screen, ONE, student)
    dialog = screen.on_preview()
    assert dialog is not None
    preview = dialog.findChild(QPrintPreviewWidget)
    qtbot.waitUntil(lambda: preview.pageCount() == 1)
    dialog.reject()
    assert queued(school_store) == []


def test_a_folder_that_cant_be_written_is_a_calm_message_and_nothing_is_printed(
        qtbot, screen, school_store, tmp_path):
    choose(qtbot, screen, GRADE, 9)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with qtbot.assert_not_emitted(screen.printed):
        screen.on_save_pdf(str(blocker / "cards.pdf"))
        qtbot.waitUntil(lambda: screen.task is None, timeout=30000)
    assert [m.kind for m in messages.shown] == ["warning"]
    assert "cards.pdf could not be saved" in messages.shown[0].text
    assert queued(school_store) == []
