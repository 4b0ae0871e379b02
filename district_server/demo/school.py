"""One demo school: the builder that makes its records, in order, from one
random stream (the same seed gives the same school)."""
from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from typing import Any

from district_server.demo.attendance import add_attendance
from district_server.demo.calendar import school_calendar, utc_offset_minutes
from district_server.demo.choices import pick, weighted
from district_server.demo.courses import LEVELS
from district_server.demo.names import (
    AREA_CODES,
    BOYS,
    FIRST_GUARDIAN,
    GIRLS,
    LANG_FIRST,
    LANGUAGE,
    LAST,
    MEN,
    NICKNAMES,
    OTHER_GUARDIAN,
    SAME_SURNAME,
    SECOND_GUARDIAN,
    WOMEN,
    WOMEN_RELATIONS,
)
from district_server.demo.plans import add_scheduling_records
from district_server.demo.schedules import homerooms, secondary_schedule
from domain import clock
from domain.codes import ATTENDANCE_CODES
from domain.records import KINDS


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


def generate_school(rng_seed: Any, *, id: str, code: str, name: str, level: str,
                    students: int, as_of: dt.date | None = None) -> DemoSchool:
    """One school's records, usable without a district."""
    if level not in LEVELS:
        raise ValueError(f"unknown school level {level!r}")
    return SchoolBuilder(rng_seed, id, code, name, level, students,
                         as_of or clock.today()).build()


class SchoolBuilder:
    """One school's records, made part by part from one random stream: the
    calendar, staff, students and families, schedules (`schedules`),
    enrollment, attendance (`attendance`), then `plans`' records."""

    # Set by `schedules`: the courses, the sections (by index) and who is in them.
    course_ids: dict[str, str]  # course code -> course id
    course_info: dict[str, tuple[str, str, int, int]]  # department, duration, grades
    sec_course: list[str]
    sec_period: list[int]
    sec_cap: list[int]
    sec_count: list[int]
    sec_teacher: list[str]
    sec_term: list[int]
    schedule: list[list[int]]  # each student's current sections
    spring_of: dict[int, int]  # fall semester section -> its spring twin
    electives_by_grade: dict[int, list[str]]
    by_course: dict[str, list[int]]  # fall sections of each course
    by_period: dict[int, list[int]]  # fall sections of each period

    def __init__(self, seed: Any, school_id: str, code: str, name: str, level: str,
                 n_students: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)
        self.id, self.code, self.name, self.level = school_id, code, name, level
        self.grade_low, self.grade_high, self.periods, self.required = LEVELS[level]
        self.n = n_students
        self.cal = school_calendar(as_of)
        self.days = self.cal.days
        self.iso = [d.isoformat() for d in self.days]
        self.utc = [utc_offset_minutes(d) for d in self.days]
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
            homerooms(self)
        else:
            secondary_schedule(self)
        self._enrollment_rows()
        self.rows["attendance_codes"] = [
            (c.code, c.code, c.label, c.label_es, c.category, c.excused, c.counts_as_present,
             c.key) for c in ATTENDANCE_CODES]
        add_attendance(self)
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
    def add_staff(self, title: str, department: str) -> int:
        rng = self.rng
        first = rng.choice(WOMEN if rng.random() < 0.55 else MEN)
        last = rng.choice(LAST["en"] if rng.random() < 0.55 else
                          LAST[rng.choice(("es", "es", "es", "ko", "zh", "tl", "hy"))])
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
        self.add_staff("Principal", "Administration")
        for _ in range(max(1, math.ceil(self.n / 1500))):
            self.add_staff("Attendance Clerk", "Office")
        self.counselors = []
        if self.level != "elementary":
            self.counselors = [self.add_staff("Counselor", "Counseling")
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
        el_table = weighted(*zip(("EL", "RFEP", "IFEP"), el_rates[self.level], strict=True))
        rows, last_names = self.rows["students"], []
        late_window = (5, min(self.n_past - 1, 60)) if self.n_past > 10 else None
        exit_window = (10, self.n_past - 1) if self.n_past > 15 else None
        self.late: set[int] = set()
        for i, g in enumerate(grades):
            sid = f"stu-{c}-{i + 1:05d}"
            lang = pick(rng, LANGUAGE)
            r = rng.random()
            gender = "F" if r < 0.49 else ("M" if r < 0.985 else "X")
            firsts = GIRLS if gender == "F" or (gender == "X" and r < 0.99) else BOYS
            if lang in LANG_FIRST and rng.random() < 0.6:
                first = rng.choice(LANG_FIRST[lang][firsts is BOYS])
            else:
                first = rng.choice(firsts)
            last_list = LAST["es"] if lang == "en" and rng.random() < 0.3 else LAST[lang]
            last = rng.choice(last_list)
            preferred = None
            if rng.random() < 0.1:
                preferred = NICKNAMES.get(first) or rng.choice(firsts)
                preferred = None if preferred == first else preferred
            age_days = rng.randrange(365) + (365 if rng.random() < 0.02 else 0)
            birth = dt.date(y - 5 - g, 9, 1) - dt.timedelta(days=age_days)
            status = "EO" if lang == "en" else pick(rng, el_table)
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
        relation = pick(rng, FIRST_GUARDIAN)
        relations = [relation]
        if rng.random() < 0.6:
            relations.append(pick(rng, SECOND_GUARDIAN.get(relation, OTHER_GUARDIAN)))
        for k, rel in enumerate(relations):
            gid = f"gdn-{sid[4:]}-{k + 1}"
            first = rng.choice(WOMEN if rel in WOMEN_RELATIONS else MEN)
            if lang in LANG_FIRST and rng.random() < 0.7:
                first = rng.choice(LANG_FIRST[lang][rel not in WOMEN_RELATIONS])
            same = rel in SAME_SURNAME or rng.random() < 0.65
            last = student_last if same else rng.choice(LAST[lang])
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
                    value = f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}"
                c_rows.append((f"{gid}-{priority}", gid, kind, value, priority))

    # -- enrollment rows -------------------------------------------------------
    def _enrollment_rows(self) -> None:
        """School and section enrollments; drops, withdrawals and the spring rollover."""
        rng, iso = self.rng, self.iso
        withdrawal = weighted(("W1", 30), ("W2", 30), ("W3", 12), ("W4", 8), ("W5", 12),
                              ("W7", 8 if self.level == "high" else 0))
        entry_first = weighted(("E1", 85), ("E3", 10), ("E4", 5))  # new to the school system
        entry_ongoing = weighted(("E5", 80), ("E2", 10), ("E1", 5), ("E3", 5))
        entry_late = weighted(("E2", 35), ("E3", 40), ("E4", 15), ("E1", 10))
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
                (f"enr-{sid[4:]}", sid, g, iso[entry], pick(rng, table),
                 iso[exit_] if exited else None, pick(rng, withdrawal) if exited else None))
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


@dataclass
class _Span:
    """A student's time in a section, in school-day indexes (last inclusive)."""
    section: int
    first: int
    last: int | None = None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
