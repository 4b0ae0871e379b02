"""What an edit's handler works with: the school's writer, the caller, the
payload, and the outcome it gives back (shared by the handler modules)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from district_server.services import access_log
from district_server.services.access_log import Caller
from district_server.services.auth import CurrentUser
from domain.edits import program_id


class Rejected(Exception):
    """An edit the server won't apply; the message is for the person who made it."""


@dataclass
class Outcome:
    status: str
    keys: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    # Wire rows of keys the handler has just written (not read back).
    known: dict[tuple[str, str], list[Any]] = field(default_factory=dict)


@dataclass
class Context:
    # SchoolChanges, or mutations.attendance_pg's _BatchWriter (same put/put_many).
    changes: Any
    user: CurrentUser
    payload: dict[str, Any]
    base_version: int | None
    # Records the client may hold a local edit of: the answer carries their
    # server state so the workstation can put its cache right.
    keys: list[tuple[str, str]] = field(default_factory=list)
    # What attendance edits are checked against (DbFacts or Prefetched).
    facts: Any = None
    # Who sent the push, from where: lookups across the district go to the
    # access log (written with the push, kept even if this edit is refused).
    caller: Caller | None = None
    access_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conn(self):
        return self.changes.conn

    def need(self, kind: str, record_id: str | None, what: str) -> dict[str, Any]:
        record = self.changes.get(kind, record_id) if record_id else None
        if record is None:
            raise Rejected(f"{what} {record_id!r} does not exist at this school")
        return record

    def access(self, action: str, *, detail: str | None = None) -> None:
        if self.caller is not None:
            self.access_rows.append(access_log.row(
                self.caller, action, school_id=self.changes.school_id, detail=detail))


def program_keys(ctx: Context, student_id: str) -> list[tuple[str, str]]:
    """A student's program and its classes: what an answer carries back so
    the workstation's copy of the schedule is put right."""
    keys = [("programs", program_id(student_id))]
    keys += [("section_enrollments", r["id"])
             for r in ctx.changes.find("section_enrollments", student_id=student_id)]
    return keys
