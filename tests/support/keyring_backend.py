"""A stand-in for the operating system's keyring, for tests only.

CI machines have no secret service. Tests point ``PYTHON_KEYRING_BACKEND``
here and ``MISIS_TEST_KEYRING`` at a file in the test's temporary folder,
so a workstation process and its restart share their sign-in as they would
through a real keyring. The product never ships or selects this backend.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class TestKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["MISIS_TEST_KEYRING"])

    def _load(self) -> dict:
        try:
            return json.loads(self._path().read_text())
        except (OSError, ValueError, KeyError):
            return {}

    def _save(self, data: dict) -> None:
        self._path().write_text(json.dumps(data))

    def get_password(self, service, username):
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}\n{username}"] = password
        self._save(data)

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self._save(data)
