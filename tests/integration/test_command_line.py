"""`python main.py sync` and `status`, run as a person or a cron job would."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.fixtures import password_of
from tests.support.server import ROOT


def main_py(data_dir, *args, password: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MISIS_PASSWORD", None)
    if password is not None:
        env["MISIS_PASSWORD"] = password
    return subprocess.run([sys.executable, "main.py", "--data", str(data_dir), *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_sync_then_status(server, school, demo_district, tmp_path):
    user = f"clerk.{school.code}"
    data = tmp_path / "ws"
    synced = main_py(data, "sync", "--server", server.url, "--user", user,
                     password=password_of(demo_district, user))
    assert synced.returncode == 0, synced.stderr
    assert "loaded the school" in synced.stdout
    status = main_py(data, "status")
    assert status.returncode == 0
    lines = dict(line.split(":", 1) for line in status.stdout.splitlines())
    assert lines["school"].strip() == school.id
    assert lines["server status"].strip().startswith("online")
    assert lines["pending"].strip() == "0"
    assert int(lines["students"]) == len(school.records["students"])
    assert "token" not in (data / "settings.json").read_text()
    assert oct((data / f"cache-{school.id}.db").stat().st_mode & 0o777) == "0o600"


def test_wrong_password_says_so_and_stores_nothing(server, school, tmp_path):
    data = tmp_path / "ws"
    result = main_py(data, "sync", "--server", server.url, "--user", f"clerk.{school.code}",
                     password="not-the-password")
    assert result.returncode == 3
    assert "Wrong user name or password" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(data.glob("cache-*.db"))
    keyring_file = tmp_path / "keyring.json"
    assert not keyring_file.exists() or json.loads(keyring_file.read_text()) == {}


def test_server_down_is_a_calm_message(server, school, demo_district, tmp_path):
    user = f"clerk.{school.code}"
    data = tmp_path / "ws"
    assert main_py(data, "sync", "--server", server.url, "--user", user,
                   password=password_of(demo_district, user)).returncode == 0
    server.stop()
    result = main_py(data, "sync", password=password_of(demo_district, user))
    assert result.returncode == 2
    assert "can't be reached" in result.stderr and "kept on this workstation" in result.stderr
    assert "Traceback" not in result.stderr
    # The cache is encrypted: without the server, the password opens it.
    locked = main_py(data, "status")
    assert "server status: offline" in locked.stdout
    assert "counts show once signed in" in locked.stdout and "students:" not in locked.stdout
    status = main_py(data, "status", password=password_of(demo_district, user))
    assert "server status: offline" in status.stdout
    assert "last error:" in status.stdout
