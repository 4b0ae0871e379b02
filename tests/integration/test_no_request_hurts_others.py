"""No one request can hurt the others: a clerk holding forty snapshot
streams open, or a flood of wrong passwords, must not keep another school
from signing in, pulling and pushing."""
from __future__ import annotations

import itertools
import socket
import statistics
import threading
import time
import uuid
from urllib.parse import urlsplit

import requests

from tests.integration.test_access import call, login
from tests.integration.test_bad_input import good_mark


def open_slow_reader(server, path: str, token: str) -> tuple[socket.socket, int]:
    """A GET whose answer is then never read: the reader a clerk's script
    (or a hung workstation) would be. Returns the socket and the status."""
    parts = urlsplit(server.url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
    sock.settimeout(30)
    sock.connect((parts.hostname, parts.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                 .encode())
    head = sock.recv(64)
    return sock, int(head.split(b" ", 2)[1])


def test_forty_slow_snapshot_readers_dont_stop_another_schools_sign_in_and_pull(
        server, demo_district):
    """40 slow readers once held 40 database connections until they had read
    everything, and others' sign-ins and pulls failed with 500 for minutes."""
    token = login(server, demo_district, "clerk.1003")
    readers = [open_slow_reader(server, "/api/schools/sch-1003/snapshot", token)
               for _ in range(40)]
    try:
        statuses = [status for _, status in readers]
        # Two at once per user: the rest are told to come back (a few more may
        # get through when earlier ones have already been spooled out whole).
        assert set(statuses) <= {200, 429} and statuses.count(429) >= 30, statuses
        started = time.monotonic()
        other = login(server, demo_district, "clerk.1002")
        signed_in = time.monotonic()
        page = call(server, "GET", "/api/schools/sch-1002/changes?after=0&limit=100", other)
        pulled = time.monotonic()
        assert page.status_code == 200 and page.json()["changes"]
        assert signed_in - started < 2 and pulled - signed_in < 2
    finally:
        for sock, _ in readers:
            sock.close()


def test_a_flood_of_wrong_passwords_does_not_slow_pushes_on_sqlite(sqlite_server, demo_district):
    """On SQLite, sign-in once checked Argon2 while holding the single write
    lock: a flood of wrong passwords took push latency from 0.02 s to 12 s."""
    server = sqlite_server
    token = login(server, demo_district, "clerk.1003")
    high = next(s for s in demo_district.schools if s.id == "sch-1003")
    students = [r[0] for r in high.records["students"][:200]]
    section = high.records["sections"][0]
    stop = threading.Event()
    flood_answers: list[int] = []

    def flood(n: int) -> None:
        session = requests.Session()
        while not stop.is_set():
            r = session.post(f"{server.url}/api/login", timeout=30, json={
                "username": f"clerk.100{n % 4 + 1}", "password": f"guess-{uuid.uuid4()}"})
            flood_answers.append(r.status_code)

    flooders = [threading.Thread(target=flood, args=(n,), daemon=True) for n in range(12)]
    for t in flooders:
        t.start()
    latencies = []
    try:
        while len(flood_answers) < 12:  # the flood is under way before the first push
            time.sleep(0.01)
        at_start = len(flood_answers)
        session = requests.Session()
        ends = time.monotonic() + 4
        for student in itertools.cycle(students):
            if time.monotonic() > ends:
                break
            body = {"mutations": [good_mark(student, (section[0], section[4]))]}
            began = time.monotonic()
            r = session.post(f"{server.url}/api/schools/{high.id}/mutations", json=body,
                             headers={"Authorization": f"Bearer {token}"}, timeout=30)
            latencies.append(time.monotonic() - began)
            assert r.status_code == 200 and r.json()["results"][0]["status"] == "applied"
        during = len(flood_answers) - at_start
    finally:
        stop.set()
        for t in flooders:
            t.join(30)
    p99 = statistics.quantiles(latencies, n=100)[98]
    assert during > 100, "the flood really ran during the pushes"
    assert set(flood_answers) <= {401, 429}
    assert len(latencies) > 50
    assert p99 <= 0.25, f"p99 push latency {p99 * 1000:.0f} ms during the flood"
