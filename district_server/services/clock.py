"""Server time decides order (DESIGN.md, "Time"): one place reads the clock."""
from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now_iso() -> str:
    return now_utc().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
