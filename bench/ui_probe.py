"""Child process of bench/ui.py: launch the client as main.py does, then measure.

    python bench/ui_probe.py --data DIR  (prints one JSON line)

Reports the wall-clock time at which the roster was first painted (the
parent subtracts the time it spawned this process), the median time per
keystroke of the roster search from the key event to the repainted view,
and the resident memory once loaded.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

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
    window.close()
    print(json.dumps({"usable_at": usable_at, "rows": rows, "keystroke_ms": samples,
                      "rss_mb": memory}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
