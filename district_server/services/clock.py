"""Server time decides order (DESIGN.md, "Time"): one place reads the clock
(domain.clock, which `MISIS_NOW` can move for a trial; never in production)."""
from __future__ import annotations

from domain.clock import now_utc

__all__ = ["now_iso", "now_timestamp", "now_utc"]


def now_iso() -> str:
    return now_utc().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_timestamp() -> int:
    """Whole seconds since the Unix epoch: session limits are kept so."""
    return int(now_utc().timestamp())
