"""Checking pushed edits: every operation's good shape, and readable refusals."""
from __future__ import annotations

import uuid

import pytest

from domain.edits import submission_marks
from domain.mutations import MAX_BATCH, MAX_MARKS, OPS, check_batch, check_mutation
from domain.values import InvalidValue

# One good payload per operation, with only its required fields.
GOOD_PAYLOADS = {
    "attendance.mark": {"student_id": "stu-1", "section_id": "sec-1", "date": "2026-11-20",
                        "period": 2, "code": "A"},
    "attendance.submit": {"section_id": "sec-1", "date": "2026-11-20", "period": 2},
    "schedule.add": {"student_id": "stu-1", "section_id": "sec-1", "begin_date": "2026-11-23",
                     "section_enrollment_id": "se-1"},
    "schedule.drop": {"student_id": "stu-1", "section_enrollment_id": "se-1",
                      "end_date": "2026-11-23"},
    "schedule.swap": {"student_id": "stu-1", "section_enrollment_id": "se-1",
                      "end_date": "2026-11-23", "section_id": "sec-2",
                      "new_section_enrollment_id": "se-2", "begin_date": "2026-11-24"},
    "section.save": {"section_id": "sec-9", "course_id": "crs-1", "term_id": "term-1",
                     "section_number": "0009", "period": 3, "room": "B-101",
                     "teacher_id": "stf-1", "capacity": 38},
    "request.add": {"request_id": "req-9", "student_id": "stu-1", "school_year_id": "sy-2",
                    "course_id": "crs-1", "rank": 1},
    "request.remove": {"request_id": "req-9", "student_id": "stu-1"},
    "grade.mark": {"student_id": "stu-1", "section_id": "sec-1", "marking_period_id": "mp-1",
                   "mark": "B"},
    "report_card.printed": {"print_id": "rcp-1", "student_id": "stu-1",
                            "marking_period_id": "mp-1", "printed_at": "2026-11-29T18:00:00Z"},
    "enrollment.enroll": {"student_id": "stu-9", "school_enrollment_id": "enr-9",
                          "entry_date": "2026-11-23", "entry_code": "E1",
                          "legal_first_name": "Ana", "legal_last_name": "Reyes",
                          "birth_date": "2011-04-02", "grade_level": 9, "gender": "F",
                          "home_language": "es", "english_learner_status": "EL"},
    "enrollment.withdraw": {"student_id": "stu-1", "exit_date": "2026-11-23",
                            "withdrawal_code": "W3"},
    "enrollment.transfer_in": {"district_student_id": "1000042", "school_enrollment_id": "enr-7",
                               "entry_date": "2026-11-23", "entry_code": "E2",
                               "grade_level": 10},
    "transfer.request": {"request_id": "req-1", "district_student_id": "1000042",
                         "birth_date": "2011-03-04", "grade_level": 10,
                         "entry_date": "2026-11-23", "entry_code": "E2",
                         "school_enrollment_id": "enr-8", "note": None},
    "transfer.approve": {"request_id": "req-1"},
    "transfer.refuse": {"request_id": "req-1", "reason": "The family is staying with us"},
    "transfer.cancel": {"request_id": "req-1"},
}
SCHEDULE_OPS = sorted(name for name, op in OPS.items() if op.checks_version)


def mutation(op: str, payload: dict | None = None, **envelope) -> dict:
    m = {"mutation_id": str(uuid.uuid4()), "op": op,
         "payload": dict(GOOD_PAYLOADS[op] if payload is None else payload)}
    if op in SCHEDULE_OPS:
        m["base_version"] = 12
    m.update(envelope)
    return m


def refusal(m, index: int = 0) -> str:
    with pytest.raises(InvalidValue) as caught:
        check_mutation(m, index)
    return str(caught.value)


def test_every_operation_has_a_good_payload_here():
    assert set(GOOD_PAYLOADS) == set(OPS)
    assert SCHEDULE_OPS == ["schedule.add", "schedule.drop", "schedule.swap"]


@pytest.mark.parametrize("op", sorted(OPS))
def test_a_good_mutation_of_each_operation_is_accepted(op):
    m = mutation(op, client_time="2026-11-23T15:04:00Z")
    checked = check_mutation(m)
    assert checked["mutation_id"] == m["mutation_id"]
    assert checked["op"] == op
    assert checked["base_version"] == m.get("base_version")
    assert checked["client_time"] == "2026-11-23T15:04:00Z"
    # Every field of the operation is there; the optional ones left out are None.
    assert set(checked["payload"]) == {f.name for f in OPS[op].fields}
    for name, value in checked["payload"].items():
        assert value == GOOD_PAYLOADS[op].get(name)


REQUIRED = [(op, f.name) for op in sorted(OPS) for f in OPS[op].fields if f.required]


@pytest.mark.parametrize("op,field", REQUIRED, ids=[f"{o}-{f}" for o, f in REQUIRED])
def test_a_missing_required_field_is_named(op, field):
    payload = dict(GOOD_PAYLOADS[op])
    del payload[field]
    assert refusal(mutation(op, payload), 1) == f"mutation 2: {op} {field} is required"


def test_a_wrong_value_in_a_payload_names_the_mutation_operation_and_field():
    m = mutation("attendance.mark", {**GOOD_PAYLOADS["attendance.mark"], "period": "first"})
    assert refusal(m, 4) == "mutation 5: attendance.mark period must be a whole number, not 'first'"


def test_an_unknown_payload_field_is_refused():
    m = mutation("attendance.submit", {**GOOD_PAYLOADS["attendance.submit"], "grade": "A+"})
    assert refusal(m) == "mutation 1: attendance.submit unknown field 'grade'"


def test_a_payload_that_is_not_an_object_is_refused():
    m = mutation("attendance.mark")
    m["payload"] = ["stu-1"]
    assert refusal(m) == "mutation 1: attendance.mark payload must be an object"


@pytest.mark.parametrize("op", ["grades.erase", "", "ATTENDANCE.MARK", None, 3, ["attendance.mark"]])
def test_an_unknown_operation_is_refused(op):
    m = mutation("attendance.mark")
    m["op"] = op
    assert refusal(m, 1) == f"mutation 2: unknown operation {op!r}"


@pytest.mark.parametrize("mutation_id", ["42", "", "not-a-uuid", None, 42,
                                         "12345678-1234-5678-1234-56781234567"])
def test_a_mutation_id_that_is_not_a_uuid_is_refused(mutation_id):
    m = mutation("attendance.mark", mutation_id=mutation_id)
    assert refusal(m) == "mutation 1: mutation_id must be a UUID"


@pytest.mark.parametrize("base_version", [-1, True, False, 1.5, "3"])
def test_a_base_version_that_is_not_a_whole_number_is_refused(base_version):
    for op in ("attendance.mark", "schedule.add"):
        m = mutation(op, base_version=base_version)
        assert refusal(m, 2) == "mutation 3: base_version must be a whole number"


def test_base_version_zero_is_a_version():
    assert check_mutation(mutation("schedule.drop", base_version=0))["base_version"] == 0


@pytest.mark.parametrize("op", SCHEDULE_OPS)
def test_a_schedule_edit_needs_the_version_it_was_made_against(op):
    m = mutation(op)
    del m["base_version"]
    assert refusal(m) == f"mutation 1: {op} needs the base_version it was made against"
    assert refusal(mutation(op, base_version=None)) == (
        f"mutation 1: {op} needs the base_version it was made against")


@pytest.mark.parametrize("missing", ["mutation_id", "op", "payload"])
def test_a_missing_envelope_field_is_named(missing):
    m = mutation("attendance.mark")
    del m[missing]
    assert refusal(m) == f"mutation 1: {missing} is required"


def test_an_unknown_envelope_field_is_refused():
    assert refusal(mutation("attendance.mark", school_id="sch-1")) == (
        "mutation 1: unknown field 'school_id'")


@pytest.mark.parametrize("m", [None, "attendance.mark", [], 7])
def test_a_mutation_that_is_not_an_object_is_refused(m):
    assert refusal(m, 6) == "mutation 7: must be an object"


# --- batches

def test_a_good_batch_comes_back_checked_in_its_order():
    batch = [mutation(op) for op in sorted(OPS)]
    checked = check_batch(batch)
    assert [c["mutation_id"] for c in checked] == [m["mutation_id"] for m in batch]
    assert [c["op"] for c in checked] == sorted(OPS)


def test_an_empty_batch_is_accepted():
    assert check_batch([]) == []


@pytest.mark.parametrize("body", [None, {}, "mutations", {"mutations": []}])
def test_a_batch_that_is_not_a_list_is_refused(body):
    with pytest.raises(InvalidValue, match="^mutations must be a list$"):
        check_batch(body)


def test_one_bad_mutation_is_refused_on_its_own_and_the_rest_go_on():
    """A malformed edit in a workstation's outbox must not block every edit
    queued behind it (a note with a NUL once did, sync after sync)."""
    batch = [mutation("attendance.mark"), mutation("attendance.mark"),
             mutation("attendance.mark", {**GOOD_PAYLOADS["attendance.mark"], "date": "2026-11-31"}),
             mutation("attendance.mark")]
    checked = check_batch(batch)
    assert ["invalid" in c for c in checked] == [False, False, True, False]
    assert checked[2]["invalid"] == ("attendance.mark date must be a date like 2026-09-14, "
                                     "not '2026-11-31'")
    assert checked[2]["mutation_id"] == batch[2]["mutation_id"]


@pytest.mark.parametrize("bad", ["not an object", {"op": "attendance.mark"},
                                 {"mutation_id": "42", "op": "attendance.mark", "payload": {}}])
def test_a_mutation_that_cant_be_answered_refuses_the_batch(bad):
    """Without a readable mutation id no answer could be matched to its edit."""
    with pytest.raises(InvalidValue, match="^mutation 2: "):
        check_batch([mutation("attendance.mark"), bad])


def test_the_same_mutation_id_twice_in_a_batch_shares_the_first_answer():
    first = mutation("attendance.mark")
    again = mutation("attendance.submit", mutation_id=first["mutation_id"].upper())
    checked = check_batch([first, again])
    assert checked[1] == {"mutation_id": first["mutation_id"], "same_as": 0}


@pytest.mark.parametrize("spelling", [str.upper, lambda u: "{" + u + "}",
                                      lambda u: "urn:uuid:" + u, lambda u: u.replace("-", "")])
def test_every_spelling_of_a_mutation_id_is_the_same_edit(spelling):
    m = mutation("attendance.mark")
    canonical = m["mutation_id"]
    m["mutation_id"] = spelling(canonical)
    assert check_mutation(m)["mutation_id"] == canonical
    assert check_batch([m])[0]["mutation_id"] == canonical


@pytest.mark.parametrize("note,why", [("late\x00bus", "NUL byte"),
                                      ("late\ud800bus", "lone UTF-16 surrogate"),
                                      ("bell\x07", "control character 0x07")])
def test_text_that_cant_be_stored_is_refused_with_the_reason(note, why):
    m = mutation("attendance.mark", {**GOOD_PAYLOADS["attendance.mark"], "note": note})
    with pytest.raises(InvalidValue, match=why):
        check_mutation(m)
    assert why in check_batch([m])[0]["invalid"]


def test_a_note_may_have_several_lines():
    m = mutation("attendance.mark", {**GOOD_PAYLOADS["attendance.mark"],
                                     "note": "Mother called.\r\nBus\tlate."})
    assert check_mutation(m)["payload"]["note"] == "Mother called.\r\nBus\tlate."


def test_a_batch_of_max_batch_mutations_is_accepted_and_one_more_is_refused():
    batch = [mutation("attendance.mark") for _ in range(MAX_BATCH)]
    assert len(check_batch(batch)) == MAX_BATCH
    with pytest.raises(InvalidValue) as caught:
        check_batch(batch + [mutation("attendance.mark")])
    assert str(caught.value) == (f"a push may carry at most {MAX_BATCH} mutations, "
                                 f"not {MAX_BATCH + 1}")


# --- a section's roll: attendance.submit with its marks


def roll(marks) -> dict:
    return mutation("attendance.submit", {**GOOD_PAYLOADS["attendance.submit"], "marks": marks})


def test_a_roll_with_marks_comes_back_with_every_mark_field():
    checked = check_mutation(roll([{"student_id": "stu-1", "code": "A"},
                                   {"student_id": "stu-2", "code": "T", "minutes_late": 9,
                                    "note": "bus", "reason": "late bus"}]))
    assert checked["payload"]["marks"] == [
        {"student_id": "stu-1", "code": "A", "minutes_late": None, "note": None, "reason": None},
        {"student_id": "stu-2", "code": "T", "minutes_late": 9, "note": "bus",
         "reason": "late bus"}]
    assert check_mutation(roll([]))["payload"]["marks"] == []


BAD_ROLLS = [
    ([{"student_id": "stu-1", "code": "A"}, {"student_id": "stu-2"}],
     "marks[1].code is required"),
    ([{"student_id": "stu-1", "code": 3}], "marks[0].code must be text, not int"),
    ([{"student_id": "stu-1", "code": "T", "minutes_late": "5"}],
     "marks[0].minutes_late must be a whole number, not '5'"),
    ([{"student_id": "stu-1", "code": "A", "grade": "F"}], "marks[0] unknown field 'grade'"),
    (["stu-1"], "marks[0] must be an object"),
    ({"stu-1": "A"}, "marks must be a list, not dict"),
    ([{"student_id": "stu-1", "code": "A"}, {"student_id": "stu-2", "code": "A"},
      {"student_id": "stu-1", "code": "E"}],
     "marks[2].student_id 'stu-1' appears twice (also in marks[0])"),
    ([{"student_id": f"stu-{i}", "code": "A"} for i in range(MAX_MARKS + 1)],
     f"marks may hold at most {MAX_MARKS} entries, not {MAX_MARKS + 1}"),
]


@pytest.mark.parametrize("marks,reason", BAD_ROLLS, ids=[r for _, r in BAD_ROLLS])
def test_a_bad_mark_in_a_roll_is_named_by_its_place(marks, reason):
    assert refusal(roll(marks), 2) == f"mutation 3: attendance.submit {reason}"


def test_a_roll_of_max_marks_is_accepted():
    marks = [{"student_id": f"stu-{i}", "code": "A"} for i in range(MAX_MARKS)]
    assert len(check_mutation(roll(marks))["payload"]["marks"]) == MAX_MARKS


def test_a_rolls_marks_take_its_section_date_and_period_and_a_daily_roll_none():
    p = {"section_id": "sec-1", "date": "2026-11-20", "period": 3,
         "marks": [{"student_id": "stu-1", "code": "A", "reason": "x"}]}
    assert submission_marks(p) == [{"student_id": "stu-1", "section_id": "sec-1",
                                    "date": "2026-11-20", "period": 3, "code": "A",
                                    "minutes_late": None, "note": None, "reason": "x"}]
    daily = submission_marks({**p, "period": 0})
    assert (daily[0]["section_id"], daily[0]["period"]) == (None, 0)
    assert submission_marks({**p, "marks": None}) == []
