"""The records a school's workstations and the district server exchange.

One definition of each synced kind serves both halves: the server builds its
tables from it, the workstation cache builds its own, and the wire format of
snapshot, pull and push is a record's fields in this order. Every synced
record belongs to one school and carries `version`, the number in that
school's change sequence of its last change.

Dates travel and are stored as ISO text (``2026-11-29``), times of day as
``HH:MM``, instants as ISO UTC text: SQLite reads text without per-row
parsing, and the text sorts as the value does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Field types: the wire type and what a value must look like.
STR, INT, BOOL, DATE, TIME, REAL = "str", "int", "bool", "date", "time", "real"


@dataclass(frozen=True)
class Field:
    name: str
    type: str = STR
    required: bool = True
    # Another kind this field refers to (its `id`), checked on the server.
    ref: str | None = None
    # Indexed in both stores (looked up by it).
    indexed: bool = False
    # Unique across the district (checked by the server's index).
    unique: bool = False


@dataclass(frozen=True)
class Kind:
    """One kind of synced record; `fields` excludes id, school_id and version."""

    name: str
    fields: tuple[Field, ...]
    # Who decides a conflict for this kind (DESIGN.md, "Conflicts").
    authority: str = "server"

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def wire_columns(self) -> tuple[str, ...]:
        """Column order of a record on the wire and in bulk loads."""
        return ("id", "version", *self.field_names)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _kind(name: str, *fields: Field, authority: str = "server") -> Kind:
    return Kind(name, tuple(fields), authority)


F = Field

KINDS: tuple[Kind, ...] = (
    _kind("school_years",
          F("name"), F("start_date", DATE), F("end_date", DATE)),
    _kind("terms",
          F("school_year_id", ref="school_years", indexed=True), F("name"),
          # fall / spring semester terms; year-long sections span both.
          F("sequence", INT), F("start_date", DATE), F("end_date", DATE)),
    _kind("marking_periods",
          F("term_id", ref="terms", indexed=True), F("name"),
          # Weeks into the term: 5, 10, 15 (progress) and 20 (semester mark).
          F("week", INT), F("start_date", DATE), F("end_date", DATE),
          F("is_report_card", BOOL)),
    _kind("bell_periods",
          F("number", INT), F("label"), F("start_time", TIME), F("end_time", TIME)),
    _kind("staff",
          F("first_name"), F("last_name"), F("title"), F("email", required=False),
          F("department", required=False)),
    _kind("students",
          F("district_student_id", indexed=True, unique=True), F("legal_first_name"),
          F("legal_last_name"), F("preferred_name", required=False),
          F("birth_date", DATE), F("grade_level", INT), F("gender"),
          F("home_language"),
          # EO English only, IFEP, EL English learner, RFEP reclassified.
          F("english_learner_status"),
          F("counselor_id", ref="staff", required=False)),
    _kind("guardians",
          F("student_id", ref="students", indexed=True), F("first_name"),
          F("last_name"), F("relationship"), F("language"),
          F("lives_with_student", BOOL), F("is_primary", BOOL)),
    _kind("guardian_contacts",
          F("guardian_id", ref="guardians", indexed=True),
          # home_phone, cell_phone, work_phone, email
          F("contact_type"), F("value"), F("priority", INT)),
    _kind("school_enrollments",
          F("student_id", ref="students", indexed=True), F("grade_level", INT),
          F("entry_date", DATE), F("entry_code"),
          F("exit_date", DATE, required=False),
          F("withdrawal_code", required=False)),
    _kind("courses",
          F("code", indexed=True), F("title"), F("credits", REAL), F("department"),
          # UC/CSU subject area a..g, or empty for none.
          F("ag_area", required=False),
          F("duration"),  # "semester" or "year"
          F("grade_min", INT), F("grade_max", INT)),
    _kind("sections",
          F("course_id", ref="courses", indexed=True),
          F("term_id", ref="terms"), F("section_number"),
          F("period", INT), F("room"), F("teacher_id", ref="staff", indexed=True),
          F("capacity", INT)),
    # One row per student: its version moves with every schedule change, so
    # an edit made against an older program is recognised as stale.
    _kind("programs",
          F("student_id", ref="students", indexed=True),
          F("updated_by", required=False),
          # The edit that made the last change: a workstation's next edit
          # of the same student, made after it offline, names it.
          F("last_mutation_id", required=False), authority="conflict"),
    _kind("section_enrollments",
          F("student_id", ref="students", indexed=True),
          F("section_id", ref="sections", indexed=True),
          F("begin_date", DATE), F("end_date", DATE, required=False),
          authority="conflict"),
    # Next school year's course requests (rank 1 matters most).
    _kind("course_requests",
          F("student_id", ref="students", indexed=True),
          F("school_year_id", ref="school_years"), F("course_id", ref="courses"),
          F("rank", INT)),
    # What a complete schedule is for a grade: periods 1..required_periods
    # each taken, and one course of each required group ("ENG9;ALG1|GEOM").
    _kind("grade_requirements",
          F("grade_level", INT), F("required_periods", INT), F("required_courses")),
    # Final marks of past terms (this school's and earlier schools').
    _kind("transcript_entries",
          F("student_id", ref="students", indexed=True), F("school_year"),
          F("grade_level", INT), F("term"), F("course_code"), F("course_title"),
          F("mark"), F("credits_attempted", REAL), F("credits_earned", REAL)),
    # A student's marks in a section for a marking period (report cards):
    # academic A-F, I (incomplete) or NM (no mark); work habits and
    # cooperation E/S/U; comment codes separated by spaces. The last write
    # wins; every write is audited, with a reason once the period closed.
    _kind("grade_marks",
          F("student_id", ref="students", indexed=True),
          F("section_id", ref="sections", indexed=True),
          F("marking_period_id", ref="marking_periods"), F("mark"),
          F("work_habits", required=False), F("cooperation", required=False),
          F("comments", required=False), F("entered_by"), F("entered_at"),
          authority="last_write"),
    # Each report card printed (a mark changed afterwards calls for a reprint).
    _kind("report_card_prints",
          F("student_id", ref="students", indexed=True),
          F("marking_period_id", ref="marking_periods"),
          F("printed_at"), F("printed_by", required=False)),
    # A student's move from another school of the district: the receiving
    # school asks, the sending school (or the district office) approves or
    # refuses. Each school holds its own copy: the receiving school's shows
    # what its clerk typed and nothing of the student until approval.
    _kind("transfer_requests",
          F("district_student_id"), F("birth_date", DATE, required=False),
          F("student_id", required=False), F("student_name", required=False),
          F("grade_level", INT), F("entry_date", DATE), F("entry_code"),
          F("school_enrollment_id"),
          F("from_school_id", required=False), F("from_school_name", required=False),
          F("to_school_id"), F("to_school_name"),
          # requested, approved, refused, cancelled
          F("status"), F("requested_by"), F("requested_at"),
          F("decided_by", required=False), F("decided_at", required=False),
          F("note", required=False), F("decision_note", required=False)),
    _kind("attendance_codes",
          F("code"), F("label"), F("label_es"),
          # present, absent, tardy, suspension, activity, study
          F("category"), F("excused", BOOL), F("counts_as_present", BOOL),
          F("key", required=False)),
    # Exceptions only: absences, tardies and their corrections. A section
    # with a submission and no mark for a student means present.
    _kind("attendance_marks",
          F("student_id", ref="students", indexed=True),
          # empty for a daily (all-day) mark
          F("section_id", required=False),
          F("date", DATE, indexed=True), F("period", INT), F("code"),
          F("minutes_late", INT, required=False),
          F("note", required=False),
          F("recorded_by"), F("recorded_at"), F("workstation", required=False),
          authority="last_write"),
    _kind("attendance_submissions",
          F("section_id", ref="sections", indexed=True),
          F("date", DATE, indexed=True), F("period", INT),
          F("submitted_by"), F("submitted_at"), F("late", BOOL),
          authority="last_write"),
)

KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}

# Kinds in an order where every reference points to an earlier kind.
LOAD_ORDER: tuple[str, ...] = tuple(k.name for k in KINDS)


def kind(name: str) -> Kind:
    try:
        return KINDS_BY_NAME[name]
    except KeyError:
        raise UnknownKind(name) from None


class UnknownKind(KeyError):
    def __str__(self) -> str:
        return f"unknown record kind {self.args[0]!r}"


def attendance_mark_id(student_id: str, section_id: str | None, date: str, period: int) -> str:
    """The natural key of a mark, so two workstations marking the same
    student, section, date and period write the same record."""
    return f"{student_id}|{section_id or ''}|{date}|{period}"


def grade_mark_id(student_id: str, section_id: str, marking_period_id: str) -> str:
    """The natural key of a report-card mark: two teachers' entries of the
    same student, section and marking period write the same record."""
    return f"{student_id}|{section_id}|{marking_period_id}"


def attendance_submission_id(section_id: str, date: str, period: int) -> str:
    return f"{section_id}|{date}|{period}"


def record_from_row(k: Kind, row: tuple[Any, ...]) -> dict[str, Any]:
    """A wire row (in `wire_columns` order) as a dict."""
    return dict(zip(k.wire_columns, row))
