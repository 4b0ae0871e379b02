"""The real district server on a loopback port, on PostgreSQL and on SQLite.

The small demo district is generated and loaded once per run into a template
(an SQLite file, a PostgreSQL template database); each test gets its own
copy and its own server process. The district is generated as of a fixed
school day (tests/support/clock.py), never as of today.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from district_server.demo import generate_district
from district_server.services.loader import create_demo_database
from district_server.store.db import make_engine
from domain import clock
from sync.workstation import Workstation
from tests.support.clock import SCHOOL_DAY, SCHOOL_DAY_MORNING
from tests.support.postgres import env_or_throwaway, postgres_available
from tests.support.server import RunningServer, copy_sqlite

AS_OF = SCHOOL_DAY
BACKENDS = ("sqlite", "postgres")
_numbers = itertools.count(1)


@pytest.fixture
def clock_at(monkeypatch):
    """``clock_at(moment)``: this test's clock reads `moment` and runs on from
    there, and so do the servers and clients it starts afterwards (MISIS_NOW,
    which they inherit). For what takes no date of its own: the whole
    desktop client, a server's "now"."""
    def move(moment) -> None:
        monkeypatch.setenv(clock.OVERRIDE, moment.isoformat())
        clock.now_utc()  # pins it now: the servers started next run on this very clock
    return move


@pytest.fixture
def school_day_clock(request, clock_at):
    """The morning of the school day the demo district is generated as of, or
    the moment a ``pytest.mark.clock(moment)`` on the test names. Ask for it
    before any server fixture (``pytest.mark.usefixtures``), so the server
    starts on that clock too."""
    mark = request.node.get_closest_marker("clock")
    clock_at(mark.args[0] if mark else SCHOOL_DAY_MORNING)


@pytest.fixture(scope="session")
def demo_district():
    return generate_district(7, size="small", as_of=AS_OF)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, demo_district) -> Path:
    path = tmp_path_factory.mktemp("template") / "district.db"
    create_demo_database(f"sqlite:///{path}", demo_district)
    return path


@pytest.fixture(scope="session")
def postgres_cluster():
    if not postgres_available() and not os.environ.get("MISIS_TEST_PG_URL"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL 15 binaries are missing on CI")
        pytest.skip("PostgreSQL 15 binaries not installed")
    url, cluster = env_or_throwaway()
    yield cluster
    if cluster:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster, demo_district) -> str:
    name = "misis_template"
    url = postgres_cluster.create_database(name)
    create_demo_database(url, demo_district)
    return name


@dataclass
class Server:
    backend: str
    url: str
    database_url: str
    engine: sa.engine.Engine
    process: RunningServer

    def restart(self) -> None:
        self.process.stop()
        self.process.start()

    def stop(self) -> None:
        self.process.stop()

    def start(self) -> None:
        self.process.start()


def _start_server(request, tmp_path, backend: str):
    if backend == "sqlite":
        db_url = copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "district.db")
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        template = request.getfixturevalue("postgres_template")
        db_url = cluster.create_database(f"test_{next(_numbers)}", template=template)
    process = RunningServer(db_url, log_path=tmp_path / "server.log").start()
    return Server(backend, process.url, db_url, make_engine(db_url), process)


@pytest.fixture(params=BACKENDS)
def server(request, tmp_path):
    """The district server, once on SQLite and once on PostgreSQL."""
    running = _start_server(request, tmp_path, request.param)
    yield running
    running.stop()
    running.engine.dispose()


@pytest.fixture
def sqlite_server(request, tmp_path):
    """The district server on its embedded default, for tests of the client."""
    running = _start_server(request, tmp_path, "sqlite")
    yield running
    running.stop()
    running.engine.dispose()


@pytest.fixture
def school(demo_district):
    """The small district's high school: periods, sections, schedules."""
    return next(s for s in demo_district.schools if s.level == "high")


def password_of(demo, username: str) -> str:
    return next(u.password for u in demo.users if u.username == username)


def signed_in(folder, server_url: str, demo, username: str,
              school_id: str | None = None) -> Workstation:
    """A workstation in `folder`, signed in as a demo user (on `school_id`)."""
    ws = Workstation(folder)
    ws.sign_in(server_url, username, password_of(demo, username))
    if school_id:
        ws.settings.school_id = school_id
        ws.save_settings()
    return ws


@pytest.fixture
def workstation(tmp_path, server, demo_district):
    """Make a signed-in workstation: ``workstation("a", "clerk.1003")``."""
    def make(name: str, username: str, school_id: str | None = None) -> Workstation:
        return signed_in(tmp_path / f"ws-{name}", server.url, demo_district, username, school_id)
    return make
