"""The demo district: deterministic, internally consistent, and school-shaped."""
from __future__ import annotations

import collections
import datetime as dt
import itertools

import pytest

from district_server.demo import PASSWORDS, generate_district, generate_school, school_calendar
from domain.codes import ATTENDANCE_CODES, WITHDRAWAL_CODES
from domain.records import KINDS, attendance_mark_id, attendance_submission_id, kind
from domain.values import check_value

AS_OF = dt.date(2026, 11, 29)  # a Sunday, the week of Thanksgiving


@pytest.fixture(scope="module")
def district():
    return generate_district(2026, size="small", as_of=AS_OF)


def _by_id(school, name):
    return {row[0]: row for row in school.records[name]}


def _col(name, field):
    """Index of `field` in a row of kind `name` (the id is column 0)."""
    return 1 + kind(name).field_names.index(field)


def _secondary(district):
    return [s for s in district.schools if s.level != "elementary"]


def test_same_seed_gives_the_same_district_and_another_seed_another(district):
    again = generate_district(2026, size="small", as_of=AS_OF)
    assert [s.records for s in again.schools] == [s.records for s in district.schools]
    assert again.users == district.users
    other = generate_district(2027, size="small", as_of=AS_OF)
    assert other.schools[0].records["students"] != district.schools[0].records["students"]


def test_small_district_has_three_schools_one_per_level(district):
    assert [(s.id, s.level) for s in district.schools] == [
        ("sch-1001", "elementary"), ("sch-1002", "middle"), ("sch-1003", "high")]
    high = district.schools[2]
    assert (high.grade_low, high.grade_high, high.periods_per_day, high.required_periods) == (
        9, 12, 7, 6)


_NOT_ELEMENTARY = {"course_requests", "transcript_entries", "grade_marks"}
# Kinds the demo leaves for people to make (no report card has been printed yet).
_MADE_LATER = {"report_card_prints", "transfer_requests"}


def test_every_kind_has_rows_with_unique_ids(district):
    for school in district.schools:
        assert [k.name for k in KINDS] == list(school.records)
        for k in KINDS:
            ids = [row[0] for row in school.records[k.name]]
            # An elementary school has no course requests or past course marks.
            assert ids or k.name in _MADE_LATER or (
                school.level == "elementary" and k.name in _NOT_ELEMENTARY), \
                f"{school.id} has no {k.name}"
            assert len(ids) == len(set(ids)), f"{school.id} repeats an id in {k.name}"


def test_every_value_fits_its_field(district):
    for school in district.schools:
        for k in KINDS:
            for row in school.records[k.name]:
                assert len(row) == len(k.field_names) + 1, (k.name, row)
                assert isinstance(row[0], str) and row[0]
                for f, value in zip(k.fields, row[1:], strict=True):
                    check_value(f, value, what=f"{k.name}.")


def test_every_reference_points_to_a_row_of_the_same_school(district):
    for school in district.schools:
        ids = {k.name: {row[0] for row in school.records[k.name]} for k in KINDS}
        for k in KINDS:
            for col, f in enumerate(k.fields, 1):
                if f.ref:
                    missing = {row[col] for row in school.records[k.name]
                               if row[col] is not None} - ids[f.ref]
                    assert not missing, f"{school.id} {k.name}.{f.name} -> {sorted(missing)[:3]}"


def test_attendance_codes_are_the_default_table(district):
    for school in district.schools:
        assert [r[0] for r in school.records["attendance_codes"]] == [
            c.code for c in ATTENDANCE_CODES]


def test_district_student_ids_are_ten_digits_and_unique_across_the_district(district):
    numbers = [r[1] for s in district.schools for r in s.records["students"]]
    assert all(len(n) == 10 and n.isdigit() for n in numbers)
    assert len(numbers) == len(set(numbers))


def test_birth_dates_fit_the_grade(district):
    for school in district.schools:
        for row in school.records["students"]:
            grade, born = row[_col("students", "grade_level")], row[_col("students", "birth_date")]
            age_on_sept_1 = (dt.date(2026, 9, 1) - dt.date.fromisoformat(born)).days / 365.25
            assert 5 + grade - 0.1 <= age_on_sept_1 <= 7 + grade, (grade, born)


def test_secondary_students_have_a_counselor_and_elementary_students_none(district):
    for school in district.schools:
        counselors = {r[0] for r in school.records["staff"] if r[3] == "Counselor"}
        assigned = {r[_col("students", "counselor_id")] for r in school.records["students"]}
        assert assigned <= counselors if counselors else assigned == {None}
        assert assigned


def test_english_learner_status_follows_the_home_language(district):
    for school in district.schools:
        for row in school.records["students"]:
            lang, status = row[_col("students", "home_language")], row[
                _col("students", "english_learner_status")]
            assert (status == "EO") == (lang == "en")


def test_each_student_has_one_primary_guardian_who_has_a_contact(district):
    for school in district.schools:
        guardians = school.records["guardians"]
        primaries = collections.Counter(g[1] for g in guardians if g[7])
        per_student = collections.Counter(g[1] for g in guardians)
        for sid in _by_id(school, "students"):
            assert primaries[sid] == 1 and 1 <= per_student[sid] <= 2
        contacts = collections.defaultdict(list)
        for c in school.records["guardian_contacts"]:
            contacts[c[1]].append(c[4])
        for g in guardians:
            assert sorted(contacts[g[0]]) == list(range(1, len(contacts[g[0]]) + 1)) and \
                1 <= len(contacts[g[0]]) <= 3
        values = [c[3] for c in school.records["guardian_contacts"]]
        assert all("555-01" in v or v.endswith("@example.org") for v in values)


def test_enrollments_start_on_or_after_the_first_day_and_some_withdraw(district):
    first_day = school_calendar(AS_OF).first_day.isoformat()
    withdrawn = 0
    for school in district.schools:
        rows = school.records["school_enrollments"]
        assert len(rows) == len(school.records["students"])
        for _, _, _, entry, _, exit_date, withdrawal in rows:
            assert first_day <= entry <= AS_OF.isoformat()
            assert (exit_date is None) == (withdrawal is None)
            if exit_date:
                withdrawn += 1
                assert entry < exit_date <= AS_OF.isoformat() and withdrawal in WITHDRAWAL_CODES
    assert withdrawn


def _active_spans(school):
    """student -> [(period, first day, last day)] of section enrollments."""
    sections = _by_id(school, "sections")
    spans = collections.defaultdict(list)
    for _, student, section, begin, end in school.records["section_enrollments"]:
        spans[student].append((sections[section][4], begin, end or "9999-12-31", section))
    return spans


def test_no_student_is_in_two_sections_of_one_period_at_once(district):
    for school in _secondary(district):
        for student, spans in _active_spans(school).items():
            by_period = collections.defaultdict(list)
            for period, begin, end, _ in spans:
                by_period[period].append((begin, end))
            for period, ranges in by_period.items():
                ranges.sort()
                for (_, end), (begin, _) in itertools.pairwise(ranges):
                    assert end < begin, f"{student} twice in period {period}"


def test_a_few_students_lack_a_complete_schedule(district):
    for school in _secondary(district):
        enrolled = {r[1] for r in school.records["school_enrollments"] if r[5] is None}
        spans = _active_spans(school)
        required = set(range(1, school.required_periods + 1))
        today = AS_OF.isoformat()
        incomplete = [s for s in enrolled
                      if not required <= {p for p, _, end, _ in spans[s] if end > today}]
        assert 0 < len(incomplete) <= 0.1 * len(enrolled), (school.id, len(incomplete))


def test_some_students_take_a_seventh_period_and_sections_fit_grades(district):
    high = district.schools[2]
    spans = _active_spans(high)
    sevenths = sum(1 for s in spans.values() if any(p == 7 for p, *_ in s))
    assert 0.15 * len(spans) < sevenths < 0.45 * len(spans)
    sections, courses = _by_id(high, "sections"), _by_id(high, "courses")
    grades = {r[0]: r[_col("students", "grade_level")] for r in high.records["students"]}
    for _, student, section, _, _ in high.records["section_enrollments"]:
        course = courses[sections[section][1]]
        assert course[7] <= grades[student] <= course[8]


def test_sections_respect_capacity_and_teachers_teach_one_class_a_period(district):
    for school in district.schools:
        seats = collections.Counter(r[2] for r in school.records["section_enrollments"]
                                    if r[4] is None)
        busy = collections.Counter()
        for row in school.records["sections"]:
            assert seats[row[0]] <= row[7]
            assert 30 <= row[7] <= 40 or school.level == "elementary"
            busy[(row[6], row[2], row[4])] += 1
        assert max(busy.values()) == 1


def test_attendance_only_on_past_school_days(district):
    calendar = school_calendar(AS_OF)
    school_days = {d.isoformat() for d in calendar.days if d <= AS_OF}
    assert "2026-11-26" not in school_days and "2026-11-25" in school_days
    for school in district.schools:
        for name, col in (("attendance_marks", 3), ("attendance_submissions", 2)):
            dates = {r[col] for r in school.records[name]}
            assert dates and dates <= school_days, name
            assert all(dt.date.fromisoformat(d).weekday() < 5 for d in dates)


def test_marks_are_exceptions_keyed_by_their_natural_id(district):
    for school in district.schools:
        marks = school.records["attendance_marks"]
        assert {m[5] for m in marks} <= {c.code for c in ATTENDANCE_CODES} - {"P"}
        for m in marks:
            assert m[0] == attendance_mark_id(m[1], m[2], m[3], m[4])
            assert m[9].startswith(m[3] + "T") and m[9].endswith("Z")
            assert (m[6] is not None) == (m[5] in "TLX")
            if m[5] == "T":
                assert 0 < m[6] < 30
            if m[5] == "L":
                assert m[6] >= 30
        for s in school.records["attendance_submissions"]:
            assert s[0] == attendance_submission_id(s[1], s[2], s[3])


def test_daily_marks_in_elementary_and_period_marks_in_secondary(district):
    elementary = district.schools[0]
    assert {(m[2], m[4]) for m in elementary.records["attendance_marks"]} == {(None, 0)}
    assert {s[3] for s in elementary.records["attendance_submissions"]} == {0}
    for school in _secondary(district):
        sections = _by_id(school, "sections")
        submitted = {s[0] for s in school.records["attendance_submissions"]}
        spans = _active_spans(school)
        for m in school.records["attendance_marks"]:
            assert m[4] == sections[m[2]][4]
            assert attendance_submission_id(m[2], m[3], m[4]) in submitted
            assert any(sec == m[2] and begin <= m[3] <= end
                       for _, begin, end, sec in spans[m[1]]), m


def test_attendance_rates_look_like_a_school(district):
    high = district.schools[2]
    marks = high.records["attendance_marks"]
    codes = collections.Counter(m[5] for m in marks)
    assert codes["A"] and codes["E"] and codes["T"]
    tardy_periods = collections.Counter(m[4] for m in marks if m[5] == "T")
    assert tardy_periods[1] > sum(tardy_periods.values()) / 2
    slots = sum(1 for _ in high.records["section_enrollments"]) * school_calendar(
        AS_OF).days_through(AS_OF)
    assert 0.02 < len(marks) / slots < 0.12
    late = sum(1 for s in high.records["attendance_submissions"] if s[6])
    assert 0 < late < 0.06 * len(high.records["attendance_submissions"])


def test_spring_sections_fill_at_rollover():
    school = generate_school(5, id="sch-9", code="0009", name="Test High", level="high",
                             students=120, as_of=dt.date(2027, 3, 10))
    sections = _by_id(school, "sections")
    spring_term = school.records["terms"][1][0]
    spring = [r for r in school.records["section_enrollments"]
              if sections[r[2]][2] == spring_term]
    assert spring and all(r[3] == "2027-02-01" for r in spring)
    assert max(m[3] for m in school.records["attendance_marks"]) <= "2027-03-10"


def test_before_the_first_day_there_is_no_attendance():
    school = generate_school(5, id="sch-9", code="0009", name="Test Middle", level="middle",
                             students=60, as_of=dt.date(2026, 8, 3))
    assert school.records["attendance_marks"] == []
    assert school.records["attendance_submissions"] == []
    assert school.records["section_enrollments"]


def test_users_cover_every_role(district):
    users = {u.username: u for u in district.users}
    for school in district.schools:
        assert users[f"clerk.{school.code}"].school_ids == [school.id]
        assert users[f"admin.{school.code}"].role == "school_admin"
        assert (f"counselor.{school.code}" in users) == (school.level != "elementary")
    assert users["district.admin"].school_ids == [] and \
        users["district.admin"].role == "district_admin"
    assert users["clerk.multi"].role == "clerk" and len(users["clerk.multi"].school_ids) == 2
    for u in district.users:
        assert u.password == PASSWORDS[u.role] and u.display_name


def test_unknown_size_is_refused():
    with pytest.raises(ValueError):
        generate_district(size="huge", as_of=AS_OF)
