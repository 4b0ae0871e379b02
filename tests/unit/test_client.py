"""The HTTP client against a real loopback server scripted per test: retries
with backoff, and each failure sorted into the error a person is shown."""
from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sync.client import AuthError, CursorTooOld, ServerClient, ServerError, ServerUnreachable

# A scripted answer: (status, JSON body) or a function writing raw bytes to the socket.
Answer = tuple[int, object] | Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    url: str
    answers: deque = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)


@pytest.fixture
def server():
    scripted = ScriptedServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            scripted.seen.append(Seen(self.command, self.path, dict(self.headers),
                                      self.rfile.read(length)))
            answer = scripted.answers.popleft() if scripted.answers else (
                500, {"detail": "the test scripted no answer for this request"})
            if callable(answer):
                answer(self)
                return
            status, body = answer
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.block_on_close = False
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield scripted
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


class Waits:
    """Stands in for time.sleep: records the backoff instead of waiting."""

    def __init__(self):
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def waits():
    return Waits()


def client_for(server: ScriptedServer, waits: Waits, **options) -> ServerClient:
    options.setdefault("retries", 3)
    return ServerClient(server.url, sleep=waits, **options)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- retries

def test_an_overloaded_server_is_retried_with_growing_waits(server, waits):
    server.script((503, {"detail": "busy"}), (502, {"detail": "bad gateway"}),
                  (504, {"detail": "timeout"}), (200, {"status": "ok", "version": "0.1"}))
    client = client_for(server, waits, backoff_s=0.5)

    assert client.health() == {"status": "ok", "version": "0.1"}

    assert [s.path for s in server.seen] == ["/api/health"] * 4
    assert len(waits.delays) == 3
    # Doubling, with up to half of it as jitter either way.
    for attempt, delay in enumerate(waits.delays):
        assert 0.5 * 2 ** attempt * 0.5 <= delay < 0.5 * 2 ** attempt * 1.5
    assert waits.delays[2] > waits.delays[0]
    client.close()


def test_a_server_still_overloaded_after_the_retries_is_reported_unreachable(server, waits):
    server.script(*[(503, {"detail": "too many workstations at once"})] * 3)
    client = client_for(server, waits, retries=2)

    with pytest.raises(ServerUnreachable, match="busy or down .*too many workstations"):
        client.health()

    assert len(server.seen) == 3
    assert len(waits.delays) == 2
    client.close()


def test_a_server_that_is_away_is_reported_unreachable_and_the_work_kept(waits):
    url = f"http://127.0.0.1:{closed_port()}"
    client = ServerClient(url, retries=2, backoff_s=0.25, sleep=waits)

    with pytest.raises(ServerUnreachable) as caught:
        client.push("sch-1", [])

    message = str(caught.value)
    assert url in message
    assert "your work is kept on this workstation" in message
    assert len(waits.delays) == 2
    client.close()


def test_a_refusal_is_not_retried(server, waits):
    server.script((422, {"detail": "mutation 1: attendance.mark period is required"}))
    client = client_for(server, waits)

    with pytest.raises(ServerError):
        client.push("sch-1", [])

    assert len(server.seen) == 1
    assert waits.delays == []
    client.close()


# --- errors a person sees

def test_401_is_a_sign_in_problem_with_the_servers_reason(server, waits):
    server.script((401, {"detail": "Your session has ended; sign in again"}))
    client = client_for(server, waits, token="old-token")

    with pytest.raises(AuthError, match="^Your session has ended; sign in again$"):
        client.me()
    client.close()


def test_410_means_the_school_must_be_reloaded(server, waits):
    server.script((410, {"detail": "cursor 12 is older than the server keeps"}))
    client = client_for(server, waits)

    with pytest.raises(CursorTooOld, match="cursor 12 is older"):
        client.changes("sch-1", after=12)

    assert server.seen[0].path == "/api/schools/sch-1/changes?after=12&limit=1000"
    client.close()


def test_422_is_a_refusal_with_status_and_reason(server, waits):
    server.script((422, {"detail": "mutation 2: mutation_id must be a UUID"}))
    client = client_for(server, waits)

    with pytest.raises(ServerError) as caught:
        client.push("sch-1", [{"mutation_id": "42"}])

    assert caught.value.status == 422
    assert caught.value.detail == "mutation 2: mutation_id must be a UUID"
    assert str(caught.value) == ("The server refused: mutation 2: mutation_id must be a UUID "
                                 "(HTTP 422)")
    client.close()


def test_a_structured_reason_is_shown_by_its_message(server, waits):
    server.script((409, {"detail": {"message": "a student with this id exists", "id": "stu-4"}}))
    client = client_for(server, waits)

    with pytest.raises(ServerError, match=r"^The server refused: a student with this id exists "
                                          r"\(HTTP 409\)$"):
        client.push("sch-1", [])
    client.close()


def test_a_reason_that_is_not_json_is_shown_as_text(server, waits):
    def plain_text(handler):
        body = b"Forbidden by the district firewall"
        handler.send_response(403)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.script(plain_text)
    client = client_for(server, waits)

    with pytest.raises(ServerError, match="Forbidden by the district firewall"):
        client.me()
    client.close()


# --- the token

def test_requests_carry_the_session_token(server, waits):
    server.script((200, {"id": "u1"}))
    client = client_for(server, waits, token="tok-123")

    client.me()

    assert server.seen[0].headers["Authorization"] == "Bearer tok-123"
    client.close()


def test_login_sends_no_old_token_and_uses_the_new_one_afterwards(server, waits):
    server.script((200, {"token": "tok-new", "user": {"schools": []}}), (200, {"id": "u1"}))
    client = client_for(server, waits, token="tok-old", workstation="ws-1")

    client.login("clerk.hs1", "secret")
    client.me()

    login, me = server.seen
    assert "Authorization" not in login.headers
    assert json.loads(login.body) == {"username": "clerk.hs1", "password": "secret",
                                      "workstation": "ws-1"}
    assert me.headers["Authorization"] == "Bearer tok-new"
    client.close()


# --- the snapshot stream

def _lines(*objects) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


HEADER = {"seq": 90, "server_time": "2026-11-20T16:00:00Z"}
CHUNK = {"kind": "students", "columns": ["id", "version"], "rows": [["stu-1", 1]]}
END = {"end": True, "rows": 1}


def test_a_whole_snapshot_arrives_line_by_line(server, waits):
    body = _lines(HEADER, CHUNK, END)

    def stream(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-ndjson")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.script(stream)
    client = client_for(server, waits)

    assert list(client.snapshot("sch-1")) == [HEADER, CHUNK, END]
    client.close()


def test_a_snapshot_that_ends_without_its_end_line_is_unreachable(server, waits):
    body = _lines(HEADER, CHUNK)

    def stream(handler):
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server.script(stream)
    client = client_for(server, waits)

    received = []
    with pytest.raises(ServerUnreachable, match="stopped arriving halfway; nothing was changed"):
        for obj in client.snapshot("sch-1"):
            received.append(obj)
    assert received == [HEADER, CHUNK]
    client.close()


def test_a_snapshot_whose_connection_drops_midway_is_unreachable(server, waits):
    """Chunked, as the district server streams it; the connection is closed in
    the middle of a line, before the last chunk."""
    first = _lines(HEADER) + json.dumps(CHUNK).encode()[:20]

    def cut(handler):
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    server.script(cut)
    client = client_for(server, waits)

    received = []
    with pytest.raises(ServerUnreachable, match="stopped arriving halfway; nothing was changed"):
        for obj in client.snapshot("sch-1"):
            received.append(obj)
    assert received == [HEADER]
    client.close()


def test_a_snapshot_without_framing_cut_midline_is_unreachable(server, waits):
    """No length and no chunks (an old proxy): the end of the connection is
    the end of the body, and the last line arrives cut short."""
    body = _lines(HEADER) + json.dumps(CHUNK).encode()[:20]

    def cut(handler):
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(body)

    server.script(cut)
    client = client_for(server, waits)

    received = []
    with pytest.raises(ServerUnreachable, match="stopped arriving halfway; nothing was changed"):
        for obj in client.snapshot("sch-1"):
            received.append(obj)
    assert received == [HEADER]
    client.close()
