"""A loopback HTTP proxy that can lose a response, as a flaky network does.

Each request is forwarded to the server on its own connection; the proxy
reads the whole answer, then either passes it on or, when a rule says so,
closes the workstation's connection without a word: the server has done the
work, the workstation never hears of it.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass


@dataclass
class DropRule:
    method: str
    path_part: str
    # Drop the n-th matching request's response (1 = the first).
    nth: int = 1
    seen: int = 0
    # After dropping, drop every later match too (the network stays down).
    and_after: bool = False


class LossyProxy:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.rules: list[DropRule] = []
        self.dropped = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def drop(self, method: str, path_part: str, nth: int = 1, and_after: bool = False) -> None:
        with self._lock:
            self.rules.append(DropRule(method, path_part, nth, 0, and_after))

    def close(self) -> None:
        self._sock.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _should_drop(self, request_line: str) -> bool:
        method, _, rest = request_line.partition(" ")
        with self._lock:
            for rule in self.rules:
                if rule.method == method and rule.path_part in rest:
                    rule.seen += 1
                    if rule.seen == rule.nth or (rule.and_after and rule.seen > rule.nth):
                        self.dropped += 1
                        return True
        return False

    def _handle(self, client: socket.socket) -> None:
        with client:
            while True:
                request = _read_request(client)
                if request is None:
                    return
                head, body = request
                lines = head.split(b"\r\n")
                kept = [ln for ln in lines[1:] if not ln.lower().startswith(b"connection:")]
                forwarded = b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n"
                with socket.create_connection(("127.0.0.1", self.upstream_port)) as up:
                    up.sendall(forwarded + body)
                    response = _read_all(up)
                if self._should_drop(lines[0].decode("latin-1")):
                    return  # the server answered; the workstation hears nothing
                response = _close_after(response)
                client.sendall(response)
                return


def _read_request(sock: socket.socket):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


def _read_all(sock: socket.socket) -> bytes:
    parts = []
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def _close_after(response: bytes) -> bytes:
    head, sep, body = response.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + sep + body
