"""A demo school's attendance: exceptions only (absences, tardies, the
office's excused marks), and one submission per section, day and period,
for the school days up to `as_of`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.records import attendance_mark_id, attendance_submission_id

if TYPE_CHECKING:
    from district_server.demo.school import SchoolBuilder

_EXCUSE_NOTES = ("Parent called - ill", "Doctor appointment", "Note from parent",
                 "Family emergency", "Dental appointment")


def add_attendance(school: SchoolBuilder) -> None:
    """Exceptions only, plus one submission per section, day and period."""
    rng, rand = school.rng, school.rng.random
    iso, utc, n_past = school.iso, school.utc, school.n_past
    daily = school.level == "elementary"
    sections = school.rows["sections"]
    sec_ids = [row[0] for row in sections]
    marks = school.rows["attendance_marks"]
    clerk = f"clerk.{school.code}"
    mark_id = attendance_mark_id
    note: str | None
    for i, sid in enumerate(school.sid):
        spans = school.spans[i]
        lo, hi = school.entry[i], min(school.exit[i], n_past - 1)
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
                active = [(None, 0, school.sec_teacher[s])
                          for s, _, b, e in spans if b <= d <= e][:1]
            else:  # in period order: a late student is tardy to the first
                active = sorted(((sec_ids[s], p, school.sec_teacher[s])
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
    _submissions(school, sec_ids, daily)


def _submissions(school: SchoolBuilder, sec_ids: list[str], daily: bool) -> None:
    rand, iso, utc = school.rng.random, school.iso, school.utc
    rows = school.rows["attendance_submissions"]
    sub_id = attendance_submission_id
    enrolled = {s for spans in school.spans for s, *_ in spans}
    for s, sec in enumerate(sec_ids):
        if s not in enrolled:
            continue
        term = school.sec_term[s]
        year_long = school.course_info[school.sec_course[s]][1] == "year"
        first = school.spring_first if term == 2 else 0
        last = school.fall_last if term == 1 and not year_long else school.last
        p = 0 if daily else school.sec_period[s]
        start = 480 + 60 * max(p - 1, 0)
        teacher = school.sec_teacher[s]
        for d in range(first, min(last, school.n_past - 1) + 1):
            late = rand() < 0.02
            t = utc[d] + start + (60 + int(rand() * 300) if late else 3 + int(rand() * 12))
            day = iso[d]
            rows.append((sub_id(sec, day, p), sec, day, p, teacher,
                         f"{day}T{t // 60:02d}:{t % 60:02d}:00Z", late))


def _period(entry: tuple[Any, ...]) -> int:
    return entry[1]
