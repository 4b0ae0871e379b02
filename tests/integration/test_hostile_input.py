"""Cheap requests that once cost the server dearly: oversized bodies, NULs,
broken characters, numbers past what a database holds, the same edit under
another spelling. Each gets a 4xx with a reason, on both databases, and
changes nothing."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests

from tests.integration.helpers import last_seq, times_applied
from tests.integration.test_access import call, login
from tests.integration.test_bad_input import good_mark


@pytest.fixture
def high(demo_district):
    return next(s for s in demo_district.schools if s.level == "high")


def raw_request(server, head: bytes, body_parts: list[bytes] = ()) -> tuple[int, bytes]:
    """Send a request by hand (headers, then body parts) and read the answer's
    status line and body: what requests would never send."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest was sent: the point
        answer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


def test_a_huge_declared_body_is_refused_before_it_is_read(server):
    """300 MiB announced to the unauthenticated sign-in: refused at once by its
    Content-Length, not read (it once took 751 MiB of the server's memory)."""
    head = (b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 314572800\r\n\r\n")
    status, body = raw_request(server, head, [b"{" + b" " * 65536])
    assert status == 413
    assert b"at most 16 KiB" in body


def test_a_body_streamed_past_the_limit_without_a_length_is_cut_off(server):
    head = (b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * 8192
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 8 + [b"0\r\n\r\n"]
    status, body = raw_request(server, head, parts)
    assert status == 413 and b"at most 16 KiB" in body


def test_a_push_larger_than_8_mib_is_refused(server, demo_district, high):
    token = login(server, demo_district, f"clerk.{high.code}")
    before = last_seq(server.engine, high.id)
    body = b'{"mutations": [], "padding": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    head = (f"POST /api/schools/{high.id}/mutations HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    status, answer = raw_request(server, head, [body])
    assert status == 413 and b"at most 8 MiB" in answer
    assert last_seq(server.engine, high.id) == before


SIGN_INS = [
    ("NUL in the user name", '{"username": "clerk\\u0000.1003", "password": "x"}', 422, "NUL"),
    ("lone surrogate", '{"username": "clerk\\ud800", "password": "x"}', 422,
     "broken character"),
    ("nested deep", '{"username": ' + "[" * 2000 + "]" * 2000 + ', "password": "x"}', 400,
     "nested too deeply"),
]


@pytest.mark.parametrize("name,body,status,reason", SIGN_INS, ids=[s[0] for s in SIGN_INS])
def test_sign_in_with_text_that_cant_be_stored_gets_a_reason(server, name, body, status,
                                                             reason):
    r = requests.post(f"{server.url}/api/login", data=body.encode(), timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert reason in r.json()["detail"]


ADDRESSES = [
    ("NUL in the school", "/api/schools/sch%00x/changes?after=0", 400, "NUL"),
    ("NUL in the query", "/api/schools/{s}/history?kind=students&record_id=a%00b", 400, "NUL"),
    ("broken UTF-8", "/api/schools/{s}/history?kind=students&record_id=%ff%fe", 400, "UTF-8"),
    ("cursor past 2^63", "/api/schools/{s}/changes?after=" + str(2**64), 422,
     "less than or equal to"),
    ("negative cursor", "/api/schools/{s}/changes?after=-1", 422, "greater than or equal"),
]


@pytest.mark.parametrize("name,path,status,reason", ADDRESSES, ids=[a[0] for a in ADDRESSES])
def test_an_address_that_cant_be_answered_gets_a_reason(server, demo_district, high, name, path,
                                                        status, reason):
    token = login(server, demo_district, f"clerk.{high.code}")
    r = call(server, "GET", path.format(s=high.id), token)
    assert r.status_code == status, r.text
    assert reason in str(r.json()["detail"])


def test_every_spelling_of_one_edit_is_applied_once(server, demo_district, high):
    """The idempotency check once compared ids as text: the same UUID in upper
    case, in braces or as a URN was applied again each time."""
    token = login(server, demo_district, f"clerk.{high.code}")
    student = high.records["students"][0][0]
    section = high.records["sections"][0]
    mark = good_mark(student, (section[0], section[4]))
    canonical = mark["mutation_id"]
    spellings = [canonical, canonical.upper(), "{" + canonical + "}", "urn:uuid:" + canonical,
                 canonical.replace("-", "")]
    answers = []
    for spelling in spellings:
        r = call(server, "POST", f"/api/schools/{high.id}/mutations", token,
                 json={"mutations": [{**mark, "mutation_id": spelling}]})
        assert r.status_code == 200, r.text
        answers.append(r.json()["results"][0])
    assert [a["status"] for a in answers] == ["applied"] * len(spellings)
    assert all(a.get("replayed") for a in answers[1:])
    assert times_applied(server.engine, canonical) == 1


def test_the_same_edit_twice_in_one_push_is_applied_once(server, demo_district, high):
    token = login(server, demo_district, f"clerk.{high.code}")
    student = high.records["students"][1][0]
    section = high.records["sections"][1]
    mark = good_mark(student, (section[0], section[4]))
    twin = {**mark, "mutation_id": mark["mutation_id"].upper()}
    r = call(server, "POST", f"/api/schools/{high.id}/mutations", token,
             json={"mutations": [mark, twin]})
    assert [a["status"] for a in r.json()["results"]] == ["applied", "applied"]
    assert times_applied(server.engine, mark["mutation_id"]) == 1

