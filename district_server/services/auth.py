"""Who is calling: passwords, tokens, roles and the schools a user may see."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from district_server.services.clock import now_iso, now_timestamp
from district_server.store.tables import schools, tokens, user_schools, users
from domain.mutations import ROLES

_hasher = PasswordHasher()
# Verifying against this keeps an unknown user name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    school_ids: frozenset[str] = field(default_factory=frozenset)
    workstation: str | None = None

    @property
    def is_district(self) -> bool:
        return self.role == "district_admin"

    def may_see(self, school_id: str) -> bool:
        return self.is_district or school_id in self.school_ids


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    role: str
    active: bool
    password_hash: str


def account(conn: Connection, username: str) -> Account | None:
    row = conn.execute(
        sa.select(users.c.id, users.c.username, users.c.role, users.c.active,
                  users.c.password_hash).where(users.c.username == username)).first()
    return Account(row.id, row.username, row.role, bool(row.active), row.password_hash) \
        if row else None


def password_matches(found: Account | None, password: str) -> bool:
    """Argon2 verification, CPU-bound and slow on purpose: call it outside any
    transaction. An unknown user costs the same as a wrong password."""
    try:
        if found is None:
            _hasher.verify(_DUMMY_HASH, password)
            return False
        return _hasher.verify(found.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(conn: Connection, username: str, password: str) -> int | None:
    """The user's id if the password is right and the account active."""
    found = account(conn, username)
    if not password_matches(found, password) or found is None:
        return None
    return found.id if found.active else None


def issue_token(conn: Connection, user_id: int, *, workstation: str | None,
                lifetime_s: int) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    now = now_timestamp()
    expires = now + lifetime_s
    conn.execute(tokens.insert().values(
        token_hash=_token_hash(token), user_id=user_id, workstation=workstation,
        created_at=now_iso(), expires_at=expires, revoked=False, last_used_at=now))
    return token, expires


def purge_dead_tokens(conn: Connection, *, idle_s: int, user_id: int | None = None) -> int:
    """Delete sessions that can no longer open anything: revoked, expired or
    idle past the limit (a dead token row is of no use to anyone)."""
    now = now_timestamp()
    query = tokens.delete().where(sa.or_(
        tokens.c.revoked == sa.true(), tokens.c.expires_at <= now,
        tokens.c.last_used_at < now - idle_s))
    if user_id is not None:
        query = query.where(tokens.c.user_id == user_id)
    return conn.execute(query).rowcount


# A valid session, once checked, is trusted for a few seconds: at the 8 AM peak
# every push would otherwise cost two queries before its real work. Logout and
# revocation clear it at once in this process; another worker process may
# still accept a revoked token for at most SESSION_CACHE_S.
SESSION_CACHE_S = 5.0
# A session's last use is written at most this often (a write per request
# would cost the 8 AM peak dearly); the idle limit is hours, not minutes.
TOUCH_S = 300
# Default idle limit: a session unused this long has ended (a weekend fits).
IDLE_S = 72 * 3600
_sessions: dict[str, tuple[float, int, CurrentUser]] = {}  # hash -> (checked, expires, user)
_sessions_lock = threading.Lock()


def forget_user_sessions(user_id: int) -> None:
    """A user's roles or schools changed: check their sessions again."""
    _forget_sessions(user_id=user_id)


def _forget_sessions(*, token_hash: str | None = None, user_id: int | None = None) -> None:
    with _sessions_lock:
        for key, (_, _, user) in list(_sessions.items()):
            if key == token_hash or user.id == user_id:
                del _sessions[key]


def user_for_token(conn_or_engine, token: str, *, remember: bool = True,
                   idle_s: int = IDLE_S) -> CurrentUser | None:
    """The user a token belongs to, if it is valid (a connection or an engine).
    Given an engine, a session's last use is recorded now and then."""
    key = _token_hash(token)
    now = time.monotonic()
    with _sessions_lock:
        hit = _sessions.get(key)
    if hit is not None and now - hit[0] < SESSION_CACHE_S and hit[1] > now_timestamp():
        return hit[2]
    if isinstance(conn_or_engine, Connection):
        user, expires, last_used = _lookup(conn_or_engine, key, idle_s)
    else:
        with conn_or_engine.connect() as conn:
            user, expires, last_used = _lookup(conn, key, idle_s)
        if user is not None and now_timestamp() - last_used > TOUCH_S:
            _touch(conn_or_engine, key)
    if user is not None and remember:
        with _sessions_lock:
            if len(_sessions) > 20_000:
                _sessions.clear()
            _sessions[key] = (now, expires, user)
    return user


def _touch(engine, key: str) -> None:
    from district_server.store.db import writer
    with writer(engine) as conn:
        conn.execute(tokens.update().where(tokens.c.token_hash == key)
                     .values(last_used_at=now_timestamp()))


def _lookup(conn: Connection, key: str, idle_s: int) -> tuple[CurrentUser | None, int, int]:
    row = conn.execute(
        sa.select(users.c.id, users.c.username, users.c.display_name, users.c.role,
                  users.c.active, tokens.c.expires_at, tokens.c.revoked, tokens.c.workstation,
                  tokens.c.last_used_at)
        .join(tokens, tokens.c.user_id == users.c.id)
        .where(tokens.c.token_hash == key)).first()
    now = now_timestamp()
    if row is None or row.revoked or not row.active or row.expires_at <= now:
        return None, 0, 0
    last_used = row.last_used_at or 0
    if last_used and last_used < now - idle_s:
        return None, 0, 0
    return (CurrentUser(row.id, row.username, row.display_name, row.role,
                        frozenset(schools_of(conn, row.id)), row.workstation),
            row.expires_at, last_used)


def schools_of(conn: Connection, user_id: int) -> list[str]:
    return list(conn.execute(
        sa.select(user_schools.c.school_id).where(user_schools.c.user_id == user_id)
        .order_by(user_schools.c.school_id)).scalars())


def visible_schools(conn: Connection, user: CurrentUser) -> list[dict]:
    query = sa.select(schools).order_by(schools.c.code)
    if not user.is_district:
        query = query.where(schools.c.id.in_(sorted(user.school_ids)))
    return [dict(r._mapping) for r in conn.execute(query)]


def revoke_token(conn: Connection, token: str) -> None:
    _forget_sessions(token_hash=_token_hash(token))
    conn.execute(tokens.update().where(tokens.c.token_hash == _token_hash(token))
                 .values(revoked=True))


def revoke_user_tokens(conn: Connection, user_id: int) -> int:
    _forget_sessions(user_id=user_id)
    return conn.execute(tokens.update().where(tokens.c.user_id == user_id)
                        .where(tokens.c.revoked == sa.false()).values(revoked=True)).rowcount


def set_password(conn: Connection, user_id: int, password_hash: str, *,
                 keep_token: str | None = None) -> int:
    """A new password (hashed beforehand: never hash inside a write
    transaction); every session but `keep_token` ends. Returns how many ended."""
    conn.execute(users.update().where(users.c.id == user_id)
                 .values(password_hash=password_hash))
    _forget_sessions(user_id=user_id)
    query = tokens.update().where(tokens.c.user_id == user_id) \
        .where(tokens.c.revoked == sa.false())
    if keep_token is not None:
        query = query.where(tokens.c.token_hash != _token_hash(keep_token))
    return conn.execute(query.values(revoked=True)).rowcount


def set_active(conn: Connection, user_id: int, active: bool) -> int:
    """Deactivate (ending every session) or reactivate an account."""
    conn.execute(users.update().where(users.c.id == user_id).values(active=active))
    return 0 if active else revoke_user_tokens(conn, user_id)


def create_user(conn: Connection, *, username: str, display_name: str, role: str,
                password: str, school_ids: list[str], password_hash: str | None = None) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    user_id = conn.execute(users.insert().values(
        username=username, display_name=display_name, role=role,
        password_hash=password_hash or hash_password(password), active=True)
        .returning(users.c.id)).scalar_one()
    if school_ids:
        conn.execute(user_schools.insert(), [{"user_id": user_id, "school_id": s}
                                             for s in school_ids])
    return user_id
