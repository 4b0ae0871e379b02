"""Talking to the district server over HTTP: timeouts, retries, typed errors.

Failures are sorted for the person at the workstation: the network or the
server being away (`ServerUnreachable`: keep working offline, retry later),
a sign-in problem (`AuthError`), a cursor the server no longer answers
(`CursorTooOld`: reload the school, keep the outbox), and the server
refusing a request (`ServerError`, with its reason).
"""
from __future__ import annotations

import ipaddress
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

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


class InsecureServer(SyncError):
    """Plain http:// to a server that isn't this computer: passwords and
    tokens would cross the network in clear."""


class UntrustedServer(SyncError):
    """The server's TLS certificate can't be trusted (not the server's own
    fault of being away: said as such, never as "offline")."""


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_problem(url: str, *, allow_plain_http: bool) -> str | None:
    """Why this address must not be used, or None."""
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        return "The server address starts with https://"
    if scheme == "http" and not is_loopback_url(url) and not allow_plain_http:
        return ("MiSiS connects to the district server only over https://, so that your "
                "password and the students' records can't be read on the way. Use the "
                "https:// address (ask the district's IT), or, if IT says so, allow "
                "unencrypted connections in File → Settings")
    return None


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


def _ssl_reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("self-signed certificate", "certificate has expired",
                  "unable to get local issuer certificate", "Hostname mismatch",
                  "certificate verify failed"):
        if known.lower() in text.lower():
            return known
    return "the connection could not be secured"


class ServerClient:
    """The district server's API. Off this computer only https:// is used,
    unless `allow_plain_http` (a per-machine setting) says otherwise;
    certificates are checked against `ca_bundle` (the district's CA) when
    given, else the system's."""

    def __init__(self, base_url: str, *, token: str | None = None, workstation: str | None = None,
                 retries: int = 3, backoff_s: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep, ca_bundle: str | None = None,
                 allow_plain_http: bool = False):
        self.base_url = base_url.rstrip("/")
        problem = plain_http_problem(self.base_url, allow_plain_http=allow_plain_http)
        if problem:
            raise InsecureServer(problem)
        self.token = token
        self.workstation = workstation
        self.retries = retries
        self.backoff_s = backoff_s
        self._sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "MiSiS-workstation/0.1"
        # Given with each request: a session-wide `verify` loses to
        # $REQUESTS_CA_BUNDLE, and the district's CA must not.
        self.verify: str | bool = ca_bundle or True

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
                                                timeout=(CONNECT_TIMEOUT_S, timeout),
                                                verify=self.verify, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise UntrustedServer(
                    f"The server's certificate is not trusted, so MiSiS did not send anything "
                    f"to {self.base_url}. If this is the district's server, ask IT for the "
                    f"district's certificate bundle and set it in File → Settings "
                    f"({_ssl_reason(exc)})") from exc
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

    @property
    def encrypted(self) -> bool:
        return self.base_url.startswith("https://")

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

    def report_access(self, school_id: str, events: list[dict[str, Any]]) -> int:
        return self._request("POST", f"/api/schools/{school_id}/access-events",
                             json={"events": events}).json()["recorded"]

    def change_password(self, current: str, new: str) -> None:
        self._request("POST", "/api/me/password",
                      json={"current_password": current, "new_password": new})

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

    def access_log(self, school_id: str | None, *, before_id: int | None = None,
                   username: str | None = None, action: str | None = None,
                   limit: int = 200) -> dict[str, Any]:
        """A page of the access log, newest first: a school's, or the district's
        (`school_id` None; district admins only)."""
        path = (f"/api/schools/{school_id}/access-log" if school_id
                else "/api/district/access-log")
        params = {k: v for k, v in (("before_id", before_id), ("username", username),
                                    ("action", action), ("limit", limit)) if v}
        return self._request("GET", path, params=params).json()

    def users(self) -> list[dict[str, Any]]:
        """The users an administrator may act on, with their sign-in locks."""
        return self._request("GET", "/api/admin/users").json()

    def user_action(self, username: str, action: str, body: dict | None = None) -> dict:
        """deactivate, reactivate, unlock, revoke, or password (with a new one)."""
        return self._request("POST", f"/api/admin/users/{username}/{action}",
                             json=body).json()

    def history(self, school_id: str, kind: str, record_id: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/api/schools/{school_id}/history",
                             params={"kind": kind, "record_id": record_id}).json()["history"]
