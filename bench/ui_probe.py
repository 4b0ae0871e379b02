"""Child process of bench/ui.py: launch the client as main.py does, then measure.

    python bench/ui_probe.py --data DIR  (prints one JSON line)

Reports the wall-clock time at which the roster was first painted (the
parent subtracts the time it spawned this process), the median time per
keystroke of the roster search from the key event to the repainted view,
and the resident memory once loaded.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QDate, QElapsedTimer, QEvent, QObject, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from domain import clock  # noqa: E402
from ui.app import build  # noqa: E402


class PaintWatch(QObject):
    def __init__(self):
        super().__init__()
        self.painted = False

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def until(app, condition, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()


def main() -> int:
    app, launcher = build(sys.argv[1:], sync_interval_s=3600)
    watch = PaintWatch()
    launcher.start()  # every start asks who is there: --password-env types it in
    until(app, lambda: launcher.window is not None or launcher.dialog.problem.isVisible())
    window = launcher.window
    if window is None:
        print(json.dumps({"error": "the client did not open: "
                                   + launcher.dialog.problem.text()}))
        return 1
    window.resize(1366, 768)
    viewport = window.roster.table.viewport()
    viewport.installEventFilter(watch)
    until(app, lambda: watch.painted)
    usable_at = time.time()
    rows = window.roster.model.total()

    search = window.roster.search
    search.setFocus()
    words = ["gar", "mart", "lee", "nguy", "smi", "100400", "kim", "lop"]
    timer = QElapsedTimer()
    samples = []
    for word in words:
        for ch in word:
            watch.painted = False
            timer.start()
            QTest.keyClick(search, ch)
            until(app, lambda: watch.painted)
            samples.append(timer.nsecsElapsed() / 1e6)
        for _ in word:
            watch.painted = False
            timer.start()
            QTest.keyClick(search, Qt.Key.Key_Backspace)
            until(app, lambda: watch.painted)
            samples.append(timer.nsecsElapsed() / 1e6)
    memory = rss_mb()
    edits = edit_figures(app, window)
    window.close()
    until(app, lambda: window.session.has_ended, 60)
    print(json.dumps({"usable_at": usable_at, "rows": rows, "keystroke_ms": samples,
                      "rss_mb": memory, **edits}))
    return 0


class StallWatch(QObject):
    """The longest gap between turns of the event loop (a 5 ms timer's ticks)."""

    def __init__(self):
        super().__init__()
        self.longest_ms = 0.0
        self._last = time.monotonic()
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.monotonic()
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.longest_ms = max(self.longest_ms, (now - self._last) * 1000)
        self._last = now


def school_day_with_classes(store) -> dt.date:
    """The latest weekday up to the demo's day on which classes meet (the
    benchmark must not depend on the day it runs)."""
    from local_store import queries
    day = clock.today()  # bench/ui.py sets it (MISIS_NOW) to its fixed school day
    for _ in range(30):
        if day.weekday() < 5 and queries.sections_meeting(store, date=day.isoformat(),
                                                          period=2, daily=False):
            return day
        day -= dt.timedelta(days=1)
    raise RuntimeError("no school day with classes in the last 30 days")


def edit_figures(app, window) -> dict:
    """Attendance marks typed and saved (Ctrl+Enter) on the real window:
    from the key to the changed row repainted, with the writer lane idle,
    then while a re-bootstrap of the school holds it; and the longest stall
    of the event loop meanwhile."""
    sheet = window.attendance
    window.nav.setCurrentRow(window._screens().index(sheet))
    day = school_day_with_classes(window.store)
    sheet.date.setDate(QDate(day.year, day.month, day.day))
    sheet.period.setCurrentIndex(sheet.period.findData(2))
    # One section's sheet, its first rows marked in turn (switching sections
    # is measured by bench/attendance.py's sheet_open_ms).
    section = next(i for i in range(1, sheet.section.count())
                   if sheet._sections[sheet.section.itemData(i)]["students"] >= 5)
    sheet.section.setCurrentIndex(section)
    watch = PaintWatch()
    sheet.table.viewport().installEventFilter(watch)
    app.processEvents()
    stalls = StallWatch()
    stalls.start()
    timer = QElapsedTimer()
    codes = iter(["A", "T", "E"] * 200)

    def one_edit(row: int) -> float:
        sheet.model.set_mark(row, next(codes))
        app.processEvents()
        watch.painted = False
        timer.start()
        QTest.keyClick(sheet, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        until(app, lambda: watch.painted)
        return timer.nsecsElapsed() / 1e6

    idle = []
    for n in range(20):
        idle.append(one_edit(n % 5))
        until(app, lambda: not window.session.lane.busy())
    # A re-bootstrap: the whole school again, in one transaction on the lane.
    store = window.store
    window.session.write(lambda: store.put(cursor=None))
    until(app, lambda: not window.session.lane.busy())
    window.sync.sync_now()
    until(app, lambda: window.session.lane.busy(), 60)
    during, busy_after = [], []
    n = 0
    while window.session.lane.busy() and n < 40:
        during.append(one_edit(n % 5))
        busy_after.append(window.session.lane.busy())
        n += 1
    until(app, lambda: not window.sync.state.syncing and not window.session.lane.busy(), 120)
    app.processEvents()
    stalls.timer.stop()
    return {"edit_to_screen_ms": idle, "edit_during_bootstrap_ms":
            [ms for ms, busy in zip(during, busy_after) if busy],
            "gui_stall_max_ms": stalls.longest_ms}


if __name__ == "__main__":
    sys.exit(main())
