"""Workstation settings, with their defaults in one place. Never a secret here:
the session token lives in the keyring (`sync.credentials`)."""
from __future__ import annotations

import json
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from domain.scheduling import SCHEDULING_ROLES

DEFAULT_SERVER = "http://127.0.0.1:8470"


def default_data_dir() -> Path:
    if os.environ.get("MISIS_DATA"):
        return Path(os.environ["MISIS_DATA"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "misis"


@dataclass
class ClientSettings:
    server_url: str = DEFAULT_SERVER
    username: str = ""
    display_name: str = ""
    # clerk, counselor, school_admin or district_admin: what the screens
    # offer (the server checks every edit whatever this says).
    role: str = ""
    school_id: str = ""
    workstation_id: str = ""
    sync_interval_s: int = 60
    # The screen locks after this many minutes without a key or a click.
    idle_lock_minutes: int = 10
    # The district's certificate authority (a PEM bundle), when its server's
    # certificate isn't one the operating system already trusts.
    ca_bundle: str = ""
    # Plain http:// to a server other than this computer: off unless IT says
    # so for this machine (the status bar then warns all the time).
    allow_plain_http: bool = False

    @property
    def may_schedule(self) -> bool:
        return self.role in SCHEDULING_ROLES

    @classmethod
    def load(cls, data_dir: Path) -> ClientSettings:
        path = data_dir / "settings.json"
        values = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                known = {f.name for f in fields(cls)}
                values = {k: v for k, v in raw.items() if k in known}
            except (OSError, ValueError):
                values = {}
        settings = cls(**values)
        if not settings.workstation_id:
            settings.workstation_id = f"ws-{uuid.uuid4().hex[:12]}"
            settings.save(data_dir)
        return settings

    def save(self, data_dir: Path) -> None:
        make_private_dir(data_dir)
        write_private_file(data_dir / "settings.json", json.dumps(asdict(self), indent=2))


def write_private_file(path: Path, text: str) -> None:
    """Write a file of the data folder whole or not at all, readable by its
    user only. Each write goes through a temporary file of its own: two
    processes saving at once (the client's timer and a cron `main.py sync`)
    must not rename each other's temporary file away."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# The files MiSiS keeps in its data folder (a folder given with --data may
# hold others, which are not MiSiS's to change).
OWN_FILES = ("settings.json", "accounts.json", "misis.log*", "cache-*", "misis-diagnostics-*",
             ".settings.json.*", ".accounts.json.*")


def make_private_dir(path: Path) -> None:
    """The data folder: this user's only (0700), and each of MiSiS's files in
    it 0600 (settings, log, caches, diagnostic bundles hold what others must
    not read; earlier versions wrote some 0644)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    for pattern in OWN_FILES:
        for child in path.glob(pattern):
            try:
                if child.is_file() and child.stat().st_mode & 0o077:
                    os.chmod(child, 0o600)
            except FileNotFoundError:
                pass  # another process's temporary file, gone meanwhile
