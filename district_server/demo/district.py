"""The demo district: its schools, each generated on its own, and the
accounts that sign in to them."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from district_server.demo.names import adult_name
from district_server.demo.school import DemoSchool, generate_school
from domain import clock


@dataclass
class DemoUser:
    username: str
    display_name: str
    role: str  # clerk | counselor | school_admin | district_admin
    password: str
    school_ids: list[str]  # empty for a district administrator: every school


@dataclass
class DemoDistrict:
    name: str
    schools: list[DemoSchool]
    users: list[DemoUser]


DISTRICT_NAME = "Pacific Coast Unified School District (demo)"
PASSWORDS = {"clerk": "demo-clerk-2026", "counselor": "demo-counselor-2026",
             "school_admin": "demo-admin-2026", "district_admin": "demo-district-2026"}

# (id, code, name, level, students) per size.
_SCHOOLS = {
    "demo": (("sch-1001", "1001", "Bayview Heights Elementary School", "elementary", 250),
             ("sch-1002", "1002", "Mission Trails Middle School", "middle", 900),
             ("sch-1003", "1003", "Harbor View High School", "high", 1800),
             ("sch-1004", "1004", "Palisade Ridge High School", "high", 5000)),
    "small": (("sch-1001", "1001", "Bayview Heights Elementary School", "elementary", 60),
              ("sch-1002", "1002", "Mission Trails Middle School", "middle", 120),
              ("sch-1003", "1003", "Harbor View High School", "high", 200)),
}
_MULTI_SCHOOL_CLERK = ("sch-1001", "sch-1002")


def generate_district(seed: int = 2026, *, size: str = "demo",
                      as_of: dt.date | None = None) -> DemoDistrict:
    """The demo district ("demo": four schools up to 5,000 students; "small": tests)."""
    if size not in _SCHOOLS:
        raise ValueError(f"unknown demo size {size!r}; use one of {sorted(_SCHOOLS)}")
    as_of = as_of or clock.today()
    schools = [generate_school(seed * 10_000 + int(code), id=sid, code=code, name=name,
                               level=level, students=n, as_of=as_of)
               for sid, code, name, level, n in _SCHOOLS[size]]
    rng = random.Random(seed)
    users: list[DemoUser] = []
    for s in schools:
        staff = s.records["staff"]
        for role, title, username in (("clerk", "Attendance Clerk", f"clerk.{s.code}"),
                                      ("counselor", "Counselor", f"counselor.{s.code}"),
                                      ("school_admin", "Principal", f"admin.{s.code}")):
            person = next((r for r in staff if r[3] == title), None)
            if person is not None:
                users.append(DemoUser(username, f"{person[1]} {person[2]}", role,
                                      PASSWORDS[role], [s.id]))
    users.append(DemoUser("clerk.multi", adult_name(rng), "clerk", PASSWORDS["clerk"],
                          list(_MULTI_SCHOOL_CLERK)))
    users.append(DemoUser("district.admin", adult_name(rng), "district_admin",
                          PASSWORDS["district_admin"], []))
    return DemoDistrict(DISTRICT_NAME, schools, users)
