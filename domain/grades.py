"""Report-card marks (LAUSD secondary): what a mark may be, what it is worth,
and the comment codes a teacher picks from, in English and Spanish."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Academic marks: A-F, I incomplete, NM no mark (not counted in the GPA).
ACADEMIC_MARKS = ("A", "B", "C", "D", "F", "I", "NM")
# Work habits and cooperation: excellent, satisfactory, unsatisfactory.
CONDUCT_MARKS = ("E", "S", "U")
GRADE_POINTS = {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0, "F": 0.0}
MARK_LABELS = {"A": ("Excellent", "Excelente"), "B": ("Above average", "Superior al promedio"),
               "C": ("Average", "Promedio"), "D": ("Below average", "Inferior al promedio"),
               "F": ("Failing", "Reprobado"), "I": ("Incomplete", "Incompleto"),
               "NM": ("No mark", "Sin calificación")}
CONDUCT_LABELS = {"E": ("Excellent", "Excelente"), "S": ("Satisfactory", "Satisfactorio"),
                  "U": ("Unsatisfactory", "Insatisfactorio")}


@dataclass(frozen=True)
class CommentCode:
    code: str
    en: str
    es: str


COMMENT_CODES: tuple[CommentCode, ...] = (
    CommentCode("01", "A pleasure to have in class", "Es un placer tenerle en clase"),
    CommentCode("02", "Shows steady improvement", "Muestra progreso constante"),
    CommentCode("03", "Participates actively", "Participa activamente"),
    CommentCode("04", "Work is often late or missing", "Entrega tareas tarde o no las entrega"),
    CommentCode("05", "Absences affect progress", "Las ausencias afectan su progreso"),
    CommentCode("06", "Needs to study for tests", "Necesita estudiar para los exámenes"),
    CommentCode("07", "Please contact the teacher", "Favor de comunicarse con el maestro"),
    CommentCode("08", "Tardies affect progress", "Las tardanzas afectan su progreso"),
    CommentCode("09", "Does excellent work", "Hace un trabajo excelente"),
    CommentCode("10", "In danger of failing", "En peligro de reprobar"),
)
COMMENT_BY_CODE = {c.code: c for c in COMMENT_CODES}
MAX_COMMENTS = 3


class InvalidMark(ValueError):
    """A mark that isn't one; the message says what would be."""


def check_marks(mark: str, work_habits: str | None = None, cooperation: str | None = None,
                comments: str | None = None) -> tuple[str, str | None, str | None, str | None]:
    """The marks as stored (upper case, comment codes space-separated), or
    InvalidMark naming the field and what it may be."""
    academic = (mark or "").strip().upper()
    if academic not in ACADEMIC_MARKS:
        raise InvalidMark(f"{mark!r} is not a mark: use {', '.join(ACADEMIC_MARKS)}")
    conduct = []
    for what, value in (("work habits", work_habits), ("cooperation", cooperation)):
        v = (value or "").strip().upper() or None
        if v is not None and v not in CONDUCT_MARKS:
            raise InvalidMark(f"{value!r} is not a {what} mark: use E, S or U")
        conduct.append(v)
    codes = list(dict.fromkeys((comments or "").replace(",", " ").split()))  # once each
    unknown = [c for c in codes if c not in COMMENT_BY_CODE]
    if unknown:
        raise InvalidMark(f"comment code {unknown[0]!r} does not exist: use "
                          f"{COMMENT_CODES[0].code}–{COMMENT_CODES[-1].code}")
    if len(codes) > MAX_COMMENTS:
        raise InvalidMark(f"at most {MAX_COMMENTS} comment codes a class, not {len(codes)}")
    return academic, conduct[0], conduct[1], " ".join(codes) or None


def gpa(marks: Iterable[str]) -> float | None:
    """Unweighted grade point average of A-F marks; None when there are none."""
    points = [GRADE_POINTS[m] for m in marks if m in GRADE_POINTS]
    return round(sum(points) / len(points), 2) if points else None
