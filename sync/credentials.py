"""The session token lives in the operating system's keyring, never in a file.

Where no keyring is available (a headless server without a secret service),
the token is kept for this process only and the next run signs in again.
"""
from __future__ import annotations

import logging

import keyring
from keyring.errors import KeyringError

log = logging.getLogger(__name__)

_memory: dict[tuple[str, str], str] = {}


def _service(server_url: str) -> str:
    return f"MiSiS {server_url.rstrip('/')}"


def _acceptable(backend) -> bool:
    module = type(backend).__module__
    # keyrings.alt's backends are files on disk: exactly what must not hold a token.
    return (getattr(backend, "priority", 0) > 0 and not module.startswith("keyrings.alt")
            and module != "keyring.backends.fail")


def _backend():
    """The OS keyring to use, or None when there is none worth the name."""
    backend = keyring.get_keyring()
    for candidate in getattr(backend, "backends", None) or [backend]:
        if _acceptable(candidate):
            return candidate
    return None


def _usable() -> bool:
    return _backend() is not None


def keyring_available() -> bool:
    return _usable()


def save_token(server_url: str, username: str, token: str, *, persist: bool = True) -> bool:
    """Keep the token (in the keyring when `persist`); False when it is kept
    in this process's memory only."""
    _memory[(server_url.rstrip('/'), username)] = token
    if not persist:
        # A session remembered earlier would be read back before this one.
        _forget_remembered(server_url, username)
        return False
    if not _usable():
        log.warning("no keyring on this machine: the session is kept in memory only")
        return False
    try:
        _backend().set_password(_service(server_url), username, token)
        return True
    except KeyringError as exc:
        log.warning("the keyring refused the session token: %s", exc)
        return False


def load_token(server_url: str, username: str) -> str | None:
    if _usable():
        try:
            token = _backend().get_password(_service(server_url), username)
            if token:
                return token
        except KeyringError as exc:
            log.warning("the keyring could not be read: %s", exc)
    return _memory.get((server_url.rstrip('/'), username))


def forget_token(server_url: str, username: str) -> None:
    _memory.pop((server_url.rstrip('/'), username), None)
    _forget_remembered(server_url, username)


def _forget_remembered(server_url: str, username: str) -> None:
    if _usable():
        try:
            _backend().delete_password(_service(server_url), username)
        except KeyringError:
            pass


# --- the key of this workstation's encrypted caches


_CACHE_SERVICE = "MiSiS cache key"
_memory_keys: dict[str, bytes] = {}


def save_cache_key(workstation_id: str, key: bytes) -> bool:
    """Keep the cache key in the keyring; False where there is none (then it
    lives in this process and, wrapped by each user's password, in the data
    folder: local_store.local_accounts)."""
    _memory_keys[workstation_id] = key
    if not _usable():
        return False
    try:
        _backend().set_password(_CACHE_SERVICE, workstation_id, key.hex())
        return True
    except KeyringError as exc:
        log.warning("the keyring refused the cache key: %s", exc)
        return False


def load_cache_key(workstation_id: str) -> bytes | None:
    if _usable():
        try:
            value = _backend().get_password(_CACHE_SERVICE, workstation_id)
            if value:
                return bytes.fromhex(value)
        except (KeyringError, ValueError) as exc:
            log.warning("the keyring could not give the cache key: %s", exc)
    return _memory_keys.get(workstation_id)
