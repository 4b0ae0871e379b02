"""The school year: its school days, terms and holidays, in Los Angeles."""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class SchoolCalendar:
    start_year: int
    first_day: dt.date
    last_day: dt.date
    fall_end: dt.date
    spring_start: dt.date
    days: tuple[dt.date, ...]  # every school day of the year, in order

    def days_through(self, day: dt.date) -> int:
        """How many school days fall on or before `day`."""
        return bisect.bisect_right(self.days, day)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    d = dt.date(year, month, 1)
    return d + dt.timedelta(days=(weekday - d.weekday()) % 7 + 7 * (n - 1))


def school_calendar(as_of: dt.date) -> SchoolCalendar:
    """The school year containing `as_of` (one that starts in August)."""
    y = as_of.year if as_of >= dt.date(as_of.year, 8, 1) else as_of.year - 1
    first = _nth_weekday(y, 8, 0, 2)
    last = dt.date(y + 1, 6, 15)
    last -= dt.timedelta(days=max(0, last.weekday() - 4))
    fall_end = dt.date(y + 1, 1, 29)
    fall_end -= dt.timedelta(days=(fall_end.weekday() - 4) % 7)
    veterans = dt.date(y, 11, 11)
    veterans += dt.timedelta(days={5: -1, 6: 1}.get(veterans.weekday(), 0))
    thanksgiving = _nth_weekday(y, 11, 3, 4)
    may31 = dt.date(y + 1, 5, 31)
    spring_break = _nth_weekday(y + 1, 3, 0, 4)
    holidays = {_nth_weekday(y, 9, 0, 1), veterans, thanksgiving,
                thanksgiving + dt.timedelta(days=1),
                _nth_weekday(y + 1, 1, 0, 3), _nth_weekday(y + 1, 2, 0, 3),
                may31 - dt.timedelta(days=may31.weekday())}
    holidays.update(dt.date(y, 12, 21) + dt.timedelta(days=k) for k in range(12))
    holidays.update(spring_break + dt.timedelta(days=k) for k in range(5))
    days = []
    d = first
    while d <= last:
        if d.weekday() < 5 and d not in holidays:
            days.append(d)
        d += dt.timedelta(days=1)
    return SchoolCalendar(y, first, last, fall_end, fall_end + dt.timedelta(days=3), tuple(days))


def utc_offset_minutes(d: dt.date) -> int:
    """Los Angeles local time to UTC, in minutes, on a school day."""
    dst = _nth_weekday(d.year, 3, 6, 2) <= d < _nth_weekday(d.year, 11, 6, 1)
    return 420 if dst else 480
