"""Checking one value against its field: what passes, and what a person is told."""
from __future__ import annotations

import pytest

from domain.records import BOOL, DATE, INT, REAL, STR, TIME, Field
from domain.values import InvalidValue, check_fields, check_value

# (field, value, what check_value gives back)
ACCEPTED = [
    (Field("last_name", STR), "Nguyen", "Nguyen"),
    (Field("last_name", STR), "x" * 2000, "x" * 2000),
    (Field("note", STR, required=False), None, None),
    (Field("note", STR, required=False), "", ""),
    (Field("period", INT), 3, 3),
    (Field("period", INT), 0, 0),
    (Field("minutes_late", INT, required=False), None, None),
    (Field("minutes_late", INT, required=False), "", None),
    (Field("excused", BOOL), True, True),
    (Field("excused", BOOL), False, False),
    (Field("excused", BOOL, required=False), None, None),
    (Field("birth_date", DATE), "2026-02-28", "2026-02-28"),
    (Field("birth_date", DATE), "2024-02-29", "2024-02-29"),
    (Field("exit_date", DATE, required=False), None, None),
    (Field("exit_date", DATE, required=False), "", None),
    (Field("start_time", TIME), "08:05", "08:05"),
    (Field("start_time", TIME), "00:00", "00:00"),
    (Field("start_time", TIME), "23:59", "23:59"),
    (Field("credits", REAL), 2.5, 2.5),
    (Field("credits", REAL), 5, 5.0),
]


@pytest.mark.parametrize("field,value,expected", ACCEPTED,
                         ids=[f"{f.type}-{f.name}-{v!r}"[:60] for f, v, _ in ACCEPTED])
def test_a_value_that_fits_its_field_is_accepted(field, value, expected):
    result = check_value(field, value)
    assert result == expected
    assert type(result) is type(expected)


# (field, value, what the message must say besides the field's name)
REFUSED = [
    (Field("last_name", STR), None, "is required"),
    (Field("last_name", STR), "", "is required"),
    (Field("last_name", STR), "   ", "is required"),
    (Field("last_name", STR), 42, "must be text, not int"),
    (Field("last_name", STR), "x" * 2001, "is longer than 2000 characters"),
    (Field("note", STR, required=False), "x" * 2001, "is longer than 2000 characters"),
    (Field("period", INT), None, "is required"),
    (Field("period", INT), "", "is required"),
    (Field("period", INT), True, "must be a whole number, not True"),
    (Field("period", INT), False, "must be a whole number, not False"),
    (Field("period", INT), 2.0, "must be a whole number, not 2.0"),
    (Field("period", INT), "3", "must be a whole number, not '3'"),
    (Field("excused", BOOL), None, "is required"),
    (Field("excused", BOOL), 1, "must be true or false, not 1"),
    (Field("excused", BOOL), "true", "must be true or false, not 'true'"),
    (Field("birth_date", DATE), None, "is required"),
    (Field("birth_date", DATE), "", "is required"),
    (Field("birth_date", DATE), "2026-02-30", "must be a date like 2026-09-14, not '2026-02-30'"),
    (Field("birth_date", DATE), "2025-02-29", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), "2026-13-01", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), "2026-2-14", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), "14/02/2026", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), "20260214", "must be a date like 2026-09-14"),
    # An ISO week date parses, but stored as text it would not sort as a date.
    (Field("birth_date", DATE), "2026-W07-1", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), "2026-02-14T08:00", "must be a date like 2026-09-14"),
    (Field("birth_date", DATE), 20260214, "must be a date like 2026-09-14, not 20260214"),
    (Field("start_time", TIME), None, "is required"),
    (Field("start_time", TIME), "24:00", "must be a time like 08:05, not '24:00'"),
    (Field("start_time", TIME), "08:60", "must be a time like 08:05"),
    (Field("start_time", TIME), "8:05", "must be a time like 08:05"),
    (Field("start_time", TIME), "08:05:00", "must be a time like 08:05"),
    (Field("start_time", TIME), "08:05\n", "must be a time like 08:05"),
    (Field("start_time", TIME), 805, "must be a time like 08:05, not 805"),
    (Field("credits", REAL), None, "is required"),
    (Field("credits", REAL), True, "must be a number, not True"),
    (Field("credits", REAL), "2.5", "must be a number, not '2.5'"),
]


@pytest.mark.parametrize("field,value,reason", REFUSED,
                         ids=[f"{f.type}-{f.name}-{v!r}"[:60] for f, v, _ in REFUSED])
def test_a_value_that_does_not_fit_is_refused_with_a_reason(field, value, reason):
    with pytest.raises(InvalidValue) as caught:
        check_value(field, value)
    message = str(caught.value)
    assert message.startswith(f"{field.name} ")
    assert reason in message


def test_the_reason_says_where_the_value_came_from():
    with pytest.raises(InvalidValue, match=r"^mutation 3: attendance.mark period must be a whole"):
        check_value(Field("period", INT), "first", what="mutation 3: attendance.mark ")


STUDENT = (Field("legal_last_name"), Field("grade_level", INT),
           Field("preferred_name", required=False), Field("birth_date", DATE, required=False))


def test_check_fields_gives_every_field_with_none_for_the_missing_optional_ones():
    assert check_fields(STUDENT, {"legal_last_name": "Reyes", "grade_level": 9}) == {
        "legal_last_name": "Reyes", "grade_level": 9, "preferred_name": None,
        "birth_date": None}


def test_check_fields_names_a_missing_required_field():
    with pytest.raises(InvalidValue, match="^grade_level is required$"):
        check_fields(STUDENT, {"legal_last_name": "Reyes"})


def test_check_fields_refuses_a_field_it_does_not_know():
    with pytest.raises(InvalidValue, match="^unknown field 'grade'$"):
        check_fields(STUDENT, {"legal_last_name": "Reyes", "grade_level": 9, "grade": "A+"})


@pytest.mark.parametrize("data", [None, [], ["legal_last_name"], "Reyes", 9])
def test_check_fields_refuses_anything_but_an_object(data):
    with pytest.raises(InvalidValue, match="^payload must be an object$"):
        check_fields(STUDENT, data)


def test_check_fields_says_which_payload_is_not_an_object():
    with pytest.raises(InvalidValue) as caught:
        check_fields(STUDENT, [], what="mutation 2: enrollment.enroll ")
    assert str(caught.value) == "mutation 2: enrollment.enroll payload must be an object"
