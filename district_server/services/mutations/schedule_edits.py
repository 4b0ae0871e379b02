"""Schedule edits (`schedule.*`), the master schedule (`section.save`) and
next year's course requests (`request.*`): the server decides, with the
checks a counselor saw on the workstation. A schedule edit made against a
stale program is a conflict, kept for the counselor to settle."""
from __future__ import annotations

from typing import Any

from district_server.services import enrollment, scheduling
from district_server.services.attendance_status import school_today
from district_server.services.edit_context import Context, Outcome, Rejected, program_keys
from domain.edits import program_id
from domain.mutations import APPLIED, CONFLICT
from domain.scheduling import (
    Entry,
    Section,
    blocking,
    check_change,
    needing_reason,
    teacher_clash,
)


def _check_program_version(ctx: Context, student_id: str) -> Outcome | None:
    """A conflict if someone else changed the program since the edit's base
    version; this workstation's own earlier edit (`after_mutation_id`) being
    the last change is not someone else's."""
    ctx.need("students", student_id, "student")
    program = ctx.changes.get("programs", program_id(student_id))
    current = program["version"] if program else 0
    after = ctx.payload.get("after_mutation_id")
    own_last = after is not None and program is not None and program["last_mutation_id"] == after
    if ctx.base_version is not None and current > ctx.base_version and not own_last:
        # The edit's own records too: the workstation drops what the server lacks.
        keys = list(dict.fromkeys(ctx.keys + program_keys(ctx, student_id)))
        return Outcome(CONFLICT, keys,
                       "This student's schedule was changed by someone else since you "
                       "made this edit. Compare both versions and decide.")
    return None


def _touch_program(ctx: Context, student_id: str) -> None:
    ctx.changes.put("programs", {"id": program_id(student_id), "student_id": student_id,
                                 "updated_by": ctx.user.username,
                                 "last_mutation_id": ctx.changes.mutation_id})


def _check_schedule_rules(ctx: Context, *, student_id: str, on: str, add_id: str | None,
                          drop: dict[str, Any] | None) -> None:
    """The checks a counselor saw on the workstation, made again here where
    the whole school's edits meet: one that blocks, or one that needs a
    reason sent without one, refuses the edit with its own words."""
    conn, school = ctx.conn, ctx.changes.school_id
    program = scheduling.entries_of(conn, school, student_id)
    catalog = scheduling.load_catalog(
        conn, school, [e.section_id for e in program] + ([add_id] if add_id else []))
    if add_id is not None and add_id not in catalog.sections:
        raise Rejected(f"section {add_id!r} does not exist at this school")
    current = enrollment.active_enrollment(ctx.changes, student_id)
    grade = current["grade_level"] if current else ctx.changes.get(
        "students", student_id)["grade_level"]
    findings = check_change(
        catalog=catalog, program=program, grade_level=grade, on=on,
        add=catalog.sections[add_id] if add_id else None,
        drop=_as_entry(drop) if drop else None,
        enrolled_in_add=scheduling.enrolled_in_section(conn, school, add_id, on) if add_id else 0,
        history=scheduling.history_of(conn, school, student_id) if add_id else ())
    refused = blocking(findings) or ([] if ctx.payload.get("override_reason")
                                     else needing_reason(findings))
    if refused:
        raise Rejected(" ".join(f.message for f in refused))


def _as_entry(r: dict[str, Any]) -> Entry:
    return Entry(r["id"], r["student_id"], r["section_id"], r["begin_date"], r["end_date"])


def _new_entry(ctx: Context, entry_id: str, section_id: str, begin: str) -> None:
    if ctx.changes.get("section_enrollments", entry_id) is not None:  # by its key, not a scan
        raise Rejected("this schedule entry already exists")
    ctx.changes.put("section_enrollments", {
        "id": entry_id, "student_id": ctx.payload["student_id"], "section_id": section_id,
        "begin_date": begin, "end_date": None}, reason=ctx.payload.get("override_reason"))


def _entry_to_drop(ctx: Context) -> dict[str, Any]:
    p = ctx.payload
    entry = ctx.need("section_enrollments", p["section_enrollment_id"], "schedule entry")
    if entry["student_id"] != p["student_id"]:
        raise Rejected("that schedule entry belongs to another student")
    return entry


def add_class(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    _check_schedule_rules(ctx, student_id=p["student_id"], on=p["begin_date"],
                          add_id=p["section_id"], drop=None)
    _new_entry(ctx, p["section_enrollment_id"], p["section_id"], p["begin_date"])
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def drop_class(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    entry = _entry_to_drop(ctx)
    if p["end_date"] < entry["begin_date"]:
        raise Rejected(f"the drop date {p['end_date']} is before the class began "
                       f"({entry['begin_date']})")
    # The entry ends; its marks and attendance stay where they are.
    ctx.changes.put("section_enrollments", {**entry, "end_date": p["end_date"]})
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def swap_class(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("section_enrollments", p["new_section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    entry = _entry_to_drop(ctx)
    if p["begin_date"] <= p["end_date"]:
        raise Rejected(f"the new class must begin after the old one ends ({p['end_date']})")
    _check_schedule_rules(ctx, student_id=p["student_id"], on=p["begin_date"],
                          add_id=p["section_id"], drop={**entry, "end_date": p["end_date"]})
    ctx.changes.put("section_enrollments", {**entry, "end_date": p["end_date"]})
    _new_entry(ctx, p["new_section_enrollment_id"], p["section_id"], p["begin_date"])
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def save_section(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("sections", p["section_id"])]
    ctx.need("courses", p["course_id"], "course")
    ctx.need("terms", p["term_id"], "term")
    ctx.need("staff", p["teacher_id"], "teacher")
    if not 1 <= p["capacity"] <= 200:
        raise Rejected(f"a section's capacity must be between 1 and 200, not {p['capacity']}")
    periods = {r["number"] for r in ctx.changes.find("bell_periods")}
    if p["period"] not in periods:
        raise Rejected(f"period {p['period']} is not in this school's bell schedule")
    existing = ctx.changes.get("sections", p["section_id"])
    if existing is not None and (existing["period"], existing["term_id"]) != (p["period"],
                                                                           p["term_id"]):
        today = school_today()
        seated = sum(1 for e in ctx.changes.find("section_enrollments", section_id=p["section_id"])
                     if e["end_date"] is None or e["end_date"] >= today)
        if seated:
            raise Rejected(f"{seated} students are in section {existing['section_number']}: "
                           "moving it to another period or term would give them two classes "
                           "at once. Move them first, or open a new section.")
    section = Section(p["section_id"], p["course_id"], p["term_id"], p["section_number"],
                      p["period"], p["room"], p["teacher_id"], p["capacity"])
    catalog = scheduling.load_catalog(ctx.conn, ctx.changes.school_id, [
        s["id"] for s in ctx.changes.find("sections", teacher_id=p["teacher_id"])])
    catalog.sections = {**catalog.sections, section.id: section}
    clash = teacher_clash(catalog, section)
    if clash is not None:
        raise Rejected(f"that teacher already teaches {catalog.describe(clash)} in period "
                       f"{p['period']} ({catalog.terms[clash.term_id].name})")
    ctx.changes.put("sections", {"id": p["section_id"], "course_id": p["course_id"],
                                 "term_id": p["term_id"], "section_number": p["section_number"],
                                 "period": p["period"], "room": p["room"],
                                 "teacher_id": p["teacher_id"], "capacity": p["capacity"]})
    return Outcome(APPLIED, ctx.keys)


# --- next year's course requests: the server decides

MAX_REQUESTS = 12  # courses one student may request for a year (with alternates)


def add_request(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("course_requests", p["request_id"])]
    ctx.need("students", p["student_id"], "student")
    ctx.need("school_years", p["school_year_id"], "school year")
    course = ctx.need("courses", p["course_id"], "course")
    if not 1 <= p["rank"] <= MAX_REQUESTS:
        raise Rejected(f"a request's rank is 1 to {MAX_REQUESTS}, not {p['rank']}")
    same_id = ctx.changes.get("course_requests", p["request_id"])
    if same_id is not None and same_id["student_id"] != p["student_id"]:
        raise Rejected("that request belongs to another student")
    theirs = [r for r in ctx.changes.find("course_requests", student_id=p["student_id"])
              if r["school_year_id"] == p["school_year_id"] and r["id"] != p["request_id"]]
    if any(r["course_id"] == p["course_id"] for r in theirs):
        raise Rejected(f"{course['title']} is already among this student's requests")
    if len(theirs) >= MAX_REQUESTS:
        raise Rejected(f"this student already has {MAX_REQUESTS} requests for that year")
    ctx.changes.put("course_requests", {"id": p["request_id"], "student_id": p["student_id"],
                                        "school_year_id": p["school_year_id"],
                                        "course_id": p["course_id"], "rank": p["rank"]})
    return Outcome(APPLIED, ctx.keys)


def remove_request(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("course_requests", p["request_id"])]
    request = ctx.changes.get("course_requests", p["request_id"])
    if request is None:  # already gone: removing it again changes nothing
        return Outcome(APPLIED, ctx.keys)
    if request["student_id"] != p["student_id"]:
        raise Rejected("that request belongs to another student")
    ctx.changes.remove("course_requests", p["request_id"], reason="request removed")
    return Outcome(APPLIED, ctx.keys)
