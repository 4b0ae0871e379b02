"""Workstation settings, with their defaults in one place. Never a secret here:
the session token lives in the keyring (`sync.credentials`)."""
from __future__ import annotations

import json
import os
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
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / "settings.json.tmp"
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, data_dir / "settings.json")
