"""One clock for the application, and `MISIS_NOW` to move it for a trial."""
from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from domain import clock

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = ("domain", "local_store", "sync", "district_server", "reports", "ui", "widgets",
               "scripts", "bench")


@pytest.fixture
def override(monkeypatch):
    """Set MISIS_NOW for this test only."""
    def set_to(text: str) -> None:
        monkeypatch.setenv(clock.OVERRIDE, text)
    return set_to


def off_by(a: dt.datetime, b: dt.datetime) -> float:
    return abs((a - b).total_seconds())


def test_without_the_override_the_clock_is_the_machines(monkeypatch):
    monkeypatch.delenv(clock.OVERRIDE, raising=False)
    assert off_by(clock.now_utc(), dt.datetime.now(dt.UTC)) < 1
    assert clock.now_utc().tzinfo is dt.UTC
    assert clock.now_local().utcoffset() == dt.datetime.now().astimezone().utcoffset()
    assert clock.today() == dt.date.today()


def test_the_override_names_now_and_time_moves_on_from_it(override):
    override("2026-07-15T10:00:00-07:00")
    first = clock.now_utc()
    assert off_by(first, dt.datetime(2026, 7, 15, 17, tzinfo=dt.UTC)) < 1
    # The clock still runs: it stays as far from the real clock as it started.
    gap = clock.now_utc() - dt.datetime.now(dt.UTC)
    later = clock.now_utc()
    assert later >= first
    assert off_by(later - gap, dt.datetime.now(dt.UTC)) < 1
    assert clock.timestamp() == pytest.approx(clock.now_utc().timestamp(), abs=1)
    assert clock.now_local().astimezone(dt.UTC).date() == dt.date(2026, 7, 15)


def test_a_date_alone_is_noon_utc_the_same_date_everywhere(override):
    override("2026-12-02")
    assert off_by(clock.now_utc(), dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)) < 1
    for hours in (-11, -8, 0, 9, 11):
        zone = dt.timezone(dt.timedelta(hours=hours))
        assert clock.now_utc().astimezone(zone).date() == dt.date(2026, 12, 2)


def test_a_new_value_moves_the_clock_again(override):
    override("2026-07-15")
    assert clock.today().month == 7
    override("2026-12-04T16:40:00-08:00")
    assert off_by(clock.now_utc(), dt.datetime(2026, 12, 5, 0, 40, tzinfo=dt.UTC)) < 1


def test_the_first_read_pins_when_it_was_that_instant_for_the_processes_started_after(
        override):
    override("2026-12-04T16:40:00-08:00")
    clock.now_utc()
    instant, at, since = os.environ[clock.OVERRIDE].partition("@")
    assert (instant, at) == ("2026-12-04T16:40:00-08:00", "@")
    assert abs(float(since) - time.time()) < 5


def test_a_process_started_later_runs_on_the_same_clock(override):
    an_hour_ago = time.time() - 3600
    override(f"2026-12-04T16:40:00-08:00@{an_hour_ago:.6f}")
    child = subprocess.run(
        [sys.executable, "-c", "from domain import clock; print(clock.now_utc().isoformat())"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    theirs = dt.datetime.fromisoformat(child.stdout.strip())
    assert off_by(theirs, dt.datetime(2026, 12, 5, 1, 40, tzinfo=dt.UTC)) < 5
    assert off_by(theirs, clock.now_utc()) < 5


@pytest.mark.parametrize("text", ["summer", "2026-07-15T10:00:00", "2026-13-01", "15/07/2026",
                                  "2026-07-15T10:00:00-07:00@yesterday"])
def test_an_override_that_names_no_instant_is_refused_not_ignored(override, text):
    override(text)
    with pytest.raises(ValueError, match="MISIS_NOW"):
        clock.now_utc()
# Reading the wall clock anywhere but domain/clock.py would escape MISIS_NOW
# (and a test's fixed day). Durations use time.monotonic / perf_counter.
_CLOCK_READS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"),
                ("datetime", "today"), ("time", "time"), ("time", "time_ns"),
                ("QDate", "currentDate"), ("QDateTime", "currentDateTime"),
                ("QTime", "currentTime")}
# Wall-clock durations measured across two processes (no shared monotonic clock).
_ALLOWED = {"bench/ui.py", "bench/ui_probe.py"}


def clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute):
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.attr) in _CLOCK_READS:
                found.append((node.lineno, f"{path.relative_to(root)}:{node.lineno} "
                                           f"{name}.{node.attr}"))
    return [read for _, read in sorted(found)]


def test_only_the_clock_module_reads_the_wall_clock():
    files = [p for package in APPLICATION for p in sorted((ROOT / package).rglob("*.py"))]
    files.append(ROOT / "main.py")
    assert len(files) > 100
    reads = [read for p in files
             if str(p.relative_to(ROOT)) not in _ALLOWED | {"domain/clock.py"}
             for read in clock_reads(p)]
    assert reads == []


def test_the_check_sees_each_way_of_reading_the_clock(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime as dt, time\nfrom PySide6.QtCore import QDate\n"
                      "a = dt.date.today()\nb = dt.datetime.now(dt.UTC)\nc = time.time()\n"
                      "d = QDate.currentDate()\ne = time.monotonic()\nf = datetime.now\n")
    assert [r.split(" ")[1] for r in clock_reads(sample, tmp_path)] == [
        "date.today", "datetime.now", "time.time", "QDate.currentDate", "datetime.now"]
