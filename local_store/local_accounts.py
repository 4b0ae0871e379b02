"""Who has signed in on this workstation, for opening it offline.

For each user who signed in here (online, with the server's yes) the
workstation keeps an Argon2id verifier of the password, the cache key
wrapped with a key derived from that password, and when their server session
ends. Offline, a person opens the workstation only as one of these users,
with that user's password, and only while that user's server session is
still valid (not expired, not idle too long, not signed out). Someone who
never signed in here can't open it offline at all (DESIGN.md, "Security").

No secret is stored in clear: the verifier is a slow hash, the wrapped key
is useless without the password. The file is readable by its user only.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw

from domain import clock
from local_store.settings import write_private_file

FILE = "accounts.json"
_hasher = PasswordHasher()


def _kek(password: str, salt: bytes) -> bytes:
    """A key-encryption key derived from the password (Argon2id, as the
    verifier, with a salt of its own)."""
    return hash_secret_raw(password.encode(), salt, time_cost=_hasher.time_cost,
                           memory_cost=_hasher.memory_cost, parallelism=_hasher.parallelism,
                           hash_len=32, type=Type.ID)


def _check_value(key: bytes) -> str:
    return hashlib.sha256(b"misis-cache-key" + key).hexdigest()[:16]


@dataclass
class LocalAccount:
    username: str
    display_name: str = ""
    role: str = ""
    # The schools of the last online sign-in: [{"id", "name", ...}].
    schools: list[dict[str, Any]] = field(default_factory=list)
    server_url: str = ""
    verifier: str = ""
    key_salt: str = ""
    wrapped_key: str = ""
    key_check: str = ""
    # The server session: expires at (unix s), idle limit, last accepted use.
    session_expires_at: int = 0
    idle_s: int = 0
    last_contact: int = 0

    def offline_problem(self, now: float) -> str | None:
        """Why this user can't open the workstation offline now, or None."""
        if self.session_expires_at <= 0:
            return "you signed out on this workstation"
        if now >= self.session_expires_at:
            return "your session has expired"
        if self.idle_s and now - self.last_contact >= self.idle_s:
            return "your session ended after a long time without use"
        return None


class LocalAccounts:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / FILE

    def _load(self) -> dict[str, LocalAccount]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        known = set(LocalAccount.__dataclass_fields__)
        return {name: LocalAccount(**{k: v for k, v in entry.items() if k in known})
                for name, entry in raw.items() if isinstance(entry, dict)}

    def _save(self, accounts: dict[str, LocalAccount]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private_file(self.path, json.dumps(
            {name: asdict(a) for name, a in accounts.items()}, indent=2))

    def get(self, username: str) -> LocalAccount | None:
        return self._load().get(username)

    def remember(self, username: str, password: str, *, key: bytes, user: dict[str, Any],
                 server_url: str, expires_at: int, idle_s: int,
                 now: float | None = None) -> LocalAccount:
        """After the server said yes: the verifier, the wrapped key and the
        session's limits, for opening offline later."""
        salt = secrets.token_bytes(16)
        wrapped = bytes(a ^ b for a, b in zip(key, _kek(password, salt)))
        account = LocalAccount(
            username=username, display_name=user.get("display_name", ""),
            role=user.get("role", ""), schools=list(user.get("schools", [])),
            server_url=server_url, verifier=_hasher.hash(password), key_salt=salt.hex(),
            wrapped_key=wrapped.hex(), key_check=_check_value(key),
            session_expires_at=expires_at, idle_s=idle_s,
            last_contact=int(now if now is not None else clock.timestamp()))
        accounts = self._load()
        accounts[username] = account
        self._save(accounts)
        return account

    def verify(self, username: str, password: str) -> LocalAccount | None:
        """The account, if this password is its user's (Argon2id)."""
        account = self.get(username)
        try:
            if account is None or not account.verifier:
                _hasher.verify(_hasher.hash("a password of no one"), password + "\x01")
                return None
            _hasher.verify(account.verifier, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def unwrap_key(self, account: LocalAccount, password: str) -> bytes | None:
        if not account.wrapped_key:
            return None
        kek = _kek(password, bytes.fromhex(account.key_salt))
        key = bytes(a ^ b for a, b in zip(bytes.fromhex(account.wrapped_key), kek))
        return key if _check_value(key) == account.key_check else None

    def touch(self, username: str, now: float | None = None) -> None:
        """The server accepted this user's session just now."""
        accounts = self._load()
        if username in accounts:
            accounts[username].last_contact = int(now if now is not None else clock.timestamp())
            self._save(accounts)

    def end_session(self, username: str) -> None:
        """Signed out (or the session was refused): no offline opening until
        the next sign-in with the server."""
        accounts = self._load()
        if username in accounts:
            accounts[username].session_expires_at = 0
            self._save(accounts)
