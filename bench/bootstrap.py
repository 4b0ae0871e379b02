"""Bootstrap of the 5,000-student high school into an empty workstation cache.

    python bench/bootstrap.py

Starts the district server on a throwaway SQLite file with the demo district
as of a fixed school day (tests/support/clock.py: the attendance so far, so
the row count, is the same whatever today is), signs a workstation in and
times its first sync (snapshot over loopback HTTP, bulk load, indexes). In
the same run it times writing the same rows into an empty SQLite file with
plain ``sqlite3`` ``executemany`` in one transaction, the floor any
bootstrap is measured against. The figures are for the
embedded SQLite server; the same bootstrap from a PostgreSQL server is
printed beside them. The workstation's cache is encrypted (SQLCipher), as
the product writes it; the same bootstrap into an unencrypted cache gives
``encrypted_overhead`` (encrypted / unencrypted). Prints ``name=value``
lines; the last is ``bootstrap_ratio``. Targets: ratio <= 3 (encrypted,
against plain unencrypted ``sqlite3``), bootstrap < 15 s.
"""
from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.TestKeyring")

from district_server.demo import generate_district  # noqa: E402
from district_server.services.loader import create_demo_database  # noqa: E402
from domain.records import KINDS  # noqa: E402
from local_store.schema import metadata as cache_metadata  # noqa: E402
from local_store.store import LocalStore  # noqa: E402
from sync.engine import SyncEngine, SyncReport  # noqa: E402
from sync.workstation import Workstation  # noqa: E402
from tests.support.clock import SCHOOL_DAY, SCHOOL_DAY_MORNING, set_clock  # noqa: E402
from tests.support.postgres import ThrowawayPostgres, postgres_available  # noqa: E402
from tests.support.server import RunningServer  # noqa: E402

SCHOOL = "sch-1004"
RUNS = 3


def time_bootstraps(server_url: str, work: Path, code: str, runs: int
                    ) -> tuple[list[float], list[float], dict]:
    """Bootstrap times into fresh caches, encrypted with the key released at
    sign-in (as the product does) and in plain SQLite, taken in turns so
    neither gets the warmer server; returns both lists and the last dump."""
    encrypted, plain, dump = [], [], {}
    for run in range(runs):
        for mode in ("encrypted", "plain"):
            ws = Workstation(work / f"ws-{mode}-{run}")
            ws.sign_in(server_url, f"clerk.{code}", "demo-clerk-2026")
            store = ws.open_store() if mode == "encrypted" else LocalStore(ws.cache_path(SCHOOL))
            client = ws.client()
            started = time.perf_counter()
            SyncEngine(store, client, SCHOOL).bootstrap(SyncReport())
            (encrypted if mode == "encrypted" else plain).append(time.perf_counter() - started)
            client.close()
            if run == runs - 1:
                if dump:
                    assert store.dump() == dump, "encrypted and plain caches differ"
                dump = store.dump()
            store.close()
    return encrypted, plain, dump


def plain_write(path: Path, rows_by_kind: dict[str, list]) -> float:
    """The same rows, same tables, plain sqlite3: one transaction of executemany."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    from sqlalchemy import create_engine
    engine = create_engine(f"sqlite:///{path}")
    cache_metadata.create_all(engine)
    engine.dispose()
    started = time.perf_counter()
    conn.execute("BEGIN")
    for k in KINDS:
        marks = ", ".join("?" * len(k.wire_columns))
        conn.executemany(f"INSERT INTO {k.name} ({', '.join(k.wire_columns)}) VALUES ({marks})",
                         rows_by_kind[k.name])
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> int:
    set_clock(SCHOOL_DAY_MORNING)  # the servers and the workstations too
    with tempfile.TemporaryDirectory(prefix="misis-bench-") as tmp:
        tmp_path = Path(tmp)
        db_url = f"sqlite:///{tmp_path / 'district.db'}"
        demo = create_demo_database(db_url, generate_district(2026, size="demo",
                                                              as_of=SCHOOL_DAY))
        big = next(s for s in demo.schools if s.id == SCHOOL)
        os.environ["MISIS_TEST_KEYRING"] = str(tmp_path / "keyring.json")

        with RunningServer(db_url, log_path=tmp_path / "server.log") as server:
            times, plain_times, dump = time_bootstraps(server.url, tmp_path / "sqlite", big.code,
                                                       RUNS)
        pg_times = []
        if postgres_available():
            with ThrowawayPostgres(durable=True) as pg:
                pg_url = pg.create_database("district")
                create_demo_database(pg_url, demo)
                with RunningServer(pg_url, log_path=tmp_path / "server-pg.log") as server:
                    pg_times, _, pg_dump = time_bootstraps(server.url, tmp_path / "pg", big.code,
                                                           1)
                assert pg_dump == dump, "PostgreSQL and SQLite servers gave different snapshots"
        rows_by_kind = {k.name: [list(r) for r in dump[k.name].values()] for k in KINDS}
        rows = sum(len(v) for v in rows_by_kind.values())
        expected = sum(len(v) for v in big.records.values())
        assert rows == expected, f"bootstrap loaded {rows} rows, the school has {expected}"
        plain = [plain_write(tmp_path / f"plain-{i}.db", rows_by_kind) for i in range(RUNS)]

    if pg_times:
        print(f"bootstrap_from_postgres_s={statistics.median(pg_times):.3f}")
    bootstrap_s = statistics.median(times)
    plain_write_s = statistics.median(plain)
    print(f"rows={rows}")
    print(f"students={len(big.records['students'])}")
    attendance = len(big.records["attendance_marks"]) + len(big.records["attendance_submissions"])
    print(f"attendance_rows={attendance}")
    print(f"bootstrap_s={bootstrap_s:.3f}")
    print(f"unencrypted_bootstrap_s={statistics.median(plain_times):.3f}")
    print(f"encrypted_overhead={bootstrap_s / statistics.median(plain_times):.2f}")
    print(f"plain_write_s={plain_write_s:.3f}")
    print(f"bootstrap_ratio={bootstrap_s / plain_write_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
