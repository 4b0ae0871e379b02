"""Next year's course requests: the tallies, a student's requests, and the
loader run on the real district server."""
from __future__ import annotations

import math
import socket

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtGui import QPdfWriter

from reports.table_print import paint_table
from tests.support.fixtures import signed_in
from tests.support.postgres import free_port
from ui.common import messages
from ui.scheduling.course_requests import DEFAULT_TARGET, LOADER, STUDENTS, CourseRequestsScreen

CLICK = Qt.MouseButton.LeftButton


def open_screen(qtbot, store, workstation, **kwargs) -> CourseRequestsScreen:
    screen = CourseRequestsScreen(store, workstation, **kwargs)
    qtbot.addWidget(screen)
    screen.resize(1280, 740)
    screen.show()
    qtbot.waitUntil(lambda: screen.tally_model.rowCount() > 0, timeout=10000)
    return screen


@pytest.fixture
def screen(qtbot, school_store, school_workstation) -> CourseRequestsScreen:
    return open_screen(qtbot, school_store, school_workstation)


def sql_requests_by_course(store, school_year_id: str) -> dict[str, int]:
    with store.read() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT c.code, count(*) FROM course_requests r JOIN courses c ON c.id = r.course_id "
            "WHERE r.school_year_id = ? GROUP BY c.code", (school_year_id,)).all())


def sql_sections_by_course(store, school_year_id: str) -> dict[str, int]:
    with store.read() as conn:
        return dict(conn.exec_driver_sql(
            "SELECT c.code, count(*) FROM sections s JOIN courses c ON c.id = s.course_id "
            "JOIN terms t ON t.id = s.term_id WHERE t.school_year_id = ? GROUP BY c.code",
            (school_year_id,)).all())


def shown_codes(screen: CourseRequestsScreen) -> list[str]:
    return [row[0] for row in screen.tally_model.rows]


def test_the_tallies_are_next_years_requests_counted_per_course_and_grade(screen, school_store):
    with school_store.read() as conn:
        years = conn.exec_driver_sql("SELECT id, name FROM school_years ORDER BY start_date").all()
    assert screen.school_year_id == years[1][0], "next school year, after the current one"
    assert screen.year_label.text() == f"<b>{years[1][1]}</b>"

    counted = sql_requests_by_course(school_store, screen.school_year_id)
    sections = sql_sections_by_course(school_store, screen.school_year_id)
    assert sum(counted.values()) > 500
    headers = screen.tally_model.headers
    grades = [h for h in headers if h.startswith("Gr ")]
    assert grades == ["Gr 9", "Gr 10", "Gr 11", "Gr 12"], "the high school's grade span"
    for code in shown_codes(screen):
        row = screen.tally_of(code)
        total = int(row["Total"])
        assert total + int(row["Outside grades"]) == counted.get(code, 0), code
        assert sum(int(row[g]) for g in grades) == total
        assert int(row["Sections needed"]) == math.ceil(total / DEFAULT_TARGET), code
        assert int(row["In master schedule"]) == sections.get(code, 0), code
    assert set(counted) <= set(shown_codes(screen)), "every requested course is listed"
    assert f"{sum(counted.values()):,} requests" in screen.tally_summary.text()


def test_changing_the_target_class_size_recounts_the_sections_needed(qtbot, screen):
    before = {code: screen.tally_of(code) for code in shown_codes(screen)}
    screen.target.setValue(15)
    qtbot.waitUntil(lambda: screen.tally is not None and screen.tally.target == 15)
    short = []
    for code in shown_codes(screen):
        row = screen.tally_of(code)
        total, have = int(row["Total"]), int(row["In master schedule"])
        assert row["Total"] == before[code]["Total"], "the requests don't change"
        assert int(row["Sections needed"]) == math.ceil(total / 15)
        missing = math.ceil(total / 15) - have
        if missing > 0:
            assert row["Difference"] == f"+{missing} needed"
            short.append(code)
    assert short, "a smaller class size needs more sections somewhere"
    # The shortfall stands out (amber) and the summary counts it.
    column = screen.tally_model.headers.index("Difference")
    row = shown_codes(screen).index(short[0])
    index = screen.tally_model.index(row, column)
    color = screen.tally_model.data(index, Qt.ItemDataRole.BackgroundRole).color().name()
    assert color == "#fef3c7"
    assert f"{len(short)} courses need" in screen.tally_summary.text()
    fine = next((c for c in shown_codes(screen) if c not in short), None)
    if fine is not None:
        index = screen.tally_model.index(shown_codes(screen).index(fine), column)
        assert screen.tally_model.data(index, Qt.ItemDataRole.BackgroundRole) is None


def test_a_students_requests_are_listed_in_rank_order(qtbot, screen, school_store):
    year = screen.school_year_id
    with school_store.read() as conn:
        sid, district = conn.exec_driver_sql(
            "SELECT s.id, s.district_student_id FROM students s WHERE EXISTS (SELECT 1 FROM "
            "course_requests r WHERE r.student_id = s.id AND r.school_year_id = ?) "
            "ORDER BY s.id LIMIT 1 OFFSET 7", (year,)).one()
        expected = [(str(rank), code) for rank, code in conn.exec_driver_sql(
            "SELECT r.rank, c.code FROM course_requests r JOIN courses c ON c.id = r.course_id "
            "WHERE r.student_id = ? AND r.school_year_id = ? ORDER BY r.rank", (sid, year))]
    screen.tabs.setCurrentIndex(STUDENTS)
    qtbot.keyClicks(screen.search, district)
    assert screen.students_model.rowCount() == 1
    qtbot.waitUntil(lambda: screen.requests_model.rowCount() > 0)
    shown = [(r[0], r[1]) for r in screen.requests_shown()]
    assert shown == expected
    assert [int(r) for r, _ in shown] == sorted(int(r) for r, _ in shown)
    assert all(r[-1] == "Not loaded yet" for r in screen.requests_shown())
    assert district in screen.student_heading.text()

    # A name search narrows the list to that name.
    last = screen.requesters[0].last_name
    screen.search.clear()
    qtbot.keyClicks(screen.search, last.lower())
    assert 0 < screen.students_model.rowCount() < len(screen.requesters)
    assert all(last in row[1] for row in screen.students_model.rows)


def test_the_tallies_export_to_excel_and_print(qtbot, screen, tmp_path):
    path = tmp_path / "tallies.xlsx"
    screen.on_export(str(path))
    qtbot.waitUntil(lambda: "Exported" in screen.status.text(), timeout=10000)
    sheet = load_workbook(path).active
    assert "Course request tallies" in sheet["A1"].value
    headers = [c.value for c in sheet[2]]
    assert headers[:3] == ["Code", "Course", "Department"]
    assert headers[-3:] == ["Needed", "Scheduled", "Difference"]
    first = [c.value for c in sheet[3]]
    assert first[0] == screen.tally_model.rows[0][0]
    assert isinstance(first[headers.index("Total")], int), "counts stay numbers"

    title, headers, rows = screen.table_for_output()
    assert "sections needed at 33 students a class" in title and "Needed" in headers
    pdf = QPdfWriter(str(tmp_path / "tallies.pdf"))
    assert paint_table(pdf, title=title, headers=headers, rows=rows) >= 1


def test_the_loader_says_calmly_when_the_server_is_unreachable(qtbot, screen,
                                                               school_workstation):
    school_workstation.settings.server_url = f"http://127.0.0.1:{free_port()}"
    school_workstation.retries = 0
    qtbot.mouseClick(screen.run_loader, CLICK)
    assert screen.tabs.currentIndex() == LOADER
    assert screen.loader.progress.isVisibleTo(screen) and screen.loader.cancel.isVisibleTo(screen)
    qtbot.waitUntil(lambda: not screen.loader_busy(), timeout=20000)
    assert [m.kind for m in messages.shown] == ["warning"]
    assert "can't be reached" in messages.shown[0].text
    assert not screen.loader.progress.isVisibleTo(screen)
    assert not screen.loader.apply.isEnabled() and screen.run_loader.isEnabled()


def test_stop_waiting_leaves_the_server_to_finish(qtbot, screen, school_workstation):
    # A server that takes the request and doesn't answer (yet).
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        school_workstation.settings.server_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        school_workstation.retries = 0
        qtbot.mouseClick(screen.run_loader, CLICK)
        assert screen.loader_busy() and screen.loader.cancel.isVisibleTo(screen)
        qtbot.mouseClick(screen.loader.cancel, CLICK)
        assert "may still finish" in screen.loader.summary.text()
        assert screen.run_loader.isEnabled() and not screen.loader.progress.isVisibleTo(screen)
    finally:
        silent.close()  # the connection drops: the request fails, unseen
    qtbot.waitUntil(lambda: not screen.loader.server.busy(), timeout=20000)
    assert messages.shown == [], "the answer nobody waits for any more is not shown"


def test_only_counselors_run_the_loader(qtbot, school_store, school_workstation):
    screen = open_screen(qtbot, school_store, school_workstation, can_apply=False)
    assert not screen.run_loader.isEnabled()
    assert screen.tally_model.rowCount() > 0, "the tallies are for everyone"


def test_the_loader_places_next_years_requests_on_the_server(
        qtbot, tmp_path, sqlite_server, demo_district, demo_school, monkeypatch):
    ws = signed_in(tmp_path / "ws", sqlite_server.url, demo_district,
                   f"counselor.{demo_school.code}", demo_school.id)
    store = ws.open_store()
    try:
        ws.sync(store)
        screen = open_screen(qtbot, store, ws)
        year = screen.school_year_id
        requests = sum(sql_requests_by_course(store, year).values())

        # The dry run: nothing written, almost everything fits.
        qtbot.mouseClick(screen.run_loader, CLICK)
        qtbot.waitUntil(lambda: screen.result is not None, timeout=120000)
        assert messages.shown == []
        dry = screen.result
        assert dry["applied"] is False and dry["requests"] == requests
        assert dry["placed_pct"] >= 95
        assert f"{dry['placed_pct']:.1f}%" in screen.loader.summary.text()
        assert screen.loader.unfilled_model.rowCount() == len(dry["unfilled"])
        assert screen.loader.apply.isEnabled()

        # Apply writes the placements on the server and asks for a sync.
        monkeypatch.setattr(messages, "confirm", lambda *args, **kwargs: True)
        with qtbot.waitSignal(screen.sync_requested, timeout=120000):
            qtbot.mouseClick(screen.loader.apply, CLICK)
        assert screen.result["applied"] is True
        assert not screen.loader.apply.isEnabled(), "applied once"
        ws.sync(store)

        with store.read() as conn:
            placed = conn.exec_driver_sql(
                "SELECT count(*) FROM course_requests r WHERE r.school_year_id = ? AND EXISTS ("
                "SELECT 1 FROM section_enrollments e JOIN sections s ON s.id = e.section_id "
                "JOIN terms t ON t.id = s.term_id WHERE e.student_id = r.student_id "
                "AND s.course_id = r.course_id AND t.school_year_id = r.school_year_id)",
                (year,)).scalar_one()
            over = conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT s.id FROM sections s JOIN terms t "
                "ON t.id = s.term_id JOIN section_enrollments e ON e.section_id = s.id "
                "WHERE t.school_year_id = ? GROUP BY s.id HAVING count(*) > max(s.capacity))",
                (year,)).scalar_one()
        assert placed == screen.result["placed"] and placed >= 0.95 * requests
        assert over == 0, "no section over capacity"

        # The students tab now shows where a student was placed.
        screen.reload()
        qtbot.waitUntil(lambda: any(r.placed for r in screen.requesters), timeout=10000)
        who = next(r for r in screen.requesters if r.requests and r.placed == r.requests)
        screen.tabs.setCurrentIndex(STUDENTS)
        qtbot.keyClicks(screen.search, who.district_student_id)
        qtbot.waitUntil(lambda: screen.requests_model.rowCount() == who.requests)
        assert all(r[-1] == "Placed" and r[3].startswith("period ")
                   for r in screen.requests_shown())
    finally:
        store.close()


# --- entering requests, one by one, offline


@pytest.fixture
def entering(qtbot, school_store, school_workstation) -> CourseRequestsScreen:
    """The screen as a counselor sees it: edits go to this workstation's outbox."""
    def queue_edit(op, payload):
        return school_workstation.edit(school_store, op, payload)
    return open_screen(qtbot, school_store, school_workstation, queue_edit=queue_edit)


def choose_student(qtbot, screen: CourseRequestsScreen, store, offset: int = 3):
    """A student with requests, chosen by typing their id; their requests and
    a course their grade next year admits that they have not asked for."""
    year = screen.school_year_id
    with store.read() as conn:
        sid, district = conn.exec_driver_sql(
            "SELECT s.id, s.district_student_id FROM students s WHERE EXISTS (SELECT 1 FROM "
            "course_requests r WHERE r.student_id = s.id AND r.school_year_id = ?) "
            "ORDER BY s.id LIMIT 1 OFFSET ?", (year, offset)).one()
        asked = conn.exec_driver_sql(
            "SELECT c.code, c.title, r.rank FROM course_requests r JOIN courses c "
            "ON c.id = r.course_id WHERE r.student_id = ? AND r.school_year_id = ? "
            "ORDER BY r.rank", (sid, year)).all()
    screen.tabs.setCurrentIndex(STUDENTS)
    qtbot.keyClicks(screen.search, district)
    qtbot.waitUntil(lambda: screen.requests_model.rowCount() == len(asked))
    who = next(r for r in screen.requesters if r.student_id == sid)
    with store.read() as conn:
        code, title = next(c for c in conn.exec_driver_sql(
            "SELECT code, title FROM courses WHERE ? BETWEEN grade_min AND grade_max "
            "ORDER BY code", (who.grade_level,)) if c[0] not in {a[0] for a in asked})
    return sid, asked, code, title


def queued(store, op: str | None = None) -> list[dict]:
    return [e for e in store.outbox_entries() if op is None or e["op"] == op]


def test_a_counselor_types_a_course_and_enter_adds_it_as_the_next_rank(
        qtbot, entering, school_store):
    screen = entering
    sid, asked, code, title = choose_student(qtbot, screen, school_store)
    assert screen.entry.isEnabled()
    last = max(rank for *_, rank in asked)
    assert f"rank {last + 1}" in screen.entry.placeholderText()

    qtbot.keyClicks(screen.entry, title.lower())  # a title, in any case, is enough
    qtbot.keyClick(screen.entry, Qt.Key.Key_Return)

    (edit,) = queued(school_store)
    assert edit["op"] == "request.add" and edit["state"] == "pending"
    p = edit["payload"]
    assert p["student_id"] == sid and p["school_year_id"] == screen.school_year_id
    assert p["rank"] == last + 1 and p["request_id"].startswith("req-")
    # At once, from the cache: the list shows it last, at the next rank.
    assert screen.requests_shown()[-1][:3] == (str(last + 1), code, title)
    assert [r[1] for r in screen.requests_shown()] == [a[0] for a in asked] + [code]
    assert screen.entry.text() == "" and f"Added {code}" in screen.entry_note.text()
    assert f"rank {last + 2}" in screen.entry.placeholderText()
    assert messages.shown == []


def test_a_course_chosen_from_the_completer_with_enter_is_added_once(
        qtbot, entering, school_store):
    screen = entering
    _sid, asked, _code, _title = choose_student(qtbot, screen, school_store)
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)  # on to the entry line
    qtbot.keyClicks(screen.entry, "span")
    offered = [c for c in screen.choices.stringList() if "span" in c.lower()]
    assert offered and not any(c.startswith(f"{a[0]} — ") for a in asked for c in offered), \
        "what the student asked for already is not offered"
    popup = screen.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    (edit,) = queued(school_store)
    assert edit["op"] == "request.add"
    assert screen.requests_shown()[-1][1] == offered[0].split(" — ")[0]
    qtbot.waitUntil(lambda: screen.entry.text() == "", timeout=2000)
    assert not popup.isVisible()


def test_a_course_already_requested_is_refused_inline_and_nothing_is_queued(
        qtbot, entering, school_store):
    screen = entering
    _sid, asked, _code, _title = choose_student(qtbot, screen, school_store)
    before = screen.requests_shown()
    qtbot.keyClicks(screen.entry, asked[1][0])  # its code this time
    qtbot.keyClick(screen.entry, Qt.Key.Key_Return)
    assert queued(school_store) == []
    assert f"{asked[1][1]} is already among this student's requests" \
        in screen.entry_note.text()
    assert screen.entry.text() == asked[1][0], "the text stays, to be corrected"
    assert screen.requests_shown() == before
    assert messages.shown == [], "said beside the entry line, not in a box"


def test_del_removes_the_chosen_request(qtbot, entering, school_store):
    screen = entering
    sid, asked, _code, _title = choose_student(qtbot, screen, school_store)
    screen.requests_table.setFocus()
    screen.requests_table.selectRow(1)
    qtbot.keyClick(screen.requests_table, Qt.Key.Key_Delete)

    (edit,) = queued(school_store)
    assert edit["op"] == "request.remove" and edit["payload"]["student_id"] == sid
    codes = [r[1] for r in screen.requests_shown()]
    assert codes == [a[0] for i, a in enumerate(asked) if i != 1]
    assert f"Removed {asked[1][0]}" in screen.entry_note.text()
    with school_store.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM course_requests WHERE id = ?",
                                    (edit["payload"]["request_id"],)).scalar_one() == 0


def test_ctrl_up_moves_a_request_one_rank_higher(qtbot, entering, school_store):
    screen = entering
    _sid, asked, _code, _title = choose_student(qtbot, screen, school_store)
    screen.requests_table.setFocus()
    screen.requests_table.selectRow(2)
    qtbot.keyClick(screen.requests_table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    shown = [(r[0], r[1]) for r in screen.requests_shown()]
    assert shown[1:3] == [(str(asked[1][2]), asked[2][0]), (str(asked[2][2]), asked[1][0])]
    assert screen.requests_table.currentIndex().row() == 1, "the moved request stays chosen"
    assert [e["op"] for e in queued(school_store)] == ["request.remove", "request.add"] * 2


def test_the_tally_counts_a_request_as_soon_as_it_is_entered(qtbot, entering, school_store):
    screen = entering
    _sid, _asked, code, _title = choose_student(qtbot, screen, school_store)
    total = int(screen.tally_of(code)["Total"])
    qtbot.keyClicks(screen.entry, code)
    qtbot.keyClick(screen.entry, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: int(screen.tally_of(code)["Total"]) == total + 1)


def test_a_student_whose_requests_are_all_removed_stays_listed_to_be_given_more(
        qtbot, entering, school_store):
    screen = entering
    sid, asked, _code, _title = choose_student(qtbot, screen, school_store)
    grade = screen._chosen().grade_level
    screen.requests_table.setFocus()
    for left in range(len(asked), 0, -1):
        assert screen.requests_model.rowCount() == left
        qtbot.keyClick(screen.requests_table, Qt.Key.Key_Delete)  # the next one stays chosen
    assert screen.requests_shown() == []
    assert len(queued(school_store, "request.remove")) == len(asked)
    qtbot.waitUntil(lambda: screen.students_model.rows[0][3] == "0")
    assert screen._student_id == sid, "still listed, still chosen"
    assert "rank 1" in screen.entry.placeholderText()

    screen.search.setFocus()
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    assert screen.entry.hasFocus(), "Enter in the search goes on to the entry line"
    english = f"ENG{grade}"
    qtbot.keyClicks(screen.entry, english)
    qtbot.keyClick(screen.entry, Qt.Key.Key_Return)
    assert [r[:2] for r in screen.requests_shown()] == [("1", english)]
    qtbot.waitUntil(lambda: screen.students_model.rows[0][3] == "1")


def test_a_course_outside_the_students_grade_is_refused_and_not_offered(
        qtbot, entering, school_store):
    screen = entering
    choose_student(qtbot, screen, school_store)
    grade = screen._chosen().grade_level
    with school_store.read() as conn:
        code, title = conn.exec_driver_sql(
            "SELECT code, title FROM courses WHERE ? NOT BETWEEN grade_min AND grade_max "
            "ORDER BY code", (grade,)).first()
    assert not any(c.startswith(f"{code} — ") for c in screen.choices.stringList())
    qtbot.keyClicks(screen.entry, code)
    qtbot.keyClick(screen.entry, Qt.Key.Key_Return)
    assert queued(school_store) == []
    assert f"{title} is for grade" in screen.entry_note.text()
    assert f"will be in grade {grade}" in screen.entry_note.text()


def test_only_counselors_enter_requests(qtbot, school_store, school_workstation):
    calls = []
    screen = open_screen(qtbot, school_store, school_workstation, can_apply=False,
                         queue_edit=lambda op, payload: calls.append(op))
    screen.tabs.setCurrentIndex(STUDENTS)
    screen.students_table.selectRow(0)
    qtbot.waitUntil(lambda: screen.requests_model.rowCount() > 0)
    assert not screen.entry.isEnabled()
    assert "Only counselors and administrators" in screen.entry.toolTip()
    screen.requests_table.setFocus()
    screen.requests_table.selectRow(0)
    qtbot.keyClick(screen.requests_table, Qt.Key.Key_Delete)
    assert calls == [] and screen.requests_model.rowCount() > 0


def test_without_an_edit_queue_the_requests_are_only_shown(qtbot, screen):
    screen.tabs.setCurrentIndex(STUDENTS)
    screen.students_table.selectRow(0)
    qtbot.waitUntil(lambda: screen.requests_model.rowCount() > 0)
    assert not screen.entry.isEnabled()
