"""A push: one transaction holding the school's sequence row.

Each mutation runs in a savepoint: a rejected one leaves no trace but its
answer, and never blocks the ones behind it. Every answer is stored with
the mutation id, so a retried push returns the same answers and changes
nothing. Audit rows and stored answers are written once per push, records
of one kind in one statement (`SchoolChanges.put_many`), and a handler
that checks everything before its first write skips the savepoint. On
PostgreSQL a push of attendance edits only goes by `attendance_pg`.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from district_server.services.access_log import Caller
from district_server.services.auth import CurrentUser
from district_server.services.changes import SchoolChanges, current_records, insert_many
from district_server.services.edit_context import Context, Outcome, Rejected
from district_server.services.mutations import attendance_edits, attendance_pg
from district_server.services.mutations.answers import (
    answer_to,
    fault,
    refused_for_role,
    row_to_keep,
    stored_answer,
    unreadable,
)
from district_server.services.mutations.handlers import CHECKS_BEFORE_WRITING, HANDLERS
from district_server.store.db import writer
from district_server.store.tables import access_log, mutations
from domain.mutations import REJECTED, check_batch


def push(engine, *, user: CurrentUser, school_id: str, workstation: str | None,
         batch: Any, caller: Caller | None = None) -> list[dict[str, Any]]:
    """Apply a batch in order; one answer per mutation, in the same order."""
    checked = check_batch(batch)
    if checked and engine.dialect.name == "postgresql" and all(
            m.get("op") in CHECKS_BEFORE_WRITING and "invalid" not in m and "same_as" not in m
            for m in checked):
        return attendance_pg.push_attendance(engine, user=user, school_id=school_id,
                                             workstation=workstation, checked=checked)
    with writer(engine) as conn:
        changes = SchoolChanges(conn, school_id, user_id=user.id, username=user.username,
                                workstation=workstation)
        ids = [m["mutation_id"] for m in checked]
        stored = {r.mutation_id: r for r in conn.execute(
            sa.select(mutations.c.mutation_id, mutations.c.school_id, mutations.c.answer)
            .where(mutations.c.mutation_id.in_(ids)))} if ids else {}
        answers: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        looked_up: list[dict[str, Any]] = []
        for m in checked:
            if "same_as" in m:  # the same edit twice in one push: one answer
                answers.append(answers[m["same_as"]])
                continue
            if m["mutation_id"] in stored:
                answers.append(stored_answer(stored[m["mutation_id"]], school_id))
                continue
            answer = unreadable(m) if "invalid" in m else _apply_one(
                changes, user, m, caller=caller, access_rows=looked_up)
            answers.append(answer)
            kept.append(row_to_keep(m, answer, user, school_id, workstation))
        changes.close()
        insert_many(conn, mutations, kept)
        insert_many(conn, access_log, looked_up)
    return answers


def _apply_one(changes: SchoolChanges, user: CurrentUser, m: dict[str, Any], *,
               caller: Caller | None = None,
               access_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    refused = refused_for_role(user, m)
    if refused is not None:
        return refused
    conn = changes.conn
    changes.mutation_id = m["mutation_id"]
    ctx = Context(changes, user, m["payload"], m["base_version"],
                  facts=attendance_edits.DbFacts(conn, changes.school_id), caller=caller,
                  access_rows=access_rows if access_rows is not None else [])
    point = changes.checkpoint()
    # Handlers that check before writing need no savepoint to be refused; on
    # PostgreSQL a failed statement spoils the transaction, so it takes one.
    checks_first = m["op"] in CHECKS_BEFORE_WRITING and conn.dialect.name != "postgresql"
    savepoint = None if checks_first else conn.begin_nested()
    try:
        outcome = HANDLERS[m["op"]](ctx)
        if savepoint is not None:
            savepoint.commit()
    except Rejected as exc:
        if savepoint is not None:
            savepoint.rollback()
        elif changes.checkpoint() != point:
            raise RuntimeError(f"{m['op']} refused an edit after writing part of it") from exc
        changes.rewind(point)
        outcome = Outcome(REJECTED, ctx.keys, str(exc))
    except TRANSIENT:
        raise  # the database or its connection: the whole push is retried
    except Exception:
        # A fault of the server's own: this edit alone is refused, the rest go on.
        if savepoint is not None:
            savepoint.rollback()
        elif changes.checkpoint() != point:
            raise
        changes.rewind(point)
        outcome = Outcome(REJECTED, ctx.keys, fault(m))
    return answer_to(m, outcome,
                     current_records(conn, changes.school_id, outcome.keys, outcome.known))


# Failures of the database itself, not of one edit: the push fails and the
# workstation sends it again later.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)
