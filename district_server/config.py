"""Server settings, with their defaults in one place, read from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DB = Path.home() / ".local" / "share" / "misis-server" / "district.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_DB}"
    host: str = "127.0.0.1"
    port: int = 8470
    # A token lives a school week, so an overnight unattended sync keeps working.
    token_hours: int = 24 * 7
    # ...unless unused this long (a weekend fits): a forgotten session ends.
    token_idle_hours: int = 72
    # Largest request body taken (a push of MAX_BATCH mutations fits easily).
    max_body_bytes: int = 8 * 1024 * 1024
    # How far a workstation clock may drift before it is told.
    clock_skew_warn_s: int = 300
    # PostgreSQL: no statement runs longer, and no transaction sits idle
    # longer, than this (a stuck client can't hold a connection for ever).
    statement_timeout_s: int = 120
    idle_in_transaction_s: int = 60
    # Whole-school snapshots at once: per user, per school, per process.
    snapshots_per_user: int = 2
    snapshots_per_school: int = 4
    snapshots_per_process: int = 8
    # /docs and /openapi.json are off unless asked for.
    api_docs: bool = False

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = {
            "database_url": os.environ.get("MISIS_DATABASE_URL"),
            "host": os.environ.get("MISIS_HOST"),
            "port": int(os.environ["MISIS_PORT"]) if os.environ.get("MISIS_PORT") else None,
            "token_hours": int(os.environ["MISIS_TOKEN_HOURS"])
            if os.environ.get("MISIS_TOKEN_HOURS") else None,
            "token_idle_hours": int(os.environ["MISIS_TOKEN_IDLE_HOURS"])
            if os.environ.get("MISIS_TOKEN_IDLE_HOURS") else None,
            "api_docs": os.environ.get("MISIS_API_DOCS") == "1" or None,
        }
        values: dict[str, Any] = {k: v for k, v in env.items() if v is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
