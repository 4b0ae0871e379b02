"""The workstation as someone who finds it unattended, steals it, or sits
between it and the server would try it: no session without a password, the
cache unreadable without its key, no password over plain HTTP, no trust in a
certificate that can't be trusted."""
from __future__ import annotations

import os
import sqlite3
import stat
import uuid

import pytest
import requests
import trustme

from domain.values import InvalidValue
from local_store.store import LocalStore
from sync.client import InsecureServer, ServerClient, UntrustedServer
from sync.workstation import NotSignedIn, OfflineRefused, Workstation
from tests.integration.helpers import a_student_in_a_section, mark_payload, school_day
from tests.support.fixtures import password_of
from tests.support.server import RunningServer, copy_sqlite


@pytest.fixture
def high(demo_district):
    return next(s for s in demo_district.schools if s.level == "high")


def loaded(folder, server, demo, username) -> Workstation:
    ws = Workstation(folder)
    ws.sign_in(server.url, username, password_of(demo, username))
    store = ws.open_store()
    ws.sync(store)
    store.close()
    return ws


def test_the_cache_is_unreadable_without_its_key_and_the_folder_is_private(
        sqlite_server, demo_district, high, tmp_path):
    ws = loaded(tmp_path / "ws", sqlite_server, demo_district, f"clerk.{high.code}")
    cache = ws.cache_path(high.id)
    student = ws.open_store().records("students")[0]
    raw = cache.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert student["legal_last_name"].encode() not in raw
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(cache).execute("SELECT count(*) FROM students").fetchall()
    with pytest.raises(Exception, match="can't be read|not a database"):
        LocalStore(cache, key=os.urandom(32))
    assert stat.S_IMODE(ws.data_dir.stat().st_mode) == 0o700
    for path in ws.data_dir.iterdir():
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_cache_written_before_encryption_is_encrypted_keeping_its_unsent_work(
        sqlite_server, demo_district, high, tmp_path):
    user = f"clerk.{high.code}"
    ws = Workstation(tmp_path / "ws")
    ws.sign_in(sqlite_server.url, user, password_of(demo_district, user))
    plain = LocalStore(ws.cache_path(high.id))  # as the last version wrote it
    plain.close()
    key_store = ws.open_store()
    ws.sync(key_store)
    key_store.close()
    # Rewrite the cache in clear, with one unsent edit, as before this change.
    decrypted = tmp_path / "plain.db"
    _decrypt(ws.cache_path(high.id), ws._cache_key, decrypted)
    os.replace(decrypted, ws.cache_path(high.id))
    old = LocalStore(ws.cache_path(high.id))
    student, section = a_student_in_a_section(old)
    day = school_day(old)
    mid = ws.edit(old, "attendance.mark", mark_payload(student, section, day, "T"))
    old.close()
    assert ws.cache_path(high.id).read_bytes().startswith(b"SQLite format 3")

    store = ws.open_store()
    assert [e["mutation_id"] for e in store.pending()] == [mid]
    assert not ws.cache_path(high.id).read_bytes().startswith(b"SQLite format 3")
    assert ws.sync(store).applied == 1


def _decrypt(path, key: bytes, target) -> None:
    from local_store.store import open_encrypted
    conn = open_encrypted(path, key)
    conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
    conn.execute("SELECT sqlcipher_export('plain')")
    conn.execute("DETACH DATABASE plain")
    conn.close()


def test_nothing_opens_after_sign_out_and_offline_only_for_someone_who_signed_in_here(
        sqlite_server, demo_district, high, tmp_path):
    clerk, counselor = f"clerk.{high.code}", f"counselor.{high.code}"
    folder = tmp_path / "ws"
    loaded(folder, sqlite_server, demo_district, clerk)

    again = Workstation(folder)  # the next start of MiSiS on this workstation
    with pytest.raises(NotSignedIn):
        again.open_store()
    sqlite_server.stop()
    # Offline: the clerk who signed in here opens it with their password...
    with pytest.raises(OfflineRefused, match="Wrong user name or password"):
        again.sign_in_anywhere(sqlite_server.url, clerk, "not-my-password")
    data = again.sign_in_anywhere(sqlite_server.url, clerk, password_of(demo_district, clerk))
    assert data["offline"] and again.open_store().count("students") > 0
    # ...a counselor who never signed in here cannot, whatever they type.
    other = Workstation(folder)
    with pytest.raises(OfflineRefused, match="has not signed in on this workstation before"):
        other.sign_in_anywhere(sqlite_server.url, counselor,
                               password_of(demo_district, counselor))
    # After signing out, not even the clerk, until the server says yes again.
    again.sign_out()
    with pytest.raises(NotSignedIn):
        again.open_store()
    with pytest.raises(OfflineRefused, match="signed out"):
        Workstation(folder).sign_in_offline(clerk, password_of(demo_district, clerk))
    sqlite_server.start()
    back = Workstation(folder)
    back.sign_in_anywhere(sqlite_server.url, clerk, password_of(demo_district, clerk))
    assert not back.offline and back.open_store().count("students") > 0


def test_offline_opening_ends_with_the_server_session(sqlite_server, demo_district, high,
                                                      tmp_path):
    clerk = f"clerk.{high.code}"
    ws = loaded(tmp_path / "ws", sqlite_server, demo_district, clerk)
    account = ws.accounts.get(clerk)
    later = account.last_contact + account.idle_s + 60  # a long weekend too long
    sqlite_server.stop()
    with pytest.raises(OfflineRefused, match="without use"):
        Workstation(ws.data_dir).sign_in_offline(clerk, password_of(demo_district, clerk),
                                                 now=later)
    with pytest.raises(OfflineRefused, match="expired"):
        Workstation(ws.data_dir).sign_in_offline(clerk, password_of(demo_district, clerk),
                                                 now=account.session_expires_at + 1)


def test_edits_are_sent_only_in_their_authors_session(sqlite_server, demo_district, high,
                                                      tmp_path):
    """Changes made by one person go out under that person's name, never
    under the next person's session; the server refuses a push that tries."""
    clerk, counselor = f"clerk.{high.code}", f"counselor.{high.code}"
    folder = tmp_path / "ws"
    first = loaded(folder, sqlite_server, demo_district, clerk)
    store = first.open_store()
    student, section = a_student_in_a_section(store)
    day = school_day(store)
    theirs = first.edit(store, "attendance.mark", mark_payload(student, section, day, "A"))
    store.close()
    first.sign_out()

    second = Workstation(folder)
    second.sign_in(sqlite_server.url, counselor, password_of(demo_district, counselor))
    store = second.open_store()
    other, other_section = a_student_in_a_section(store, 3)
    mine = second.edit(store, "attendance.mark",
                       mark_payload(other, other_section, day, "T", minutes_late=5))
    report = second.sync(store)
    assert report.applied == 1
    assert [e["mutation_id"] for e in store.pending()] == [theirs]
    assert store.pending_by_others(counselor) == {clerk: 1}
    assert mine not in [e["mutation_id"] for e in store.pending()]

    token = second.client().token
    forged = {"mutations": [{"mutation_id": str(uuid.uuid4()), "op": "attendance.mark",
                             "author": clerk, "payload": mark_payload(student, section, day,
                                                                      "E")}]}
    r = requests.post(f"{sqlite_server.url}/api/schools/{high.id}/mutations", json=forged,
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 403 and "another user" in r.json()["detail"]
    store.close()
    second.sign_out()

    back = Workstation(folder)
    back.sign_in(sqlite_server.url, clerk, password_of(demo_district, clerk))
    store = back.open_store()
    assert back.sync(store).applied == 1
    assert store.pending() == []
    store.close()


def test_a_note_with_a_nul_is_refused_before_it_is_queued(sqlite_server, demo_district, high,
                                                          tmp_path):
    ws = loaded(tmp_path / "ws", sqlite_server, demo_district, f"clerk.{high.code}")
    store = ws.open_store()
    student, section = a_student_in_a_section(store)
    with pytest.raises(InvalidValue, match="NUL"):
        ws.edit(store, "attendance.mark", mark_payload(student, section, school_day(store), "A",
                                                       note="bus\x00late"))
    assert store.outbox_counts()["pending"] == 0
    store.close()


def test_plain_http_to_another_machine_is_refused_unless_allowed(tmp_path):
    with pytest.raises(InsecureServer, match="only over https://"):
        ServerClient("http://10.20.30.40:8470")
    ServerClient("http://127.0.0.1:8470").close()  # this computer: fine
    ServerClient("http://10.20.30.40:8470", allow_plain_http=True).close()
    ws = Workstation(tmp_path / "ws")
    with pytest.raises(InsecureServer):
        ws.sign_in("http://misis.district.example", "clerk.1003", "demo-clerk-2026")
    assert not ws.has_token()


@pytest.fixture(scope="module")
def district_ca(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    paths = folder / "server.pem", folder / "server.key", folder / "district-ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(paths[0]))
    cert.private_key_pem.write_to_path(str(paths[1]))
    ca.cert_pem.write_to_path(str(paths[2]))
    return paths


def test_an_untrusted_certificate_is_said_as_such_and_the_district_ca_makes_it_work(
        district_ca, sqlite_template, demo_district, high, tmp_path):
    db = copy_sqlite(sqlite_template, tmp_path / "district.db")
    user = f"clerk.{high.code}"
    with RunningServer(db, log_path=tmp_path / "server.log", tls=district_ca) as server:
        assert server.url.startswith("https://")
        ws = Workstation(tmp_path / "ws")
        with pytest.raises(UntrustedServer, match="certificate is not trusted"):
            ws.sign_in(server.url, user, password_of(demo_district, user))
        assert not ws.has_token()
        ws.settings.ca_bundle = str(district_ca[2])
        ws.save_settings()
        ws.sign_in(server.url, user, password_of(demo_district, user))
        store = ws.open_store()
        assert ws.sync(store).bootstrapped
        store.close()


def test_serve_refuses_the_demo_on_a_network_address_and_hides_the_api_docs(
        sqlite_server, tmp_path):
    import subprocess
    import sys

    from tests.support.server import ROOT
    refused = subprocess.run(
        [sys.executable, "-m", "district_server", "serve", "--db",
         f"sqlite:///{tmp_path / 'x.db'}", "--host", "0.0.0.0", "--demo"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "won't do that on 0.0.0.0" in refused.stderr
    assert not (tmp_path / "x.db").exists()
    for path in ("/docs", "/openapi.json"):
        assert requests.get(f"{sqlite_server.url}{path}", timeout=10).status_code == 404
