"""Report-card marks (`grade.mark`), and report cards going to paper
(`report_card.printed`). The last mark to reach the server wins; every
change is audited, and one made after its marking period closed carries
its reason."""
from __future__ import annotations

from district_server.services import scheduling
from district_server.services.attendance_status import school_today
from district_server.services.clock import now_iso
from district_server.services.edit_context import Context, Outcome, Rejected
from domain.edits import grade_mark_record
from domain.grades import InvalidMark
from domain.mutations import APPLIED
from domain.records import grade_mark_id
from domain.scheduling import Entry


def mark(ctx: Context) -> Outcome:
    p = ctx.payload
    mark_id = grade_mark_id(p["student_id"], p["section_id"], p["marking_period_id"])
    ctx.keys = [("grade_marks", mark_id)]
    ctx.need("students", p["student_id"], "student")
    section = ctx.need("sections", p["section_id"], "section")
    period = ctx.need("marking_periods", p["marking_period_id"], "marking period")
    try:
        record = grade_mark_record(p, entered_by=ctx.user.username, entered_at=now_iso())
    except InvalidMark as exc:
        raise Rejected(str(exc)) from None
    _check_in_section_during(ctx, section, period)
    old = ctx.changes.get("grade_marks", mark_id)
    changed = old is not None and any(old[f] != record[f] for f in MARK_FIELDS)
    reason = (p.get("reason") or "").strip() or None
    if changed and period["end_date"] < school_today() and reason is None:
        raise Rejected(f"{period['name']} closed on {period['end_date']}: changing a mark "
                       "after that needs a reason")
    ctx.changes.put("grade_marks", record, reason=reason)
    return Outcome(APPLIED, ctx.keys)


MARK_FIELDS = ("mark", "work_habits", "cooperation", "comments")


def _check_in_section_during(ctx: Context, section: dict, period: dict) -> None:
    """A mark is for a class the student was in during the marking period:
    no report card would show any other (domain.report_cards.sections_on_card)."""
    entries = [Entry(e["id"], e["student_id"], e["section_id"], e["begin_date"], e["end_date"])
               for e in ctx.changes.find("section_enrollments", student_id=ctx.payload[
                   "student_id"]) if e["section_id"] == section["id"]]
    number = section["section_number"]
    if not entries:
        raise Rejected(f"the student was never in section {number}")
    catalog = scheduling.load_catalog(ctx.conn, ctx.changes.school_id, [section["id"]])
    spans = [catalog.entry_span(e) for e in entries]
    if any(first <= last and first <= period["end_date"] and last >= period["start_date"]
           for first, last in spans):
        return
    start, end = catalog.span(catalog.sections[section["id"]])
    if end < period["start_date"] or start > period["end_date"]:
        when = f"the section meets {start} to {end}"
    elif all(e.end_date and e.end_date < period["start_date"] for e in entries):
        when = f"left on {max(e.end_date or '' for e in entries)}"
    else:
        when = f"began on {min(e.begin_date for e in entries)}"
    raise Rejected(f"the student was not in section {number} during {period['name']} ({when})")


def card_printed(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("report_card_prints", p["print_id"])]
    ctx.need("students", p["student_id"], "student")
    ctx.need("marking_periods", p["marking_period_id"], "marking period")
    ctx.changes.put("report_card_prints", {
        "id": p["print_id"], "student_id": p["student_id"],
        # Server time, as the marks' entered_at is: "changed after printing"
        # compares the two (DESIGN.md: server time decides order).
        "marking_period_id": p["marking_period_id"], "printed_at": now_iso(),
        "printed_by": ctx.user.username}, audit_it=False)
    return Outcome(APPLIED, ctx.keys)
