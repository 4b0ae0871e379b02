"""The server's tables: one per synced record kind, plus the district's own.

Synced tables are built from `domain.records.KINDS`, so the server and the
workstations agree on fields by construction. Alembic migrations under
`district_server/migrations` create and evolve them; `metadata` here is
what the migrations are checked against.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.records import BOOL, INT, KINDS, REAL, Kind

metadata = sa.MetaData()

_SQL_TYPES = {INT: sa.Integer, BOOL: sa.Boolean, REAL: sa.Float}


def _column(field) -> sa.Column:
    sql_type = _SQL_TYPES.get(field.type, sa.Text)
    return sa.Column(field.name, sql_type(), nullable=not field.required)


def _synced_table(k: Kind) -> sa.Table:
    columns: list[Any] = [
        # Ids are unique within a school (attendance code "A" exists in every school).
        sa.Column("school_id", sa.Text, sa.ForeignKey("schools.id"), primary_key=True),
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        *(_column(f) for f in k.fields),
    ]
    indexes = [sa.Index(f"ix_{k.name}_school_version", "school_id", "version", unique=True)]
    indexes += [sa.Index(f"ix_{k.name}_{f.name}", f.name, unique=f.unique)
                for f in k.fields if f.indexed]
    return sa.Table(k.name, metadata, *columns, *indexes)


schools = sa.Table(
    "schools", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),  # elementary, middle, high
    sa.Column("grade_low", sa.Integer, nullable=False),
    sa.Column("grade_high", sa.Integer, nullable=False),
    sa.Column("periods_per_day", sa.Integer, nullable=False),
    sa.Column("required_periods", sa.Integer, nullable=False),
)

district = sa.Table(
    "district", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
)

# Per school: the last number handed out and the oldest change still
# answerable by a pull (tombstones below it have been pruned).
school_sequences = sa.Table(
    "school_sequences", metadata,
    sa.Column("school_id", sa.Text, sa.ForeignKey("schools.id"), primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("floor_seq", sa.BigInteger, nullable=False, server_default="0"),
)

tombstones = sa.Table(
    "tombstones", metadata,
    sa.Column("school_id", sa.Text, sa.ForeignKey("schools.id"), primary_key=True),
    sa.Column("version", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("record_id", sa.Text, nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("display_name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),  # clerk, counselor, school_admin, district_admin
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

user_schools = sa.Table(
    "user_schools", metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
    sa.Column("school_id", sa.Text, sa.ForeignKey("schools.id"), primary_key=True),
)

# Only a hash of each token is kept: a leaked database opens no session.
tokens = sa.Table(
    "tokens", metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("workstation", sa.Text, nullable=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),  # unix seconds
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    # Unix seconds of the last request, to a few minutes: a session idle
    # for longer than the idle limit has ended (services.auth).
    sa.Column("last_used_at", sa.BigInteger, nullable=True),
)

# Who read or administered what: sign-ins and their failures, snapshots,
# pulls, histories, student records opened on a workstation, admin actions.
# Append-only: no route changes or deletes a row (and the database refuses it).
access_log = sa.Table(
    "access_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Text, nullable=False),  # ISO UTC
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("username", sa.Text, nullable=True),  # as typed, for a failed sign-in
    sa.Column("role", sa.Text, nullable=True),
    sa.Column("workstation", sa.Text, nullable=True),
    sa.Column("ip", sa.Text, nullable=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("endpoint", sa.Text, nullable=False),
    sa.Column("school_id", sa.Text, nullable=True),
    sa.Column("records", sa.Integer, nullable=True),  # how many records it returned
    sa.Column("detail", sa.Text, nullable=True),
    # A workstation's own id for an event it reports (a record opened), so a
    # report sent twice is kept once.
    sa.Column("event_id", sa.Text, nullable=True, unique=True),
    sa.Index("ix_access_log_school_at", "school_id", "at"),
    sa.Index("ix_access_log_at", "at"),
)

# Failed sign-ins per account ("user:NAME") and per address ("ip:ADDR"):
# past a threshold, sign-in answers 429 until `locked_until` (unix seconds).
sign_in_throttle = sa.Table(
    "sign_in_throttle", metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", sa.BigInteger, nullable=False),
    sa.Column("locked_until", sa.BigInteger, nullable=False, server_default="0"),
)

# Every mutation the server has answered, with its answer: a retried push
# gets the stored answer and changes nothing.
mutations = sa.Table(
    "mutations", metadata,
    sa.Column("mutation_id", sa.Text, primary_key=True),
    sa.Column("school_id", sa.Text, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("workstation", sa.Text, nullable=True),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("received_at", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("answer", sa.Text, nullable=False),  # JSON
)

audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("school_id", sa.Text, nullable=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("username", sa.Text, nullable=True),
    sa.Column("workstation", sa.Text, nullable=True),
    sa.Column("mutation_id", sa.Text, nullable=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("record_id", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("old", sa.Text, nullable=True),  # JSON of the changed fields before
    sa.Column("new", sa.Text, nullable=True),  # and after
    sa.Column("reason", sa.Text, nullable=True),
    sa.Index("ix_audit_record", "kind", "record_id"),
    sa.Index("ix_audit_school_at", "school_id", "at"),
)

# Schools that had more than ten students without a complete schedule after
# 10:00 AM on a school day (DESIGN.md's escalation rule), one row a day.
schedule_escalations = sa.Table(
    "schedule_escalations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("school_id", sa.Text, sa.ForeignKey("schools.id"), nullable=False),
    sa.Column("date", sa.Text, nullable=False),
    sa.Column("incomplete", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.Text, nullable=False),
    sa.Column("reported_by", sa.Text, nullable=True),
    sa.UniqueConstraint("school_id", "date", name="uq_schedule_escalations_school_date"),
)

SYNCED: dict[str, sa.Table] = {k.name: _synced_table(k) for k in KINDS}
