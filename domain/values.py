"""Checking single values against a field type, with reasons a person can read."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from domain.records import BOOL, DATE, INT, REAL, STR, TIME, Field

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# Whole numbers fit a 32-bit column on every database.
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class InvalidValue(ValueError):
    """A value that doesn't fit its field; the message names the field."""


# A list of objects, each checked against its own fields (an edit that
# carries several rows, like a section's attendance marks).
OBJECTS = "objects"


@dataclass(frozen=True)
class ObjectList(Field):
    """A field holding a list of objects; errors name the item as
    ``marks[3].code`` (0-based, as the list is indexed in the payload)."""

    type: str = OBJECTS
    item_fields: tuple[Field, ...] = ()
    max_items: int = 200
    # An item field whose value may appear once only in the list.
    unique_by: str | None = None


# C0 control characters a person never types into a field; tab and line
# breaks are kept (a note may have several lines). NUL in particular can't be
# stored in PostgreSQL text and once blocked a workstation's every sync.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_problem(value: str) -> str | None:
    """Why this text can't be stored, in words, or None when it can."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a broken character (a lone UTF-16 surrogate)"
    bad = _CONTROL.search(value)
    if bad:
        char = bad.group()
        name = "a NUL byte" if char == "\x00" else f"control character {ord(char):#04x}"
        return f"holds {name}, which can't be stored"
    return None


def parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def check_value(field: Field, value: Any, *, what: str = "") -> Any:
    """Return `value` if it fits `field`, else raise InvalidValue."""
    label = f"{what}{field.name}"
    if value is None or value == "" and field.type != STR:
        if field.required:
            raise InvalidValue(f"{label} is required")
        return None
    if field.type == STR:
        if not isinstance(value, str):
            raise InvalidValue(f"{label} must be text, not {type(value).__name__}")
        if field.required and not value.strip():
            raise InvalidValue(f"{label} is required")
        if len(value) > 2000:
            raise InvalidValue(f"{label} is longer than 2000 characters")
        if problem := text_problem(value):
            raise InvalidValue(f"{label} {problem}: remove it and try again")
        return value
    if field.type == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"{label} must be a whole number, not {value!r}")
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidValue(f"{label} is out of range: {value}")
        return value
    if field.type == REAL:
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise InvalidValue(f"{label} must be a number, not {value!r}")
        return float(value)
    if field.type == BOOL:
        if not isinstance(value, bool):
            raise InvalidValue(f"{label} must be true or false, not {value!r}")
        return value
    if field.type == DATE:
        try:
            # Only the YYYY-MM-DD form: it is what is stored, and it sorts as
            # the date does (fromisoformat also takes week dates: 2026-W07-1).
            if not isinstance(value, str) or parse_date(value).isoformat() != value:
                raise ValueError
        except ValueError:
            raise InvalidValue(f"{label} must be a date like 2026-09-14, not {value!r}") from None
        return value
    if field.type == TIME:
        if not isinstance(value, str) or not _TIME.fullmatch(value):
            raise InvalidValue(f"{label} must be a time like 08:05, not {value!r}")
        return value
    if field.type == OBJECTS:
        assert isinstance(field, ObjectList)
        return _check_objects(field, value, label)
    raise AssertionError(f"unknown field type {field.type}")


def _check_objects(field: ObjectList, value: Any, label: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise InvalidValue(f"{label} must be a list, not {type(value).__name__}")
    if len(value) > field.max_items:
        raise InvalidValue(f"{label} may hold at most {field.max_items} entries, "
                           f"not {len(value)}")
    known = {f.name for f in field.item_fields}
    seen: dict[Any, int] = {}
    out = []
    for i, item in enumerate(value):
        where = f"{label}[{i}]"
        if not isinstance(item, dict):
            raise InvalidValue(f"{where} must be an object")
        extra = sorted(set(item) - known)
        if extra:
            raise InvalidValue(f"{where} unknown field {extra[0]!r}")
        checked = {f.name: check_value(f, item.get(f.name), what=f"{where}.")
                   for f in field.item_fields}
        if field.unique_by is not None:
            key = checked[field.unique_by]
            if key in seen:
                raise InvalidValue(f"{where}.{field.unique_by} {key!r} appears twice "
                                   f"(also in {field.name}[{seen[key]}])")
            seen[key] = i
        out.append(checked)
    return out


def check_fields(fields: tuple[Field, ...], data: Any, *, what: str = "") -> dict[str, Any]:
    """Check a dict of values for `fields`; unknown keys are an error too."""
    if not isinstance(data, dict):
        raise InvalidValue(f"{what}payload must be an object")
    known = {f.name for f in fields}
    extra = sorted(set(data) - known)
    if extra:
        raise InvalidValue(f"{what}unknown field {extra[0]!r}")
    return {f.name: check_value(f, data.get(f.name), what=what) for f in fields}
