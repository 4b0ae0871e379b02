"""The workstation's cache of one school: SQLAlchemy on an SQLite file in WAL mode.

Every change to the cache commits together with the bookkeeping that makes
it safe to crash at any point: a local edit with its outbox entry, a pulled
page with its cursor, a bootstrap with its sequence number, an answer with
the removal of its outbox entry.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from domain.records import KINDS
from domain.records import kind as kind_of
from local_store import schema
from local_store.changes import NOTHING, Changes, Key
from local_store.lane import WriterLane
from local_store.schema import (
    INDEXES,
    SCHEMA_VERSION,
    SYNCED,
    access_events,
    meta,
    outbox,
    outbox_keys,
)
from local_store.server_versions import (
    apply_keeping_prior,
    hand_on_priors,
    held_before,
    held_keys,
    keep_server_versions,
    restore_server_versions,
)

log = logging.getLogger(__name__)


class CacheTooNew(RuntimeError):
    """The cache was written by a newer MiSiS than this one."""


class WrongCacheKey(RuntimeError):
    """The cache can't be read with the key given (another workstation's, or
    a key that was lost)."""


class StoreClosed(RuntimeError):
    """The school's session ended (signed out, purged, access ended): the
    cache takes no more reads or writes through this store."""


class CannotCancel(RuntimeError):
    """A queued edit that can't be taken back here (already sent, or made
    before this workstation kept the server's version)."""


def written(method: Callable[..., Changes]) -> Callable[..., Changes]:
    """A write to the cache: run on the store's writer lane when it has one
    (waiting for it from any other thread), and tell the listener what it
    changed."""
    @functools.wraps(method)
    def run(self: LocalStore, *args: Any, **kwargs: Any) -> Changes:
        lane = self.lane
        if lane is not None and not lane.is_current():
            return lane.call(lambda: run(self, *args, **kwargs))
        changes = method(self, *args, **kwargs)
        if changes and self.on_changes is not None:
            self.on_changes(changes)
        return changes
    return run


class LocalStore:
    """One school's cache. With a `key` (32 bytes) the file is encrypted at
    rest (SQLCipher, the key given raw, no passphrase derivation); a cache
    written before encryption is encrypted in place the first time it is
    opened with a key. Without a key it is plain SQLite (tests, benchmarks)."""

    def __init__(self, path: str | Path, *, key: bytes | None = None,
                 lane: WriterLane | None = None):
        self.path = Path(path)
        # Every write runs on `lane` when there is one (the desktop client);
        # `on_changes` hears what each write changed, on the lane's thread.
        self.lane = lane
        self.on_changes: Callable[[Changes], None] | None = None
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Personal data: readable by this user only (DESIGN.md, "Security").
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        elif key is not None and _is_plain_sqlite(self.path):
            _encrypt_in_place(self.path, key)
        self.encrypted = key is not None
        self.engine = _make_engine(self.path, key)
        try:
            self._migrate()
        except sa.exc.DatabaseError as exc:
            self.engine.dispose()
            if key is not None and "not a database" in str(exc):
                raise WrongCacheKey(f"{self.path.name} can't be read with this "
                                    f"workstation's key") from exc
            raise
        except Exception:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """No more reads or writes through this store (the file stays)."""
        self._closed = True
        self.engine.dispose()

    @property
    def closed(self) -> bool:
        return self._closed

    # --- transactions

    @contextmanager
    def write(self) -> Iterator[Connection]:
        self._check_open()
        with self.engine.execution_options(writer=True).begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        self._check_open()
        with self.engine.begin() as conn:
            yield conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("this school's session has ended on this workstation")

    def _migrate(self) -> None:
        with self.write() as conn:
            version = _meta_get(conn, "schema_version") if _has_table(conn, "meta") else None
            if version is None:
                schema.metadata.create_all(conn)
                for name, table, column in INDEXES:
                    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")
                _meta_set(conn, "schema_version", str(SCHEMA_VERSION))
                return
            current = int(version)
            if current > SCHEMA_VERSION:
                raise CacheTooNew(f"this cache is of schema {current}; this MiSiS knows up to "
                                  f"{SCHEMA_VERSION}: update MiSiS on this workstation")
            while current < SCHEMA_VERSION:
                for sql in schema.MIGRATIONS[current]:
                    conn.exec_driver_sql(sql)
                current += 1
                _meta_set(conn, "schema_version", str(current))

    # --- meta

    def get(self, key: str, default: str | None = None) -> str | None:
        with self.read() as conn:
            value = _meta_get(conn, key)
        return default if value is None else value

    @written
    def put(self, **values: Any) -> Changes:
        with self.write() as conn:
            for key, value in values.items():
                _meta_set(conn, key, None if value is None else str(value))
        return NOTHING

    @property
    def cursor(self) -> int | None:
        value = self.get("cursor")
        return int(value) if value is not None else None

    # --- reading records

    def record(self, kind: str, record_id: str) -> dict[str, Any] | None:
        t = SYNCED[kind]
        with self.read() as conn:
            row = conn.execute(sa.select(t).where(t.c.id == record_id)).first()
        return dict(row._mapping) if row else None

    def records(self, kind: str, **where: Any) -> list[dict[str, Any]]:
        t = SYNCED[kind]
        query = sa.select(t)
        for name, value in where.items():
            query = query.where(t.c[name] == value)
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(t.c.id))]

    def count(self, kind: str) -> int:
        with self.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(SYNCED[kind])).scalar_one()

    def dump(self) -> dict[str, dict[str, tuple]]:
        """Every synced record, for comparing two caches or a cache and the server."""
        out: dict[str, dict[str, tuple]] = {}
        with self.read() as conn:
            for k in KINDS:
                cols = ", ".join(k.wire_columns)
                out[k.name] = {r[0]: tuple(r) for r in conn.exec_driver_sql(
                    f"SELECT {cols} FROM {k.name}")}
        return out

    # --- bootstrap: the whole school at once

    @written
    def load_snapshot(self, seq: int, chunks: Iterable[tuple[str, list[str], list[list]]],
                      *, school_id: str, on_rows=None) -> Changes:
        """Replace every synced record with a snapshot, in one transaction.

        Pending edits in the outbox are kept and re-applied on top, so a
        re-bootstrap never loses unsent work (nor the way to take one back:
        the snapshot's version of each record is what cancelling restores)."""
        total = 0
        with self.write() as conn:
            for name, _table, _column in INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
            for k in KINDS:
                conn.exec_driver_sql(f"DELETE FROM {k.name}")
            for kind_name, columns, rows in chunks:
                k = kind_of(kind_name)
                if list(columns) != list(k.wire_columns):
                    raise ValueError(f"snapshot columns of {kind_name} don't match this MiSiS")
                marks = ", ".join("?" * len(columns))
                _executemany(conn, f"INSERT INTO {kind_name} ({', '.join(columns)}) "
                                   f"VALUES ({marks})", rows)
                total += len(rows)
                if on_rows:
                    on_rows(kind_name, total)
            for name, table, column in INDEXES:
                conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({column})")
            pending = _pending(conn)
            conn.execute(outbox_keys.delete().where(
                outbox_keys.c.mutation_id.in_([e["mutation_id"] for e in pending])))
            for entry in pending:
                apply_keeping_prior(conn, entry)
            _meta_set(conn, "school_id", school_id)
            _meta_set(conn, "cursor", str(seq))
            _meta_set(conn, "bootstrap_seq", str(seq))
            conn.exec_driver_sql("ANALYZE")
        return Changes.all(written=total)

    # --- pull: a page of changes and its cursor, together

    @written
    def apply_changes(self, changes: list[dict], cursor: int, *, before_commit=None) -> Changes:
        """Write a pulled page; records with a pending local edit are left
        for the server's answer to that edit (the server's version is kept
        aside, for cancelling that edit). Returns the records written."""
        with self.write() as conn:
            held = held_keys(conn)
            done = _write_changes(conn, changes, skip=held)
            keep_server_versions(conn, [c for c in changes if (c["kind"], c["id"]) in held])
            _meta_set(conn, "cursor", str(cursor))
            if before_commit:
                before_commit()
        return Changes.of(done)

    # --- the outbox

    @written
    def queue(self, op: str, payload: dict[str, Any], *, base_version: int | None,
              mutation_id: str, created_at: str, created_by: str | None) -> Changes:
        """Record a local edit and apply it to the cache, in one transaction."""
        with self.write() as conn:
            conn.execute(outbox.insert().values(
                mutation_id=mutation_id, op=op, payload=json.dumps(payload),
                base_version=base_version, created_at=created_at, created_by=created_by,
                state="pending"))
            keys = apply_keeping_prior(conn, {"mutation_id": mutation_id, "op": op,
                                               "payload": payload, "created_by": created_by})
        return Changes.of(keys, outbox=True)

    @written
    def cancel(self, mutation_id: str) -> Changes:
        """Take back an edit not yet sent: it leaves the outbox and the records
        it touched return to the server's version (with this workstation's
        other waiting edits of them applied again on top)."""
        with self.write() as conn:
            row = conn.execute(sa.select(outbox).where(
                outbox.c.mutation_id == mutation_id)).first()
            if row is None or row.state != "pending":
                raise CannotCancel("This change has already been sent or answered; it can't "
                                   "be taken back here.")
            mine = conn.execute(sa.select(outbox_keys.c.kind, outbox_keys.c.record_id,
                                          outbox_keys.c.prior)
                                .where(outbox_keys.c.mutation_id == mutation_id)).all()
            if any(prior is None and not held_before(conn, mutation_id, kind, rid)
                   for kind, rid, prior in mine):
                raise CannotCancel("This change was made before this version of MiSiS kept "
                                   "the server's copy; it can't be taken back here.")
            keys: set[Key] = {(kind, rid) for kind, rid, _prior in mine}
            restored = restore_server_versions(conn, mutation_id, keys)
            hand_on_priors(conn, mutation_id)
            conn.execute(outbox_keys.delete().where(outbox_keys.c.mutation_id == mutation_id))
            conn.execute(outbox.delete().where(outbox.c.mutation_id == mutation_id))
            # Later waiting edits of the same records show on top again.
            for entry in _pending(conn):
                touched = {(k, r) for k, r in conn.execute(
                    sa.select(outbox_keys.c.kind, outbox_keys.c.record_id)
                    .where(outbox_keys.c.mutation_id == entry["mutation_id"]))}
                if touched & keys:
                    from local_store.edits import apply_locally
                    keys |= set(apply_locally(conn, entry["op"], entry["payload"],
                                              entry["created_by"]))
        return Changes.of(keys | restored, outbox=True)

    def last_program_edit(self, student_id: str) -> dict[str, Any] | None:
        """This workstation's latest unsettled edit of a student's program
        (waiting to be sent, or in conflict), which a new edit follows."""
        with self.read() as conn:
            row = conn.execute(
                sa.select(outbox).where(outbox.c.op.like("schedule.%"))
                .where(outbox.c.state.in_(("pending", "conflict")))
                .where(sa.func.json_extract(outbox.c.payload, "$.student_id") == student_id)
                .order_by(outbox.c.seq.desc()).limit(1)).first()
        return _entry(row) if row else None

    def version_of(self, kind: str, record_id: str) -> int:
        with self.read() as conn:
            row = conn.exec_driver_sql(f"SELECT version FROM {SYNCED[kind].name} WHERE id = ?",
                                       (record_id,)).first()
        return row[0] if row else 0

    def pending(self, limit: int | None = None, *, author: str | None = None
                ) -> list[dict[str, Any]]:
        """Edits waiting to be sent, oldest first; with `author`, only theirs
        (and edits of no recorded author, made before authors were kept)."""
        with self.read() as conn:
            return _pending(conn, limit, author=author)

    def pending_by_others(self, author: str) -> dict[str, int]:
        """Edits waiting for another user to sign in: user name -> how many."""
        with self.read() as conn:
            rows = conn.execute(sa.select(outbox.c.created_by, sa.func.count())
                                .where(outbox.c.state == "pending")
                                .where(outbox.c.created_by.is_not(None))
                                .where(outbox.c.created_by != author)
                                .group_by(outbox.c.created_by)).all()
        return {who: n for who, n in rows}

    # --- student records opened here, waiting for the server's access log

    @written
    def record_opened(self, username: str, kind: str, record_id: str, *, at: str,
                      event_id: str) -> Changes:
        with self.write() as conn:
            conn.execute(access_events.insert().values(
                event_id=event_id, at=at, username=username, action="record_opened",
                record_kind=kind, record_id=record_id))
        return NOTHING

    def access_events(self, username: str, limit: int) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [dict(r._mapping) for r in conn.execute(
                sa.select(access_events).where(access_events.c.username == username)
                .order_by(access_events.c.seq).limit(limit))]

    @written
    def forget_access_events(self, event_ids: list[str]) -> Changes:
        with self.write() as conn:
            conn.execute(access_events.delete().where(access_events.c.event_id.in_(event_ids)))
        return NOTHING

    def outbox_entries(self, state: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(outbox).order_by(outbox.c.seq)
        if state:
            query = query.where(outbox.c.state == state)
        with self.read() as conn:
            return [_entry(r) for r in conn.execute(query)]

    def outbox_counts(self) -> dict[str, int]:
        with self.read() as conn:
            rows = conn.execute(sa.select(outbox.c.state, sa.func.count())
                                .group_by(outbox.c.state)).all()
        counts = {"pending": 0, "conflict": 0, "rejected": 0}
        counts.update({state: n for state, n in rows})
        return counts

    @written
    def record_answers(self, answers: list[dict[str, Any]], *, answered_at: str,
                       before_commit=None) -> Changes:
        """Take the server's answers: applied entries leave the outbox;
        conflicts and rejections stay, visible, for a person to decide. The
        server's state of each touched record is written unless another
        pending edit still holds it."""
        done: list[Key] = []
        with self.write() as conn:
            for answer in answers:
                mid = answer["mutation_id"]
                status = answer["status"]
                hand_on_priors(conn, mid)
                conn.execute(outbox_keys.delete().where(outbox_keys.c.mutation_id == mid))
                if status == "applied":
                    conn.execute(outbox.delete().where(outbox.c.mutation_id == mid))
                else:
                    conn.execute(outbox.update().where(outbox.c.mutation_id == mid).values(
                        state=status, answer=json.dumps(answer), answered_at=answered_at))
                records = answer.get("records", [])
                held = held_keys(conn)
                done += _write_changes(conn, records,
                                       skip=held | _older_than_cache(conn, records))
                keep_server_versions(conn, [c for c in records if (c["kind"], c["id"]) in held])
            if before_commit:
                before_commit()
        return Changes.of(done, outbox=True)

    def pending_for(self, kind: str, record_id: str) -> int:
        """How many unanswered edits on this workstation touch a record."""
        with self.read() as conn:
            return conn.exec_driver_sql(
                "SELECT count(*) FROM outbox_keys k JOIN outbox o ON o.mutation_id = k.mutation_id "
                "WHERE k.kind = ? AND k.record_id = ? AND o.state = 'pending'",
                (kind, record_id)).scalar_one()

    @written
    def count_attempt(self, mutation_ids: list[str]) -> Changes:
        with self.write() as conn:
            conn.execute(outbox.update().where(outbox.c.mutation_id.in_(mutation_ids))
                         .values(attempts=outbox.c.attempts + 1))
        return NOTHING

    @written
    def discard(self, mutation_id: str) -> Changes:
        """A person decided to drop an answered (conflicted or rejected) edit."""
        with self.write() as conn:
            conn.execute(outbox.delete().where(outbox.c.mutation_id == mutation_id)
                         .where(outbox.c.state != "pending"))
        return Changes(outbox=True)

    def purge(self) -> None:
        """Remove this school's data from the workstation: the store closes
        and the files go (a later read can't re-create an empty file)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    # --- schedule conflicts (ui/scheduling/schedule_conflict.py)

    def schedule_edits(self, student_id: str, *, state: str) -> list[dict[str, Any]]:
        """This workstation's schedule edits of one student in a state, oldest first."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(outbox).where(outbox.c.op.like("schedule.%"))
                .where(outbox.c.state == state)
                .where(sa.func.json_extract(outbox.c.payload, "$.student_id") == student_id)
                .order_by(outbox.c.seq)).all()
        return [_entry(r) for r in rows]

    def conflict_students(self) -> list[str]:
        """Students with a schedule edit in conflict, waiting for a counselor
        to compare both versions and decide (in the order of their first)."""
        student = sa.func.json_extract(outbox.c.payload, "$.student_id")
        with self.read() as conn:
            rows = conn.execute(
                sa.select(student, sa.func.min(outbox.c.seq).label("first"))
                .where(outbox.c.op.like("schedule.%")).where(outbox.c.state == "conflict")
                .group_by(student).order_by(sa.text("first"))).all()
        return [r[0] for r in rows]


_PLAIN_HEADER = b"SQLite format 3\x00"


def _is_plain_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == _PLAIN_HEADER


def _key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


# Pages of 16 KiB authenticated with HMAC-SHA256 (AES-256 as always): in one
# run, a bootstrap of the 5,000-student school took 1.36x the plain time
# with SQLCipher's defaults (4 KiB, SHA-512) and 1.05x with these.
CIPHER_SETTINGS = ("PRAGMA cipher_page_size = 16384",
                   "PRAGMA cipher_hmac_algorithm = HMAC_SHA256")


def open_encrypted(path: Path, key: bytes, **connect_args):
    """A raw SQLCipher connection to an existing cache, keyed and set up."""
    import sqlcipher3

    conn = sqlcipher3.connect(f"file:{path}?mode=rw", uri=True, **connect_args)
    conn.execute(_key_pragma(key))
    for pragma in CIPHER_SETTINGS:
        conn.execute(pragma)
    return conn


def _encrypt_in_place(path: Path, key: bytes) -> None:
    """Encrypt a cache written before encryption (its outbox included): export
    it into an encrypted copy, then swap the copy in. A crash leaves the plain
    file, encrypted again at the next start."""
    import sqlcipher3

    tmp = path.with_name(path.name + ".encrypting")
    tmp.unlink(missing_ok=True)
    conn = sqlcipher3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for pragma in CIPHER_SETTINGS:  # for the database attached next
            conn.execute(pragma.replace("PRAGMA cipher_", "PRAGMA cipher_default_"))
        conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", (str(tmp),))
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
    os.chmod(tmp, 0o600)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(tmp, path)
    log.info("the cache %s is now encrypted", path.name)


def _make_engine(path: Path, key: bytes | None = None) -> Engine:
    # The sync runs on a worker thread, the screens read on the GUI thread.
    # mode=rw: a connection never creates the file (LocalStore does, 0600),
    # so a read after a purge fails instead of leaving an empty cache behind.
    # The URL names the file so SQLAlchemy pools connections as for a file
    # (a bare "sqlite://" means a memory database: one connection per thread,
    # closed under another thread's feet once more than five threads read).
    uri = f"file:{path}?mode=rw"
    if key is None:
        engine = sa.create_engine(f"sqlite:///{path}", creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=30, check_same_thread=False))
    else:
        engine = sa.create_engine(f"sqlite:///{path}", creator=lambda: open_encrypted(
            path, key, timeout=30, check_same_thread=False))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("writer")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _executemany(conn: Connection, sql: str, rows: list) -> None:
    """Rows straight to the driver, as they came off the wire (lists)."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _has_table(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).first() is not None


def _meta_get(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()


def _meta_set(conn: Connection, key: str, value: str | None) -> None:
    conn.exec_driver_sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def _entry(row) -> dict[str, Any]:
    d = dict(row._mapping)
    d["payload"] = json.loads(d["payload"])
    d["answer"] = json.loads(d["answer"]) if d["answer"] else None
    return d


def _pending(conn: Connection, limit: int | None = None, *, author: str | None = None
             ) -> list[dict[str, Any]]:
    query = sa.select(outbox).where(outbox.c.state == "pending").order_by(outbox.c.seq)
    if author is not None:
        query = query.where(sa.or_(outbox.c.created_by == author, outbox.c.created_by.is_(None)))
    if limit:
        query = query.limit(limit)
    return [_entry(r) for r in conn.execute(query)]


def _older_than_cache(conn: Connection, records: list[dict]) -> set[tuple[str, str]]:
    """Records an answer carries that the cache already has newer: a replayed
    answer (a retried push) was true when first given, maybe not now."""
    older = set()
    for c in records:
        if c.get("deleted"):
            continue
        kind_of(c["kind"])
        row = conn.exec_driver_sql(f"SELECT version FROM {c['kind']} WHERE id = ?",
                                   (c["id"],)).first()
        if row and row[0] > c["row"][1]:
            older.add((c["kind"], c["id"]))
    return older


def _write_changes(conn: Connection, changes: list[dict], *, skip: set[tuple[str, str]]
                   ) -> list[Key]:
    """Upsert and delete records as a pull or an answer delivers them."""
    upserts: dict[str, list[list]] = {}
    deletes: dict[str, list[tuple[str]]] = {}
    for c in changes:
        if (c["kind"], c["id"]) in skip:
            continue
        if c.get("deleted"):
            deletes.setdefault(c["kind"], []).append((c["id"],))
        else:
            upserts.setdefault(c["kind"], []).append(c["row"])
    # Deletes first: a record deleted and re-created on a page arrives as both.
    for kind_name, ids in deletes.items():
        kind_of(kind_name)
        conn.exec_driver_sql(f"DELETE FROM {kind_name} WHERE id = ?", ids)
    for kind_name, rows in upserts.items():
        k = kind_of(kind_name)
        marks = ", ".join("?" * len(k.wire_columns))
        _executemany(conn, f"INSERT OR REPLACE INTO {kind_name} ({', '.join(k.wire_columns)}) "
                           f"VALUES ({marks})", rows)
    return [(c["kind"], c["id"]) for c in changes if (c["kind"], c["id"]) not in skip]
