"""Code tables: attendance, enrollment entry and withdrawal, languages.

California-style codes (DESIGN.md, "Attendance"). The attendance code table
is sent to each school as records so a district can extend it; these are
its defaults.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AttendanceCode:
    code: str
    label: str
    label_es: str
    category: str  # present, absent, tardy, suspension, activity, study
    excused: bool
    counts_as_present: bool
    key: str  # the one key a clerk presses for it


ATTENDANCE_CODES: tuple[AttendanceCode, ...] = (
    AttendanceCode("P", "Present", "Presente", "present", True, True, "P"),
    AttendanceCode("A", "Absent, unexcused", "Ausente sin justificar", "absent", False, False, "A"),
    AttendanceCode("E", "Absent, excused", "Ausente justificado", "absent", True, False, "E"),
    AttendanceCode("T", "Tardy, under 30 minutes", "Tarde, menos de 30 minutos", "tardy", False, True, "T"),
    AttendanceCode("L", "Tardy, 30 minutes or more", "Tarde, 30 minutos o más", "tardy_long", False, True, "L"),
    AttendanceCode("X", "Tardy, excused", "Tarde justificado", "tardy", True, True, "X"),
    AttendanceCode("S", "Suspension", "Suspensión", "suspension", True, False, "S"),
    AttendanceCode("I", "In-school suspension", "Suspensión en la escuela", "suspension", True, True, "I"),
    AttendanceCode("F", "School activity / field trip", "Actividad escolar", "activity", True, True, "F"),
    AttendanceCode("D", "Independent study", "Estudio independiente", "study", True, True, "D"),
)
ATTENDANCE_CODE_BY_CODE = {c.code: c for c in ATTENDANCE_CODES}

ENTRY_CODES = {
    "E1": "First enrollment in a California school",
    "E2": "Re-enrollment from another school in the district",
    "E3": "Transfer in from another California district",
    "E4": "Transfer in from outside California",
    "E5": "Promotion from a school of the district",
}
WITHDRAWAL_CODES = {
    "W1": "Transfer to another school of the district",
    "W2": "Transfer to another California district",
    "W3": "Moved out of state",
    "W4": "Moved out of the country",
    "W5": "Enrolled in a private school",
    "W6": "Completed high school (graduated)",
    "W7": "Dropped out",
}

LANGUAGES = {"en": "English", "es": "Spanish", "ko": "Korean", "zh": "Chinese",
             "tl": "Tagalog", "vi": "Vietnamese", "hy": "Armenian", "ru": "Russian"}
ENGLISH_LEARNER_STATUSES = {"EO": "English only", "IFEP": "Initially fluent",
                            "EL": "English learner", "RFEP": "Reclassified fluent"}
GENDERS = {"F": "Female", "M": "Male", "X": "Nonbinary"}
GRADE_LEVELS = tuple(range(0, 13))  # 0 = kindergarten


def grade_label(level: int) -> str:
    return "K" if level == 0 else str(level)
