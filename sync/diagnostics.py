"""A diagnostic bundle for a help ticket: logs, versions, sync state, what happened.

What goes in is chosen field by field, never copied wholesale: the bundle
leaves the school, so it carries no student data (no names, no ids, no
payloads, no cache file). Outbox entries appear only as counts.
"""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import os
import platform
import sys
import zipfile
from pathlib import Path
from typing import Any

from domain import clock
from local_store.store import LocalStore
from sync.workstation import Workstation

log = logging.getLogger(__name__)

FALLBACK_VERSION = "0.1.0"
# Meta keys of the cache that describe its sync state, not its records.
SYNC_META = ("school_id", "cursor", "bootstrap_seq", "last_sync_at", "last_sync_error",
             "schema_version", "clock_skew_s")


def misis_version() -> str:
    try:
        return importlib.metadata.version("misis")
    except importlib.metadata.PackageNotFoundError:
        return FALLBACK_VERSION


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def default_bundle_path(data_dir: Path, now: dt.datetime | None = None) -> Path:
    stamp = (now or clock.now_local()).strftime("%Y%m%d-%H%M%S")
    return Path(data_dir) / f"misis-diagnostics-{stamp}.zip"


def versions_text(extra: dict[str, str] | None = None) -> str:
    """One `name: version` a line; `extra` adds what only the caller knows (the GUI toolkit)."""
    lines = {"MiSiS": misis_version(), "Python": sys.version.replace("\n", " "),
             "Platform": platform.platform(), **(extra or {}),
             "SQLAlchemy": _package_version("SQLAlchemy"),
             "requests": _package_version("requests"), "keyring": _package_version("keyring")}
    return "".join(f"{name}: {value}\n" for name, value in lines.items())


def outbox_summary(store: LocalStore) -> dict[str, Any]:
    """How many edits wait in the outbox, by state and by operation; never their content."""
    with store.read() as conn:
        rows = conn.exec_driver_sql(
            "SELECT op, state, count(*), max(attempts) FROM outbox GROUP BY op, state").all()
    by_state = store.outbox_counts()
    by_op: dict[str, dict[str, int]] = {}
    for op, state, n, _attempts in rows:
        by_op.setdefault(op, {})[state] = n
    most_attempts = max((r[3] or 0 for r in rows), default=0)
    return {"by_state": by_state, "by_op": by_op, "most_attempts": most_attempts}


def sync_state(workstation: Workstation, store: LocalStore | None) -> dict[str, Any]:
    s = workstation.settings
    state: dict[str, Any] = {
        "written_at": clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "server_url": s.server_url, "school_id": s.school_id, "username": s.username,
        "workstation_id": s.workstation_id, "sync_interval_s": s.sync_interval_s,
    }
    if store is None:
        state["cache"] = None
        return state
    for key in SYNC_META:
        value = store.get(key)
        if key == "last_sync_error" and value:
            value = value[:500]
        state[key if key != "school_id" else "cache_school_id"] = value
    state["outbox"] = outbox_summary(store)
    state["cache_bytes"] = store.path.stat().st_size if store.path.exists() else None
    return state


def write_bundle(path: str | Path, workstation: Workstation, store: LocalStore | None,
                 description: str = "", *, extra_versions: dict[str, str] | None = None
                 ) -> Path:
    """Write the zip at `path` and return where it is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    # Readable by its user only, like everything in the data folder.
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for log_file in sorted(workstation.data_dir.glob("misis.log*")):
            if log_file.is_file():
                bundle.write(log_file, log_file.name)
        bundle.writestr("versions.txt", versions_text(extra_versions))
        bundle.writestr("sync_state.json",
                        json.dumps(sync_state(workstation, store), indent=2, sort_keys=True))
        bundle.writestr("description.txt", description.strip() + "\n")
    tmp.replace(path)
    log.info("diagnostic bundle written to %s", path)
    return path
