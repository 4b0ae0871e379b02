"""A school's change sequence: writing under it, and reading what changed.

Every write to a school's records goes through `SchoolChanges`, which locks
the school's sequence row first, so commit order is sequence order and a
reader that has seen number N has seen everything up to N. Pulls then read
records whose `version` is past the client's cursor, and tombstones for
deletes, in sequence order.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from district_server.services.clock import now_iso
from district_server.store.db import reader
from district_server.store.tables import SYNCED, audit, school_sequences, schools, tombstones
from domain.records import KINDS
from domain.records import kind as kind_of

SNAPSHOT_CHUNK = 5000
MAX_PAGE = 5000


class UnknownSchool(LookupError):
    pass


class CursorTooOld(Exception):
    """The client's cursor is older than the retained change log."""

    def __init__(self, floor: int):
        super().__init__(floor)
        self.floor = floor


class SchoolChanges:
    """Writes to one school's records in the caller's transaction."""

    def __init__(self, conn: Connection, school_id: str, *, user_id: int | None = None,
                 username: str | None = None, workstation: str | None = None):
        self.conn = conn
        self.school_id = school_id
        self.user_id, self.username, self.workstation = user_id, username, workstation
        self.mutation_id: str | None = None
        seq = school_sequences.c.last_seq
        # The no-op update takes the row lock that orders this school's writers.
        row = conn.execute(
            school_sequences.update().where(school_sequences.c.school_id == school_id)
            .values(last_seq=seq).returning(seq)).first()
        if row is None:
            raise UnknownSchool(school_id)
        self.seq = self._start = row[0]

    def next_version(self) -> int:
        self.seq += 1
        return self.seq

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        t = SYNCED[kind]
        row = self.conn.execute(sa.select(t).where(t.c.id == record_id)
                                .where(t.c.school_id == self.school_id)).first()
        return _public(row._mapping) if row else None

    def find(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        t = SYNCED[kind]
        query = sa.select(t).where(t.c.school_id == self.school_id)
        for name, value in where.items():
            query = query.where(t.c[name] == value)
        return [_public(r._mapping) for r in self.conn.execute(query.order_by(t.c.id))]

    def put(self, kind: str, record: dict[str, Any], *, reason: str | None = None,
            audit_it: bool = True) -> dict[str, Any]:
        """Insert or update one record (all its fields) under a new version."""
        t = SYNCED[kind]
        values = {f: record.get(f) for f in kind_of(kind).field_names}
        old_row = self.conn.execute(sa.select(t).where(t.c.school_id == self.school_id)
                                    .where(t.c.id == record["id"])).first()
        version = self.next_version()
        if old_row is None:
            self.conn.execute(t.insert().values(id=record["id"], school_id=self.school_id,
                                                version=version, **values))
        else:
            self.conn.execute(t.update().where(t.c.school_id == self.school_id)
                              .where(t.c.id == record["id"]).values(version=version, **values))
        new = {"id": record["id"], "version": version, **values}
        if audit_it:
            old = _public(old_row._mapping) if old_row is not None else None
            self._audit(kind, record["id"], "create" if old is None else "update", old, new, reason)
        return new

    def remove(self, kind: str, record_id: str, *, reason: str | None = None) -> None:
        """Delete a record; workstations learn of it from a tombstone."""
        t = SYNCED[kind]
        old_row = self.conn.execute(sa.select(t).where(t.c.id == record_id)
                                    .where(t.c.school_id == self.school_id)).first()
        if old_row is None:
            return
        self.conn.execute(t.delete().where(t.c.school_id == self.school_id)
                          .where(t.c.id == record_id))
        self.conn.execute(tombstones.insert().values(
            school_id=self.school_id, version=self.next_version(), kind=kind, record_id=record_id))
        self._audit(kind, record_id, "delete", _public(old_row._mapping), None, reason)

    def _audit(self, kind: str, record_id: str, action: str, old: dict | None,
               new: dict | None, reason: str | None) -> None:
        if old and new:
            changed = [k for k in new if k != "version" and old.get(k) != new.get(k)]
            old = {k: old.get(k) for k in changed}
            new = {k: new.get(k) for k in changed}
        self.conn.execute(audit.insert().values(
            school_id=self.school_id, at=now_iso(), user_id=self.user_id,
            username=self.username, workstation=self.workstation,
            mutation_id=self.mutation_id, kind=kind, record_id=record_id, action=action,
            old=json.dumps(old) if old is not None else None,
            new=json.dumps(new) if new is not None else None, reason=reason))

    def close(self) -> int:
        """Record the numbers handed out; call before commit."""
        if self.seq != self._start:
            self.conn.execute(school_sequences.update()
                              .where(school_sequences.c.school_id == self.school_id)
                              .values(last_seq=self.seq))
        return self.seq


def _public(mapping) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != "school_id"}


def current_records(conn: Connection, school_id: str, keys: list[tuple[str, str]]) -> list[dict]:
    """The server's state of each (kind, id): a change entry as a pull gives it."""
    out = []
    for kind, record_id in keys:
        t = SYNCED[kind]
        row = conn.execute(sa.select(*(t.c[c] for c in kind_of(kind).wire_columns))
                           .where(t.c.id == record_id).where(t.c.school_id == school_id)).first()
        out.append({"kind": kind, "id": record_id, "row": list(row)} if row is not None
                   else {"kind": kind, "id": record_id, "deleted": True})
    return out


def _sequence(conn: Connection, school_id: str):
    row = conn.execute(sa.select(school_sequences.c.last_seq, school_sequences.c.floor_seq)
                       .where(school_sequences.c.school_id == school_id)).first()
    if row is None:
        raise UnknownSchool(school_id)
    return row


def snapshot_lines(engine: Engine, school_id: str) -> Iterator[bytes]:
    """The school's records as one consistent snapshot, in JSON lines.

    First line: ``{"seq": N, ...}``, the sequence number the snapshot stands
    at; then ``{"kind": k, "columns": [...], "rows": [[...], ...]}`` chunks;
    last ``{"end": true, "rows": total}`` so a cut stream is recognised.
    """
    with reader(engine) as conn:
        seq = _sequence(conn, school_id)
        school = conn.execute(sa.select(schools).where(schools.c.id == school_id)).first()
        # How many rows follow, so a workstation can show real progress.
        expected = sum(conn.execute(sa.select(sa.func.count()).select_from(SYNCED[k.name])
                                    .where(SYNCED[k.name].c.school_id == school_id)).scalar_one()
                       for k in KINDS)
        yield _line({"seq": seq.last_seq, "server_time": now_iso(), "school_id": school_id,
                     "school": dict(school._mapping) if school else None, "rows": expected})
        total = 0
        for k in KINDS:
            t = SYNCED[k.name]
            query = (sa.select(*(t.c[c] for c in k.wire_columns))
                     .where(t.c.school_id == school_id))
            result = conn.execution_options(stream_results=True, yield_per=SNAPSHOT_CHUNK) \
                .execute(query)
            for part in result.partitions(SNAPSHOT_CHUNK):
                total += len(part)
                yield _line({"kind": k.name, "columns": list(k.wire_columns),
                             "rows": [tuple(r) for r in part]})
        yield _line({"end": True, "rows": total})


def _line(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def changes_after(engine: Engine, school_id: str, after: int, limit: int) -> dict[str, Any]:
    """One page of changes after `after`, oldest first, with the page's cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    with reader(engine) as conn:
        seq = _sequence(conn, school_id)
        if after < seq.floor_seq:
            raise CursorTooOld(seq.floor_seq)
        found: list[tuple[int, dict]] = []
        for k in KINDS:
            t = SYNCED[k.name]
            rows = conn.execute(
                sa.select(*(t.c[c] for c in k.wire_columns))
                .where(t.c.school_id == school_id).where(t.c.version > after)
                .where(t.c.version <= seq.last_seq)
                .order_by(t.c.version).limit(limit + 1))
            found += [(r[1], {"kind": k.name, "id": r[0], "row": list(r)}) for r in rows]
        dead = conn.execute(
            sa.select(tombstones.c.version, tombstones.c.kind, tombstones.c.record_id)
            .where(tombstones.c.school_id == school_id).where(tombstones.c.version > after)
            .where(tombstones.c.version <= seq.last_seq)
            .order_by(tombstones.c.version).limit(limit + 1))
        found += [(r.version, {"kind": r.kind, "id": r.record_id, "deleted": True,
                               "version": r.version}) for r in dead]
    found.sort(key=lambda pair: pair[0])
    more = len(found) > limit
    page = found[:limit]
    cursor = page[-1][0] if more else max(after, seq.last_seq)
    return {"changes": [c for _, c in page], "cursor": cursor, "more": more,
            "server_seq": seq.last_seq, "server_time": now_iso()}


def compact(engine: Engine, school_id: str, keep_after: int) -> int:
    """Prune tombstones up to `keep_after`; older cursors must re-bootstrap."""
    from district_server.store.db import writer
    with writer(engine) as conn:
        changes = SchoolChanges(conn, school_id)
        floor = min(keep_after, changes.seq)
        conn.execute(tombstones.delete().where(tombstones.c.school_id == school_id)
                     .where(tombstones.c.version <= floor))
        conn.execute(school_sequences.update().where(school_sequences.c.school_id == school_id)
                     .values(floor_seq=floor))
        changes.close()
    return floor
