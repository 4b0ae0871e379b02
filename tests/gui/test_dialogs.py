"""The dialogs around the roster, driven as a person would, against a real cache."""
from __future__ import annotations

import collections
import datetime as dt
import json
import zipfile

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QTableWidget

from domain.codes import ATTENDANCE_CODE_BY_CODE, ENTRY_CODES
from domain.mutations import check_mutation, new_mutation_id
from local_store import queries
from local_store.settings import ClientSettings
from sync.diagnostics import write_bundle
from tests.support.clock import SCHOOL_DAY
from ui.common import messages
from ui.common.about import about_text
from ui.common.report_problem import ReportProblemDialog
from ui.session.attention import AttentionDialog
from ui.session.settings_dialog import SettingsDialog
from ui.students.enrollment import EnrollDialog, WithdrawDialog
from ui.students.record import StudentRecordDialog
from ui.students.transfers import TransferInDialog

TODAY = SCHOOL_DAY  # the demo district is generated as of that day


# --- helpers


def qdate(day: dt.date | str) -> QDate:
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    return QDate(day.year, day.month, day.day)


def table_rows(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def label_texts(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def valid_payload(op: str, payload: dict) -> dict:
    return check_mutation({"mutation_id": new_mutation_id(), "op": op, "payload": payload})


def open_dialog(qtbot, dialog):
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.fixture(scope="session")
def busy_student(demo_school):
    """A student with guardians' phones, classes today and several kinds of marks."""
    rows = demo_school.records
    codes = collections.defaultdict(set)
    for m in rows["attendance_marks"]:
        codes[m[1]].add(m[5])
    today = TODAY.isoformat()
    scheduled = {e[1] for e in rows["section_enrollments"]
                 if e[3] <= today and (e[4] is None or e[4] >= today)}
    return next(s for s in rows["students"] if len(codes[s[0]]) >= 2 and s[0] in scheduled)


# --- the student record


def test_student_record_shows_who_whom_to_call_classes_attendance_and_history(
        qtbot, school_store, demo_school, busy_student):
    rows = demo_school.records
    sid, district_id, first, last = busy_student[:4]
    dialog = open_dialog(qtbot, StudentRecordDialog(school_store, sid, today=TODAY))

    assert f"{first} {last}" in dialog.windowTitle()
    assert dialog.name.text() == f"{first} {last}"
    assert district_id in dialog.summary.text()

    guardians = {g[0] for g in rows["guardians"] if g[1] == sid}
    phones = [c[3] for c in rows["guardian_contacts"]
              if c[1] in guardians and c[2].endswith("_phone")]
    assert phones
    guardian_text = label_texts(dialog.tabs.widget(1))
    assert all(phone in guardian_text for phone in phones)

    sections = {s[0]: s for s in rows["sections"]}
    courses = {c[0]: c for c in rows["courses"]}
    today = TODAY.isoformat()
    expected = sorted((sections[e[2]][4], courses[sections[e[2]][1]][1])
                      for e in rows["section_enrollments"]
                      if e[1] == sid and e[3] <= today and (e[4] is None or e[4] >= today))
    schedule = table_rows(dialog.findChild(QTableWidget, "scheduleTable"))
    assert [(int(r[0]), r[1].split()[0]) for r in schedule] == expected

    marks = collections.Counter(m[5] for m in rows["attendance_marks"] if m[1] == sid)
    counts = dict(table_rows(dialog.findChild(QTableWidget, "attendanceCounts")))
    assert counts == {ATTENDANCE_CODE_BY_CODE[c].label: str(n) for c, n in marks.items()}
    assert dialog.findChild(QTableWidget, "recentMarks").rowCount() == min(30, sum(marks.values()))

    entry = next(e for e in rows["school_enrollments"] if e[1] == sid)
    history = table_rows(dialog.findChild(QTableWidget, "enrollmentTable"))
    assert history[0][1] == entry[3]
    assert history[0][2] == f"{entry[4]} — {ENTRY_CODES[entry[4]]}"

    assert dialog.withdraw.isEnabled()
    with qtbot.waitSignal(dialog.withdraw_requested) as blocker:
        qtbot.mouseClick(dialog.withdraw, Qt.MouseButton.LeftButton)
    assert blocker.args == [sid]


def test_a_withdrawn_student_cannot_be_withdrawn_again(qtbot, school_store,
                                                       school_workstation, busy_student):
    sid = busy_student[0]
    school_workstation.edit(school_store, "enrollment.withdraw", {
        "student_id": sid, "exit_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "withdrawal_code": "W3"})
    dialog = open_dialog(qtbot, StudentRecordDialog(school_store, sid, today=TODAY))
    assert "Withdrawn" in dialog.summary.text()
    assert not dialog.withdraw.isEnabled()
    assert "W3 — Moved out of state" in table_rows(
        dialog.findChild(QTableWidget, "enrollmentTable"))[0][4]


def test_a_student_no_longer_in_the_cache_gets_a_clear_message(qtbot, school_store):
    dialog = open_dialog(qtbot, StudentRecordDialog(school_store, "stu-gone", today=TODAY))
    assert "no longer in this school's records" in dialog.missing.text()
    assert dialog.missing.isVisible() and not dialog.tabs.isVisible()
    assert not dialog.withdraw.isEnabled()


# --- enroll


def fill_enrollment(dialog, store, *, first="Maribel", last="Okonkwo-Reyes",
                    birth="2012-03-04"):
    dialog.findChild(object, "firstName").setText(first)
    dialog.findChild(object, "lastName").setText(last)
    dialog.findChild(object, "birthDate").setDate(qdate(birth))
    dialog.gender.setCurrentIndex(dialog.gender.findData("F"))
    dialog.findChild(object, "entryDate").setDate(qdate(TODAY))
    dialog.findChild(object, "guardianLastName").setText("Reyes")
    dialog.findChild(object, "guardianPhone").setText("(213) 555-0142")


def test_enroll_refuses_an_empty_last_name_on_the_form(qtbot, school_store):
    dialog = open_dialog(qtbot, EnrollDialog(school_store, today=TODAY))
    fill_enrollment(dialog, school_store, last="")
    problems = dialog.findChild(QLabel, "problems")
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(dialog.findChild(QPushButton, "enrollButton"),
                         Qt.MouseButton.LeftButton)
    assert problems.isVisible() and "last name" in problems.text()
    assert dialog.isVisible()
    assert not [m for m in messages.shown if m.kind != "confirm"]  # inline, never a box

    dialog.findChild(object, "lastName").setText("Okonkwo")
    assert not problems.isVisible(), problems.text()  # gone once fixed


def test_enroll_submits_a_valid_payload_with_enter_and_closes(qtbot, school_store,
                                                              school_workstation):
    dialog = open_dialog(qtbot, EnrollDialog(school_store, today=TODAY))
    fill_enrollment(dialog, school_store)
    with qtbot.waitSignal(dialog.submitted) as blocker:
        qtbot.keyClick(dialog.findChild(object, "lastName"), Qt.Key.Key_Return)
    payload = blocker.args[0]
    checked = valid_payload("enrollment.enroll", payload)["payload"]
    assert checked["legal_last_name"] == "Okonkwo-Reyes"
    assert checked["birth_date"] == "2012-03-04"
    assert checked["entry_code"] == "E1"
    assert checked["guardian_phone"] == "(213) 555-0142"
    assert not checked["confirmed_not_duplicate"]
    assert not dialog.isVisible()
    # ... the workstation takes it, and the record says the server hasn't confirmed it yet.
    school_workstation.edit(school_store, "enrollment.enroll", payload)
    record = open_dialog(qtbot, StudentRecordDialog(school_store, payload["student_id"],
                                                     today=TODAY))
    assert "(not yet confirmed)" in record.summary.text()
    assert "waiting for the server" in record.summary.text()
    assert "(213) 555-0142" in label_texts(record.tabs.widget(1))


def test_enroll_refuses_a_birth_date_in_the_future_and_an_entry_outside_the_year(
        qtbot, school_store):
    dialog = open_dialog(qtbot, EnrollDialog(school_store, today=TODAY))
    fill_enrollment(dialog, school_store, birth=(TODAY + dt.timedelta(days=3)).isoformat())
    last_day = queries.school_day_bounds(school_store)[1]
    dialog.findChild(object, "entryDate").setDate(
        qdate(dt.date.fromisoformat(last_day) + dt.timedelta(days=1)))
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)
    text = dialog.findChild(QLabel, "problems").text()
    assert "birth date is in the future" in text
    assert "school year" in text


def test_a_possible_duplicate_blocks_enroll_until_confirmed_a_different_child(
        qtbot, school_store, demo_school):
    sid, district_id, first, last, _preferred, birth = demo_school.records["students"][5][:6]
    dialog = open_dialog(qtbot, EnrollDialog(school_store, today=TODAY))
    fill_enrollment(dialog, school_store, first=first.upper(), last=last, birth=birth)
    enroll = dialog.findChild(QPushButton, "enrollButton")
    warning = dialog.findChild(QLabel, "duplicates")
    assert warning.isVisible() and district_id in warning.text()
    assert not enroll.isEnabled()
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.keyClick(dialog.findChild(object, "firstName"), Qt.Key.Key_Return)

    dialog.findChild(QCheckBox, "notDuplicate").setChecked(True)
    assert enroll.isEnabled()
    with qtbot.waitSignal(dialog.submitted) as blocker:
        qtbot.mouseClick(enroll, Qt.MouseButton.LeftButton)
    payload = valid_payload("enrollment.enroll", blocker.args[0])["payload"]
    assert payload["confirmed_not_duplicate"] is True


# --- withdraw and transfer in


def test_withdraw_refuses_a_day_before_entry_then_sends_a_valid_payload(
        qtbot, school_store, busy_student):
    sid = busy_student[0]
    entry = school_store.records("school_enrollments", student_id=sid)[0]["entry_date"]
    dialog = open_dialog(qtbot, WithdrawDialog(school_store, sid, today=TODAY))
    assert busy_student[3] in dialog.windowTitle()
    exit_date = dialog.findChild(object, "exitDate")
    button = dialog.findChild(QPushButton, "withdrawButton")
    exit_date.setDate(qdate(dt.date.fromisoformat(entry) - dt.timedelta(days=1)))
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert entry in dialog.findChild(QLabel, "problems").text()

    exit_date.setDate(qdate(TODAY))
    code = dialog.findChild(object, "withdrawalCode")
    code.setCurrentIndex(code.findData("W3"))
    with qtbot.waitSignal(dialog.submitted) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert valid_payload("enrollment.withdraw", blocker.args[0])["payload"] == {
        "student_id": sid, "exit_date": TODAY.isoformat(),
        "withdrawal_code": "W3"}


def test_transfer_in_asks_the_students_school_by_id_and_birth_date(qtbot, school_store):
    dialog = open_dialog(qtbot, TransferInDialog(school_store, today=TODAY))
    dialog.findChild(object, "entryDate").setDate(qdate(TODAY))
    dialog.findChild(object, "birthDate").setDate(qdate(dt.date(2011, 3, 4)))
    assert dialog.findChild(object, "birthDate").displayFormat() == "MM/dd/yyyy"
    district_id = dialog.findChild(object, "districtId")
    button = dialog.findChild(QPushButton, "transferButton")
    district_id.setText("100300012")
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "10 digits" in dialog.findChild(QLabel, "problems").text()

    district_id.setText("1004000123")  # not this school's: a request, nothing moves yet
    assert "asked to approve" in dialog.findChild(QLabel, "explanation").text()
    with qtbot.waitSignal(dialog.submitted) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.op == "transfer.request"
    payload = valid_payload("transfer.request", blocker.args[0])["payload"]
    assert (payload["district_student_id"], payload["birth_date"], payload["entry_code"]) == (
        "1004000123", "2011-03-04", "E2")


def test_a_returning_student_of_this_school_is_enrolled_again(qtbot, school_store):
    withdrawn = next(e for e in school_store.records("school_enrollments")
                     if e["exit_date"] and e["exit_date"] <= TODAY.isoformat()
                     and not [x for x in school_store.records(
                         "school_enrollments", student_id=e["student_id"])
                              if not x["exit_date"]])
    student = school_store.record("students", withdrawn["student_id"])
    dialog = open_dialog(qtbot, TransferInDialog(school_store, today=TODAY))
    dialog.findChild(object, "entryDate").setDate(qdate(TODAY))
    dialog.findChild(object, "districtId").setText(student["district_student_id"])
    assert "was at this school before" in dialog.findChild(QLabel, "explanation").text()
    button = dialog.findChild(QPushButton, "transferButton")
    with qtbot.assertNotEmitted(dialog.submitted):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert "birth date doesn't match" in dialog.findChild(QLabel, "problems").text()
    dialog.findChild(object, "birthDate").setDate(
        qdate(dt.date.fromisoformat(student["birth_date"])))
    with qtbot.waitSignal(dialog.submitted) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.op == "enrollment.transfer_in"
    valid_payload("enrollment.transfer_in", blocker.args[0])


# --- changes waiting for a person


def answered(store, ws, op, payload, status, reason, base_version=None) -> str:
    """Queue an edit and record the server's (refusing or conflicting) answer to it."""
    mutation_id = ws.edit(store, op, payload, base_version=base_version)
    store.record_answers([{"mutation_id": mutation_id, "status": status, "reason": reason}],
                         answered_at="2026-11-20T17:00:00Z")
    return mutation_id


def test_attention_lists_a_refused_change_with_its_reason_and_dismiss_removes_it(
        qtbot, school_store, school_workstation, busy_student, monkeypatch):
    sid, district_id = busy_student[:2]
    answered(school_store, school_workstation, "enrollment.withdraw",
             {"student_id": sid, "exit_date": TODAY.isoformat(),
              "withdrawal_code": "W1"},
             "rejected", "the receiving school has not accepted this student yet")
    dialog = open_dialog(qtbot, AttentionDialog(school_store))
    rows = table_rows(dialog.findChild(QTableWidget, "attentionTable"))
    assert len(rows) == 1
    _made, by, what, state, reason = rows[0]
    assert by == "clerk.1003"
    assert what.startswith("Withdraw") and district_id in what
    assert state == "Refused by the server"
    assert reason == "the receiving school has not accepted this student yet"

    monkeypatch.setattr(messages, "confirm", lambda *args, **kwargs: True)
    with qtbot.waitSignal(dialog.changed):
        qtbot.mouseClick(dialog.findChild(QPushButton, "dismissButton"),
                         Qt.MouseButton.LeftButton)
    assert school_store.outbox_entries() == []
    assert "Nothing is waiting for you." in dialog.findChild(QLabel, "emptyState").text()
    assert dialog.findChild(QLabel, "emptyState").isVisible()


def test_attention_keeps_a_conflict_when_dismiss_is_not_confirmed(
        qtbot, school_store, school_workstation, busy_student):
    enrollment = school_store.records("section_enrollments", student_id=busy_student[0])[0]
    answered(school_store, school_workstation, "schedule.drop",
             {"student_id": busy_student[0], "section_enrollment_id": enrollment["id"],
              "end_date": TODAY.isoformat()},
             "conflict", "This student's schedule was changed by someone else", base_version=1)
    dialog = open_dialog(qtbot, AttentionDialog(school_store))
    row = table_rows(dialog.findChild(QTableWidget, "attentionTable"))[0]
    assert row[2].startswith("Schedule change for") and row[3].startswith("Conflict")
    with qtbot.assertNotEmitted(dialog.changed):
        qtbot.mouseClick(dialog.dismiss, Qt.MouseButton.LeftButton)  # confirm says no
    assert len(school_store.outbox_entries("conflict")) == 1


# --- settings


def test_settings_save_the_interval_and_refuse_an_ftp_address(qtbot, school_workstation):
    dialog = open_dialog(qtbot, SettingsDialog(school_workstation))
    assert str(school_workstation.data_dir) in dialog.findChild(object, "dataFolder").text()
    assert school_workstation.settings.workstation_id in label_texts(dialog)
    server = dialog.findChild(object, "serverUrl")
    save = dialog.findChild(QPushButton, "saveButton")
    dialog.findChild(object, "syncInterval").setValue(300)

    server.setText("ftp://x")
    assert dialog.findChild(QLabel, "serverNote").isVisible()  # a new server: sign in again
    with qtbot.assertNotEmitted(dialog.saved):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "http://" in dialog.findChild(QLabel, "problems").text()
    assert ClientSettings.load(school_workstation.data_dir).sync_interval_s == 60

    server.setText("https://misis.example.org/")
    with qtbot.waitSignal(dialog.saved):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    stored = ClientSettings.load(school_workstation.data_dir)
    assert (stored.sync_interval_s, stored.server_url) == (300, "https://misis.example.org")


# --- about and diagnostics


def test_about_names_the_versions_and_says_the_data_is_synthetic():
    text = about_text()
    assert "MiSiS" in text and "Qt" in text and "PySide6" in text and "Python" in text
    assert "All student data in the demo is synthetic." in text


def test_the_diagnostic_bundle_holds_sync_state_and_no_student_data(
        tmp_path, school_store, school_workstation, demo_school, busy_student):
    answered(school_store, school_workstation, "enrollment.enroll", {
        "student_id": "c0ffee00-0000-4000-8000-000000000001",
        "school_enrollment_id": "c0ffee00-0000-4000-8000-000000000002",
        "entry_date": TODAY.isoformat(), "entry_code": "E1",
        "legal_first_name": "Zephyrine", "legal_last_name": "Quillfeather",
        "birth_date": "2012-01-02", "grade_level": 9, "gender": "F", "home_language": "en",
        "english_learner_status": "EO", "guardian_last_name": "Quillfeather",
        "guardian_phone": "(626) 555-0199"}, "rejected", "Quillfeather is already enrolled")
    school_workstation.edit(school_store, "enrollment.withdraw", {
        "student_id": busy_student[0], "exit_date": TODAY.isoformat(),
        "withdrawal_code": "W2"})
    (school_workstation.data_dir / "misis.log").write_text("INFO sync done: sent 2\n")
    (school_workstation.data_dir / "misis.log.1").write_text("INFO sync started\n")

    path = write_bundle(tmp_path / "bundle.zip", school_workstation, school_store,
                        "The roster froze after Sync now", extra_versions={"Qt": "6.11"})

    with zipfile.ZipFile(path) as bundle:
        names = set(bundle.namelist())
        contents = {name: bundle.read(name).decode("utf-8") for name in names}
    assert {"versions.txt", "sync_state.json", "description.txt", "misis.log",
            "misis.log.1"} <= names
    assert not [n for n in names if n.endswith(".db")]
    state = json.loads(contents["sync_state.json"])
    assert state["outbox"]["by_state"] == {"pending": 1, "conflict": 0, "rejected": 1}
    assert state["outbox"]["by_op"] == {"enrollment.enroll": {"rejected": 1},
                                        "enrollment.withdraw": {"pending": 1}}
    assert state["workstation_id"] == school_workstation.settings.workstation_id
    assert state["cursor"] == "100"
    assert "Qt: 6.11" in contents["versions.txt"]
    assert "roster froze" in contents["description.txt"]

    everything = "\n".join(contents.values())
    students = demo_school.records["students"]
    personal = ["Zephyrine", "Quillfeather", "(626) 555-0199", "c0ffee00"]
    for s in (busy_student, *students[:5], students[-1]):
        personal += [s[0], s[1], s[2] + " " + s[3]]
    assert [p for p in personal if p in everything] == []


def test_report_a_problem_saves_the_bundle_and_says_where(qtbot, tmp_path, school_store,
                                                          school_workstation):
    dialog = open_dialog(qtbot, ReportProblemDialog(school_workstation, school_store))
    dialog.findChild(object, "description").setPlainText("Printing never finished")
    with qtbot.waitSignal(dialog.bundle_saved) as blocker:
        dialog.save_bundle(tmp_path / "ticket")
    assert blocker.args == [str(tmp_path / "ticket.zip")]
    assert str(tmp_path / "ticket.zip") in dialog.findChild(QLabel, "result").text()
    with zipfile.ZipFile(tmp_path / "ticket.zip") as bundle:
        assert "Printing never finished" in bundle.read("description.txt").decode()
        assert "PySide6" in bundle.read("versions.txt").decode()


def test_enter_in_a_date_field_submits_and_esc_cancels(qtbot, school_store, busy_student):
    withdraw = open_dialog(qtbot, WithdrawDialog(school_store, busy_student[0], today=TODAY))
    withdraw.findChild(object, "exitDate").setDate(qdate(TODAY))
    with qtbot.waitSignal(withdraw.submitted):
        qtbot.keyClick(withdraw.findChild(object, "exitDate"), Qt.Key.Key_Return)

    enroll = open_dialog(qtbot, EnrollDialog(school_store, today=TODAY))
    fill_enrollment(enroll, school_store)
    with qtbot.assertNotEmitted(enroll.submitted):
        qtbot.keyClick(enroll.findChild(object, "firstName"), Qt.Key.Key_Escape)
    assert not enroll.isVisible()
