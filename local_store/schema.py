"""The workstation cache's tables and its own schema version.

Synced tables mirror `domain.records.KINDS` (one school per cache file, so
no school column). Beside them: `meta` (cursor, school, server, last sync),
the `outbox` of local edits not yet answered, and `outbox_keys`, the records
each pending edit touched, which a pull must not overwrite.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from domain.records import BOOL, INT, KINDS, REAL, Kind

_SQLITE = sqlite.dialect()

SCHEMA_VERSION = 6

metadata = sa.MetaData()

_SQL_TYPES = {INT: sa.Integer, BOOL: sa.Boolean, REAL: sa.Float}


def _cache_table(k: Kind) -> sa.Table:
    return sa.Table(
        k.name, metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        *(sa.Column(f.name, _SQL_TYPES.get(f.type, sa.Text)(), nullable=True) for f in k.fields),
    )


SYNCED: dict[str, sa.Table] = {k.name: _cache_table(k) for k in KINDS}

# Secondary indexes: dropped before a bootstrap's bulk load, built after it.
INDEXES: tuple[tuple[str, str, str], ...] = tuple(
    (f"ix_{k.name}_{f.name}", k.name, f.name) for k in KINDS for f in k.fields if f.indexed
) + (
    ("ix_students_last_name", "students", "legal_last_name COLLATE NOCASE"),
    # The attendance sheet and its period overview (schema 2).
    ("ix_attendance_marks_student_date", "attendance_marks", "student_id, date"),
    ("ix_attendance_submissions_section_date", "attendance_submissions", "section_id, date"),
)

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text),
)

outbox = sa.Table(
    "outbox", metadata,
    # Order of the edits as the person made them; pushes keep it.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mutation_id", sa.Text, nullable=False, unique=True),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # JSON
    sa.Column("base_version", sa.Integer),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text),
    # pending: not yet answered; conflict/rejected: answered, waiting for a person.
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("answer", sa.Text),  # JSON
    sa.Column("answered_at", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
)

outbox_keys = sa.Table(
    "outbox_keys", metadata,
    sa.Column("mutation_id", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("record_id", sa.Text, nullable=False),
    # The server's version of the record ({"row": [...]} or {"row": null}),
    # kept by the first waiting edit that holds it, for taking edits back.
    sa.Column("prior", sa.Text),
    sa.Index("ix_outbox_keys_record", "kind", "record_id"),
)

# Student records a person opened on this workstation, waiting to be
# reported to the server's access log with the next sync (by that person's
# session only: an event names who opened the record).
access_events = sa.Table(
    "access_events", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Text, nullable=False, unique=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("record_kind", sa.Text, nullable=False),
    sa.Column("record_id", sa.Text, nullable=False),
)


def _new_kinds(*names: str) -> tuple[str, ...]:
    """The SQL that adds synced kinds to an older cache: tables and indexes."""
    tables = tuple(str(sa.schema.CreateTable(SYNCED[n]).compile(dialect=_SQLITE)).strip()
                   for n in names)
    return tables + tuple(f"CREATE INDEX IF NOT EXISTS {ix} ON {table} ({column})"
                          for ix, table, column in INDEXES if table in names)


# The new kinds' records were never pulled: start again from a snapshot
# (the outbox stays).
_REBOOTSTRAP = "DELETE FROM meta WHERE key = 'cursor'"

# Steps from one cache schema version to the next: {from_version: sql}.
# A new cache is created at SCHEMA_VERSION directly.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: ("CREATE INDEX IF NOT EXISTS ix_attendance_marks_student_date "
        "ON attendance_marks (student_id, date)",
        "CREATE INDEX IF NOT EXISTS ix_attendance_submissions_section_date "
        "ON attendance_submissions (section_id, date)"),
    # Scheduling (issue 5): course requests, grade requirements, past marks,
    # and the program's last edit.
    2: (*_new_kinds("course_requests", "grade_requirements", "transcript_entries"),
        "ALTER TABLE programs ADD COLUMN last_mutation_id TEXT", _REBOOTSTRAP),
    # Report cards (issue 6): marks, and which cards were printed.
    3: (*_new_kinds("grade_marks", "report_card_prints"), _REBOOTSTRAP),
    # Security (issue 10): transfer requests between schools, and the
    # records opened here, for the server's access log.
    4: (*_new_kinds("transfer_requests"),
        str(sa.schema.CreateTable(access_events).compile(dialect=_SQLITE)).strip(),
        _REBOOTSTRAP),
    # Foundations (issue 11): a waiting edit can be taken back.
    5: ("ALTER TABLE outbox_keys ADD COLUMN prior TEXT",),
}
