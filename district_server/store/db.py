"""Engines for the district database: PostgreSQL, or an embedded SQLite file.

Writers take their school's sequence row first thing in a transaction. On
PostgreSQL that row lock orders a school's commits. On SQLite a write
transaction starts with ``BEGIN IMMEDIATE`` so it waits (``busy_timeout``)
for the single writer instead of failing when it upgrades a read lock.
"""
from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def is_sqlite(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 24, statement_timeout_s: int | None = None,
                idle_in_transaction_s: int | None = None, pool_timeout_s: float = 30) -> Engine:
    """An engine; the server's own passes timeouts so no statement, idle
    transaction or wait for a pooled connection lasts for ever."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=pool_size, max_overflow=8,
                                  pool_timeout=pool_timeout_s)
        _sqlite_transactions(engine)
        return engine
    options = []
    if statement_timeout_s:
        options.append(f"-c statement_timeout={statement_timeout_s * 1000}")
    if idle_in_transaction_s:
        options.append(f"-c idle_in_transaction_session_timeout={idle_in_transaction_s * 1000}")
    connect_args = {"options": " ".join(options)} if options else {}
    return sa.create_engine(url, pool_size=pool_size, max_overflow=8, pool_pre_ping=True,
                            pool_timeout=pool_timeout_s, connect_args=connect_args)


def _sqlite_transactions(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, say when a transaction begins.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("writer") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def writer(engine: Engine):
    """A transaction that will write (``with writer(engine) as conn:``)."""
    return engine.execution_options(writer=True).begin()


def reader(engine: Engine):
    """A read-only transaction whose reads all see one snapshot."""
    if is_sqlite(engine):
        return engine.begin()  # a deferred transaction in WAL mode reads one snapshot
    return engine.execution_options(isolation_level="REPEATABLE READ").begin()


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")
