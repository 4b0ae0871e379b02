"""Report-card marks against the real server: a mark entered and audited,
invalid marks refused, a closed marking period's mark changed only with a
reason, a student never in the section refused, two workstations writing
the same mark, and a printed card reaching another workstation.

Every test runs twice, against PostgreSQL and against SQLite (the `server`
fixture's parameters), on the small demo district's high school, whose
fall marking periods up to the 15-week one have ended and have marks. The
server runs on the morning of the demo's school day: it decides which
marking periods have closed.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import pytest

from domain import clock
from domain.grades import InvalidMark
from domain.records import grade_mark_id, kind, record_from_row
from sync.client import ServerUnreachable
from tests.integration.helpers import last_seq, server_dump
from tests.integration.test_access import call, login
from tests.support.clock import SCHOOL_DAY

pytestmark = pytest.mark.usefixtures("school_day_clock")


def clerk(school) -> str:
    return f"clerk.{school.code}"


def counselor(school) -> str:
    return f"counselor.{school.code}"


def _records(engine, school_id: str) -> dict[str, dict[str, dict]]:
    return {k: {i: record_from_row(kind(k), row) for i, row in rows.items()}
            for k, rows in server_dump(engine, school_id).items()}


@dataclass
class Term:
    """The current term's marking periods as the server has them."""
    closed: dict  # the 5-week progress report: over, with the demo's marks
    open: dict  # the first one still running (the 20-week semester mark)
    state: dict[str, dict[str, dict]]

    def in_class(self, index: int = 0) -> tuple[str, dict]:
        """(student, section): a student in a section of the term today, with
        no mark for the open marking period yet."""
        today = SCHOOL_DAY.isoformat()
        marked = {(m["student_id"], m["section_id"]) for m in self.state["grade_marks"].values()
                  if m["marking_period_id"] == self.open["id"]}
        pairs = sorted((e["id"], e["student_id"], e["section_id"])
                       for e in self.state["section_enrollments"].values()
                       if e["end_date"] is None and e["begin_date"] <= today
                       and self.state["sections"][e["section_id"]]["term_id"]
                       == self.open["term_id"]
                       and (e["student_id"], e["section_id"]) not in marked)
        _, student, section = pairs[index]
        return student, self.state["sections"][section]

    def posted(self, index: int = 0) -> dict:
        """A mark the demo posted for the closed marking period."""
        return sorted((m for m in self.state["grade_marks"].values()
                       if m["marking_period_id"] == self.closed["id"]),
                      key=lambda m: m["id"])[index]

    def never_in(self, student: str) -> dict:
        """A section of the term the student has never been in."""
        theirs = {e["section_id"] for e in self.state["section_enrollments"].values()
                  if e["student_id"] == student}
        return next(s for s in sorted(self.state["sections"].values(), key=lambda s: s["id"])
                    if s["term_id"] == self.open["term_id"] and s["id"] not in theirs)


def _term(engine, school_id: str) -> Term:
    state = _records(engine, school_id)
    today = SCHOOL_DAY.isoformat()
    term = next(t for t in state["terms"].values() if t["start_date"] <= today <= t["end_date"])
    periods = sorted((mp for mp in state["marking_periods"].values()
                      if mp["term_id"] == term["id"]), key=lambda mp: mp["week"])
    closed = periods[0]
    still_open = next(mp for mp in periods if mp["end_date"] >= today)
    assert closed["end_date"] < today <= still_open["end_date"]
    return Term(closed, still_open, state)


def _mark(student: str, section: dict, period: dict, mark: str, **extra) -> dict:
    return {"student_id": student, "section_id": section["id"],
            "marking_period_id": period["id"], "mark": mark, **extra}


def _edit(payload: dict) -> dict:
    return {"mutation_id": str(uuid.uuid4()), "op": "grade.mark", "payload": payload}


def _push(server, token: str, school_id: str, *mutations: dict) -> list[dict]:
    r = call(server, "POST", f"/api/schools/{school_id}/mutations", token,
             json={"mutations": list(mutations), "workstation": "test-bench"})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _history(server, token: str, school_id: str, mark_id: str) -> list[dict]:
    r = call(server, "GET", f"/api/schools/{school_id}/history", token,
             params={"kind": "grade_marks", "record_id": mark_id})
    assert r.status_code == 200, r.text
    return r.json()["history"]


def test_a_mark_for_the_open_marking_period_is_applied_and_audited(
        server, workstation, demo_district, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    term = _term(server.engine, school.id)
    student, section = term.in_class()
    mark_id = grade_mark_id(student, section["id"], term.open["id"])

    ws.edit(store, "grade.mark", _mark(student, section, term.open, "b", work_habits="s",
                                       cooperation="E", comments="03, 01, 03, 09"))

    # The grid shows the mark at once, as it will be stored.
    local = store.record("grade_marks", mark_id)
    assert (local["mark"], local["work_habits"], local["cooperation"], local["comments"]) == (
        "B", "S", "E", "03 01 09")
    report = ws.sync(store)
    assert (report.applied, report.rejected) == (1, 0), report.rejections
    stored = _records(server.engine, school.id)["grade_marks"][mark_id]
    assert (stored["mark"], stored["work_habits"], stored["cooperation"], stored["comments"],
            stored["entered_by"]) == ("B", "S", "E", "03 01 09", clerk(school))
    (entry,) = _history(server, login(server, demo_district, clerk(school)), school.id, mark_id)
    assert (entry["action"], entry["old"], entry["reason"]) == ("create", None, None)
    assert (entry["new"]["mark"], entry["new"]["comments"]) == ("B", "03 01 09")
    assert (entry["username"], entry["workstation"]) == (clerk(school),
                                                           ws.settings.workstation_id)
    assert store.dump() == server_dump(server.engine, school.id)


INVALID = [
    ("mark A+", {"mark": "A+"}, "'A+' is not a mark: use A, B, C, D, F, I, NM"),
    ("mark Q", {"mark": "Q"}, "'Q' is not a mark: use A, B, C, D, F, I, NM"),
    ("work habits X", {"mark": "B", "work_habits": "X"},
     "'X' is not a work habits mark: use E, S or U"),
    ("cooperation 4", {"mark": "B", "cooperation": "4"},
     "'4' is not a cooperation mark: use E, S or U"),
    ("comment 99", {"mark": "B", "comments": "01 99"},
     "comment code '99' does not exist: use 01–10"),
    ("four comments", {"mark": "B", "comments": "01 02 03 09"},
     "at most 3 comment codes a class, not 4"),
]


@pytest.mark.parametrize("fields,reason", [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_an_invalid_mark_is_refused_with_its_reason_and_changes_nothing(
        server, workstation, demo_district, school, fields, reason):
    token = login(server, demo_district, clerk(school))
    term = _term(server.engine, school.id)
    student, section = term.in_class()
    posted = term.posted()
    new_id = grade_mark_id(student, section["id"], term.open["id"])
    before = (last_seq(server.engine, school.id), term.state["grade_marks"])

    answers = _push(server, token, school.id,
                    _edit({**_mark(student, section, term.open, ""), **fields}),
                    _edit({**_mark(posted["student_id"], term.state["sections"][
                        posted["section_id"]], term.closed, ""), **fields,
                        "reason": "the teacher's correction"}))

    assert [(a["status"], a.get("reason")) for a in answers] == [("rejected", reason)] * 2
    after = _records(server.engine, school.id)
    assert (last_seq(server.engine, school.id), after["grade_marks"]) == before
    assert _history(server, token, school.id, new_id) == []
    assert _history(server, token, school.id, posted["id"]) == []
    # A workstation won't even queue it: the grid says why at once.
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    with pytest.raises(InvalidMark, match=re.escape(reason)):
        ws.edit(store, "grade.mark", {**_mark(student, section, term.open, ""), **fields})
    assert store.record("grade_marks", new_id) is None
    assert sum(store.outbox_counts().values()) == 0


def test_a_closed_periods_mark_changes_only_with_a_reason_kept_in_the_audit(
        server, workstation, demo_district, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    term = _term(server.engine, school.id)
    posted = term.posted()
    section = term.state["sections"][posted["section_id"]]
    new = "A" if posted["mark"] != "A" else "C"
    edit = _mark(posted["student_id"], section, term.closed, new,
                 work_habits=posted["work_habits"], cooperation=posted["cooperation"],
                 comments=posted["comments"])

    ws.edit(store, "grade.mark", edit)
    assert store.record("grade_marks", posted["id"])["mark"] == new
    ws.edit(store, "grade.mark", {**edit, "reason": "   "})  # a blank reason is none
    refused = ws.sync(store)

    assert (refused.applied, refused.rejected) == (0, 2)
    assert refused.rejections == [
        f"{term.closed['name']} closed on {term.closed['end_date']}: changing a mark after "
        "that needs a reason"] * 2
    # The workstation is put back to the server's mark; the server kept it.
    assert store.record("grade_marks", posted["id"])["mark"] == posted["mark"]
    assert _records(server.engine, school.id)["grade_marks"][posted["id"]] == posted

    reason = "recomputed after a late lab report"
    ws.edit(store, "grade.mark", {**edit, "reason": reason})
    applied = ws.sync(store)

    assert (applied.applied, applied.rejected) == (1, 0), applied.rejections
    stored = _records(server.engine, school.id)["grade_marks"][posted["id"]]
    assert (stored["mark"], stored["entered_by"]) == (new, clerk(school))
    (entry,) = _history(server, login(server, demo_district, clerk(school)), school.id,
                        posted["id"])
    assert (entry["action"], entry["reason"], entry["username"]) == ("update", reason,
                                                                     clerk(school))
    assert (entry["old"]["mark"], entry["new"]["mark"]) == (posted["mark"], new)
    assert entry["old"]["entered_by"] == posted["entered_by"]
    assert store.dump() == server_dump(server.engine, school.id)


def test_an_unchanged_mark_of_a_closed_period_needs_no_reason(
        server, demo_district, school):
    """Saving a grid over a closed period without touching a mark is no change."""
    token = login(server, demo_district, clerk(school))
    term = _term(server.engine, school.id)
    posted = term.posted()
    section = term.state["sections"][posted["section_id"]]

    (answer,) = _push(server, token, school.id, _edit(_mark(
        posted["student_id"], section, term.closed, posted["mark"].lower(),
        work_habits=posted["work_habits"], cooperation=posted["cooperation"],
        comments=posted["comments"])))

    assert answer["status"] == "applied", answer
    stored = _records(server.engine, school.id)["grade_marks"][posted["id"]]
    assert {f: stored[f] for f in ("mark", "work_habits", "cooperation", "comments")} == {
        f: posted[f] for f in ("mark", "work_habits", "cooperation", "comments")}


def test_a_mark_for_a_student_never_in_the_section_is_refused(
        server, workstation, school):
    ws = workstation("a", clerk(school))
    store = ws.open_store()
    ws.sync(store)
    term = _term(server.engine, school.id)
    student, _ = term.in_class()
    stranger_section = term.never_in(student)
    mark_id = grade_mark_id(student, stranger_section["id"], term.open["id"])
    before = last_seq(server.engine, school.id)

    ws.edit(store, "grade.mark", _mark(student, stranger_section, term.open, "B"))
    report = ws.sync(store)

    assert (report.applied, report.rejected) == (0, 1)
    assert report.rejections == [
        f"the student was never in section {stranger_section['section_number']}"]
    assert mark_id not in _records(server.engine, school.id)["grade_marks"]
    assert last_seq(server.engine, school.id) == before
    assert store.record("grade_marks", mark_id) is None  # the cache let it go
    assert store.dump() == server_dump(server.engine, school.id)


def test_a_mark_for_a_marking_period_the_student_was_not_in_the_section_is_refused(
        server, demo_district, school):
    """Marks only for a class the student was in during the marking period:
    no card would ever show any other (domain.report_cards.sections_on_card)."""
    token = login(server, demo_district, clerk(school))
    term = _term(server.engine, school.id)
    left = sorted((e for e in term.state["section_enrollments"].values()
                   if e["end_date"] and e["end_date"] < term.open["start_date"]
                   and e["end_date"] >= e["begin_date"]
                   and term.state["sections"][e["section_id"]]["term_id"] == term.open["term_id"]
                   and not any(o["student_id"] == e["student_id"]
                               and o["section_id"] == e["section_id"] and o["id"] != e["id"]
                               for o in term.state["section_enrollments"].values())),
                  key=lambda e: e["id"])
    assert left, "the demo school has a student who left a class before this marking period"
    gone = left[0]
    section = term.state["sections"][gone["section_id"]]
    mark_id = grade_mark_id(gone["student_id"], section["id"], term.open["id"])
    before = last_seq(server.engine, school.id)

    refused, earlier = _push(server, token, school.id,
                             _edit(_mark(gone["student_id"], section, term.open, "B")),
                             _edit(_mark(gone["student_id"], section, term.closed, "B",
                                         reason="entered late for a student who left")))

    assert (refused["status"], refused["reason"]) == (
        "rejected", f"the student was not in section {section['section_number']} during "
                    f"{term.open['name']} (left on {gone['end_date']})")
    assert mark_id not in _records(server.engine, school.id)["grade_marks"]
    # The same class, for a marking period the student was in it: a mark is fine.
    assert earlier["status"] == "applied", earlier
    assert last_seq(server.engine, school.id) == before + 1


def test_a_mark_for_the_other_terms_marking_period_is_refused(server, demo_district, school):
    """A fall semester class has no spring marks; a year-long one has."""
    token = login(server, demo_district, clerk(school))
    term = _term(server.engine, school.id)
    state = term.state
    spring = min((mp for mp in state["marking_periods"].values()
                  if mp["start_date"] > state["terms"][term.open["term_id"]]["end_date"]),
                 key=lambda mp: mp["start_date"])
    taking = sorted((e for e in state["section_enrollments"].values() if e["end_date"] is None
                     and state["sections"][e["section_id"]]["term_id"] == term.open["term_id"]),
                    key=lambda e: e["id"])

    def one(duration: str) -> dict:
        return next(e for e in taking if state["courses"][state["sections"][e["section_id"]][
            "course_id"]]["duration"] == duration)

    semester, year = one("semester"), one("year")
    fall = state["terms"][term.open["term_id"]]
    answers = _push(server, token, school.id, *(
        _edit(_mark(e["student_id"], state["sections"][e["section_id"]], spring, "A"))
        for e in (semester, year)))

    number = state["sections"][semester["section_id"]]["section_number"]
    assert [(a["status"], a.get("reason")) for a in answers] == [
        ("rejected", f"the student was not in section {number} during {spring['name']} "
                     f"(the section meets {fall['start_date']} to {fall['end_date']})"),
        ("applied", None)]


def test_two_workstations_write_the_same_mark_and_the_last_to_arrive_wins(
        server, workstation, demo_district, school):
    a, b = workstation("a", clerk(school)), workstation("b", counselor(school))
    a.retries = b.retries = 0
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    term = _term(server.engine, school.id)
    student, section = term.in_class()
    mark_id = grade_mark_id(student, section["id"], term.open["id"])

    server.stop()
    a.edit(store_a, "grade.mark", _mark(student, section, term.open, "B", comments="03"))
    b.edit(store_b, "grade.mark", _mark(student, section, term.open, "C", work_habits="U"))
    for ws, store in ((a, store_a), (b, store_b)):
        with pytest.raises(ServerUnreachable):
            ws.sync(store)
    server.start()
    assert a.sync(store_a).applied == 1
    assert b.sync(store_b).applied == 1
    a.sync(store_a)

    assert store_a.dump() == store_b.dump() == server_dump(server.engine, school.id)
    stored = _records(server.engine, school.id)["grade_marks"][mark_id]
    assert (stored["mark"], stored["work_habits"], stored["comments"], stored["entered_by"]) == (
        "C", "U", None, counselor(school))
    history = _history(server, login(server, demo_district, clerk(school)), school.id, mark_id)
    assert [(h["action"], h["new"]["mark"], h["username"], h["workstation"]) for h in history] == [
        ("create", "B", clerk(school), a.settings.workstation_id),
        ("update", "C", counselor(school), b.settings.workstation_id)]
    assert history[1]["old"]["mark"] == "B" and history[1]["old"]["comments"] == "03"


def test_a_printed_report_card_reaches_another_workstation(server, workstation, school):
    a, b = workstation("a", clerk(school)), workstation("b", counselor(school))
    store_a, store_b = a.open_store(), b.open_store()
    a.sync(store_a), b.sync(store_b)
    term = _term(server.engine, school.id)
    card = next(mp for mp in sorted(term.state["marking_periods"].values(),
                                    key=lambda mp: mp["end_date"])
                if mp["term_id"] == term.open["term_id"] and mp["is_report_card"])
    student, _ = term.in_class()
    print_id = str(uuid.uuid4())
    printed_at = clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ")

    a.edit(store_a, "report_card.printed", {"print_id": print_id, "student_id": student,
                                            "marking_period_id": card["id"],
                                            "printed_at": printed_at})
    assert (a.sync(store_a).applied, store_b.record("report_card_prints", print_id)) == (1, None)
    pulled = b.sync(store_b)

    stored = _records(server.engine, school.id)["report_card_prints"][print_id]
    assert (stored["student_id"], stored["marking_period_id"],
            stored["printed_by"]) == (student, card["id"], clerk(school))
    # Stamped by the server's clock, as marks' entered_at is, so "changed
    # after printing" compares like with like.
    server_time = dt.datetime.fromisoformat(stored["printed_at"].replace("Z", "+00:00"))
    sent_at = dt.datetime.fromisoformat(printed_at.replace("Z", "+00:00"))
    assert stored["printed_at"].endswith("Z") and "." in stored["printed_at"]
    assert sent_at <= server_time <= clock.now_utc()
    assert pulled.pulled >= 1
    seen = store_b.record("report_card_prints", print_id)
    assert (seen["student_id"], seen["marking_period_id"], seen["printed_by"]) == (
        student, card["id"], clerk(school))
    assert store_a.dump() == store_b.dump() == server_dump(server.engine, school.id)
