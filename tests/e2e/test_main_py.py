"""`python main.py` started as a person would, against a live server, read through its log."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.fixtures import password_of
from tests.support.server import ROOT


def wait_for_log(log: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(encoding="utf-8") if log.exists() else ""
        if text in content:
            return content
        if process.poll() is not None:
            raise AssertionError(f"main.py exited with {process.returncode}:\n{content}")
        time.sleep(0.1)  # polling another process's log file
    raise AssertionError(f"{text!r} never appeared in the log:\n{content}")


def test_the_client_signs_in_opens_from_its_cache_syncs_and_closes_cleanly(sqlite_server, demo_district,
                                                                  tmp_path):
    school = next(s for s in demo_district.schools if s.level == "high")
    user = f"clerk.{school.code}"
    data = tmp_path / "workstation"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    first = subprocess.run(
        [sys.executable, "main.py", "--data", str(data), "sync", "--server", sqlite_server.url,
         "--user", user], cwd=ROOT, env={**env, "MISIS_PASSWORD": password_of(demo_district, user)},
        capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr

    # Every start asks who is there: the password is typed in from the environment.
    client = subprocess.Popen([sys.executable, "main.py", "--data", str(data),
                               "--password-env", "E2E_PASSWORD"], cwd=ROOT,
                              env={**env, "E2E_PASSWORD": password_of(demo_district, user)},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        log = data / "misis.log"
        content = wait_for_log(log, "main window open", client)
        assert f"{school.name}, {len(school.records['students'])} students" in content
        wait_for_log(log, "sync done", client)
        client.send_signal(signal.SIGTERM)
        assert client.wait(30) == 0
        assert "MiSiS closed" in log.read_text(encoding="utf-8")
    finally:
        if client.poll() is None:
            client.kill()
    assert "Traceback" not in log.read_text(encoding="utf-8")
