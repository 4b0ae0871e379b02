"""A synthetic demo district: made-up schools, students, schedules and attendance.

The same seed gives the same district, so a demo, a benchmark and a test see
the same data. Nothing here describes a real person: first and last names
come from lists of common names and are combined at random, phone numbers
are in the 555-01xx range kept for fiction, e-mail addresses are at
example.org.

Rows come per kind in `domain.records` field order, id first and without a
version (the loader assigns versions). Conventions a reader of the data needs:

* enrollment end dates and exit dates are the last day attended; a dropped
  section's replacement begins the next school day;
* a year-long section belongs to the fall term; each fall semester section
  has a spring twin (same period, teacher and room, the paired course:
  Health <-> Ethnic Studies, PAD <-> Economics), filled once `as_of` reaches
  the spring term;
* elementary attendance is daily: marks have no section and period 0, and
  the homeroom's submission uses period 0 too;
* attendance exists only for school days up to and including `as_of`;
  instants are UTC, converted from Los Angeles school hours.
"""
from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from district_server.demo_plans import add_scheduling_records
from domain import clock
from domain.codes import ATTENDANCE_CODES
from domain.records import KINDS, attendance_mark_id, attendance_submission_id

# ---------------------------------------------------------------- public API


@dataclass
class DemoSchool:
    id: str
    code: str
    name: str
    level: str  # elementary | middle | high
    grade_low: int
    grade_high: int
    periods_per_day: int
    # Periods 1..required_periods make a complete schedule.
    required_periods: int
    # kind name -> rows of (id, *fields in kind.field_names order)
    records: dict[str, list[tuple[Any, ...]]]

    def row_counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.records.items()}


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
    users.append(DemoUser("clerk.multi", _adult_name(rng), "clerk", PASSWORDS["clerk"],
                          list(_MULTI_SCHOOL_CLERK)))
    users.append(DemoUser("district.admin", _adult_name(rng), "district_admin",
                          PASSWORDS["district_admin"], []))
    return DemoDistrict(DISTRICT_NAME, schools, users)


def generate_school(rng_seed: Any, *, id: str, code: str, name: str, level: str,
                    students: int, as_of: dt.date | None = None) -> DemoSchool:
    """One school's records, usable without a district."""
    if level not in _LEVELS:
        raise ValueError(f"unknown school level {level!r}")
    return _SchoolBuilder(rng_seed, id, code, name, level, students,
                          as_of or clock.today()).build()


# ------------------------------------------------------------------ calendar


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


def _utc_offset_minutes(d: dt.date) -> int:
    """Los Angeles local time to UTC, in minutes, on a school day."""
    dst = _nth_weekday(d.year, 3, 6, 2) <= d < _nth_weekday(d.year, 11, 6, 1)
    return 420 if dst else 480


# --------------------------------------------------------------------- names

_GIRLS = ("Sofia Isabella Camila Valentina Emily Mia Olivia Emma Ava Abigail Sophia Natalie "
          "Ashley Genesis Victoria Daniela Angelina Chloe Madison Samantha Alexa Ximena Kimberly "
          "Evelyn Leah Grace Hannah Jasmine Aaliyah Zoe Maya Nicole Andrea Valeria Elena Lucia "
          "Gabriela Melanie Stephanie Brianna Jocelyn Vanessa Diana Alyssa Michelle Leslie Ruby "
          "Hazel Nora Elizabeth").split()
_BOYS = ("Daniel Anthony Jacob Matthew David Joshua Christopher Andrew Ethan Alexander "
         "Sebastian Adrian Angel Diego Jose Luis Carlos Jonathan Kevin Brandon Nathan Isaac "
         "Gabriel Julian Aaron Benjamin Samuel Noah Liam Elijah Mason Lucas Dylan Ryan Jayden "
         "Christian Leonardo Emiliano Mateo Santiago Eric Justin Marcus Steven Jason Victor Oscar "
         "Miguel Adam Henry").split()
_WOMEN = ("Maria Patricia Jennifer Linda Elizabeth Laura Susan Karen Lisa Sandra Veronica Rosa "
          "Ana Claudia Monica Adriana Silvia Yolanda Teresa Guadalupe Jessica Amanda Melissa "
          "Rebecca Christina Angela Michelle Erica Leticia Norma").split()
_MEN = ("Jose Juan Carlos Luis Jorge Francisco Miguel Antonio Manuel Ricardo Roberto David "
        "Michael James Robert John William Richard Thomas Mark Steven Paul Kenneth Brian Edward "
        "Ronald Kevin Jason Raul Hector").split()
_LANG_FIRST = {  # language -> (female, male) names used in some families
    "ko": ("Seoyeon Jiwoo Hayoon Minseo Yuna Soyeon Eunji".split(),
           "Minjun Seojun Dohyun Jiho Junseo Hyunwoo Sungmin".split()),
    "zh": ("Mei Xinyi Yutong Jiayi Ling Huiying Xiaoli".split(),
           "Wei Haoran Yichen Zihao Jun Ming Jianguo".split()),
    "tl": ("Angelica Kristine Maricel Princess Jasmine Rowena Marites".split(),
           "Mark Paolo Carlo Miguel Jerome Rodel Ramon".split()),
    "vi": ("Linh Anh Thao Ngoc Mai Trang Huong".split(),
           "Minh Khoa Huy Bao Duc Long Tuan".split()),
    "hy": ("Ani Mariam Nare Lilit Anahit Arpi Gayane".split(),
           "Narek Davit Tigran Aram Levon Gor Armen".split()),
    "ru": ("Anastasia Sofia Daria Polina Ekaterina Alina Irina".split(),
           "Artem Maxim Ivan Dmitri Nikita Alexei Sergei".split()),
}
_LAST = {
    "en": ("Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore "
           "Jackson Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King "
           "Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips "
           "Evans Turner Parker Collins Edwards Stewart Morris Murphy Cook Rogers Reed Bailey "
           "Bell Cooper Richardson Howard Ward Brooks Washington Coleman Jenkins Hayes").split(),
    "es": ("Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres "
           "Flores Rivera Gomez Diaz Cruz Morales Reyes Gutierrez Ortiz Ramos Castillo Chavez "
           "Mendoza Ruiz Alvarez Jimenez Moreno Romero Vasquez Herrera Medina Aguilar Vargas "
           "Castro Guzman Salazar Delgado Contreras Estrada Figueroa Navarro Rojas Soto "
           "Cervantes Avila Ochoa Juarez Zamora Rios Pena").split(),
    "ko": "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Shin Seo Kwon Hwang Song Ahn".split(),
    "zh": "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Lin Guo".split(),
    "tl": ("Santos Reyes Cruz Bautista Ocampo Mendoza Villanueva Aquino Ramos Castillo "
           "Manalo Pascual Navarro").split(),
    "vi": "Nguyen Tran Le Pham Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly".split(),
    "hy": ("Petrosyan Sargsyan Harutyunyan Hakobyan Grigoryan Vardanyan Karapetyan Avetisyan "
           "Ghazaryan Manukyan Gasparyan Babayan").split(),
    "ru": "Ivanov Smirnov Kuznetsov Popov Volkov Sokolov Lebedev Kozlov Novikov Morozov".split(),
}
_NICKNAMES = {"Alexander": "Alex", "Christopher": "Chris", "Jonathan": "Jon", "Benjamin": "Ben",
              "Samuel": "Sam", "Matthew": "Matt", "Daniel": "Danny", "Anthony": "Tony",
              "Joshua": "Josh", "Jacob": "Jake", "Gabriel": "Gabe", "Leonardo": "Leo",
              "Santiago": "Santi", "Jose": "Pepe", "Elizabeth": "Liz", "Samantha": "Sam",
              "Isabella": "Bella", "Victoria": "Tori", "Abigail": "Abby", "Alexa": "Lexi",
              "Stephanie": "Steph", "Gabriela": "Gaby", "Natalie": "Nat", "Valentina": "Vale",
              "Anastasia": "Nastya", "Ekaterina": "Katya", "Dmitri": "Dima"}
_AREA_CODES = ("213", "323", "310", "818", "424", "747", "562")


def _adult_name(rng: random.Random) -> str:
    first = rng.choice(_WOMEN if rng.random() < 0.5 else _MEN)
    return f"{first} {rng.choice(_LAST['en'] + _LAST['es'])}"


def _weighted(*pairs: tuple[Any, float]) -> tuple[list[Any], list[float]]:
    """Values and cumulative weights for `rng.choices(..., cum_weights=...)`."""
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def _pick(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    return rng.choices(table[0], cum_weights=table[1])[0]


_LANGUAGE = _weighted(("en", 55), ("es", 35), ("ko", 2.5), ("zh", 2), ("tl", 1.5), ("vi", 1.5),
                      ("hy", 1.5), ("ru", 1))
_FIRST_GUARDIAN = _weighted(("Mother", 62), ("Father", 24), ("Grandmother", 6), ("Guardian", 3),
                            ("Aunt", 2.5), ("Grandfather", 1.5), ("Foster Parent", 1))
_SECOND_GUARDIAN = {
    "Mother": _weighted(("Father", 80), ("Stepfather", 10), ("Grandmother", 6),
                        ("Grandfather", 4)),
    "Father": _weighted(("Mother", 75), ("Stepmother", 12), ("Grandmother", 13)),
    "Grandmother": _weighted(("Grandfather", 60), ("Aunt", 20), ("Mother", 20)),
}
_OTHER_GUARDIAN = _weighted(("Uncle", 40), ("Aunt", 40), ("Guardian", 20))
_WOMEN_RELATIONS = {"Mother", "Grandmother", "Aunt", "Stepmother"}
_SAME_SURNAME = {"Father", "Grandfather", "Uncle", "Guardian", "Foster Parent"}

# ------------------------------------------------------------------- courses

# (code, title, department, a-g area, duration, lowest grade, highest grade)
_HIGH_COURSES = (
    ("ENG9", "English 9", "English", "b", "year", 9, 9),
    ("ENG10", "English 10", "English", "b", "year", 10, 10),
    ("ENG11", "English 11", "English", "b", "year", 11, 11),
    ("ENG12", "English 12", "English", "b", "year", 12, 12),
    ("ALG1", "Algebra 1", "Mathematics", "c", "year", 9, 12),
    ("GEOM", "Geometry", "Mathematics", "c", "year", 9, 12),
    ("ALG2", "Algebra 2", "Mathematics", "c", "year", 10, 12),
    ("PRECALC", "Precalculus", "Mathematics", "c", "year", 10, 12),
    ("CALCAB", "AP Calculus AB", "Mathematics", "c", "year", 11, 12),
    ("STATS", "Statistics", "Mathematics", "c", "year", 11, 12),
    ("BIO", "Biology", "Science", "d", "year", 9, 12),
    ("CHEM", "Chemistry", "Science", "d", "year", 10, 12),
    ("PHYS", "Physics", "Science", "d", "year", 11, 12),
    ("ENVSCI", "Environmental Science", "Science", "d", "year", 11, 12),
    ("ETHST", "Ethnic Studies", "Social Studies", "a", "semester", 9, 9),
    ("WHIST", "World History", "Social Studies", "a", "year", 10, 10),
    ("USHIST", "US History", "Social Studies", "a", "year", 11, 11),
    ("PAD", "Principles of American Democracy", "Social Studies", "a", "semester", 12, 12),
    ("ECON", "Economics", "Social Studies", "g", "semester", 12, 12),
    ("PSYCH", "Psychology", "Social Studies", "g", "semester", 11, 12),
    ("SOCIO", "Sociology", "Social Studies", "g", "semester", 11, 12),
    ("SPAN1", "Spanish 1", "World Languages", "e", "year", 9, 12),
    ("SPAN2", "Spanish 2", "World Languages", "e", "year", 9, 12),
    ("SPAN3", "Spanish 3", "World Languages", "e", "year", 10, 12),
    ("FREN1", "French 1", "World Languages", "e", "year", 9, 12),
    ("FREN2", "French 2", "World Languages", "e", "year", 10, 12),
    ("ART1", "Art 1", "Visual and Performing Arts", "f", "year", 9, 12),
    ("CERAM", "Ceramics", "Visual and Performing Arts", "f", "year", 10, 12),
    ("MUSIC", "Concert Band", "Visual and Performing Arts", "f", "year", 9, 12),
    ("DRAMA", "Theater Arts", "Visual and Performing Arts", "f", "year", 9, 12),
    ("PE", "Physical Education", "Physical Education", None, "year", 9, 10),
    ("TEAMSP", "Team Sports", "Physical Education", None, "year", 11, 12),
    ("HLTH", "Health", "Health", None, "semester", 9, 12),
    ("CSP", "Computer Science Principles", "Career Technical Education", "g", "year", 10, 12),
    ("ROBOT", "Robotics and Engineering", "Career Technical Education", "g", "year", 9, 12),
    ("CULIN", "Culinary Arts", "Career Technical Education", None, "year", 10, 12),
    ("JOURN", "Journalism", "English", "g", "year", 10, 12),
    ("YEARBK", "Yearbook", "English", None, "year", 10, 12),
)
_HIGH_ELECTIVES = ("SPAN1", "SPAN2", "SPAN3", "FREN1", "FREN2", "ART1", "CERAM", "MUSIC", "DRAMA",
                   "TEAMSP", "CSP", "ROBOT", "CULIN", "JOURN", "YEARBK", "PSYCH", "SOCIO")
_MIDDLE_HISTORY = {6: "World History: Ancient Civilizations",
                   7: "World History: Medieval and Early Modern",
                   8: "US History: Growth and Conflict"}
_MIDDLE_COURSES = tuple(
    row for g in (6, 7, 8) for row in (
        (f"ENG{g}", f"English {g}", "English", None, "year", g, g),
        (f"MATH{g}", f"Mathematics {g}", "Mathematics", None, "year", g, g),
        (f"SCI{g}", f"Science {g}", "Science", None, "year", g, g),
        (f"HIST{g}", _MIDDLE_HISTORY[g], "Social Studies", None, "year", g, g))
) + (
    ("ALG1", "Algebra 1", "Mathematics", "c", "year", 8, 8),
    ("PE", "Physical Education", "Physical Education", None, "year", 6, 8),
    ("ART", "Art", "Visual and Performing Arts", None, "year", 6, 8),
    ("BAND", "Band", "Visual and Performing Arts", None, "year", 6, 8),
    ("CHOIR", "Choir", "Visual and Performing Arts", None, "year", 6, 8),
    ("SPAN1", "Spanish 1", "World Languages", "e", "year", 7, 8),
    ("COMPLIT", "Computer Literacy", "Career Technical Education", None, "semester", 6, 8),
    ("HLTH", "Health", "Health", None, "semester", 6, 8),
)
_MIDDLE_ELECTIVES = ("ART", "BAND", "CHOIR", "SPAN1", "COMPLIT", "HLTH")
# A fall semester section's period is taken in spring by the paired course.
_SPRING_PAIR = {"HLTH": "ETHST", "ETHST": "HLTH", "PAD": "ECON", "ECON": "PAD",
                "PSYCH": "SOCIO", "SOCIO": "PSYCH"}
_MIDDLE_SPRING_PAIR = {"COMPLIT": "HLTH", "HLTH": "COMPLIT"}
_BUILDING = {"English": "B", "Mathematics": "C", "Science": "D", "Social Studies": "E",
             "World Languages": "F", "Visual and Performing Arts": "G", "Health": "H",
             "Career Technical Education": "J", "Physical Education": "GYM", "Elementary": "A"}
_CAPACITY = {"Physical Education": 40, "Science": 34, "Visual and Performing Arts": 36,
             "Career Technical Education": 34}  # other departments 38

_LEVELS = {"elementary": (0, 5, 1, 1), "middle": (6, 8, 6, 6), "high": (9, 12, 7, 6)}
_MATH = {9: _weighted(("ALG1", 65), ("GEOM", 35)),
         10: _weighted(("GEOM", 60), ("ALG2", 35), ("ALG1", 5)),
         11: _weighted(("ALG2", 55), ("PRECALC", 35), ("STATS", 10)),
         12: _weighted(("PRECALC", 35), ("CALCAB", 25), ("STATS", 25), ("ALG2", 15))}
_SCIENCE = {10: _weighted(("CHEM", 65), ("BIO", 35)),
            11: _weighted(("PHYS", 40), ("CHEM", 35), ("ENVSCI", 25)),
            12: _weighted(("PHYS", 50), ("ENVSCI", 50))}
_FIRST_ELECTIVE = {
    9: _weighted(("SPAN1", 45), ("FREN1", 10), ("ART1", 15), ("MUSIC", 10), ("DRAMA", 5),
                 ("ROBOT", 15)),
    10: _weighted(("SPAN2", 40), ("SPAN1", 10), ("FREN2", 5), ("ART1", 10), ("CERAM", 8),
                  ("MUSIC", 7), ("CSP", 10), ("JOURN", 5), ("CULIN", 5)),
    11: _weighted(("SPAN3", 30), ("SPAN2", 20), ("ART1", 10), ("CERAM", 10), ("MUSIC", 5),
                  ("CSP", 10), ("TEAMSP", 15)),
    12: _weighted(("TEAMSP", 20), ("ART1", 15), ("CERAM", 10), ("PSYCH", 15), ("SOCIO", 10),
                  ("CSP", 10), ("YEARBK", 10), ("CULIN", 10)),
}
_MIDDLE_ELECTIVE = _weighted(("ART", 25), ("BAND", 20), ("CHOIR", 15), ("SPAN1", 15),
                             ("COMPLIT", 12.5), ("HLTH", 12.5))


def _group(course_code: str) -> str:
    """Courses of one sequence (Spanish 1, 2, 3) share a group: one per schedule."""
    return course_code.rstrip("0123456789")


# ------------------------------------------------------------------- builder

_EXCUSE_NOTES = ("Parent called - ill", "Doctor appointment", "Note from parent",
                 "Family emergency", "Dental appointment")


class _SchoolBuilder:
    def __init__(self, seed: Any, school_id: str, code: str, name: str, level: str,
                 n_students: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)
        self.id, self.code, self.name, self.level = school_id, code, name, level
        self.grade_low, self.grade_high, self.periods, self.required = _LEVELS[level]
        self.n = n_students
        self.cal = school_calendar(as_of)
        self.days = self.cal.days
        self.iso = [d.isoformat() for d in self.days]
        self.utc = [_utc_offset_minutes(d) for d in self.days]
        # Attendance exists for days[:n_past]: never after as_of.
        self.n_past = self.cal.days_through(as_of)
        self.last = len(self.days) - 1
        self.fall_last = self.cal.days_through(self.cal.fall_end) - 1
        self.spring_first = self.fall_last + 1
        self.rollover = as_of >= self.cal.spring_start and self.spring_first <= self.last
        self.rows: dict[str, list[tuple[Any, ...]]] = {k.name: [] for k in KINDS}
        self.staff_names: set[str] = set()
        digits = "".join(ch for ch in code if ch.isdigit()) or "0"
        self.id_prefix = f"{int(digits) % 10000:04d}"

    def build(self) -> DemoSchool:
        self._calendar_rows()
        self._office_staff()
        self._students()
        if self.level == "elementary":
            self._homerooms()
        else:
            self._secondary_schedule()
        self._enrollment_rows()
        self.rows["attendance_codes"] = [
            (c.code, c.code, c.label, c.label_es, c.category, c.excused, c.counts_as_present,
             c.key) for c in ATTENDANCE_CODES]
        self._attendance()
        add_scheduling_records(self)
        return DemoSchool(self.id, self.code, self.name, self.level, self.grade_low,
                          self.grade_high, self.periods, self.required, self.rows)

    # -- calendar ------------------------------------------------------------
    def _calendar_rows(self) -> None:
        cal, c, y = self.cal, self.code, self.cal.start_year
        self.year_id = f"sy-{c}-{y}"
        self.term_ids = (f"term-{c}-{y}-1", f"term-{c}-{y}-2")
        self.rows["school_years"].append(
            (self.year_id, f"{y}-{y + 1}", cal.first_day.isoformat(), cal.last_day.isoformat()))
        terms = ((f"Fall {y}", cal.first_day, cal.fall_end),
                 (f"Spring {y + 1}", cal.spring_start, cal.last_day))
        labels = {5: "5-week progress report", 10: "10-week report card",
                  15: "15-week progress report", 20: "20-week semester report card"}
        for seq, (term_id, (label, start, end)) in enumerate(
                zip(self.term_ids, terms, strict=True), 1):
            self.rows["terms"].append((term_id, self.year_id, label, seq, start.isoformat(),
                                       end.isoformat()))
            weeks: dict[dt.date, dt.date] = {}  # Monday -> last school day of that week
            for d in self.days:
                if start <= d <= end:
                    weeks[d - dt.timedelta(days=d.weekday())] = d
            week_ends = list(weeks.values())
            mp_start = start
            for week in (5, 10, 15, 20):
                mp_end = end if week == 20 else week_ends[min(week, len(week_ends)) - 1]
                self.rows["marking_periods"].append(
                    (f"mp-{c}-{y}-{seq}-{week:02d}", term_id, f"{label}: {labels[week]}", week,
                     mp_start.isoformat(), mp_end.isoformat(), week in (10, 20)))
                following = self.cal.days_through(mp_end)  # the next school day
                mp_start = self.days[following] if following < len(self.days) else mp_end
        if self.level == "elementary":
            self.rows["bell_periods"].append((f"bp-{c}-1", 1, "School day", "08:00", "14:30"))
        else:
            for p in range(1, self.periods + 1):
                start_min = 480 + (p - 1) * 60
                self.rows["bell_periods"].append(
                    (f"bp-{c}-{p}", p, f"Period {p}", _hhmm(start_min), _hhmm(start_min + 55)))

    # -- staff ---------------------------------------------------------------
    def _add_staff(self, title: str, department: str) -> int:
        rng = self.rng
        first = rng.choice(_WOMEN if rng.random() < 0.55 else _MEN)
        last = rng.choice(_LAST["en"] if rng.random() < 0.55 else
                          _LAST[rng.choice(("es", "es", "es", "ko", "zh", "tl", "hy"))])
        user = f"{first}.{last}".lower().replace(" ", "")
        base, k = user, 2
        while user in self.staff_names:
            user, k = f"{base}{k}", k + 1
        self.staff_names.add(user)
        rows = self.rows["staff"]
        rows.append((f"stf-{self.code}-{len(rows) + 1:03d}", first, last, title,
                     f"{user}@example.org", department))
        self.staff_users.append(user)
        return len(rows) - 1

    def _office_staff(self) -> None:
        self.staff_users: list[str] = []
        self._add_staff("Principal", "Administration")
        for _ in range(max(1, math.ceil(self.n / 1500))):
            self._add_staff("Attendance Clerk", "Office")
        self.counselors = []
        if self.level != "elementary":
            self.counselors = [self._add_staff("Counselor", "Counseling")
                               for _ in range(max(1, round(self.n / 400)))]

    # -- students, guardians ---------------------------------------------------
    def _students(self) -> None:
        rng, c, y = self.rng, self.code, self.cal.start_year
        span = self.grade_high - self.grade_low + 1
        # High schools lose a few students a grade (moves, dropouts).
        shrink = 0.04 if self.level == "high" else 0.0
        grade_weights = [1.0 - shrink * k for k in range(span)]
        grades = rng.choices(range(self.grade_low, self.grade_high + 1), grade_weights, k=self.n)
        grades.sort()
        self.sid: list[str] = []
        self.grade = grades
        self.entry, self.exit = [], []  # day indexes; exit is the last day attended
        el_rates = {"elementary": (55, 10, 35), "middle": (35, 40, 25), "high": (25, 50, 25)}
        el_table = _weighted(*zip(("EL", "RFEP", "IFEP"), el_rates[self.level], strict=True))
        rows, last_names = self.rows["students"], []
        late_window = (5, min(self.n_past - 1, 60)) if self.n_past > 10 else None
        exit_window = (10, self.n_past - 1) if self.n_past > 15 else None
        self.late: set[int] = set()
        for i, g in enumerate(grades):
            sid = f"stu-{c}-{i + 1:05d}"
            lang = _pick(rng, _LANGUAGE)
            r = rng.random()
            gender = "F" if r < 0.49 else ("M" if r < 0.985 else "X")
            firsts = _GIRLS if gender == "F" or (gender == "X" and r < 0.99) else _BOYS
            if lang in _LANG_FIRST and rng.random() < 0.6:
                first = rng.choice(_LANG_FIRST[lang][firsts is _BOYS])
            else:
                first = rng.choice(firsts)
            last_list = _LAST["es"] if lang == "en" and rng.random() < 0.3 else _LAST[lang]
            last = rng.choice(last_list)
            preferred = None
            if rng.random() < 0.1:
                preferred = _NICKNAMES.get(first) or rng.choice(firsts)
                preferred = None if preferred == first else preferred
            age_days = rng.randrange(365) + (365 if rng.random() < 0.02 else 0)
            birth = dt.date(y - 5 - g, 9, 1) - dt.timedelta(days=age_days)
            status = "EO" if lang == "en" else _pick(rng, el_table)
            rows.append((sid, f"{self.id_prefix}{i + 1:06d}", first, last, preferred,
                         birth.isoformat(), g, gender, lang, status, None))
            self.sid.append(sid)
            last_names.append(last)
            entry, exit_ = 0, self.last
            r = rng.random()
            if late_window and r < 0.03:
                entry = rng.randint(*late_window)
                self.late.add(i)
            elif exit_window and r < 0.05:
                exit_ = rng.randint(*exit_window)
            self.entry.append(entry)
            self.exit.append(exit_)
            self._guardians(sid, last, lang)
        if self.counselors:  # caseloads split by last name, as counselors divide them
            order = sorted(range(self.n), key=lambda k: (last_names[k], k))
            per = math.ceil(self.n / len(self.counselors))
            staff = self.rows["staff"]
            for rank, i in enumerate(order):
                rows[i] = rows[i][:-1] + (staff[self.counselors[rank // per]][0],)

    def _guardians(self, sid: str, student_last: str, lang: str) -> None:
        rng = self.rng
        g_rows, c_rows = self.rows["guardians"], self.rows["guardian_contacts"]
        relation = _pick(rng, _FIRST_GUARDIAN)
        relations = [relation]
        if rng.random() < 0.6:
            relations.append(_pick(rng, _SECOND_GUARDIAN.get(relation, _OTHER_GUARDIAN)))
        for k, rel in enumerate(relations):
            gid = f"gdn-{sid[4:]}-{k + 1}"
            first = rng.choice(_WOMEN if rel in _WOMEN_RELATIONS else _MEN)
            if lang in _LANG_FIRST and rng.random() < 0.7:
                first = rng.choice(_LANG_FIRST[lang][rel not in _WOMEN_RELATIONS])
            same = rel in _SAME_SURNAME or rng.random() < 0.65
            last = student_last if same else rng.choice(_LAST[lang])
            language = lang if rng.random() < 0.88 else ("es" if lang == "en" else "en")
            lives = k == 0 or rng.random() < (0.85 if rel in ("Mother", "Father") else 0.5)
            g_rows.append((gid, sid, first, last, rel, language, lives, k == 0))
            types = ["cell_phone" if rng.random() < 0.95 else "home_phone"]
            for kind, chance in (("email", 0.55), ("home_phone", 0.3), ("work_phone", 0.2)):
                if len(types) < 3 and kind not in types and rng.random() < chance:
                    types.append(kind)
            for priority, kind in enumerate(types, 1):
                if kind == "email":
                    value = f"{first}.{last}{rng.randrange(10, 100)}@example.org"
                    value = value.lower().replace(" ", "")
                else:
                    value = f"({rng.choice(_AREA_CODES)}) 555-01{rng.randrange(100):02d}"
                c_rows.append((f"{gid}-{priority}", gid, kind, value, priority))

    # -- sections and schedules ------------------------------------------------
    def _add_section(self, course: str, term: int, period: int, teacher: int, room: str,
                     capacity: int) -> int:
        rows = self.rows["sections"]
        k = len(rows)
        sec_id = f"sec-{self.code}-{k + 1:04d}"
        rows.append((sec_id, self.course_ids[course], self.term_ids[term - 1], f"{k + 1:04d}",
                     period, room, self.rows["staff"][teacher][0], capacity))
        self.sec_course.append(course)
        self.sec_period.append(period)
        self.sec_cap.append(capacity)
        self.sec_count.append(0)
        self.sec_teacher.append(self.staff_users[teacher])
        self.sec_term.append(term)
        return k

    def _init_sections(self, catalog: tuple[tuple[Any, ...], ...]) -> None:
        self.course_ids, self.course_info = {}, {}
        for code, title, dept, ag, duration, gmin, gmax in catalog:
            cid = f"crs-{self.code}-{code}"
            self.course_ids[code] = cid
            self.course_info[code] = (dept, duration, gmin, gmax)
            credits = 0.0 if self.level == "elementary" else (10.0 if duration == "year" else 5.0)
            self.rows["courses"].append((cid, code, title, credits, dept, ag, duration, gmin, gmax))
        self.sec_course: list[str] = []
        self.sec_period: list[int] = []
        self.sec_cap: list[int] = []
        self.sec_count: list[int] = []
        self.sec_teacher: list[str] = []
        self.sec_term: list[int] = []
        self.schedule: list[list[int]] = [[] for _ in range(self.n)]  # current sections
        self.spring_of: dict[int, int] = {}  # fall semester section -> its spring twin

    def _homerooms(self) -> None:
        self._init_sections(tuple((f"HR-{'K' if g == 0 else g}", f"Grade {'K' if g == 0 else g}",
                                   "Elementary", None, "year", g, g) for g in range(0, 6)))
        rng = self.rng
        for g in range(self.grade_low, self.grade_high + 1):
            kids = [i for i in range(self.n) if self.grade[i] == g]
            if not kids:
                continue
            rng.shuffle(kids)
            rooms = math.ceil(len(kids) / 24)
            for h in range(rooms):
                teacher = self._add_staff("Teacher", "Elementary")
                sec = self._add_section(f"HR-{'K' if g == 0 else g}", 1, 1, teacher,
                                        f"{'KABCDE'[g]}-1{h + 1:02d}", 26)
                for i in kids[h::rooms]:
                    self.schedule[i].append(sec)
                    self.sec_count[sec] += 1

    def _requests(self, g: int) -> list[str]:
        rng = self.rng
        if self.level == "middle":
            math_ = "ALG1" if g == 8 and rng.random() < 0.25 else f"MATH{g}"
            want = [f"ENG{g}", math_, f"SCI{g}", f"HIST{g}", "PE"]
            elective = _pick(rng, _MIDDLE_ELECTIVE)
            return want + [elective if not (elective == "SPAN1" and g == 6) else "ART"]
        want = [f"ENG{g}"]
        if g == 9:
            want += [_pick(rng, _MATH[9]), "BIO", "PE", rng.choice(("HLTH", "ETHST"))]
        elif g == 10:
            want += [_pick(rng, _MATH[10]), _pick(rng, _SCIENCE[10]), "WHIST", "PE"]
        elif g == 11:
            want += [_pick(rng, _MATH[11]), _pick(rng, _SCIENCE[11]), "USHIST"]
        else:
            want += [rng.choice(("PAD", "ECON"))]
            if rng.random() < 0.75:
                want.append(_pick(rng, _MATH[12]))
            if rng.random() < 0.45:
                want.append(_pick(rng, _SCIENCE[12]))
        want.append(_pick(rng, _FIRST_ELECTIVE[g]))
        target = 7 if rng.random() < 0.3 else 6
        while len(want) < target:
            groups = {_group(c) for c in want} | {_group(_SPRING_PAIR.get(c, c)) for c in want}
            want.append(rng.choice([c for c in self.electives_by_grade[g]
                                    if _group(c) not in groups]))
        return want

    def _secondary_schedule(self) -> None:
        rng, high = self.rng, self.level == "high"
        catalog = _HIGH_COURSES if high else _MIDDLE_COURSES
        electives = _HIGH_ELECTIVES if high else _MIDDLE_ELECTIVES
        self._init_sections(catalog)
        self.electives_by_grade = {
            g: [c for c in electives if self.course_info[c][2] <= g <= self.course_info[c][3]]
            for g in range(self.grade_low, self.grade_high + 1)}
        wants = [self._requests(g) for g in self.grade]
        demand: dict[str, dict[int, int]] = {}  # course -> grade -> students
        for g, want in zip(self.grade, wants, strict=True):
            for c in want:
                by_grade = demand.setdefault(c, {})
                by_grade[g] = by_grade.get(g, 0) + 1
        # Sections: enough seats for the demand, spread over the day so every
        # period has room; period 7 (high school) holds electives only.
        weight = dict.fromkeys(range(1, self.required + 1), 1.0)
        if self.periods > self.required:
            weight[self.periods] = 0.3
        load = dict.fromkeys(weight, 0.0)
        # Seats per period for each grade, shared out by who asked for a
        # course, so one grade's courses don't crowd into the same periods.
        grade_load = {g: dict.fromkeys(weight, 0.0) for g in self.electives_by_grade}
        planned: list[tuple[str, int, int]] = []
        total = {c: sum(by_grade.values()) for c, by_grade in demand.items()}
        for c in sorted(demand, key=lambda c: (-total[c], c)):
            base = _CAPACITY.get(self.course_info[c][0], 38)
            allowed = list(weight) if c in electives else list(range(1, self.required + 1))
            shares = [(grade_load[g], n / total[c]) for g, n in sorted(demand[c].items())]
            used: set[int] = set()
            for _ in range(max(1, math.ceil(total[c] / (base * 0.92)))):
                free = [p for p in allowed if p not in used] or allowed
                p = min(free, key=lambda p: (sum(gl[p] * share for gl, share in shares)
                                             / weight[p], load[p] / weight[p], rng.random()))
                used.add(p)
                cap = min(40, max(30, base + rng.choice((-2, 0, 0, 2))))
                load[p] += cap
                for gl, share in shares:
                    gl[p] += cap * share
                planned.append((c, p, cap))
        # Teachers: about five sections each, within a department, one per
        # period; as many as the department's busiest period needs.
        fall_semester: list[int] = []
        by_dept: dict[str, list[tuple[str, int, int]]] = {}
        for c, p, cap in planned:
            by_dept.setdefault(self.course_info[c][0], []).append((c, p, cap))
        for dept in sorted(by_dept):
            in_period = {p: sorted(t for t in by_dept[dept] if t[1] == p) for p in weight}
            b = _BUILDING[dept]
            teachers = [_Teacher(self._add_staff("Teacher", dept),
                                 f"GYM-{k}" if b == "GYM" else
                                 f"{b}-{1 + k // 12 % 3}{k % 12 + 1:02d}")
                        for k in range(max(max(map(len, in_period.values())),
                                           math.ceil(len(by_dept[dept]) / 5)))]
            # Each period's sections go to the least busy teachers, so loads
            # differ by one at most; a teacher keeps to the courses they know.
            for p, plan in sorted(in_period.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                idle = sorted(teachers, key=lambda t: (t.load, t.staff))[:len(plan)]
                for c, _, cap in plan:
                    t = next((t for t in idle if c in t.courses), idle[0])
                    idle.remove(t)
                    t.load += 1
                    t.courses.add(c)
                    sec = self._add_section(c, 1, p, t.staff, t.room, cap)
                    if self.course_info[c][1] == "semester":
                        fall_semester.append(sec)
        # Spring: each fall semester section's period and teacher take the
        # paired course (Health <-> Ethnic Studies); they fill at rollover.
        pairs = _SPRING_PAIR if high else _MIDDLE_SPRING_PAIR
        staff_index = {row[0]: k for k, row in enumerate(self.rows["staff"])}
        sections = self.rows["sections"]
        for sec in fall_semester:
            row = sections[sec]
            self.spring_of[sec] = self._add_section(
                pairs.get(self.sec_course[sec], self.sec_course[sec]), 2, row[4],
                staff_index[row[6]], row[5], row[7])
        self.by_course: dict[str, list[int]] = {}
        self.by_period: dict[int, list[int]] = {}
        for sec, c in enumerate(self.sec_course):
            if self.sec_term[sec] == 1:
                self.by_course.setdefault(c, []).append(sec)
                self.by_period.setdefault(self.sec_period[sec], []).append(sec)
        order = list(range(self.n))
        rng.shuffle(order)
        for i in order:
            self.schedule[i] = self._place(i, wants[i])
        self._leave_some_incomplete()

    def _place(self, i: int, want: list[str]) -> list[int]:
        """One section per requested course, each in its own period (a matching)."""
        count, cap, period = self.sec_count, self.sec_cap, self.sec_period
        periods = range(1, len(want) + 1)
        options = []
        for c in want:
            best: dict[int, int] = {}
            for s in self.by_course.get(c, ()):
                p = period[s]
                if p in periods and count[s] < cap[s]:
                    b = best.get(p)
                    if b is None or count[s] * cap[b] < count[b] * cap[s]:
                        best[p] = s
            options.append(sorted(best.items(), key=lambda ps: count[ps[1]] / cap[ps[1]]))
        owner: dict[int, int] = {}

        def assign(ci: int, seen: set[int]) -> bool:
            for p, _ in options[ci]:
                if p not in seen:
                    seen.add(p)
                    if p not in owner or assign(owner[p], seen):
                        owner[p] = ci
                        return True
            return False

        for ci in sorted(range(len(want)), key=lambda ci: len(options[ci])):
            assign(ci, set())
        chosen = {p: dict(options[ci])[p] for p, ci in owner.items()}
        # A course that didn't fit is replaced, as a counselor would, by a
        # course open in a free period; electives first.
        if len(chosen) < len(want):
            g = self.grade[i]
            groups = {_group(self.sec_course[s]) for s in chosen.values()}
            electives = set(self.electives_by_grade[g])
            for p in periods:
                if p in chosen:
                    continue
                open_ = [s for s in self.by_period.get(p, ())
                         if count[s] < cap[s] and _group(self.sec_course[s]) not in groups
                         and self.course_info[self.sec_course[s]][2] <= g
                         <= self.course_info[self.sec_course[s]][3]]
                if open_:
                    s = min(open_, key=lambda s: (self.sec_course[s] not in electives,
                                                  count[s] / cap[s]))
                    chosen[p] = s
                    groups.add(_group(self.sec_course[s]))
        for s in chosen.values():
            count[s] += 1
        return [chosen[p] for p in sorted(chosen)]

    def _leave_some_incomplete(self) -> None:
        """About 3% of schedules are missing a period or two, late entrants most."""
        rng = self.rng
        for i in range(self.n):
            if rng.random() < (0.35 if i in self.late else 0.02) and len(self.schedule[i]) > 2:
                for _ in range(1 if rng.random() < 0.7 else 2):
                    s = self.schedule[i].pop(rng.randrange(len(self.schedule[i])))
                    self.sec_count[s] -= 1

    # -- enrollment rows -------------------------------------------------------
    def _enrollment_rows(self) -> None:
        """School and section enrollments; drops, withdrawals and the spring rollover."""
        rng, iso = self.rng, self.iso
        withdrawal = _weighted(("W1", 30), ("W2", 30), ("W3", 12), ("W4", 8), ("W5", 12),
                               ("W7", 8 if self.level == "high" else 0))
        entry_first = _weighted(("E1", 85), ("E3", 10), ("E4", 5))  # new to the school system
        entry_ongoing = _weighted(("E5", 80), ("E2", 10), ("E1", 5), ("E3", 5))
        entry_late = _weighted(("E2", 35), ("E3", 40), ("E4", 15), ("E1", 10))
        se_rows = self.rows["section_enrollments"]
        self.spans: list[list[tuple[int, int, int, int]]] = []  # (section, period, first, last)
        drop_limit = min(self.n_past - 1, self.fall_last)
        for i, sid in enumerate(self.sid):
            entry, exit_ = self.entry[i], self.exit[i]
            g = self.grade[i]
            table = (entry_late if i in self.late else
                     entry_first if g == 0 else entry_ongoing)
            exited = exit_ < self.last
            self.rows["school_enrollments"].append(
                (f"enr-{sid[4:]}", sid, g, iso[entry], _pick(rng, table),
                 iso[exit_] if exited else None, _pick(rng, withdrawal) if exited else None))
            self.rows["programs"].append((f"prog-{sid}", sid, None, None))
            spans = [_Span(s, entry) for s in self.schedule[i]]
            # A few drops, replaced in the same period from the next school day.
            if (self.level != "elementary" and not exited and spans
                    and drop_limit - entry > 5 and rng.random() < 0.012):
                span = rng.choice(spans)
                day = rng.randint(entry + 3, drop_limit - 1)
                s = span.section
                taking = {self.sec_course[x.section] for x in spans}
                g_ok = [r for r in self.by_period[self.sec_period[s]]
                        if r != s and self.sec_count[r] < self.sec_cap[r]
                        and self.course_info[self.sec_course[r]][2] <= g
                        <= self.course_info[self.sec_course[r]][3]
                        and (self.sec_course[r] == self.sec_course[s]
                             or self.sec_course[r] not in taking)]
                if g_ok:
                    same = [r for r in g_ok if self.sec_course[r] == self.sec_course[s]]
                    r = rng.choice(same or g_ok)
                    span.last = day
                    spans.append(_Span(r, day + 1))
                    self.sec_count[r] += 1
            if self.rollover:
                for span in list(spans):
                    if span.section in self.spring_of and span.last is None:
                        span.last = self.fall_last
                        spans.append(_Span(self.spring_of[span.section], self.spring_first))
            kept = []
            for k, span in enumerate(spans):
                last = span.last if span.last is not None and span.last < exit_ else (
                    exit_ if exited else None)
                if last is not None and last < span.first:
                    continue
                se_rows.append((f"se-{sid[4:]}-{k + 1:02d}", sid,
                                self.rows["sections"][span.section][0], iso[span.first],
                                iso[last] if last is not None else None))
                kept.append((span.section, self.sec_period[span.section], span.first,
                             self.last if last is None else last))
            self.spans.append(kept)

    # -- attendance ------------------------------------------------------------
    def _attendance(self) -> None:
        """Exceptions only, plus one submission per section, day and period."""
        rng, rand = self.rng, self.rng.random
        iso, utc, n_past = self.iso, self.utc, self.n_past
        daily = self.level == "elementary"
        sections = self.rows["sections"]
        sec_ids = [row[0] for row in sections]
        marks = self.rows["attendance_marks"]
        clerk = f"clerk.{self.code}"
        mark_id = attendance_mark_id
        note: str | None
        for i, sid in enumerate(self.sid):
            spans = self.spans[i]
            lo, hi = self.entry[i], min(self.exit[i], n_past - 1)
            if not spans or lo > hi:
                continue
            chronic = rand() < 0.08
            p_abs = rng.uniform(0.1, 0.25) if chronic else min(0.08, rng.expovariate(1 / 0.04))
            p_tardy = p_abs + min(0.15, rng.expovariate(1 / 0.035))
            p_part = p_tardy + (0.0 if daily else 0.012)
            special: dict[int, tuple[str, str]] = {}
            r = rand()
            if r < 0.006:  # a suspension of one to three days
                start = rng.randint(lo, hi)
                for d in range(start, min(hi, start + rng.randint(0, 2)) + 1):
                    special[d] = ("S", "Suspension")
            elif r < 0.009:
                start = rng.randint(lo, hi)
                for d in range(start, min(hi, start + rng.randint(4, 9)) + 1):
                    special[d] = ("D", "Short-term independent study")
            elif r < 0.012:
                special[rng.randint(lo, hi)] = ("I", "In-school suspension")
            elif r < 0.03:
                special[rng.randint(lo, hi)] = ("F", "Field trip")
            streak = False
            for d in range(lo, hi + 1):
                r = rand()
                if d in special:
                    kind = "special"
                elif streak or r < p_abs:
                    kind = "absent"
                elif r < p_tardy:
                    kind = "tardy"
                elif r < p_part:
                    kind = "partial"
                else:
                    continue
                streak = kind == "absent" and rand() < 0.3
                day, off = iso[d], utc[d]
                if daily:  # one all-day mark, no section
                    active = [(None, 0, self.sec_teacher[s])
                              for s, _, b, e in spans if b <= d <= e][:1]
                else:  # in period order: a late student is tardy to the first
                    active = sorted(((sec_ids[s], p, self.sec_teacher[s])
                                     for s, p, b, e in spans if b <= d <= e), key=_period)
                if not active:
                    continue
                if kind == "special":
                    code, note = special[d]
                    for sec, p, _ in active:
                        t = off + 450 + 60 * max(p - 1, 0) + int(rand() * 60)
                        marks.append((mark_id(sid, sec, day, p), sid, sec, day, p, code, None,
                                      note, clerk, f"{day}T{t // 60:02d}:{t % 60:02d}:00Z",
                                      "office-1"))
                elif kind == "absent":
                    excused = rand() < 0.55
                    note = rng.choice(_EXCUSE_NOTES) if excused and rand() < 0.6 else None
                    for sec, p, teacher in active:
                        if excused:
                            t = off + 500 + int(rand() * 90)
                            who, ws, code = clerk, "office-1" if rand() < 0.7 else "office-2", "E"
                        else:
                            t = off + 482 + 60 * max(p - 1, 0) + int(rand() * 12)
                            who, ws, code = teacher, None, "A"
                        marks.append((mark_id(sid, sec, day, p), sid, sec, day, p, code, None,
                                      note, who, f"{day}T{t // 60:02d}:{t % 60:02d}:00Z", ws))
                elif kind == "tardy":
                    sec, p, teacher = active[0]
                    r = rand()
                    if r < 0.85:
                        code, late, note = "T", min(29, 1 + int(rng.expovariate(1 / 7))), None
                    elif r < 0.95:
                        code, late, note = "L", rng.randint(30, 50), None
                    else:
                        code, late, note = "X", rng.randint(10, 50), "Medical appointment"
                    who, ws = (clerk, "office-1") if code == "X" else (teacher, None)
                    t = off + 480 + 60 * max(p - 1, 0) + late
                    marks.append((mark_id(sid, sec, day, p), sid, sec, day, p, code, late, note,
                                  who, f"{day}T{t // 60:02d}:{t % 60:02d}:00Z", ws))
                else:  # partial day: left early, cut a class, or late from passing
                    r = rand()
                    if r < 0.4 and len(active) > 2:
                        hit = active[-rng.randint(1, 2):]
                        code, late, note, who, ws = ("E", None, "Left early - parent pickup",
                                                     clerk, "office-1")
                    elif r < 0.75:
                        hit = [rng.choice(active)]
                        code, late, note, who, ws = "A", None, None, None, None
                    else:
                        hit = [rng.choice(active[1:] or active)]
                        code, late, note, who, ws = "T", rng.randint(2, 12), None, None, None
                    for sec, p, teacher in hit:
                        t = off + 480 + 60 * (p - 1) + (late or int(rand() * 15))
                        marks.append((mark_id(sid, sec, day, p), sid, sec, day, p, code, late,
                                      note, who or teacher, f"{day}T{t // 60:02d}:{t % 60:02d}:00Z",
                                      ws))
        self._submissions(sec_ids, daily)

    def _submissions(self, sec_ids: list[str], daily: bool) -> None:
        rand, iso, utc = self.rng.random, self.iso, self.utc
        rows = self.rows["attendance_submissions"]
        sub_id = attendance_submission_id
        enrolled = {s for spans in self.spans for s, *_ in spans}
        for s, sec in enumerate(sec_ids):
            if s not in enrolled:
                continue
            term = self.sec_term[s]
            year_long = self.course_info[self.sec_course[s]][1] == "year"
            first = self.spring_first if term == 2 else 0
            last = self.fall_last if term == 1 and not year_long else self.last
            p = 0 if daily else self.sec_period[s]
            start = 480 + 60 * max(p - 1, 0)
            teacher = self.sec_teacher[s]
            for d in range(first, min(last, self.n_past - 1) + 1):
                late = rand() < 0.02
                t = utc[d] + start + (60 + int(rand() * 300) if late else 3 + int(rand() * 12))
                day = iso[d]
                rows.append((sub_id(sec, day, p), sec, day, p, teacher,
                             f"{day}T{t // 60:02d}:{t % 60:02d}:00Z", late))


@dataclass
class _Teacher:
    staff: int  # index into the staff rows
    room: str
    load: int = 0
    courses: set[str] = field(default_factory=set)


@dataclass
class _Span:
    """A student's time in a section, in school-day indexes (last inclusive)."""
    section: int
    first: int
    last: int | None = None


def _period(entry: tuple[Any, ...]) -> int:
    return entry[1]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


if __name__ == "__main__":  # python -m district_server.demo: sizes and timing
    started = time.perf_counter()
    district = generate_district(size="demo", as_of=dt.date(2026, 11, 29))
    print(f"{district.name}: generated in {time.perf_counter() - started:.2f} s")
    for school in district.schools:
        print(school.id, school.name, school.row_counts())
