"""A workstation: its data folder, who is signed in, its cache of each school, its edits.

A workstation is not a session (DESIGN.md, "Security"). Every start asks who
is there. The person signs in with the server, or, when it can't be reached,
offline with the password of a user who signed in here before and whose
server session is still valid (`local_store.local_accounts`). Only then is
the key of the encrypted caches released to this process; signing out or
locking takes it away. Edits carry the user who made them, and a sync sends
only the signed-in user's edits: another user's wait for that user.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from domain import clock
from domain.edits import program_id
from domain.mutations import OPS, check_mutation, new_mutation_id
from local_store.local_accounts import LocalAccounts
from local_store.settings import ClientSettings, default_data_dir, make_private_dir
from local_store.store import LocalStore
from sync import credentials
from sync.client import AccessEnded, AuthError, ServerClient, ServerUnreachable
from sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)


class _PrivateLog(logging.handlers.RotatingFileHandler):
    """The log file, readable by its user only, also after each rotation."""

    def _open(self):
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def setup_log_file(data_dir: Path) -> None:
    """The workstation's rotating log in its data folder (never personal data in it)."""
    make_private_dir(data_dir)
    handler = _PrivateLog(data_dir / "misis.log", maxBytes=2_000_000, backupCount=3,
                          encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


class NotSignedIn(AuthError):
    pass


class OfflineRefused(AuthError):
    """The server can't be reached and this person can't open the workstation
    offline; the message says why."""


class Workstation:
    def __init__(self, data_dir: Path | str | None = None, *, retries: int = 3):
        self.retries = retries
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        make_private_dir(self.data_dir)
        self.settings = ClientSettings.load(self.data_dir)
        self.accounts = LocalAccounts(self.data_dir)
        # Who is signed in in this process, and the caches' key: both only
        # after a sign-in (online or offline); None when signed out or locked.
        self.user: str | None = None
        self._cache_key: bytes | None = None
        self.offline = False

    def save_settings(self) -> None:
        self.settings.save(self.data_dir)

    # --- the cache

    def cache_path(self, school_id: str) -> Path:
        return self.data_dir / f"cache-{school_id}.db"

    @property
    def unlocked(self) -> bool:
        return self._cache_key is not None and self.user is not None

    def open_store(self, school_id: str | None = None) -> LocalStore:
        """A school's cache, opened with the key released at sign-in."""
        if self._cache_key is None:
            raise NotSignedIn("Sign in first: this workstation's data opens only for a person "
                              "who signed in")
        return LocalStore(self.cache_path(school_id or self.settings.school_id),
                          key=self._cache_key)

    # --- signing in

    def client(self, token: str | None = None, *, server_url: str | None = None,
               retries: int | None = None) -> ServerClient:
        s = self.settings
        url = server_url or s.server_url
        if token is None and s.username and server_url is None:
            token = credentials.load_token(s.server_url, s.username)
        return ServerClient(url, token=token, workstation=s.workstation_id,
                            retries=self.retries if retries is None else retries,
                            ca_bundle=s.ca_bundle or None, allow_plain_http=s.allow_plain_http)

    def sign_in(self, server_url: str, username: str, password: str, *,
                remember: bool = True) -> dict[str, Any]:
        """Sign in with the server; then the caches open for this user."""
        client = self.client(server_url=server_url)
        try:
            data = client.login(username, password)
        finally:
            client.close()
        self.settings.server_url = server_url
        self._become(username, data["user"])
        credentials.save_token(server_url, username, data["token"], persist=remember)
        key = self._release_key(username, password)
        self.accounts.remember(username, password, key=key, user=data["user"],
                               server_url=server_url, expires_at=int(data["expires_at"]),
                               idle_s=int(data.get("idle_expires_s") or 0))
        self.offline = False
        return data

    def sign_in_offline(self, username: str, password: str, *,
                        now: float | None = None) -> dict[str, Any]:
        """Open the workstation without the server: only a user who signed in
        here before, with their password, while their session is valid."""
        account = self.accounts.verify(username, password)
        if account is None:
            if self.accounts.get(username) is None:
                raise OfflineRefused(
                    f"{username} has not signed in on this workstation before, so it can't be "
                    f"opened for them without the district server. Try again when the network "
                    f"is back")
            raise OfflineRefused("Wrong user name or password")
        problem = account.offline_problem(clock.timestamp() if now is None else now)
        if problem:
            raise OfflineRefused(f"The district server can't be reached, and {problem}: sign in "
                                 f"again when the network is back")
        user = {"username": username, "display_name": account.display_name,
                "role": account.role, "schools": account.schools}
        self._become(username, user)
        self._release_key(username, password)
        self.offline = True
        log.info("opened offline for %s", username)
        return {"user": user, "offline": True}

    def sign_in_anywhere(self, server_url: str, username: str, password: str, *,
                         remember: bool = True) -> dict[str, Any]:
        """With the server if it answers, else offline (the answer says which)."""
        try:
            return self.sign_in(server_url, username, password, remember=remember)
        except ServerUnreachable:
            if self.settings.server_url.rstrip("/") != server_url.rstrip("/"):
                raise
            return self.sign_in_offline(username, password)

    def resume(self) -> dict[str, Any]:
        """For the command line: the session kept in the keyring, if the
        server still accepts it, opens the caches (the key comes from the
        keyring: there is no password to unwrap it with)."""
        s = self.settings
        if not s.username or not credentials.load_token(s.server_url, s.username):
            raise NotSignedIn("Sign in first")
        client = self.client()
        try:
            me = client.me()
        finally:
            client.close()
        key = credentials.load_cache_key(s.workstation_id)
        if key is None:
            raise NotSignedIn("Sign in with your password: this machine keeps no key for "
                              "its data without it")
        self._become(s.username, me)
        self._cache_key = key
        self.accounts.touch(s.username)
        return {"user": me}

    def _become(self, username: str, user: dict[str, Any]) -> None:
        s = self.settings
        s.username = username
        s.display_name = user.get("display_name", "")
        s.role = user.get("role", "")
        schools = [x["id"] for x in user.get("schools", [])]
        if s.school_id not in schools:
            s.school_id = schools[0] if len(schools) == 1 else ""
        self.save_settings()
        self.user = username

    def _release_key(self, username: str, password: str) -> bytes:
        """The caches' key: from the keyring, else unwrapped with this user's
        password; a new one for a new workstation. A key that is gone for
        good leaves caches no one can read: they are set aside, the school
        loads again from the server."""
        key = credentials.load_cache_key(self.settings.workstation_id)
        if key is None:
            account = self.accounts.get(username)
            if account is not None:
                key = self.accounts.unwrap_key(account, password)
        if key is None:
            self._set_aside_unreadable_caches()
            key = secrets.token_bytes(32)
        credentials.save_cache_key(self.settings.workstation_id, key)
        self._cache_key = key
        return key

    def _set_aside_unreadable_caches(self) -> None:
        for path in self.data_dir.glob("cache-*.db"):
            with open(path, "rb") as f:
                plain = f.read(16) == b"SQLite format 3\x00"
            if not plain:
                log.warning("%s can't be read without its lost key: set aside", path.name)
                path.rename(path.with_suffix(".unreadable"))

    def change_password(self, current: str, new: str) -> None:
        """Change the signed-in person's password with the server; the offline
        verifier and the wrapped key follow at once."""
        s = self.settings
        client = self.client()
        try:
            client.change_password(current, new)
        finally:
            client.close()
        account = self.accounts.get(s.username)
        if account is not None and self._cache_key is not None:
            self.accounts.remember(
                s.username, new, key=self._cache_key,
                user={"display_name": account.display_name, "role": account.role,
                      "schools": account.schools}, server_url=account.server_url,
                expires_at=account.session_expires_at, idle_s=account.idle_s)

    def lock(self) -> None:
        """The screen locked: the key leaves this process's keeping until the
        person (or another) signs in again."""
        self._cache_key = None
        self.user = None

    def sign_out(self) -> threading.Thread | None:
        """Forget the session here at once; tell the server in the background
        (best effort: a server that is down must not hold up signing out).
        No offline opening for this user until they sign in with the server."""
        s = self.settings
        token = credentials.load_token(s.server_url, s.username)
        credentials.forget_token(s.server_url, s.username)
        if s.username:
            self.accounts.end_session(s.username)
        self.lock()
        if not token:
            return None
        try:
            client = self.client(token, retries=0)
        except AuthError:
            return None

        def revoke() -> None:
            try:
                client.logout()
            except Exception as exc:  # the session is forgotten here whatever the server says
                log.info("logout not confirmed by the server: %s", exc)
            finally:
                client.close()
        thread = threading.Thread(target=revoke, name="revoke-session", daemon=True)
        thread.start()
        return thread

    def has_token(self) -> bool:
        s = self.settings
        return bool(s.username and credentials.load_token(s.server_url, s.username))

    # --- work

    def sync(self, store: LocalStore, *, purge_if_ended: bool = True,
             **engine_options) -> SyncReport:
        """One sync. When the server says access to the school has ended, the
        cache is purged here, unless the caller ends the session itself
        (`purge_if_ended=False`: the desktop closes its windows first)."""
        if not self.has_token():
            raise NotSignedIn("Sign in first")
        client = self.client()
        try:
            report = SyncEngine(store, client, self.settings.school_id,
                                author=self.user or self.settings.username,
                                **engine_options).sync()
            self.accounts.touch(self.settings.username)
        except NotSignedIn:
            raise
        except AuthError:
            # The server ended the session: no offline opening on it either.
            self.accounts.end_session(self.settings.username)
            raise
        except AccessEnded as exc:
            unsent = sum(store.outbox_counts().values())
            if purge_if_ended:
                store.purge()
            raise AccessEnded(
                f"{exc}: its data was removed from this workstation"
                + (f" ({unsent} unsent changes could not be kept)" if unsent else "")) from exc
        finally:
            client.close()
        return report

    @staticmethod
    def check_edit(op: str, payload: dict[str, Any], *, mutation_id: str | None = None
                   ) -> dict[str, Any]:
        """Check an edit's shape without the cache (on the GUI thread, before
        it shows): its checked payload, or InvalidValue with a reason."""
        needs_base = OPS.get(op) is not None and OPS[op].checks_version
        return check_mutation({"mutation_id": mutation_id or new_mutation_id(), "op": op,
                               "base_version": 0 if needs_base else None,
                               "payload": payload})["payload"]

    def edit(self, store: LocalStore, op: str, payload: dict[str, Any], *,
             base_version: int | None = None, mutation_id: str | None = None) -> str:
        """Queue an edit (applied to the cache at once); raises InvalidValue
        with a reason for a malformed one, before anything is written."""
        mutation_id = mutation_id or new_mutation_id()
        if OPS.get(op) is not None and OPS[op].checks_version and "student_id" in payload:
            # A program edit follows this workstation's own earlier one
            # still in flight: same base, and it names that edit.
            prior = store.last_program_edit(payload["student_id"])
            if prior is not None:
                base_version = prior["base_version"]
                payload = {**payload, "after_mutation_id": prior["mutation_id"]}
            elif base_version is None:
                base_version = store.version_of("programs", program_id(payload["student_id"]))
        checked = check_mutation({"mutation_id": mutation_id, "op": op,
                                  "base_version": base_version, "payload": payload})
        store.queue(op, checked["payload"], base_version=base_version, mutation_id=mutation_id,
                    created_at=clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
                    created_by=self.user or self.settings.username or None)
        return mutation_id
