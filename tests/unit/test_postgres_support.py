"""The throwaway PostgreSQL cluster used by server tests and benchmarks works end to end."""

from __future__ import annotations

import pytest

from tests.support.postgres import (
    DEFAULT_BINDIR,
    ENV_URL,
    ThrowawayPostgres,
    env_or_throwaway,
    port_open,
    postgres_available,
)

needs_postgres = pytest.mark.skipif(
    not postgres_available(),
    reason=f"PostgreSQL 15 server binaries not found in {DEFAULT_BINDIR} or `pg_config --bindir`",
)


@pytest.mark.postgres
@needs_postgres
def test_throwaway_cluster_lifecycle():
    psycopg = pytest.importorskip("psycopg", reason="psycopg (the 'server' extra) is not installed")
    sqlalchemy = pytest.importorskip("sqlalchemy")

    pg = ThrowawayPostgres()
    try:
        url = pg.start()
        port, tmpdir = pg.port, pg.tmpdir
        assert url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        assert pg.url == url
        assert port_open(port)

        db_url = pg.create_database("misis_support_check")
        assert db_url == f"postgresql+psycopg://postgres@127.0.0.1:{port}/misis_support_check"
        with psycopg.connect(pg.conninfo("misis_support_check")) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.execute("select current_database()").fetchone() == ("misis_support_check",)
            assert conn.execute("show fsync").fetchone() == ("off",)
            conn.execute("create table t (x int)")
            conn.execute("insert into t values (42)")

        # The returned URL works with SQLAlchemy, and a database can serve as a template.
        copy_url = pg.create_database("misis_support_copy", template="misis_support_check")
        engine = sqlalchemy.create_engine(copy_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sqlalchemy.text("select x from t")).scalar_one() == 42
        finally:
            engine.dispose()

        pg.drop_database("misis_support_copy")
        pg.drop_database("misis_support_check")
        with psycopg.connect(pg.conninfo()) as conn:
            names = {r[0] for r in conn.execute("select datname from pg_database")}
        assert not names & {"misis_support_check", "misis_support_copy"}
    finally:
        pg.stop()

    assert not port_open(port), f"port {port} still accepts connections after stop()"
    assert not tmpdir.exists(), f"{tmpdir} was not removed"
    pg.stop()  # idempotent


@pytest.mark.postgres
@needs_postgres
def test_context_manager_stops_cluster():
    with ThrowawayPostgres() as pg:
        port = pg.port
        assert port_open(port)
    assert not port_open(port)
    assert not pg.running


def test_env_or_throwaway_prefers_env(monkeypatch):
    monkeypatch.setenv(ENV_URL, "postgresql+psycopg://someone@db.example:5432/misis")
    assert env_or_throwaway() == ("postgresql+psycopg://someone@db.example:5432/misis", None)
