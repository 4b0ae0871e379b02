"""The fixed school day that tests and benchmarks run on (time is an input).

Tests pass this day, or a moment of it, to what they call (`today=`, `on=`,
`now=`). What reads the clock itself (the whole desktop client, a server
process, `main.py`) is moved with `MISIS_NOW`, which domain/clock.py reads:
the `clock_at` fixture does it for one test, `set_clock` for a benchmark.
Either way the suite passes whatever the machine's clock says.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from domain import clock

SCHOOL_TZ = ZoneInfo("America/Los_Angeles")

# A Wednesday of the demo's fall term 2026, away from its holidays (Veterans
# Day, Thanksgiving, the winter break from 12-21), with school days on either
# side: the 5-, 10- and 15-week marking periods have ended (the last on
# 2026-11-20) and the 20-week one is under way.
SCHOOL_DAY = dt.date(2026, 12, 2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of `day` in the schools' time (aware)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SCHOOL_TZ)


# Period 2 of the school day (09:00-09:55): the same date in Los Angeles and in UTC.
SCHOOL_DAY_MORNING = at(SCHOOL_DAY, 9, 40)


def set_clock(moment: dt.datetime | str | None) -> None:
    """Move this process's clock to `moment` (it runs on from there), and
    that of every process it starts from now on; None: the machine's clock."""
    if moment is None:
        os.environ.pop(clock.OVERRIDE, None)
    else:
        os.environ[clock.OVERRIDE] = moment if isinstance(moment, str) else moment.isoformat()
        clock.now_utc()  # pins it now: what starts later runs on this very clock
