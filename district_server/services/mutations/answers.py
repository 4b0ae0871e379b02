"""What a push answers for each edit, and the row that makes a retry get
the same answer (shared by both push paths)."""
from __future__ import annotations

import json
import logging
from typing import Any

from district_server.services.auth import CurrentUser
from district_server.services.clock import now_iso
from district_server.services.edit_context import Outcome
from domain.mutations import OPS, REJECTED

log = logging.getLogger(__name__)


def answer_to(m: dict[str, Any], outcome: Outcome, records: list[dict]) -> dict[str, Any]:
    answer: dict[str, Any] = {"mutation_id": m["mutation_id"], "status": outcome.status}
    if outcome.reason:
        answer["reason"] = outcome.reason
    answer["records"] = records
    return answer


def refused_for_role(user: CurrentUser, m: dict[str, Any]) -> dict[str, Any] | None:
    """The answer to an edit the user's role may not send (`OPS[op].roles`),
    or None if it may: both push paths ask before they apply the edit."""
    op = OPS[m["op"]]
    if user.role in op.roles:
        return None
    # Answered, not refused as a whole: the edits behind it still go
    # through, and the person sees why this one didn't.
    return answer_to(m, Outcome(REJECTED, [], f"a {user.role} may not {op.words}: "
                                               "ask a counselor or an administrator"), [])


def unreadable(m: dict[str, Any]) -> dict[str, Any]:
    """The answer to a malformed edit: refused on its own, with the reason."""
    return {"mutation_id": m["mutation_id"], "status": REJECTED,
            "reason": f"this change could not be read by the server: {m['invalid']}",
            "records": []}


def fault(m: dict[str, Any]) -> str:
    reference = m["mutation_id"][:8]
    log.exception("edit %s (%s) failed on the server", m["mutation_id"], m["op"])
    return (f"the server could not apply this change because of a fault of its own "
            f"(reference {reference}); nothing of it was saved. Tell the help desk")


def row_to_keep(m: dict[str, Any], answer: dict[str, Any], user: CurrentUser, school_id: str,
                workstation: str | None) -> dict[str, Any]:
    """The mutations row that makes a retried push get the same answer."""
    return {"mutation_id": m["mutation_id"], "school_id": school_id, "user_id": user.id,
            "workstation": workstation, "op": m.get("op") or "?", "received_at": now_iso(),
            "status": answer["status"], "answer": json.dumps(answer)}


def stored_answer(row, school_id: str) -> dict[str, Any]:
    if row.school_id != school_id:
        return {"mutation_id": row.mutation_id, "status": REJECTED,
                "reason": "this change was already sent for another school"}
    out = json.loads(row.answer)
    out["replayed"] = True
    return out
