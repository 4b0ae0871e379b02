"""Settings every test shares: headless Qt, and a keyring stand-in per test."""
from __future__ import annotations

import os

import pytest

# The live server, PostgreSQL and workstation fixtures, for every test folder.
pytest_plugins = ["tests.support.fixtures", "tests.support.desktop"]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# CI has no secret service: a per-test file stands in for the OS keyring
# (tests/support/keyring_backend.py). Set before keyring is first used.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.keyring_backend.TestKeyring"


def pytest_configure(config):
    config.addinivalue_line("markers", "clock(moment): the moment the school_day_clock fixture "
                                       "sets (tests/support/fixtures.py)")


@pytest.fixture(autouse=True)
def _own_keyring(tmp_path, monkeypatch):
    monkeypatch.setenv("MISIS_TEST_KEYRING", str(tmp_path / "keyring.json"))
    from sync import credentials
    credentials._memory.clear()
    credentials._memory_keys.clear()
    yield
    credentials._memory.clear()
    credentials._memory_keys.clear()
