"""The append-only access log: who read which school's records, who signed
in or failed to, and every administrative action (DESIGN.md, "Security").

A row is written in its own short transaction right after the read it
records, so a failed write of the log never undoes the read's answer and a
long read never holds the write lock. Rows are only ever inserted; the
database refuses updates and deletes (migration 0004).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from district_server.services.clock import now_iso
from district_server.store.db import writer
from district_server.store.tables import access_log

log = logging.getLogger(__name__)

# What a row records, in words for the admin's screen.
ACTIONS = {
    "sign_in": "signed in",
    "sign_in_failed": "sign-in failed",
    "sign_in_throttled": "sign-in refused (too many failures)",
    "sign_out": "signed out",
    "snapshot": "loaded the whole school",
    "pull": "received changes",
    "history": "read a record's history",
    "record_opened": "opened a student's record",
    "duplicate_lookup": "checked the district for a duplicate student",
    "transfer_requested": "asked for a student's transfer",
    "user_created": "created a user",
    "sessions_revoked": "ended a user's sessions",
    "access_removed": "removed a user's access to a school",
    "user_deactivated": "deactivated a user",
    "user_reactivated": "reactivated a user",
    "password_reset": "reset a user's password",
    "password_changed": "changed their own password",
    "account_unlocked": "unlocked an account",
    "compacted": "compacted the change log",
    "access_log_read": "read the access log",
    "users_listed": "listed users",
}


@dataclass(frozen=True)
class Caller:
    """Who is asking, from where, and through which endpoint."""

    user_id: int | None
    username: str | None
    role: str | None
    workstation: str | None
    ip: str | None
    endpoint: str


def row(caller: Caller, action: str, *, school_id: str | None = None,
        records: int | None = None, detail: str | None = None, at: str | None = None,
        event_id: str | None = None) -> dict[str, Any]:
    assert action in ACTIONS, action
    return {"at": at or now_iso(), "user_id": caller.user_id, "username": caller.username,
            "role": caller.role, "workstation": caller.workstation, "ip": caller.ip,
            "action": action, "endpoint": caller.endpoint, "school_id": school_id,
            "records": records, "detail": detail, "event_id": event_id}


def record(target: Engine | Connection, caller: Caller, action: str, **details: Any) -> None:
    """Append one row: in the caller's transaction when given a connection,
    else in a short transaction of its own."""
    entry = row(caller, action, **details)
    if isinstance(target, Connection):
        target.execute(access_log.insert().values(**entry))
        return
    with writer(target) as conn:
        conn.execute(access_log.insert().values(**entry))


def record_events(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Append events a workstation reported; one sent twice is kept once.
    Returns how many were new."""
    if not rows:
        return 0
    with writer(engine) as conn:
        known = set(conn.execute(sa.select(access_log.c.event_id).where(
            access_log.c.event_id.in_([r["event_id"] for r in rows]))).scalars())
        fresh = [r for r in rows if r["event_id"] not in known]
        if fresh:
            conn.execute(access_log.insert(), fresh)
    return len(fresh)


def entries(engine: Engine, *, school_id: str | None, since: str | None, until: str | None,
            username: str | None, action: str | None, before_id: int | None,
            limit: int) -> list[dict[str, Any]]:
    """Newest first; `school_id` None is the whole district."""
    t = access_log
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if school_id is not None:
        query = query.where(t.c.school_id == school_id)
    if since:
        query = query.where(t.c.at >= since)
    if until:
        query = query.where(t.c.at < until)
    if username:
        query = query.where(t.c.username == username)
    if action:
        query = query.where(t.c.action == action)
    if before_id is not None:
        query = query.where(t.c.id < before_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
