"""Attendance on a workstation and the 8 AM peak on the district server.

    python bench/attendance.py

`workstation_part()`: the 5,000-student school loaded into a fresh
workstation cache; the attendance screen of the real main window
(offscreen) opens 36–40-student sections' sheets for the peak Monday's first
period — `sheet_open_ms`, from choosing the section to its sheet painted —
and marks three students and submits each — `submit_local_ms`, from
Ctrl+Enter through the window's `queue_edit` to the sheet repainted with the
marks saved (written by the writer lane just after; every submit is checked
in the outbox) (medians). Targets: 50 ms and 20 ms.

`server_peak()`: a throwaway PostgreSQL (durable: fsync and synchronous
commit on, as in production) with the demo district, the real server
(`misis-server serve --workers N`) on loopback, and simulated workstations
submitting sections' rolls back to back, with no pause between pushes (each
connection stands for many clerks taking attendance at 8 AM). Each request
is one push of one `attendance.submit` for a real section of the
5,000-student high school, for the peak Monday (`PEAK_NOW`, school time)
and then the following days, in the section's period, with two to four
exception marks for students on its roll; every mutation id is new.
Load comes from `wrk` (installed with apt if missing) with
`bench/attendance_load.lua`, `CONCURRENCY` keep-alive connections, a
`WARMUP_S` warm-up then a `RUN_S` measured run. Afterwards the database is
checked: every push answered "applied" wrote its submission exactly once
and nothing else was written (a few pushes still in flight when wrk stops
are completed by the server and counted separately).

Prints ``name=value`` lines: ``server_submissions_per_s``, ``server_p50_ms``,
``server_p99_ms``, ``server_errors`` (non-2xx, transport errors, answers
other than applied), and the settings. Targets: >= 300 submissions/s,
p99 <= 250 ms, no error.

Settings (environment overrides for experiments: BENCH_WORKERS,
BENCH_CONCURRENCY, BENCH_WRK_THREADS, BENCH_RUN_S, BENCH_DURABLE=0). All
the pushes are for one school, so they queue on its sequence row. One
worker with 8 connections is the default (2 cores shared with wrk and
PostgreSQL): 376–402/s, p99 41–44 ms once sessions are cached for a few
seconds (district_server/services/auth.py), 221–308/s before.
With `--workers 2`, uvicorn's own multi-worker socket leaves Nagle on
(Kludex/uvicorn#3149) and every keep-alive answer waits ~40 ms for the
client's delayed ACK; `misis-server serve` now binds that socket itself.
Two workers did not beat one on this 2-core machine with the load generator
and PostgreSQL on the same cores (BENCH_WORKERS=2: 224–260/s measured).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from district_server.demo import generate_district  # noqa: E402
from district_server.services.loader import create_demo_database  # noqa: E402
from district_server.store.db import make_engine  # noqa: E402
from district_server.store.tables import SYNCED, mutations  # noqa: E402
from domain import clock  # noqa: E402
from domain.records import kind  # noqa: E402
from tests.support.clock import at, set_clock  # noqa: E402
from tests.support.postgres import ThrowawayPostgres, postgres_available  # noqa: E402
from tests.support.server import RunningServer  # noqa: E402

SCHOOL = "sch-1004"
CLERK, PASSWORD = "clerk.1004", "demo-clerk-2026"
# Settings; the environment may override them for experiments.
WORKERS = int(os.environ.get("BENCH_WORKERS", 1))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", 1))
WARMUP_S = 3
RUN_S = int(os.environ.get("BENCH_RUN_S", 15))
DURABLE = os.environ.get("BENCH_DURABLE", "1") == "1"
# Pushes prepared per second of run: more than the server can take, so no
# body is ever sent twice.
BODIES_PER_S = 2500
LUA = ROOT / "bench" / "attendance_load.lua"
# Time is an input: the district as it stood on a fixed Sunday, and the 8 AM
# peak of the Monday after it (its rolls, then those of the days after it),
# whatever today is (a weekday, a weekend, the summer). The workstation and
# the server both read that Monday's clock (MISIS_NOW), so no roll the
# benchmark submits was already there: the first submit is never a correction.
PEAK_AS_OF = dt.date(2026, 11, 29)
PEAK_NOW = at(PEAK_AS_OF + dt.timedelta(days=1), 8, 0)


def _wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
        path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return path


def _roll_sections(demo, today: dt.date) -> list[tuple[dict, list[str]]]:
    """Sections of the school meeting today, with the students on their roll."""
    school = next(s for s in demo.schools if s.id == SCHOOL)
    day = today.isoformat()
    columns = ("id", *kind("sections").field_names)
    sections = {r[0]: dict(zip(columns, r)) for r in school.records["sections"]}
    roster: dict[str, list[str]] = {}
    for _id, student, section, begin, end in school.records["section_enrollments"]:
        if begin <= day and (end is None or end >= day):
            roster.setdefault(section, []).append(student)
    return [(sections[s], sorted(students)) for s, students in sorted(roster.items())
            if len(students) >= 4]


def _bodies(sections, tokens: list[str], first_day: dt.date, count: int,
            rng: random.Random) -> list[str]:
    """`count` pushes, each one section's roll on one date: every section
    for the first day, then every section for the next, and so on."""
    lines: list[str] = []
    day = first_day
    while len(lines) < count:
        for section, students in sections:
            if len(lines) == count:
                break
            marks = []
            for student in rng.sample(students, rng.randint(2, 4)):
                code = rng.choice("AAATE")
                mark = {"student_id": student, "code": code}
                if code == "T":
                    mark["minutes_late"] = rng.randint(1, 25)
                elif code == "E":
                    mark["note"] = "parent called"
                marks.append(mark)
            n = len(lines) % len(tokens)
            body = {"workstation": f"bench-{n:02d}", "mutations": [{
                "mutation_id": str(uuid.uuid4()), "op": "attendance.submit",
                "client_time": clock.now_utc().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "payload": {"section_id": section["id"], "date": day.isoformat(),
                            "period": section["period"], "marks": marks}}]}
            lines.append(f"{tokens[n]}\t{json.dumps(body, separators=(',', ':'))}")
        day += dt.timedelta(days=1)
    return lines


def _run_wrk(wrk: str, url: str, lines: list[str], seconds: int, work: Path,
             name: str) -> tuple[dict[str, float], list[str]]:
    """Run wrk once; its summary figures and the mutation ids answered applied."""
    bodies, result, acked = (work / f"{name}.bodies", work / f"{name}.result",
                             work / f"{name}.acked")
    bodies.write_text("\n".join(lines) + "\n")
    env = {**os.environ, "BENCH_RESULT": str(result), "BENCH_ACKED": str(acked)}
    subprocess.run([wrk, "-t", str(WRK_THREADS), "-c", str(CONCURRENCY), "-d", f"{seconds}s",
                    "--timeout", "10s", "-s", str(LUA), url, "--", str(bodies),
                    f"/api/schools/{SCHOOL}/mutations", str(WRK_THREADS)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    figures = {k: float(v) for k, v in (line.split("=", 1)
                                        for line in result.read_text().split())}
    return figures, acked.read_text().split()


def _submissions(engine) -> int:
    t = SYNCED["attendance_submissions"]
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t)
                            .where(t.c.school_id == SCHOOL)).scalar_one()


def _bench_mutations(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(mutations.c.mutation_id, mutations.c.status)
                                 .where(mutations.c.workstation.like("bench-%"))).all())


def _settle(engine, timeout: float = 15) -> None:
    """Wait until the pushes wrk left in flight are finished by the server."""
    last, deadline = -1, time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = _submissions(engine)
        if now == last:
            return
        last = now
        time.sleep(0.5)


def server_peak() -> dict[str, object]:
    if not postgres_available():
        raise SystemExit("PostgreSQL 15 binaries are needed (apt-get install postgresql-15)")
    wrk = _wrk()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory(prefix="misis-bench-") as tmp, \
            ThrowawayPostgres(durable=DURABLE) as pg:
        work = Path(tmp)
        url = pg.create_database("district")
        demo = create_demo_database(url, generate_district(2026, size="demo", as_of=PEAK_AS_OF))
        engine = make_engine(url, pool_size=2)
        with RunningServer(url, log_path=work / "server.log",
                           extra_args=["--workers", str(WORKERS)]) as server:
            tokens = []
            for n in range(CONCURRENCY):
                r = requests.post(f"{server.url}/api/login", json={
                    "username": CLERK, "password": PASSWORD, "workstation": f"bench-{n:02d}"},
                    timeout=30)
                r.raise_for_status()
                tokens.append(r.json()["token"])
            today = PEAK_NOW.date()
            sections = _roll_sections(demo, today)
            # The warm-up's rolls are a year ahead, so no roll is submitted twice.
            warm_lines = _bodies(sections, tokens, today + dt.timedelta(days=400),
                                 BODIES_PER_S * WARMUP_S, rng)
            run_lines = _bodies(sections, tokens, today, BODIES_PER_S * RUN_S, rng)
            before = _submissions(engine)
            warm, warm_acked = _run_wrk(wrk, server.url, warm_lines, WARMUP_S, work, "warmup")
            run, run_acked = _run_wrk(wrk, server.url, run_lines, RUN_S, work, "run")
            _settle(engine)
            written = _submissions(engine) - before
            stored = _bench_mutations(engine)
        engine.dispose()

    acked = set(warm_acked) | set(run_acked)
    errors = sum(int(r[k]) for r in (warm, run)
                 for k in ("non2xx", "not_applied", "transport_errors", "exhausted"))
    lost = len(acked - set(stored))
    unanswered = len(set(stored) - acked)
    not_applied_stored = sum(1 for s in stored.values() if s != "applied")
    # Each applied push wrote one new submission, once; pushes the server
    # took but never answered can only be the last one per connection of
    # each wrk run (cut off when it stopped).
    stray = max(0, unanswered - 2 * CONCURRENCY)
    if lost or not_applied_stored or written != len(stored) or stray:
        errors += abs(written - len(stored)) + lost + not_applied_stored + stray
        print(f"# check failed: acked={len(acked)} stored={len(stored)} written={written} "
              f"lost={lost} unanswered={unanswered}", file=sys.stderr)
    seconds = run["duration_us"] / 1e6
    return {
        "server_submissions_per_s": round(len(run_acked) / seconds, 1),
        "server_p50_ms": round(run["p50_us"] / 1000, 1),
        "server_p99_ms": round(run["p99_us"] / 1000, 1),
        "server_errors": errors,
        "server_pushes_ok": len(acked),
        "server_submissions_written": written,
        "server_unanswered_at_stop": unanswered,
        "server_workers": WORKERS,
        "server_concurrency": CONCURRENCY,
        "server_run_s": RUN_S,
        "server_postgres_durable": int(DURABLE),
    }


def workstation_figures(data_dir: Path, runs: int = 30) -> dict[str, float]:
    """Sheet open and local submit on the big school's cache, in this process,
    offscreen, in the real main window (its session, writer lane and
    `queue_edit`): from choosing a section to its sheet painted, and from
    Ctrl+Enter to the sheet repainted with the marks saved; each submit is
    then checked to have reached the cache's outbox."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from sync.workstation import Workstation
    from ui.main_window import MainWindow

    class Painted(QObject):
        seen = False

        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                self.seen = True
            return False

    app = QApplication.instance() or QApplication([])
    ws = Workstation(data_dir)
    ws.resume()  # the session kept at sign-in opens the encrypted cache
    store = ws.open_store()
    window = MainWindow(ws, store, school_name=store.get("school_name") or "")
    window.resize(1366, 768)
    window.show()
    window.nav.setCurrentRow(window._screens().index(window.attendance))
    screen = window.attendance
    watch = Painted()
    screen.table.viewport().installEventFilter(watch)
    candidates = [i for i in range(1, screen.section.count())
                  if 36 <= screen._sections[screen.section.itemData(i)]["students"] <= 40]
    timer = QElapsedTimer()
    opened, submitted = [], []

    def settle(until):
        while not until():
            app.processEvents()

    for i in candidates[:runs]:
        watch.seen = False
        timer.start()
        screen.section.setCurrentIndex(i)
        settle(lambda: watch.seen)
        opened.append(timer.nsecsElapsed() / 1e6)
        for row, code in ((1, "A"), (4, "T"), (9, "E")):
            screen.model.set_mark(row, code)
        app.processEvents()
        watch.seen = False
        timer.start()
        QTest.keyClick(screen, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        settle(lambda: watch.seen)
        submitted.append(timer.nsecsElapsed() / 1e6)
        settle(lambda: not window.session.lane.busy())
    saved = sum(1 for e in store.outbox_entries("pending") if e["op"] == "attendance.submit")
    assert saved == len(submitted), f"{saved} of {len(submitted)} submits were saved"
    window.sync.stop()
    window.close()
    settle(lambda: window.session.has_ended)
    return {"sections": len(opened), "sheet_open_ms": statistics.median(opened),
            "submit_local_ms": statistics.median(submitted)}


def workstation_part() -> dict[str, float]:
    """The big school loaded into a fresh workstation cache, then measured."""
    from tests.support.server import demo_workstation
    with tempfile.TemporaryDirectory(prefix="misis-bench-sheet-") as tmp:
        with demo_workstation(Path(tmp), CLERK, PASSWORD, as_of=PEAK_AS_OF,
                              now=PEAK_NOW) as (_server, data):
            return workstation_figures(data)


def main() -> int:
    set_clock(PEAK_NOW)
    for name, value in workstation_part().items():
        print(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}")
    for name, value in server_peak().items():
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
