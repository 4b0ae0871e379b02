"""Scheduling on the 5,000-student high school (Palisade Ridge, sch-1004).

    python bench/scheduling.py

Starts the demo district on a throwaway SQLite server and a counselor's
workstation loaded with the school, on a fixed school day
(tests/support/clock.py: the data, the checks and both clocks), then
measures:

* `check_ms`: the checks a counselor sees for one add or one drop, read
  from the workstation cache and run (local_store.scheduling
  .program.check_program_change), median over 300 adds and 300 drops of random
  students and sections (`check_add_ms`, `check_drop_ms` apart). Target
  <= 20 ms.
* `loader_s`: 5,000 students x 7 requests (every student of the school
  asking for a full next-year program, drawn by the demo's own request
  rules) placed by domain.loader into a master schedule that
  domain.section_planner built from their tallies (`plan_s`);
  `loader_placed_pct`, and `loader_conflicts` / `loader_over_capacity`,
  which must be 0. Target <= 60 s.
* `loader_server_s`: the server's loader (POST .../load-requests, apply)
  on the demo's stored next-year requests of returning students
  (`loader_server_requests`, `loader_server_placed_pct`).
* `rollover_s`: the server's semester rollover of the whole school (apply,
  over HTTP); `rollover_dry_run_s` the workstation's dry run;
  `rollover_second_changes` what a second apply changed (must be 0).
  Target <= 10 s.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from district_server.demo.plans import REQUESTS_PER_STUDENT, TARGET_CLASS_SIZE  # noqa: E402
from district_server.demo.schedules import requests_for  # noqa: E402
from district_server.demo.school import SchoolBuilder  # noqa: E402
from domain.loader import CourseInfo, Request, load_requests  # noqa: E402
from domain.section_planner import plan_sections  # noqa: E402
from local_store.scheduling.catalog import terms as load_terms  # noqa: E402
from local_store.scheduling.program import check_program_change, program_rows  # noqa: E402
from local_store.scheduling.rollover import rollover_dry_run  # noqa: E402
from sync.workstation import Workstation  # noqa: E402
from tests.support.clock import SCHOOL_DAY  # noqa: E402
from tests.support.server import demo_workstation  # noqa: E402

SCHOOL = "sch-1004"
COUNSELOR, PASSWORD = "counselor.1004", "demo-counselor-2026"
SAMPLES = 300


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def check_times(store) -> dict[str, float]:
    rng = random.Random(5)
    today = SCHOOL_DAY.isoformat()
    with store.read() as conn:
        students = [r[0] for r in conn.exec_driver_sql(
            "SELECT student_id FROM school_enrollments WHERE exit_date IS NULL")]
        sections = [r[0] for r in conn.exec_driver_sql(
            "SELECT s.id FROM sections s JOIN terms t ON t.id = s.term_id "
            "WHERE t.start_date <= ? AND t.end_date >= ?", (today, today))]
    adds, drops = [], []
    for _ in range(SAMPLES):
        sid = rng.choice(students)
        t = time.perf_counter()
        check_program_change(store, sid, on=today, add_section_id=rng.choice(sections))
        adds.append(time.perf_counter() - t)
        entries = program_rows(store, sid, on=today)
        if entries:
            t = time.perf_counter()
            check_program_change(store, sid, on=today,
                                 drop_entry_id=rng.choice(entries).entry_id)
            drops.append(time.perf_counter() - t)
    return {"check_ms": _median_ms(adds + drops), "check_add_ms": _median_ms(adds),
            "check_drop_ms": _median_ms(drops)}


def full_school_loader() -> dict[str, float]:
    """Every student of the 5,000-student school asks for a full program."""
    b = SchoolBuilder(2026 * 10_000 + 1004, SCHOOL, "1004",
                      "Palisade Ridge High School", "high", 5000, SCHOOL_DAY)
    b.build()
    rng = random.Random("bench-loader")
    courses = {row[0]: CourseInfo(row[0], row[1], row[2], row[4], row[6], row[7], row[8])
               for row in b.rows["courses"]}
    requests = []
    for i, sid in enumerate(b.sid):
        g = b.grade[i]
        saved, b.rng = b.rng, rng
        try:
            want = requests_for(b, g)
        finally:
            b.rng = saved
        taken = {c.rstrip("0123456789") for c in want}
        extra = [c for c in b.electives_by_grade[g] if c.rstrip("0123456789") not in taken]
        rng.shuffle(extra)
        for rank, code in enumerate((want + extra)[:REQUESTS_PER_STUDENT], 1):
            requests.append(Request(sid, g, b.course_ids[code], rank))
    t = time.perf_counter()
    planned = plan_sections(requests, courses, range(1, 8), target_size=TARGET_CLASS_SIZE,
                            capacity=38, seed=1)
    plan_s = time.perf_counter() - t
    sections = [p.open_section(f"bench-{k}") for k, p in enumerate(planned)]
    t = time.perf_counter()
    result = load_requests(requests, sections, courses)
    loader_s = time.perf_counter() - t
    by_id = {s.id: s for s in sections}
    slots: set[tuple[str, int, int]] = set()
    conflicts = 0
    for p in result.placements:
        s = by_id[p.section_id]
        for term in s.terms:
            conflicts += (p.student_id, s.period, term) in slots
            slots.add((p.student_id, s.period, term))
    over = sum(1 for s in sections if result.section_counts[s.id] > s.capacity)
    return {"loader_students": len(b.sid), "loader_requests": len(requests),
            "loader_sections": len(sections), "plan_s": round(plan_s, 2),
            "loader_s": round(loader_s, 2), "loader_placed_pct": round(result.placed_pct, 2),
            "loader_conflicts": conflicts, "loader_over_capacity": over}


def server_parts(data: Path) -> dict[str, float]:
    ws = Workstation(data)
    ws.resume()  # the session kept at sign-in opens the encrypted cache
    store = ws.open_store()
    figures: dict[str, float] = {}
    figures.update(check_times(store))
    t = time.perf_counter()
    dry = rollover_dry_run(store, on=SCHOOL_DAY.isoformat())
    figures["rollover_dry_run_s"] = round(time.perf_counter() - t, 2)
    client = ws.client()
    try:
        years = sorted(load_terms(store), key=lambda term: term.start_date)
        next_year = years[-1].school_year_id
        t = time.perf_counter()
        loaded = client.load_requests(SCHOOL, school_year_id=next_year, apply=True)
        figures["loader_server_s"] = round(time.perf_counter() - t, 2)
        figures["loader_server_requests"] = loaded["requests"]
        figures["loader_server_placed_pct"] = loaded["placed_pct"]
        figures["loader_server_conflicts"] = loaded["conflicts"]
        figures["loader_server_over_capacity"] = loaded["sections_over_capacity"]
        if dry is not None:
            plan, _ = dry
            figures["rollover_planned_changes"] = plan.changes
        t = time.perf_counter()
        first = client.rollover(SCHOOL, apply=True)
        figures["rollover_s"] = round(time.perf_counter() - t, 2)
        figures["rollover_ended"] = first["ended"]
        figures["rollover_added"] = first["added"]
        second = client.rollover(SCHOOL, apply=True)
        figures["rollover_second_changes"] = second["ended"] + second["added"]
    finally:
        client.close()
        store.close()
    return figures


def main() -> None:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="misis-bench-") as tmp:
        with demo_workstation(Path(tmp), COUNSELOR, PASSWORD) as (_server, data):
            figures.update(server_parts(data))
    figures.update(full_school_loader())
    for name, value in figures.items():
        print(f"{name}={value}")


if __name__ == "__main__":
    main()
