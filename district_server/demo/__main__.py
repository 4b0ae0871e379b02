"""python -m district_server.demo: sizes and timing."""
from __future__ import annotations

import datetime as dt
import time

from district_server.demo import generate_district

if __name__ == "__main__":
    started = time.perf_counter()
    district = generate_district(size="demo", as_of=dt.date(2026, 11, 29))
    print(f"{district.name}: generated in {time.perf_counter() - started:.2f} s")
    for school in district.schools:
        print(school.id, school.name, school.row_counts())
