"""A section's roll in one edit, and who has taken attendance: the real
server, real HTTP, real workstation caches, on PostgreSQL and on SQLite (the
`server` fixture's parameters). The server runs on the morning of the
demo's school day: a roll for an earlier date is late, a later one is not."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

import pytest
import requests

from district_server.store.tables import users
from domain.mutations import MAX_MARKS, OPS
from domain.records import attendance_mark_id, attendance_submission_id, kind, record_from_row
from sync.client import ServerUnreachable
from tests.integration.helpers import last_seq, mutation_count, server_dump, times_applied
from tests.integration.test_access import call, login
from tests.support.clock import SCHOOL_DAY

pytestmark = pytest.mark.usefixtures("school_day_clock")


def clerk(school) -> str:
    return f"clerk.{school.code}"


@dataclass
class Roll:
    """A section that meets, with students, on a date it has no roll for yet."""
    section: dict
    students: list[str]
    date: str

    def payload(self, marks: dict[str, str | dict], period: int | None = None) -> dict:
        out = []
        for student, mark in marks.items():
            out.append({"student_id": student, **({"code": mark} if isinstance(mark, str)
                                                  else mark)})
        return {"section_id": self.section["id"], "date": self.date,
                "period": self.section["period"] if period is None else period, "marks": out}

    def mark_id(self, student: str) -> str:
        return attendance_mark_id(student, self.section["id"], self.date, self.section["period"])

    @property
    def submission_id(self) -> str:
        return attendance_submission_id(self.section["id"], self.date, self.section["period"])


def _records(engine, school_id: str) -> dict[str, dict[str, dict]]:
    return {k: {i: record_from_row(kind(k), row) for i, row in rows.items()}
            for k, rows in server_dump(engine, school_id).items()}


def _rolls(engine, school_id: str, *, future: bool, count: int = 1, students: int = 3
           ) -> list[Roll]:
    """Sections of the school with `students` on their roll on a date (after
    today, or before it) that has no submission yet: a weekend or holiday
    of the term, or a school day still to come."""
    state = _records(engine, school_id)
    today = SCHOOL_DAY.isoformat()
    submitted = {(s["section_id"], s["date"]) for s in state["attendance_submissions"].values()}
    by_section: dict[str, list[dict]] = {}
    for e in state["section_enrollments"].values():
        by_section.setdefault(e["section_id"], []).append(e)
    found = []
    for sec in sorted(state["sections"].values(), key=lambda s: s["id"]):
        term = state["terms"][sec["term_id"]]
        first, last = dt.date.fromisoformat(term["start_date"]), dt.date.fromisoformat(
            term["end_date"])
        days = [(first + dt.timedelta(days=n)).isoformat()
                for n in range((last - first).days + 1)]
        days = [d for d in days if (d > today if future else d < today)]
        for day in (days if future else reversed(days)):
            on = sorted(e["student_id"] for e in by_section.get(sec["id"], ())
                        if e["begin_date"] <= day and (e["end_date"] is None
                                                       or e["end_date"] >= day))
            if len(on) >= students and (sec["id"], day) not in submitted:
                found.append(Roll(sec, on, day))
                break
        if len(found) == count:
            return found
    pytest.fail("no section of the term without a roll on a date on that side of the "
                "demo's school day")


def _push(server, token: str, school_id: str, *mutations: dict) -> requests.Response:
    return call(server, "POST", f"/api/schools/{school_id}/mutations", token,
                json={"mutations": list(mutations), "workstation": "test-bench"})


def _submit(payload: dict) -> dict:
    return {"mutation_id": str(uuid.uuid4()), "op": "attendance.submit", "payload": payload}


def _history(ws, school, record_id: str) -> list[dict]:
    return ws.client().history(school.id, "attendance_marks", record_id)


def test_a_roll_with_three_marks_lands_with_its_marks_audited(server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    roll = _rolls(server.engine, school.id, future=True)[0]
    s1, s2, s3 = roll.students[:3]
    ws.edit(store, "attendance.submit", roll.payload({
        s1: "A", s2: {"code": "T", "minutes_late": 7}, s3: {"code": "E", "note": "dentist"}}))

    # The sheet shows the roll at once, before any sync.
    assert store.record("attendance_submissions", roll.submission_id) is not None
    assert store.record("attendance_marks", roll.mark_id(s2))["minutes_late"] == 7

    report = ws.sync(store)

    assert (report.applied, report.rejected) == (1, 0)
    state = _records(server.engine, school.id)
    marks = {m: state["attendance_marks"][roll.mark_id(m)] for m in (s1, s2, s3)}
    assert {m: r["code"] for m, r in marks.items()} == {s1: "A", s2: "T", s3: "E"}
    assert marks[s3]["note"] == "dentist"
    assert {r["recorded_by"] for r in marks.values()} == {clerk(school)}
    assert {r["workstation"] for r in marks.values()} == {ws.settings.workstation_id}
    # Each mark its own version, all after the cursor the workstation started from.
    assert len({r["version"] for r in marks.values()}) == 3
    submission = state["attendance_submissions"][roll.submission_id]
    assert submission["submitted_by"] == clerk(school) and submission["late"] is False
    for m, code in ((s1, "A"), (s2, "T"), (s3, "E")):
        (entry,) = _history(ws, school, roll.mark_id(m))
        assert (entry["action"], entry["new"]["code"], entry["old"]) == ("create", code, None)
        assert (entry["username"], entry["workstation"]) == (clerk(school),
                                                               ws.settings.workstation_id)
    assert store.dump() == server_dump(server.engine, school.id)


def test_a_roll_submitted_again_replaces_the_mark_and_keeps_both_in_history(
        server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    roll = _rolls(server.engine, school.id, future=True)[0]
    student = roll.students[0]
    ws.edit(store, "attendance.submit", roll.payload({student: "A"}))
    ws.sync(store)
    first = store.record("attendance_submissions", roll.submission_id)

    ws.edit(store, "attendance.submit", roll.payload({
        student: {"code": "P", "reason": "was in the nurse's office"}}))
    assert store.record("attendance_marks", roll.mark_id(student))["code"] == "P"
    assert ws.sync(store).applied == 1

    mark = _records(server.engine, school.id)["attendance_marks"][roll.mark_id(student)]
    assert mark["code"] == "P"
    history = _history(ws, school, roll.mark_id(student))
    assert [(h["action"], h["new"]["code"]) for h in history] == [("create", "A"),
                                                                   ("update", "P")]
    assert history[1]["old"] == {"code": "A", "recorded_at": history[0]["new"]["recorded_at"]}
    assert history[1]["reason"] == "was in the nurse's office"
    # The first submission stands: who took the roll, and when.
    assert store.record("attendance_submissions", roll.submission_id) == first
    assert store.dump() == server_dump(server.engine, school.id)


def test_two_workstations_submit_offline_and_the_last_to_reach_the_server_wins(
        server, workstation, school):
    a, b = workstation("a", clerk(school)), workstation("b", clerk(school))
    a.retries = b.retries = 0
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    roll = _rolls(server.engine, school.id, future=True)[0]
    s1, s2 = roll.students[:2]

    server.stop()
    a.edit(store_a, "attendance.submit", roll.payload({s1: "A", s2: "T"}))
    b.edit(store_b, "attendance.submit", roll.payload({s1: {"code": "E", "note": "mom called"}}))
    for ws, store in ((a, store_a), (b, store_b)):
        with pytest.raises(ServerUnreachable):
            ws.sync(store)
    server.start()
    a.sync(store_a)
    b.sync(store_b)
    a.sync(store_a)

    assert store_a.dump() == store_b.dump() == server_dump(server.engine, school.id)
    state = _records(server.engine, school.id)
    assert state["attendance_marks"][roll.mark_id(s1)]["code"] == "E"
    assert state["attendance_marks"][roll.mark_id(s2)]["code"] == "T"
    history = _history(a, school, roll.mark_id(s1))
    assert [(h["new"]["code"], h["workstation"]) for h in history] == [
        ("A", a.settings.workstation_id), ("E", b.settings.workstation_id)]
    assert state["attendance_submissions"][roll.submission_id]["submitted_by"] == clerk(school)


BAD_MARKS = [
    ("unknown field", [{"student_id": "S0", "code": "A", "grade": "F"}],
     "marks[0] unknown field 'grade'"),
    ("code not text", [{"student_id": "S0", "code": 1}], "marks[0].code must be text"),
    ("missing code", [{"student_id": "S0", "code": "A"}, {"student_id": "S1"}],
     "marks[1].code is required"),
    ("duplicate student", [{"student_id": "S0", "code": "A"}, {"student_id": "S0", "code": "T"}],
     "marks[1].student_id 'S0' appears twice (also in marks[0])"),
    ("too many", [{"student_id": f"S{i}", "code": "A"} for i in range(MAX_MARKS + 1)],
     f"marks may hold at most {MAX_MARKS} entries"),
    ("not a list", {"student_id": "S0", "code": "A"}, "marks must be a list"),
]


@pytest.mark.parametrize("name,marks,reason", BAD_MARKS, ids=[b[0] for b in BAD_MARKS])
def test_malformed_marks_are_refused_and_write_nothing(server, demo_district, school,
                                                       name, marks, reason):
    """The roll is refused on its own (its answer says why), writing nothing
    but that answer: the edits queued behind it are not held up."""
    token = login(server, demo_district, clerk(school))
    roll = _rolls(server.engine, school.id, future=True)[0]
    real = roll.students[0]  # S0 stands for a real student of the section
    marks = json.loads(json.dumps(marks).replace('"S0"', json.dumps(real)))
    reason = reason.replace("'S0'", repr(real))
    payload = {**roll.payload({}), "marks": marks}
    before = (last_seq(server.engine, school.id), mutation_count(server.engine))

    r = _push(server, token, school.id, _submit(payload))

    assert r.status_code == 200, r.text
    [answer] = r.json()["results"]
    assert answer["status"] == "rejected"
    assert f"attendance.submit {reason}" in answer["reason"]
    assert (last_seq(server.engine, school.id), mutation_count(server.engine)) == (
        before[0], before[1] + 1)


def test_a_student_of_another_school_is_rejected_and_nothing_is_written(
        server, demo_district, school):
    token = login(server, demo_district, clerk(school))
    roll, other_roll = _rolls(server.engine, school.id, future=True, count=2)
    elsewhere = next(s for s in demo_district.schools if s.id != school.id)
    stranger = elsewhere.records["students"][0][0]
    before = last_seq(server.engine, school.id)

    r = _push(server, token, school.id,
              _submit(roll.payload({roll.students[0]: "A", stranger: "A"})),
              _submit(roll.payload({roll.students[0]: "A"}, period=roll.section["period"] % 6 + 1)),
              _submit(other_roll.payload({other_roll.students[0]: "T"})))

    assert r.status_code == 200, r.text
    answers = r.json()["results"]
    assert [a["status"] for a in answers] == ["rejected", "rejected", "applied"]
    assert f"student {stranger!r} is not a student of this school" in answers[0]["reason"]
    assert f"meets in period {roll.section['period']}" in answers[1]["reason"]
    # The refused roll's records come back deleted, so a workstation drops its copies.
    assert {(c["kind"], c.get("deleted")) for c in answers[0]["records"]} == {
        ("attendance_submissions", True), ("attendance_marks", True)}
    state = _records(server.engine, school.id)
    assert roll.submission_id not in state["attendance_submissions"]
    assert roll.mark_id(roll.students[0]) not in state["attendance_marks"]
    # Only the good roll was written: its submission and its one mark.
    assert last_seq(server.engine, school.id) == before + 2
    assert other_roll.submission_id in state["attendance_submissions"]


def test_a_daily_school_submits_its_roll_for_the_day(server, demo_district):
    elementary = next(s for s in demo_district.schools if s.level == "elementary")
    token = login(server, demo_district, clerk(elementary))
    roll = _rolls(server.engine, elementary.id, future=True)[0]
    student = roll.students[0]

    wrong = _push(server, token, elementary.id, _submit(roll.payload({student: "A"})))
    right = _push(server, token, elementary.id, _submit(roll.payload({student: "A"}, period=0)))

    assert wrong.json()["results"][0]["status"] == "rejected"
    assert "for period 0" in wrong.json()["results"][0]["reason"]
    assert right.json()["results"][0]["status"] == "applied"
    state = _records(server.engine, elementary.id)
    daily_mark = state["attendance_marks"][attendance_mark_id(student, None, roll.date, 0)]
    assert (daily_mark["section_id"], daily_mark["period"], daily_mark["code"]) == (None, 0, "A")
    status = call(server, "GET", f"/api/schools/{elementary.id}/attendance/status", token,
                  params={"date": roll.date}).json()
    assert roll.section["id"] not in [s["section_id"] for p in status["periods"]
                                      for s in p["not_submitted"]]


def _period(status: dict, number: int) -> dict:
    return next(p for p in status["periods"] if p["period"] == number)


def test_status_shows_a_roll_missing_then_submitted(server, demo_district, school):
    token = login(server, demo_district, clerk(school))
    roll = _rolls(server.engine, school.id, future=True)[0]
    path = f"/api/schools/{school.id}/attendance/status"

    before = call(server, "GET", path, token, params={"date": roll.date})
    assert before.status_code == 200, before.text
    period = _period(before.json(), roll.section["period"])
    missing = {s["section_id"]: s for s in period["not_submitted"]}
    assert roll.section["id"] in missing
    shown = missing[roll.section["id"]]
    assert shown["section_number"] == roll.section["section_number"]
    assert shown["room"] == roll.section["room"] and shown["teacher"] and shown["course_title"]
    assert period["missing"] == len(period["not_submitted"]) == period["expected"] - period[
        "submitted"]
    assert period["overdue"] == 0  # a date still to come is not behind

    r = _push(server, token, school.id, _submit(roll.payload({roll.students[0]: "A"})))
    assert r.json()["results"][0]["status"] == "applied"

    after = _period(call(server, "GET", path, token, params={"date": roll.date}).json(),
                    roll.section["period"])
    assert roll.section["id"] not in [s["section_id"] for s in after["not_submitted"]]
    assert (after["expected"], after["submitted"], after["late"]) == (
        period["expected"], period["submitted"] + 1, period["late"])


def test_a_roll_for_a_past_date_is_late(server, demo_district, school):
    token = login(server, demo_district, clerk(school))
    roll = _rolls(server.engine, school.id, future=False)[0]
    path = f"/api/schools/{school.id}/attendance/status"
    before = _period(call(server, "GET", path, token, params={"date": roll.date}).json(),
                     roll.section["period"])
    assert before["overdue"] == before["missing"] >= 1  # that period is long over

    r = _push(server, token, school.id, _submit(roll.payload({roll.students[0]: "E"})))

    answer = r.json()["results"][0]
    assert answer["status"] == "applied"
    (submission,) = [c for c in answer["records"] if c["kind"] == "attendance_submissions"]
    assert record_from_row(kind("attendance_submissions"), submission["row"])["late"] is True
    after = _period(call(server, "GET", path, token, params={"date": roll.date}).json(),
                    roll.section["period"])
    assert (after["submitted"], after["late"]) == (before["submitted"] + 1, before["late"] + 1)


def test_the_district_view_is_for_district_administrators(server, demo_district, school):
    clerk_token = login(server, demo_district, clerk(school))
    admin_token = login(server, demo_district, "district.admin")
    roll = _rolls(server.engine, school.id, future=False)[0]
    path = "/api/district/attendance/status"

    assert call(server, "GET", path, params={"date": roll.date}).status_code == 401
    refused = call(server, "GET", path, clerk_token, params={"date": roll.date})
    assert refused.status_code == 403 and "district_admin" in refused.json()["detail"]
    other = next(s for s in demo_district.schools if s.id != school.id)
    assert call(server, "GET", f"/api/schools/{other.id}/attendance/status",
                clerk_token).status_code == 403
    assert call(server, "GET", "/api/schools/sch-nowhere/attendance/status",
                admin_token).status_code == 404
    bad = call(server, "GET", path, admin_token, params={"date": "29/11/2026"})
    assert bad.status_code == 422 and "date must be a date like" in bad.json()["detail"]

    r = call(server, "GET", path, admin_token, params={"date": roll.date})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {s["school_id"] for s in body["schools"]} == {s.id for s in demo_district.schools}
    behind = [(s["overdue"], s["missing"]) for s in body["schools"]]
    assert behind == sorted(behind, reverse=True)
    rows = [row for row in body["rows"] if row["school_id"] == school.id]
    assert rows and {row["period"] for row in rows} >= {roll.section["period"]}
    row = next(row for row in rows if row["period"] == roll.section["period"])
    school_view = _period(call(server, "GET", f"/api/schools/{school.id}/attendance/status",
                               admin_token, params={"date": roll.date}).json(),
                          roll.section["period"])
    assert {k: row[k] for k in ("expected", "submitted", "late", "missing")} == {
        k: school_view[k] for k in ("expected", "submitted", "late", "missing")}
    # Schools come in the order of how far behind they are, and their rows with them.
    order = [s["school_id"] for s in body["schools"]]
    assert [row["school_id"] for row in body["rows"]] == sorted(
        (row["school_id"] for row in body["rows"]), key=order.index)
    # Default date: today in the schools' time zone.
    assert call(server, "GET", path, admin_token).json()["date"] == SCHOOL_DAY.isoformat()


def test_one_push_of_several_attendance_edits_applies_them_in_order_once(
        server, demo_district, school):
    """A workstation back online sends its queue in one push: later edits see
    the earlier ones (old → new in the audit), a bad one is refused alone,
    and the same push sent again changes nothing."""
    token = login(server, demo_district, clerk(school))
    roll = _rolls(server.engine, school.id, future=True)[0]
    s1, s2 = roll.students[:2]
    correction = {"mutation_id": str(uuid.uuid4()), "op": "attendance.mark", "payload": {
        "student_id": s1, "section_id": roll.section["id"], "date": roll.date,
        "period": roll.section["period"], "code": "P", "reason": "arrived from the office"}}
    stranger = json.loads(json.dumps(correction))
    stranger.update(mutation_id=str(uuid.uuid4()))
    stranger["payload"]["student_id"] = "stu-nobody"
    batch = [_submit(roll.payload({s1: "A", s2: "T"})), correction, stranger,
             _submit(roll.payload({s2: {"code": "E", "note": "doctor"}}))]
    before = last_seq(server.engine, school.id)

    first = _push(server, token, school.id, *batch)
    again = _push(server, token, school.id, *batch)

    answers = first.json()["results"]
    assert [a["status"] for a in answers] == ["applied", "applied", "rejected", "applied"]
    assert "student 'stu-nobody' does not exist at this school" in answers[2]["reason"]
    # Each answer holds the records as that edit left them.
    codes = [{c["id"]: record_from_row(kind(c["kind"]), c["row"]).get("code")
              for c in a["records"] if c["kind"] == "attendance_marks" and "row" in c}
             for a in answers]
    assert codes[0] == {roll.mark_id(s1): "A", roll.mark_id(s2): "T"}
    assert codes[1] == {roll.mark_id(s1): "P"}
    assert codes[2] == {}  # the refused mark: nothing on the server
    assert codes[3] == {roll.mark_id(s2): "E"}
    assert last_seq(server.engine, school.id) == before + 5  # 2 marks, roll, 2 corrections
    state = _records(server.engine, school.id)
    assert state["attendance_marks"][roll.mark_id(s1)]["code"] == "P"
    assert state["attendance_marks"][roll.mark_id(s2)]["code"] == "E"
    assert state["attendance_marks"][roll.mark_id(s2)]["version"] == before + 5
    history = {s: call(server, "GET", f"/api/schools/{school.id}/history", token, params={
        "kind": "attendance_marks", "record_id": roll.mark_id(s)}).json()["history"]
        for s in (s1, s2)}
    assert [(h["old"] or {}).get("code") for h in history[s1]] == [None, "A"]
    assert [h["new"]["code"] for h in history[s1]] == ["A", "P"]
    assert history[s1][1]["reason"] == "arrived from the office"
    assert [h["new"]["code"] for h in history[s2]] == ["T", "E"]

    replayed = again.json()["results"]
    assert all(a.get("replayed") for a in replayed)
    assert [a["status"] for a in replayed] == [a["status"] for a in answers]
    assert last_seq(server.engine, school.id) == before + 5


@pytest.mark.parametrize("server", ["postgres"], indirect=True)
def test_a_role_that_may_not_take_attendance_is_refused_on_the_fast_path_as_on_the_slow(
        server, demo_district, school):
    """On PostgreSQL a push of attendance edits only goes by its own fast
    path; beside an unreadable edit the same edits go by the generic one.
    Both ask `OPS` who may send them, refuse in the same words, and write no
    mark, no roll and no audit row. Every role the server hands out may take
    attendance, so the user here holds one the rules don't know (an account
    edited in the database by hand)."""
    assert "teacher" not in OPS["attendance.submit"].roles | OPS["attendance.mark"].roles
    with server.engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == clerk(school))
                     .values(role="teacher"))
    token = login(server, demo_district, clerk(school))
    roll = _rolls(server.engine, school.id, future=True)[0]
    s1, s2 = roll.students[:2]

    def edits() -> list[dict]:
        return [_submit(roll.payload({s1: "A", s2: "T"})),
                {"mutation_id": str(uuid.uuid4()), "op": "attendance.mark", "payload": {
                    "student_id": s1, "section_id": roll.section["id"], "date": roll.date,
                    "period": roll.section["period"], "code": "E"}}]

    unreadable = _submit({**roll.payload({}), "period": "first"})
    before = (last_seq(server.engine, school.id), mutation_count(server.engine))

    fast, slow = edits(), edits()
    fast_answers = _push(server, token, school.id, *fast).json()["results"]
    slow_answers = _push(server, token, school.id, *slow, unreadable).json()["results"]

    assert "could not be read" in slow_answers[2]["reason"]  # so this push went the slow way

    def without_id(answer: dict) -> dict:
        return {k: v for k, v in answer.items() if k != "mutation_id"}

    assert [without_id(a) for a in fast_answers] == [without_id(a) for a in slow_answers[:2]]
    assert [(a["status"], a["reason"], a["records"]) for a in fast_answers] == [
        ("rejected", "a teacher may not take attendance: ask a counselor or an administrator",
         []),
        ("rejected", "a teacher may not mark attendance: ask a counselor or an administrator",
         [])]
    # Nothing written but the five answers, kept for retries.
    assert last_seq(server.engine, school.id) == before[0]
    assert mutation_count(server.engine) == before[1] + 5
    assert all(times_applied(server.engine, m["mutation_id"]) == 0 for m in fast + slow)
    state = _records(server.engine, school.id)
    assert roll.submission_id not in state["attendance_submissions"]
    assert not {roll.mark_id(s1), roll.mark_id(s2)} & set(state["attendance_marks"])
