"""The server's version of the records a waiting edit changed, kept beside
the outbox so the edit can be taken back (`LocalStore.cancel`).

The first waiting edit of a record keeps the version it replaced (the
server's, as last pulled or bootstrapped); a pull of a newer server version
of a held record updates it; an edit leaving the outbox hands it on to the
next waiting edit of the same record.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.records import kind as kind_of
from local_store.changes import Key
from local_store.schema import outbox, outbox_keys


def held_keys(conn: Connection) -> set[tuple[str, str]]:
    return {(k, r) for k, r in conn.execute(sa.select(outbox_keys.c.kind,
                                                      outbox_keys.c.record_id))}




def row(conn: Connection, kind: str, record_id: str) -> list | None:
    k = kind_of(kind)
    row = conn.exec_driver_sql(f"SELECT {', '.join(k.wire_columns)} FROM {kind} WHERE id = ?",
                               (record_id,)).first()
    return list(row) if row is not None else None


def apply_keeping_prior(conn: Connection, entry: dict[str, Any]) -> list[Key]:
    """Apply a waiting edit to the cache; for each record no earlier waiting
    edit holds, keep the version it replaces (the server's) beside it."""
    from local_store.edits import apply_locally

    held = held_keys(conn)
    # What the edit will touch isn't known before it runs: take the rows it
    # may replace from a savepoint's view of the cache.
    before: dict[Key, list | None] = {}
    conn.exec_driver_sql("SAVEPOINT peek")
    keys = apply_locally(conn, entry["op"], entry["payload"], entry["created_by"])
    conn.exec_driver_sql("ROLLBACK TO peek")
    conn.exec_driver_sql("RELEASE peek")
    for key in keys:
        if key not in held:
            before[key] = row(conn, *key)
    keys = apply_locally(conn, entry["op"], entry["payload"], entry["created_by"])
    if keys:
        conn.execute(outbox_keys.insert(), [
            {"mutation_id": entry["mutation_id"], "kind": k, "record_id": r,
             "prior": json.dumps({"row": before[(k, r)]}) if (k, r) in before else None}
            for k, r in dict.fromkeys(keys)])
    return keys


def keep_server_versions(conn: Connection, changes: list[dict]) -> None:
    """A pull brought a newer server version of a record a waiting edit holds:
    that is now what cancelling the edit returns to."""
    for c in changes:
        prior = json.dumps({"row": None if c.get("deleted") else c["row"]})
        conn.execute(outbox_keys.update()
                     .where(outbox_keys.c.kind == c["kind"])
                     .where(outbox_keys.c.record_id == c["id"])
                     .where(outbox_keys.c.prior.is_not(None)).values(prior=prior))


def hand_on_priors(conn: Connection, mutation_id: str) -> None:
    """An edit leaves the outbox: the server versions it kept pass to the
    next waiting edit of the same records."""
    kept = conn.execute(sa.select(outbox_keys.c.kind, outbox_keys.c.record_id,
                                  outbox_keys.c.prior)
                        .where(outbox_keys.c.mutation_id == mutation_id)
                        .where(outbox_keys.c.prior.is_not(None))).all()
    for kind, record_id, prior in kept:
        following = conn.execute(
            sa.select(outbox_keys.c.mutation_id)
            .join(outbox, outbox.c.mutation_id == outbox_keys.c.mutation_id)
            .where(outbox_keys.c.kind == kind).where(outbox_keys.c.record_id == record_id)
            .where(outbox_keys.c.mutation_id != mutation_id)
            .order_by(outbox.c.seq).limit(1)).scalar()
        if following is not None:
            conn.execute(outbox_keys.update().where(outbox_keys.c.mutation_id == following)
                         .where(outbox_keys.c.kind == kind)
                         .where(outbox_keys.c.record_id == record_id).values(prior=prior))


def held_before(conn: Connection, mutation_id: str, kind: str, record_id: str) -> bool:
    """Whether an earlier waiting edit holds the record (and its prior)."""
    return conn.execute(
        sa.select(outbox_keys.c.prior).where(outbox_keys.c.kind == kind)
        .where(outbox_keys.c.record_id == record_id)
        .where(outbox_keys.c.mutation_id != mutation_id)
        .where(outbox_keys.c.prior.is_not(None))).first() is not None


def restore_server_versions(conn: Connection, mutation_id: str, keys: set[Key]) -> set[Key]:
    """Put back the server's version of each record, from whichever waiting
    edit keeps it."""
    restored: set[Key] = set()
    for kind, record_id in keys:
        holders = conn.execute(
            sa.select(outbox_keys.c.mutation_id, outbox_keys.c.prior)
            .join(outbox, outbox.c.mutation_id == outbox_keys.c.mutation_id)
            .where(outbox_keys.c.kind == kind).where(outbox_keys.c.record_id == record_id)
            .order_by(outbox.c.seq)).all()
        kept = next((prior for _mid, prior in holders if prior is not None), None)
        if kept is None:
            continue
        row = json.loads(kept)["row"]
        conn.exec_driver_sql(f"DELETE FROM {kind_of(kind).name} WHERE id = ?", (record_id,))
        if row is not None:
            k = kind_of(kind)
            marks = ", ".join("?" * len(k.wire_columns))
            conn.exec_driver_sql(f"INSERT INTO {kind} ({', '.join(k.wire_columns)}) "
                                 f"VALUES ({marks})", tuple(row))
        restored.add((kind, record_id))
    return restored
