"""A workstation: its data folder, its sign-in, its cache of each school, its edits."""
from __future__ import annotations

import datetime as dt
import logging
import logging.handlers
import threading
from pathlib import Path
from typing import Any

from domain.edits import program_id
from domain.mutations import OPS, check_mutation, new_mutation_id
from local_store.settings import ClientSettings, default_data_dir
from local_store.store import LocalStore
from sync import credentials
from sync.client import AccessEnded, AuthError, ServerClient
from sync.engine import SyncEngine, SyncReport

log = logging.getLogger(__name__)


def setup_log_file(data_dir: Path) -> None:
    """The workstation's rotating log in its data folder (never personal data in it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        data_dir / "misis.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


class NotSignedIn(AuthError):
    pass


class Workstation:
    def __init__(self, data_dir: Path | str | None = None, *, retries: int = 3):
        self.retries = retries
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = ClientSettings.load(self.data_dir)

    def save_settings(self) -> None:
        self.settings.save(self.data_dir)

    # --- the cache

    def cache_path(self, school_id: str) -> Path:
        return self.data_dir / f"cache-{school_id}.db"

    def open_store(self, school_id: str | None = None) -> LocalStore:
        return LocalStore(self.cache_path(school_id or self.settings.school_id))

    # --- signing in

    def client(self, token: str | None = None) -> ServerClient:
        s = self.settings
        if token is None and s.username:
            token = credentials.load_token(s.server_url, s.username)
        return ServerClient(s.server_url, token=token, workstation=s.workstation_id,
                            retries=self.retries)

    def sign_in(self, server_url: str, username: str, password: str, *,
                remember: bool = True) -> dict[str, Any]:
        client = ServerClient(server_url, workstation=self.settings.workstation_id)
        data = client.login(username, password)
        self.settings.server_url = server_url
        self.settings.username = username
        self.settings.display_name = data["user"]["display_name"]
        self.settings.role = data["user"].get("role", "")
        schools = [s["id"] for s in data["user"]["schools"]]
        if self.settings.school_id not in schools:
            self.settings.school_id = schools[0] if len(schools) == 1 else ""
        self.save_settings()
        credentials.save_token(server_url, username, data["token"], persist=remember)
        return data

    def sign_out(self) -> threading.Thread | None:
        """Forget the session here at once; tell the server in the background
        (best effort: a server that is down must not hold up signing out)."""
        s = self.settings
        token = credentials.load_token(s.server_url, s.username)
        credentials.forget_token(s.server_url, s.username)
        if not token:
            return None
        client = ServerClient(s.server_url, token=token, workstation=s.workstation_id, retries=0)

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

    def sync(self, store: LocalStore, **engine_options) -> SyncReport:
        if not self.has_token():
            raise NotSignedIn("Sign in first")
        client = self.client()
        try:
            report = SyncEngine(store, client, self.settings.school_id, **engine_options).sync()
        except AccessEnded as exc:
            unsent = sum(store.outbox_counts().values())
            store.purge()
            raise AccessEnded(
                f"{exc}: its data was removed from this workstation"
                + (f" ({unsent} unsent changes could not be kept)" if unsent else "")) from exc
        finally:
            client.close()
        return report

    def edit(self, store: LocalStore, op: str, payload: dict[str, Any], *,
             base_version: int | None = None) -> str:
        """Queue an edit (applied to the cache at once); raises InvalidValue
        with a reason for a malformed one, before anything is written."""
        mutation_id = new_mutation_id()
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
                    created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    created_by=self.settings.username or None)
        return mutation_id
