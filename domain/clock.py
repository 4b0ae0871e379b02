"""The one place that reads the wall clock, and the one override of it.

Code that needs "today" or "now" takes it as an argument and defaults to
these functions at its edge (time is an input), so a test or a benchmark
passes a fixed school day and time instead.

`MISIS_NOW` (an environment variable, read only here) moves the clock of a
whole process and of the processes it starts: set it to an ISO 8601 date
and time with its offset (``2026-07-15T10:00:00-07:00``) or to a date
(``2026-07-15``: noon UTC that day, the same date in every time zone), to
try MiSiS on a summer day or on a school-day afternoon. Never set it in
production: the server's clock decides the order of edits and whether a
roll came in late.

Time still moves from that instant, so timeouts, session expiry and sleeps
keep working. The first read pins when it was that instant, writing it
back as ``<instant>@<Unix time>`` (``2026-07-15T10:00:00-07:00@1796435752.5``):
a server or a client started afterwards inherits the variable and so runs
on the very same clock, not on one a start-up's seconds apart.

Durations are not the wall clock's business: measure them with
`time.monotonic()` or `time.perf_counter()`.
"""
from __future__ import annotations

import datetime as dt
import os

OVERRIDE = "MISIS_NOW"

# (the override's text, the instant it names - the real instant it was so)
_anchor: tuple[str, dt.timedelta] | None = None


def parse_override(text: str) -> dt.datetime:
    """The instant an override names (aware, UTC). A date alone is noon UTC."""
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"{OVERRIDE}={text!r}: give a date (2026-07-15) or a date and time "
                         "with its offset (2026-07-15T10:00:00-07:00)")
    return moment.astimezone(dt.UTC)


def _offset() -> dt.timedelta:
    global _anchor
    text = os.environ.get(OVERRIDE, "").strip()
    if not text:
        return dt.timedelta(0)
    if _anchor is None or _anchor[0] != text:
        instant, pinned, since = text.partition("@")
        moment = parse_override(instant)
        if not pinned:
            since = f"{dt.datetime.now(dt.UTC).timestamp():.6f}"
            text = f"{instant}@{since}"
            os.environ[OVERRIDE] = text  # the processes started from now on share this clock
        try:
            real = dt.datetime.fromtimestamp(float(since), dt.UTC)
        except (ValueError, OverflowError):
            raise ValueError(f"{OVERRIDE}={text!r}: after '@', the Unix time it was "
                             f"{instant}") from None
        _anchor = (text, moment - real)
    return _anchor[1]


def now_utc() -> dt.datetime:
    """The current instant, aware, in UTC."""
    return dt.datetime.now(dt.UTC) + _offset()


def now_local() -> dt.datetime:
    """The current instant, aware, in this machine's time zone: the
    workstation's wall clock, for what a person at it reads as the time."""
    return now_utc().astimezone()


def today() -> dt.date:
    """This machine's date (the server uses its schools' zone instead)."""
    return now_local().date()


def timestamp() -> float:
    """Seconds since the Unix epoch, as `time.time()` (session limits are kept so)."""
    return now_utc().timestamp()
