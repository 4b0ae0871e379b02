"""Loading a generated district (demo data) into an empty database."""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy.engine import Engine

from district_server.services.auth import create_user, hash_password
from district_server.store.db import is_sqlite, writer
from district_server.store.tables import SYNCED, district, school_sequences, schools
from domain.records import KINDS

log = logging.getLogger(__name__)

_BATCH = 20_000


def load_district(engine: Engine, demo) -> dict[str, int]:
    """Write `demo` (a `district_server.demo.DemoDistrict`) in one transaction;
    every record gets the next number of its school's sequence."""
    counts: dict[str, int] = {}
    with writer(engine) as conn:
        conn.execute(district.insert().values(id=1, name=demo.name))
        for s in demo.schools:
            conn.execute(schools.insert().values(
                id=s.id, code=s.code, name=s.name, level=s.level, grade_low=s.grade_low,
                grade_high=s.grade_high, periods_per_day=s.periods_per_day,
                required_periods=s.required_periods))
            version = 0
            for k in KINDS:
                rows = s.records.get(k.name, [])
                columns = ("id", *k.field_names)
                for start in range(0, len(rows), _BATCH):
                    batch = []
                    for row in rows[start:start + _BATCH]:
                        version += 1
                        record = dict(zip(columns, row))
                        record["school_id"] = s.id
                        record["version"] = version
                        batch.append(record)
                    conn.execute(SYNCED[k.name].insert(), batch)
                counts[k.name] = counts.get(k.name, 0) + len(rows)
            conn.execute(school_sequences.insert().values(school_id=s.id, last_seq=version,
                                                          floor_seq=0))
        hashes: dict[str, str] = {}
        for u in demo.users:
            # Demo users of one role share a password; hash each once.
            if u.password not in hashes:
                hashes[u.password] = hash_password(u.password)
            create_user(conn, username=u.username, display_name=u.display_name, role=u.role,
                        password=u.password, school_ids=list(u.school_ids),
                        password_hash=hashes[u.password])
    if not is_sqlite(engine):
        # Fresh statistics: without them PostgreSQL plans the attendance status
        # queries over freshly loaded tables badly until autovacuum gets there.
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return counts


def create_demo_database(url: str, demo=None, *, seed: int = 2026, size: str = "demo"):
    """Migrate the database at `url` and load a demo district into it (generated
    from `seed` unless given); returns the district."""
    from district_server.demo import generate_district
    from district_server.store.db import make_engine, migrate

    migrate(url)
    demo = demo or generate_district(seed, size=size)
    engine = make_engine(url)
    try:
        load_district(engine, demo)
    finally:
        engine.dispose()
    return demo


def is_empty(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(schools.select().limit(1)).first() is None


def iter_counts(counts: dict[str, int]) -> Iterable[str]:
    return (f"{k}={v}" for k, v in counts.items())
