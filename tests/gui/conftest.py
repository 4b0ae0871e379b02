"""GUI test fixtures: a school's cache filled from the demo district, no server.

The district is generated once per session (`demo_district`, shared by every
test folder) and its high school loaded once into a template cache file;
each test gets its own copy of that file.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from district_server.demo import DemoSchool
from domain.records import KINDS_BY_NAME, LOAD_ORDER
from local_store.store import LocalStore
from sync.workstation import Workstation
from ui.common import messages

SNAPSHOT_SEQ = 100


@pytest.fixture(autouse=True)
def _messages_never_block():
    messages.set_interactive(False)
    messages.shown.clear()
    yield
    messages.shown.clear()


@pytest.fixture(scope="session")
def demo_school(demo_district) -> DemoSchool:
    """The small demo district's high school (tests.support.fixtures generates it once)."""
    return next(s for s in demo_district.schools if s.level == "high")


def load_school(store: LocalStore, school: DemoSchool, seq: int = SNAPSHOT_SEQ) -> None:
    """Load a demo school as a bootstrap would: wire rows [id, version, *fields]."""
    chunks = [(kind, list(KINDS_BY_NAME[kind].wire_columns),
               [[row[0], 1, *row[1:]] for row in school.records.get(kind, [])])
              for kind in LOAD_ORDER]
    store.load_snapshot(seq, chunks, school_id=school.id)


@pytest.fixture(scope="session")
def _school_cache_template(tmp_path_factory, demo_school) -> Path:
    path = tmp_path_factory.mktemp("template") / "cache.db"
    store = LocalStore(path)
    load_school(store, demo_school)
    store.close()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture
def school_store(tmp_path, _school_cache_template, demo_school) -> LocalStore:
    """The demo high school's cache, bootstrapped, nothing in the outbox."""
    path = tmp_path / "data" / f"cache-{demo_school.id}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_school_cache_template, path)
    store = LocalStore(path)
    yield store
    _let_background_reads_finish()
    store.close()


def _let_background_reads_finish(timeout_s: float = 30) -> None:
    """A screen's read still running when its test ends: its answer is dropped
    and delivered nowhere, as when a session ends, before the cache closes
    (a closed cache refuses reads)."""
    import time

    from PySide6.QtWidgets import QApplication

    from ui.common import tasks
    tasks.cancel_all()
    app = QApplication.instance()
    deadline = time.monotonic() + timeout_s
    while tasks.live_count() and time.monotonic() < deadline:
        if app is not None:
            app.processEvents()
        time.sleep(0.01)
    if app is not None:
        app.processEvents()  # answers sent just before the drop


@pytest.fixture
def school_workstation(tmp_path, demo_school) -> Workstation:
    """A signed-in-looking workstation whose data folder holds `school_store`."""
    ws = Workstation(tmp_path / "data")
    ws.settings.username = "clerk.1003"
    ws.settings.school_id = demo_school.id
    ws.settings.server_url = "http://127.0.0.1:8470"
    ws.save_settings()
    return ws
