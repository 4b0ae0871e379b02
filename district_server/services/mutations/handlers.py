"""The one table from an edit's name (`domain.mutations.OPS`) to the server
code that applies it."""
from __future__ import annotations

from collections.abc import Callable

from district_server.services import enrollment
from district_server.services.edit_context import Context, Outcome
from district_server.services.mutations import attendance_edits, grade_edits, schedule_edits

HANDLERS: dict[str, Callable[[Context], Outcome]] = {
    "attendance.mark": attendance_edits.mark,
    "attendance.submit": attendance_edits.submit,
    "schedule.add": schedule_edits.add_class,
    "schedule.drop": schedule_edits.drop_class,
    "schedule.swap": schedule_edits.swap_class,
    "section.save": schedule_edits.save_section,
    "request.add": schedule_edits.add_request,
    "request.remove": schedule_edits.remove_request,
    "grade.mark": grade_edits.mark,
    "report_card.printed": grade_edits.card_printed,
    "enrollment.enroll": enrollment.enroll,
    "enrollment.withdraw": enrollment.withdraw,
    "enrollment.transfer_in": enrollment.re_enroll,
    "transfer.request": enrollment.request_transfer,
    "transfer.approve": enrollment.approve_transfer,
    "transfer.refuse": enrollment.refuse_transfer,
    "transfer.cancel": enrollment.cancel_transfer,
}

# Handlers that refuse before their first write, so they need no savepoint
# (one that refused after writing would fail the whole push instead); on
# PostgreSQL a push of their edits only goes by `attendance_pg`.
_CHECK_FIRST = (attendance_edits.mark, attendance_edits.submit)
CHECKS_BEFORE_WRITING = frozenset(op for op, handler in HANDLERS.items()
                                  if handler in _CHECK_FIRST)
