"""The door every request passes before any route: size, shape and text.

No one request may hurt the others (DESIGN.md, "Security"). A body is
refused by its declared length before a byte of it is read, and while it
streams in once it passes the limit of its route (16 KiB for a sign-in,
8 MiB for a push). A JSON body is parsed once here, refused when it is nested
deeper than any real request or holds text a database can't store, and
handed to the route parsed (`parsed_json`). The address (path and query) is
refused when it holds a NUL or broken UTF-8. Each refusal is a 4xx with a
reason a person can read, never a 500.

Text inside a push's mutations is left to `domain.values.check_value`, so a
malformed edit is refused on its own and the edits behind it still go on.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from domain.values import text_problem

# Deeper than any request of this API (a push is six levels deep).
MAX_DEPTH = 32
KIB = 1024

_PUSH = re.compile(r"^/api/schools/[^/]+/mutations$")
_MISSING = object()


class RequestProblem(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def body_limit(path: str, *, push_bytes: int, sign_in_bytes: int = 16 * KIB,
               other_bytes: int = 1024 * KIB) -> int:
    """The largest body a route takes."""
    if path in ("/api/login", "/api/me/password"):
        return sign_in_bytes
    if _PUSH.match(path):
        return push_bytes
    return other_bytes


def is_push(path: str) -> bool:
    return bool(_PUSH.match(path))


def parsed_json(request) -> Any:
    """The body the guard parsed, or the sentinel `MISSING` when there was none."""
    return request.scope.get("state", {}).get("json", _MISSING)


MISSING = _MISSING


def check_address(path: str, query_string: bytes) -> None:
    """A NUL or a broken character in the path or query is refused."""
    if "\x00" in path or "\ufffd" in path:
        raise RequestProblem(400, "The address holds a character that isn't allowed "
                                  "(a NUL byte or broken UTF-8)")
    try:
        path.encode("utf-8")
        query = unquote_to_bytes(query_string.replace(b"+", b" ")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise RequestProblem(400, "The address holds broken UTF-8") from None
    if "\x00" in query:
        raise RequestProblem(400, "The address holds a NUL byte, which isn't allowed")


def check_json(body: bytes, *, strict_text: bool) -> Any:
    """The parsed body, or RequestProblem with the reason it was refused."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise RequestProblem(400, f"The request body is nested too deeply "
                                  f"(at most {MAX_DEPTH} levels)") from None
    except UnicodeDecodeError:
        raise RequestProblem(400, "The request body is not valid JSON: it is not UTF-8") from None
    except ValueError as exc:
        raise RequestProblem(400, f"The request body is not valid JSON: {exc}") from None
    _check_tree(value, strict_text=strict_text)
    return value


def _check_tree(value: Any, *, strict_text: bool) -> None:
    """Depth everywhere; with `strict_text`, every key and string too."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise RequestProblem(400, f"The request body is nested too deeply "
                                          f"(at most {MAX_DEPTH} levels)")
            for key, item in node.items():
                if strict_text:
                    _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise RequestProblem(400, f"The request body is nested too deeply "
                                          f"(at most {MAX_DEPTH} levels)")
            stack.extend((item, depth + 1) for item in node)
        elif strict_text and isinstance(node, str):
            _check_text(node)


def _check_text(text: str) -> None:
    problem = text_problem(text)
    if problem:
        raise RequestProblem(422, f"Text in the request {problem}")


class RequestGuard:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app, *, limit_for: Callable[[str], int]):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
        except RequestProblem as exc:
            await _refuse(send, exc.status, exc.detail)
            return
        except _Gone:
            return
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # a disconnect, while a response streams

        await self.app(scope, replay, send)

    async def _read(self, scope, receive) -> bytes:
        path = scope["path"]
        check_address(path, scope.get("query_string", b""))
        limit = self.limit_for(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            raise RequestProblem(413, _too_large(limit))
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestProblem(413, _too_large(limit))
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body:
            scope.setdefault("state", {})["json"] = check_json(
                body, strict_text=not is_push(path))
        return body


class _Gone(Exception):
    """The client went away before its request had arrived."""


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise RequestProblem(400, "Content-Length is not a number") from None
    return None


def _too_large(limit: int) -> str:
    size = f"{limit // (1024 * KIB)} MiB" if limit >= 1024 * KIB else f"{limit // KIB} KiB"
    return f"The request is too large: this address takes at most {size}"


async def _refuse(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
