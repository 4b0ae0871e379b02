"""Talking to the district server over HTTP: timeouts, retries, typed errors.

Failures are sorted for the person at the workstation: the network or the
server being away (`ServerUnreachable`: keep working offline, retry later),
a sign-in problem (`AuthError`), a cursor the server no longer answers
(`CursorTooOld`: reload the school, keep the outbox), and the server
refusing a request (`ServerError`, with its reason).
"""
from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5
# Whole-school scheduling runs (rollover, the loader) take seconds, not ms.
LONG_TIMEOUT_S = 180.0
READ_TIMEOUT_S = 60
RETRY_STATUSES = frozenset({502, 503, 504})


class SyncError(Exception):
    """Base of the errors a sync can end with; str() is for a person."""


class ServerUnreachable(SyncError):
    pass


class AuthError(SyncError):
    pass


class CursorTooOld(SyncError):
    pass


class AccessEnded(SyncError):
    """The user no longer belongs to the school: its data must leave the workstation."""


class ServerError(SyncError):
    def __init__(self, status: int, detail: str):
        super().__init__(f"The server refused: {detail} (HTTP {status})")
        self.status = status
        self.detail = detail


def _detail(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200] or response.reason
    if isinstance(detail, dict):
        return str(detail.get("message", detail))
    return str(detail)


def _reason(response: requests.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail.get("reason") if isinstance(detail, dict) else None


class ServerClient:
    def __init__(self, base_url: str, *, token: str | None = None, workstation: str | None = None,
                 retries: int = 3, backoff_s: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.workstation = workstation
        self.retries = retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "MiSiS-workstation/0.1"

    def close(self) -> None:
        self.session.close()

    # --- plumbing

    def _request(self, method: str, path: str, *, stream: bool = False,
                 timeout: float = READ_TIMEOUT_S, **kwargs) -> requests.Response:
        """One request, retried with backoff while the server is unreachable
        or overloaded. Safe for pushes too: mutation ids make them idempotent."""
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base_url}{path}"
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, headers=headers, stream=stream,
                                                timeout=(CONNECT_TIMEOUT_S, timeout), **kwargs)
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise ServerUnreachable(
                        f"The district server at {self.base_url} can't be reached "
                        f"({type(exc).__name__}); your work is kept on this workstation "
                        f"and will be sent when it is back") from exc
                self._back_off(attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                response.close()
                self._back_off(attempt)
                continue
            return self._check(response)
        raise AssertionError("unreachable")

    def _back_off(self, attempt: int) -> None:
        delay = self.backoff_s * (2 ** attempt) * (0.5 + random.random())
        log.info("server not answering, retrying in %.1f s", delay)
        self._sleep(delay)

    def _check(self, response: requests.Response) -> requests.Response:
        if response.ok:
            return response
        detail = _detail(response)
        reason = _reason(response)
        response.close()
        if reason == "no_school_access":
            raise AccessEnded(detail)
        if response.status_code == 401:
            raise AuthError(detail)
        if response.status_code == 410:
            raise CursorTooOld(detail)
        if response.status_code in RETRY_STATUSES:
            raise ServerUnreachable(f"The district server is busy or down ({detail})")
        raise ServerError(response.status_code, detail)

    # --- the API

    def health(self) -> dict[str, Any]:
        return self._request("GET", "/api/health", timeout=10).json()

    def login(self, username: str, password: str) -> dict[str, Any]:
        self.token = None
        data = self._request("POST", "/api/login", json={
            "username": username, "password": password, "workstation": self.workstation}).json()
        self.token = data["token"]
        return data

    def logout(self) -> None:
        if self.token:
            self._request("POST", "/api/logout")
            self.token = None

    def me(self) -> dict[str, Any]:
        return self._request("GET", "/api/me").json()

    def snapshot(self, school_id: str) -> Iterator[dict[str, Any]]:
        """The school's snapshot, one parsed line at a time; raises
        ServerUnreachable if the stream is cut before its end line."""
        response = self._request("GET", f"/api/schools/{school_id}/snapshot", stream=True,
                                 timeout=300)
        try:
            ended = False
            for line in response.iter_lines(chunk_size=1 << 20):
                if not line:
                    continue
                obj = json.loads(line)
                ended = bool(obj.get("end"))
                yield obj
            if not ended:
                raise ServerUnreachable("The school's data stopped arriving halfway; "
                                        "nothing was changed, try again")
        except (requests.RequestException, ValueError) as exc:
            # ValueError: a last line cut short, where the stream's end is the
            # connection's (no chunks, no length), doesn't parse.
            raise ServerUnreachable("The school's data stopped arriving halfway; nothing was "
                                    "changed, try again") from exc
        finally:
            response.close()

    def changes(self, school_id: str, after: int, limit: int = 1000) -> dict[str, Any]:
        return self._request("GET", f"/api/schools/{school_id}/changes",
                             params={"after": after, "limit": limit}).json()

    def push(self, school_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        return self._request("POST", f"/api/schools/{school_id}/mutations", json={
            "workstation": self.workstation, "mutations": mutations}).json()

    # --- scheduling: whole-school operations the server carries out

    def rollover(self, school_id: str, *, from_term_id: str | None = None,
                 apply: bool = False, workstation: str | None = None) -> dict[str, Any]:
        return self._request("POST", f"/api/schools/{school_id}/scheduling/rollover",
                             json={"from_term_id": from_term_id, "apply": apply,
                                   "workstation": workstation},
                             timeout=LONG_TIMEOUT_S).json()

    def load_requests(self, school_id: str, *, school_year_id: str, apply: bool = False,
                      workstation: str | None = None) -> dict[str, Any]:
        return self._request("POST", f"/api/schools/{school_id}/scheduling/load-requests",
                             json={"school_year_id": school_year_id, "apply": apply,
                                   "workstation": workstation},
                             timeout=LONG_TIMEOUT_S).json()

    def report_incomplete(self, school_id: str) -> dict[str, Any]:
        return self._request(
            "POST", f"/api/schools/{school_id}/scheduling/incomplete-report").json()

    def history(self, school_id: str, kind: str, record_id: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/api/schools/{school_id}/history",
                             params={"kind": kind, "record_id": record_id}).json()["history"]
