"""The session token: in the keyring (here the per-test stand-in from
tests/conftest.py) or in this process's memory, and never in a file of the
workstation's data folder."""
from __future__ import annotations

import dataclasses
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError

from local_store.settings import ClientSettings
from sync import credentials
from sync.workstation import Workstation

SERVER = "http://district.example:8470"
TOKEN = "tok-5f1c9a0e7b2d4c8e"


def keyring_file_text() -> str:
    """What the keyring stand-in holds on disk ('' when nothing was ever saved)."""
    path = Path(os.environ["MISIS_TEST_KEYRING"])
    return path.read_text() if path.exists() else ""


def new_process() -> None:
    """What a restart of the workstation forgets."""
    credentials._memory.clear()


def test_a_saved_token_is_found_again_after_a_restart_and_gone_when_forgotten():
    assert credentials.save_token(SERVER, "clerk.hs1", TOKEN) is True
    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    assert TOKEN in keyring_file_text()

    new_process()
    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    assert credentials.load_token(SERVER, "counselor.hs1") is None
    assert credentials.load_token("http://elsewhere:8470", "clerk.hs1") is None

    credentials.forget_token(SERVER, "clerk.hs1")
    assert credentials.load_token(SERVER, "clerk.hs1") is None
    assert TOKEN not in keyring_file_text()


def test_a_session_not_to_be_remembered_stays_in_memory_only():
    assert credentials.save_token(SERVER, "clerk.hs1", TOKEN, persist=False) is False
    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    assert TOKEN not in keyring_file_text()

    new_process()
    assert credentials.load_token(SERVER, "clerk.hs1") is None


def test_signing_in_again_without_remembering_replaces_the_remembered_session():
    credentials.save_token(SERVER, "clerk.hs1", "tok-expired")
    # The session expired; the clerk signs in again, choosing not to be remembered.
    credentials.save_token(SERVER, "clerk.hs1", TOKEN, persist=False)

    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    assert "tok-expired" not in keyring_file_text()


def test_without_a_keyring_the_session_lasts_for_this_process(monkeypatch):
    monkeypatch.setattr(keyring, "get_keyring", lambda: keyring.backends.fail.Keyring())

    assert credentials.save_token(SERVER, "clerk.hs1", TOKEN) is False
    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    assert TOKEN not in keyring_file_text()

    credentials.forget_token(SERVER, "clerk.hs1")
    assert credentials.load_token(SERVER, "clerk.hs1") is None


class RefusingKeyring(KeyringBackend):
    """A keyring that is there but won't answer (locked, D-Bus gone away)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise KeyringError("the keyring is locked")

    def set_password(self, service, username, password):
        raise KeyringError("the keyring is locked")

    def delete_password(self, service, username):
        raise KeyringError("the keyring is locked")


def test_a_keyring_that_refuses_leaves_the_session_in_memory(monkeypatch):
    monkeypatch.setattr(keyring, "get_keyring", lambda: RefusingKeyring())

    assert credentials.save_token(SERVER, "clerk.hs1", TOKEN) is False
    assert credentials.load_token(SERVER, "clerk.hs1") == TOKEN
    credentials.forget_token(SERVER, "clerk.hs1")
    assert credentials.load_token(SERVER, "clerk.hs1") is None


# --- the workstation's files

def test_settings_have_no_place_for_a_secret(tmp_path):
    names = [f.name for f in dataclasses.fields(ClientSettings)]
    assert not [n for n in names if any(w in n.lower() for w in ("token", "password", "secret"))]

    ClientSettings(server_url=SERVER, username="clerk.hs1", school_id="sch-1").save(tmp_path)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert sorted(saved) == sorted(names)


@pytest.fixture
def login_server():
    """A loopback server that answers a sign-in, as the district server does."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"token": TOKEN, "expires_at": 4_000_000_000,
                               "idle_expires_s": 72 * 3600, "user": {
                "display_name": "Front Office", "role": "clerk",
                "schools": [{"id": "sch-1", "name": "Roosevelt High"}]}}).encode()
            self.send_response(200 if self.path == "/api/login" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.block_on_close = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def files_holding(folder: Path, secret: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


@pytest.mark.parametrize("remember", [True, False])
def test_after_signing_in_the_token_is_in_no_file_of_the_data_folder(tmp_path, login_server,
                                                                     remember):
    ws = Workstation(tmp_path / "misis")

    ws.sign_in(login_server, "clerk.hs1", "correct horse", remember=remember)

    assert ws.has_token()
    settings = json.loads((ws.data_dir / "settings.json").read_text())
    assert (settings["username"], settings["school_id"]) == ("clerk.hs1", "sch-1")
    assert files_holding(ws.data_dir, TOKEN) == []
    assert files_holding(ws.data_dir, "correct horse") == []
    assert (TOKEN in keyring_file_text()) is remember


def test_two_syncs_of_one_workstation_starting_together_both_run(tmp_path):
    """The desktop client syncs on a timer while a cron job runs `main.py
    sync` on the same data folder (README), and every `main.py sync` saves
    the workstation's settings as it starts: two starting at the same moment
    must both run, not die with a traceback. Two threads saving the settings
    of one folder over and over stand in for the two processes, whose race
    is the same but rarer."""
    Workstation(tmp_path)  # the folder, with its settings
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def starts() -> None:
        ws = Workstation(tmp_path)
        start.wait()
        for _ in range(300):
            try:
                ws.save_settings()
            except OSError as exc:
                failures.append(exc)

    threads = [threading.Thread(target=starts) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [], f"{len(failures)} of 600 saves failed, e.g. {failures[0]!r}"


def test_files_written_0644_by_an_earlier_version_become_private_and_others_stay(tmp_path):
    for name in ("settings.json", "misis.log", "misis.log.1", "cache-sch-1.db"):
        (tmp_path / name).write_text("{}")
        os.chmod(tmp_path / name, 0o644)
    (tmp_path / "notes.txt").write_text("someone else's file")
    os.chmod(tmp_path / "notes.txt", 0o644)
    os.chmod(tmp_path, 0o755)
    Workstation(tmp_path)
    assert oct(tmp_path.stat().st_mode & 0o777) == "0o700"
    for name in ("settings.json", "misis.log", "misis.log.1", "cache-sch-1.db"):
        assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o600", name
    assert oct((tmp_path / "notes.txt").stat().st_mode & 0o777) == "0o644"
