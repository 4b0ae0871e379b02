"""Signing in: throttled per account and per address, the password checked
outside any transaction, every attempt in the access log.

Argon2 is slow on purpose (tens of ms and 64 MiB each). On SQLite a check
made inside the write transaction held the district's single write lock for
all that time, and a flood of wrong passwords stalled every push. Here the
account is read in a short read, the password is checked with no transaction
open and at most `PASSWORD_CHECKS` at a time per process (a flood can take
a core, not the machine), and only then a short write records the outcome.

Past `ACCOUNT_THRESHOLD` failures in a row an account is refused for a while
(429 with Retry-After), doubling with each further failure up to
`MAX_LOCK_S`; an address past `ADDRESS_THRESHOLD` likewise. A refused
attempt costs no Argon2 check. Success clears the account's count.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from district_server.services import access_log, auth
from district_server.services.access_log import Caller
from district_server.services.clock import now_timestamp
from district_server.store.db import writer
from district_server.store.tables import sign_in_throttle

ACCOUNT_THRESHOLD = 5
ACCOUNT_LOCK_S = 30
ADDRESS_THRESHOLD = 30
ADDRESS_LOCK_S = 60
MAX_LOCK_S = 15 * 60
# A count older than this starts again from zero.
FORGET_AFTER_S = 3600
PASSWORD_CHECKS = threading.BoundedSemaphore(2)
PASSWORD_CHECK_WAIT_S = 10


class Refused(Exception):
    """Sign-in refused; `status` and the message are for the caller."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: int
    user: auth.CurrentUser


def _keys(username: str, ip: str | None) -> tuple[str, str | None]:
    return f"user:{username.lower()}", f"ip:{ip}" if ip else None


def sign_in(engine: Engine, *, username: str, password: str, ip: str | None,
            workstation: str | None, lifetime_s: int, idle_s: int) -> SignedIn:
    """A new session for the right password; `Refused` otherwise."""
    now = now_timestamp()
    user_key, ip_key = _keys(username, ip)
    caller = Caller(None, username[:200], None, workstation, ip, "POST /api/login")
    with engine.connect() as conn:
        locked = locked_until(conn, [k for k in (user_key, ip_key) if k])
        found = auth.account(conn, username)
    if locked > now:
        if _first_refusal(user_key, ip_key, locked):
            access_log.record(engine, _as(caller, found), "sign_in_throttled",
                              detail=f"refused for {locked - now} s; further attempts in "
                                     f"that time are refused without a row each")
        raise Refused(429, f"Too many failed sign-ins: try again in {_wait(locked - now)}, "
                           f"or ask your school administrator",
                      retry_after=locked - now)
    if not PASSWORD_CHECKS.acquire(timeout=PASSWORD_CHECK_WAIT_S):
        raise Refused(503, "The server is busy signing people in: try again in a moment",
                      retry_after=2)
    try:
        right = auth.password_matches(found, password)
    finally:
        PASSWORD_CHECKS.release()
    if not right or found is None:
        with writer(engine) as conn:
            _count_failure(conn, user_key, now, ACCOUNT_THRESHOLD, ACCOUNT_LOCK_S)
            if ip_key:
                _count_failure(conn, ip_key, now, ADDRESS_THRESHOLD, ADDRESS_LOCK_S)
            access_log.record(conn, _as(caller, found), "sign_in_failed")
        raise Refused(401, "Wrong user name or password")
    if not found.active:
        access_log.record(engine, _as(caller, found), "sign_in_failed",
                          detail="account deactivated")
        raise Refused(403, "This account has been deactivated: ask your school administrator")
    with writer(engine) as conn:
        conn.execute(sign_in_throttle.delete().where(sign_in_throttle.c.key == user_key))
        auth.purge_dead_tokens(conn, idle_s=idle_s, user_id=found.id)
        token, expires = auth.issue_token(conn, found.id, workstation=workstation,
                                          lifetime_s=lifetime_s)
        user = auth.user_for_token(conn, token, remember=False)
        assert user is not None
        access_log.record(conn, _as(caller, found), "sign_in")
    return SignedIn(token, expires, user)


_refusals_logged: dict[tuple[str, str | None], int] = {}
_refusals_lock = threading.Lock()


def _first_refusal(user_key: str, ip_key: str | None, locked: int) -> bool:
    """Whether this is the first refusal of this lock in this process: a flood
    against a locked account must not become a flood of log writes (on
    SQLite each would queue for the district's one write lock)."""
    with _refusals_lock:
        if _refusals_logged.get((user_key, ip_key)) == locked:
            return False
        if len(_refusals_logged) > 10_000:
            _refusals_logged.clear()
        _refusals_logged[(user_key, ip_key)] = locked
        return True


def check_own_password(engine: Engine, user: auth.CurrentUser, password: str, *,
                       ip: str | None) -> bool:
    """A signed-in user's current password (to change it), throttled as a
    sign-in is: a stolen session must not become a password oracle."""
    now = now_timestamp()
    user_key, _ = _keys(user.username, ip)
    with engine.connect() as conn:
        locked = locked_until(conn, [user_key])
        found = auth.account(conn, user.username)
    if locked > now:
        raise Refused(429, f"Too many wrong passwords: try again in {_wait(locked - now)}",
                      retry_after=locked - now)
    with PASSWORD_CHECKS:
        right = auth.password_matches(found, password)
    if not right:
        with writer(engine) as conn:
            _count_failure(conn, user_key, now, ACCOUNT_THRESHOLD, ACCOUNT_LOCK_S)
    return right


def _as(caller: Caller, found: auth.Account | None) -> Caller:
    if found is None:
        return caller
    return Caller(found.id, found.username, found.role, caller.workstation, caller.ip,
                  caller.endpoint)


def locked_until(conn: Connection, keys: list[str]) -> int:
    if not keys:
        return 0
    return conn.execute(sa.select(sa.func.max(sign_in_throttle.c.locked_until))
                        .where(sign_in_throttle.c.key.in_(keys))).scalar() or 0


_COUNT = sa.text(
    "INSERT INTO sign_in_throttle (key, failures, last_failure_at, locked_until) "
    "VALUES (:key, 1, :now, 0) ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN sign_in_throttle.last_failure_at < :forget THEN 1 "
    "ELSE sign_in_throttle.failures + 1 END, last_failure_at = :now RETURNING failures")


def _count_failure(conn: Connection, key: str, now: int, threshold: int, lock_s: int) -> None:
    """One more failure for `key` (one statement, safe against a concurrent
    one); past the threshold, a lock that doubles with each failure."""
    failures = conn.execute(_COUNT, {"key": key, "now": now,
                                     "forget": now - FORGET_AFTER_S}).scalar_one()
    if failures >= threshold:
        until = now + min(MAX_LOCK_S, lock_s * 2 ** min(failures - threshold, 20))
        conn.execute(sign_in_throttle.update().where(sign_in_throttle.c.key == key)
                     .values(locked_until=until))


def unlock(conn: Connection, username: str) -> bool:
    return conn.execute(sign_in_throttle.delete().where(
        sign_in_throttle.c.key == _keys(username, None)[0])).rowcount > 0


def account_locks(conn: Connection) -> dict[str, tuple[int, int]]:
    """Accounts with failures: user name -> (failures, locked until)."""
    rows = conn.execute(sa.select(sign_in_throttle).where(
        sign_in_throttle.c.key.like("user:%")))
    return {r.key[len("user:"):]: (r.failures, r.locked_until) for r in rows}


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{max(1, seconds)} seconds"
    return f"{(seconds + 59) // 60} minutes"
