"""A school's change sequence: writing under it, and reading what changed.

Every write to a school's records goes through `SchoolChanges`, which locks
the school's sequence row first, so commit order is sequence order and a
reader that has seen number N has seen everything up to N. Pulls then read
records whose `version` is past the client's cursor, and tombstones for
deletes, in sequence order. (A push of attendance edits on PostgreSQL takes
the same row lock and numbers the same way, in two round trips: see
`services.mutations.attendance_pg`; `pg_write_all` is its writer.)
"""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from district_server.services.clock import now_iso
from district_server.store.db import reader
from district_server.store.tables import (
    SYNCED,
    audit,
    metadata,
    school_sequences,
    schools,
    tombstones,
)
from domain.records import KINDS
from domain.records import kind as kind_of

# Rows per line of a snapshot: a workstation parses a line in one call that
# holds the GIL (about 30 ms per 1 MB), so lines stay small enough for its
# window to keep turning while a school loads.
SNAPSHOT_CHUNK = 1000
_PARAM = {"sqlite": "?", "postgresql": "%s"}
MAX_PAGE = 5000


class UnknownSchool(LookupError):
    pass


class CursorTooOld(Exception):
    """The client's cursor is older than the retained change log."""

    def __init__(self, floor: int):
        super().__init__(floor)
        self.floor = floor


class SchoolChanges:
    """Writes to one school's records in the caller's transaction.

    Audit rows are kept until `flush_audit` (or `close`) and written in one
    statement; `checkpoint`/`rewind` let a caller drop what a rolled-back
    savepoint wrote.
    """

    def __init__(self, conn: Connection, school_id: str, *, user_id: int | None = None,
                 username: str | None = None, workstation: str | None = None):
        self.conn = conn
        self.school_id = school_id
        self.user_id, self.username, self.workstation = user_id, username, workstation
        self.mutation_id: str | None = None
        self._audit_rows: list[dict[str, Any]] = []
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

    def checkpoint(self) -> tuple[int, int]:
        return self.seq, len(self._audit_rows)

    def rewind(self, point: tuple[int, int]) -> None:
        """Forget numbers and audit rows handed out since `point` (after the
        caller rolled back a savepoint)."""
        self.seq = point[0]
        del self._audit_rows[point[1]:]

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
        return self.put_many(kind, [record], reason=reason, audit_it=audit_it)[0]

    def put_many(self, kind: str, records: list[dict[str, Any]], *, reason: str | None = None,
                 reasons: list[str | None] | None = None,
                 audit_it: bool = True) -> list[dict[str, Any]]:
        """Insert or update records of one kind (all their fields), each under
        the next version, in record order: one statement reads the old values
        (for the audit) and one writes them all (one on PostgreSQL).
        `reasons`, if given, holds one reason per record."""
        if not records:
            return []
        k = kind_of(kind)
        new = [{"id": r["id"], "version": self.next_version(),
                **{f: r.get(f) for f in k.field_names}} for r in records]
        old = upsert(self.conn, kind, self.school_id, new)
        if audit_it:
            for i, n in enumerate(new):
                o = old.get(n["id"])
                self._audit(kind, n["id"], "create" if o is None else "update", o, n,
                            reasons[i] if reasons is not None else reason)
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
        self._audit_rows.append(audit_row(self, kind, record_id, action, old, new, reason))

    def flush_audit(self) -> None:
        """Write the audit rows kept so far, in order, in one statement."""
        if self._audit_rows:
            insert_many(self.conn, audit, self._audit_rows)
            self._audit_rows = []

    def close(self) -> int:
        """Write the audit and record the numbers handed out; call before commit."""
        self.flush_audit()
        if self.seq != self._start:
            self.conn.execute(school_sequences.update()
                              .where(school_sequences.c.school_id == self.school_id)
                              .values(last_seq=self.seq))
        return self.seq


def _public(mapping) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != "school_id"}


def audit_row(writer: Any, kind: str, record_id: str, action: str, old: dict | None,
              new: dict | None, reason: str | None) -> dict[str, Any]:
    """One audit entry (who, when, which workstation and edit, old → new of
    the fields that changed); `writer` carries school, user and mutation."""
    if old and new:
        changed = [k for k in new if k != "version" and old.get(k) != new.get(k)]
        old = {k: old.get(k) for k in changed}
        new = {k: new.get(k) for k in changed}
    return {"school_id": writer.school_id, "at": now_iso(), "user_id": writer.user_id,
            "username": writer.username, "workstation": writer.workstation,
            "mutation_id": writer.mutation_id, "kind": kind, "record_id": record_id,
            "action": action, "old": json.dumps(old) if old is not None else None,
            "new": json.dumps(new) if new is not None else None, "reason": reason}


# --- bulk statements: one round trip for many rows
#
# PostgreSQL gets one ``INSERT ... SELECT FROM unnest(arrays)``: psycopg's
# executemany would send one INSERT per row. SQLite gets executemany of one
# prepared statement, which is what it is fast at.

_PG_TYPES = ((sa.BigInteger, "bigint"), (sa.Integer, "integer"), (sa.Boolean, "boolean"),
             (sa.Float, "double precision"), (sa.Text, "text"))


def _pg_type(column: sa.Column) -> str:
    for sql_type, name in _PG_TYPES:
        if isinstance(column.type, sql_type):
            return name
    raise AssertionError(f"no array type for {column}")


def _table(name: str) -> sa.Table:
    return SYNCED[name] if name in SYNCED else metadata.tables[name]


@functools.cache
def _pg_unnest(table_name: str, columns: tuple[str, ...], prefix: str) -> tuple[str, str]:
    """``unnest(%(p_a)s::text[], ...)`` of these columns, and the column list."""
    t = _table(table_name)
    arrays = ", ".join(f"%({prefix}{c})s::{_pg_type(t.c[c])}[]" for c in columns)
    return f"unnest({arrays})", ", ".join(columns)


@functools.cache
def _pg_upsert_sql(kind: str, prefix: str = "") -> str:
    columns = kind_of(kind).wire_columns
    arrays, names = _pg_unnest(kind, columns, prefix)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    return (f"INSERT INTO {kind} (school_id, {names}) SELECT %(school_id)s, u.* "
            f"FROM {arrays} AS u({names}) ON CONFLICT (school_id, id) DO UPDATE SET {updates}")


@functools.cache
def _pg_insert_sql(table_name: str, columns: tuple[str, ...], prefix: str = "") -> str:
    arrays, names = _pg_unnest(table_name, columns, prefix)
    # WITH ORDINALITY: rows (and serial ids) go in the order given.
    return (f"INSERT INTO {table_name} ({names}) SELECT {names} "
            f"FROM {arrays} WITH ORDINALITY AS u({names}, n) ORDER BY n")


@functools.cache
def _sqlite_upsert_sql(kind: str) -> str:
    columns = kind_of(kind).wire_columns
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    marks = ", ".join(f":{c}" for c in ("school_id", *columns))
    return (f"INSERT INTO {kind} (school_id, {', '.join(columns)}) VALUES ({marks}) "
            f"ON CONFLICT (school_id, id) DO UPDATE SET {updates}")


def _arrays(rows: list[dict[str, Any]], columns: tuple[str, ...], prefix: str = ""
            ) -> dict[str, list[Any]]:
    return {f"{prefix}{c}": [r[c] for r in rows] for c in columns}


def upsert(conn: Connection, kind: str, school_id: str,
           records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Insert or replace `records` (wire columns) of one kind at a school;
    returns the replaced records by id, as they were."""
    k = kind_of(kind)
    columns = k.wire_columns
    if conn.dialect.name == "postgresql":
        old = ", ".join(f"o.{c}" for c in columns)
        # One statement: the CTE reads the old rows in the statement's
        # snapshot, before the insert's changes, for the audit.
        sql = (f"WITH old AS (SELECT {old} FROM {kind} o WHERE o.school_id = %(school_id)s "
               f"AND o.id = ANY(%(id)s::text[])), up AS ({_pg_upsert_sql(kind)}) "
               f"SELECT * FROM old")
        rows = conn.exec_driver_sql(sql, {"school_id": school_id,
                                          **_arrays(records, columns)}).all()
        return {r[0]: dict(zip(columns, r)) for r in rows}
    t = SYNCED[kind]
    ids = [r["id"] for r in records]
    old_rows = {r.id: _public(r._mapping) for r in conn.execute(
        sa.select(t).where(t.c.school_id == school_id).where(t.c.id.in_(ids)))}
    conn.exec_driver_sql(_sqlite_upsert_sql(kind),
                         [{"school_id": school_id, **{c: r[c] for c in columns}}
                          for r in records])
    return old_rows


def insert_many(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in one statement, in order."""
    if not rows:
        return
    columns = tuple(rows[0])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_pg_insert_sql(table.name, columns), _arrays(rows, columns))
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                         f"VALUES ({', '.join(f':{c}' for c in columns)})", rows)


def _pg_record_type(table_name: str, columns: tuple[str, ...]) -> str:
    t = _table(table_name)
    return ", ".join(f"{c} {_pg_type(t.c[c])}" for c in columns)


@functools.cache
def _pg_json_upsert_sql(kind: str, param: str) -> str:
    columns = kind_of(kind).wire_columns
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "id")
    return (f"INSERT INTO {kind} (school_id, {names}) SELECT %(school_id)s, {names} "
            f"FROM json_to_recordset(%({param})s::json) AS r({_pg_record_type(kind, columns)}) "
            f"ON CONFLICT (school_id, id) DO UPDATE SET {updates}")


@functools.cache
def _pg_json_insert_sql(table_name: str, columns: tuple[str, ...], param: str) -> str:
    names = ", ".join(columns)
    # WITH ORDINALITY: rows (and serial ids) go in the order given.
    return (f"INSERT INTO {table_name} ({names}) SELECT {names} FROM ROWS FROM "
            f"(json_to_recordset(%({param})s::json) AS ({_pg_record_type(table_name, columns)})) "
            f"WITH ORDINALITY AS r({names}, n) ORDER BY n")


def pg_write_all(school_id: str, *, upserts: dict[str, list[dict[str, Any]]],
                 inserts: list[tuple[sa.Table, list[dict[str, Any]]]],
                 last_seq: int) -> tuple[str, dict[str, Any]]:
    """One PostgreSQL statement writing records of several kinds, inserting
    rows into other tables (audit, answers) in order, and recording the
    school's last sequence number: each part a data-modifying CTE, its rows
    one JSON parameter (a few parameters to send, whatever the row count)."""
    parts, params = [], {"school_id": school_id, "last_seq": last_seq}
    for n, (kind, records) in enumerate(upserts.items()):
        if records:
            param = f"u{n}"
            parts.append(f"{param} AS ({_pg_json_upsert_sql(kind, param)})")
            params[param] = json.dumps(records, separators=(",", ":"))
    for n, (table, rows) in enumerate(inserts):
        if rows:
            param = f"i{n}"
            parts.append(f"{param} AS ({_pg_json_insert_sql(table.name, tuple(rows[0]), param)})")
            params[param] = json.dumps(rows, separators=(",", ":"))
    with_ = f"WITH {', '.join(parts)} " if parts else ""
    return (f"{with_}UPDATE school_sequences SET last_seq = %(last_seq)s "
            f"WHERE school_id = %(school_id)s", params)




def current_records(conn: Connection, school_id: str, keys: list[tuple[str, str]],
                    known: dict[tuple[str, str], list[Any]] | None = None) -> list[dict]:
    """The server's state of each (kind, id): a change entry as a pull gives it.
    `known` holds wire rows just written in this transaction (no need to read
    them back); the rest are read with one query per kind."""
    found: dict[tuple[str, str], list[Any]] = dict(known or {})
    wanted: dict[str, list[str]] = {}
    for kind, record_id in keys:
        if (kind, record_id) not in found:
            wanted.setdefault(kind, []).append(record_id)
    for kind, ids in wanted.items():
        t = SYNCED[kind]
        for row in conn.execute(sa.select(*(t.c[c] for c in kind_of(kind).wire_columns))
                                .where(t.c.school_id == school_id).where(t.c.id.in_(ids))):
            found[(kind, row[0])] = list(row)
    return [{"kind": kind, "id": record_id, "row": found[(kind, record_id)]}
            if (kind, record_id) in found
            else {"kind": kind, "id": record_id, "deleted": True}
            for kind, record_id in keys]


def _sequence(conn: Connection, school_id: str):
    row = conn.execute(sa.select(school_sequences.c.last_seq, school_sequences.c.floor_seq)
                       .where(school_sequences.c.school_id == school_id)).first()
    if row is None:
        raise UnknownSchool(school_id)
    return row


def snapshot_lines(engine: Engine, school_id: str,
                   on_end: Callable[[int], None] | None = None) -> Iterator[bytes]:
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
            # Straight from the driver: rows are tuples already, and at half a
            # million rows SQLAlchemy's Row objects cost a third of the time.
            # On PostgreSQL a named (server-side) cursor, read in chunks.
            cursor = _raw_cursor(conn, f"snapshot_{k.name}")
            try:
                cursor.execute(f"SELECT {', '.join(k.wire_columns)} FROM {k.name} "
                               f"WHERE school_id = {_PARAM[conn.dialect.name]}", (school_id,))
                while part := cursor.fetchmany(SNAPSHOT_CHUNK):
                    total += len(part)
                    yield _line({"kind": k.name, "columns": list(k.wire_columns),
                                 "rows": part})
            finally:
                cursor.close()
        yield _line({"end": True, "rows": total})
    if on_end is not None:
        on_end(total)


def _raw_cursor(conn: Connection, name: str):
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi.cursor(name=name) if conn.dialect.name == "postgresql" else dbapi.cursor()


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
