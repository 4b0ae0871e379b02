"""Applying a workstation's pushed edits, each at most once.

A push is one transaction holding the school's sequence row. Each mutation
runs in a savepoint: a rejected one leaves no trace but its answer, and never
blocks the ones behind it. Every answer is stored with the mutation id, so a
retried push returns the same answers and changes nothing.

The school's row lock is what every push of that school queues on, so the
work done while holding it is kept to few round trips: audit rows and stored
answers are written once per push, records of one kind in one statement
(`SchoolChanges.put_many`), and a handler that checks everything before its
first write (the attendance ones) skips the savepoint. On PostgreSQL a push
of attendance edits only (the 8 AM peak: each clerk's roll as it is taken)
holds the lock for two round trips: everything the handlers check and every
record they touch is read in one pipeline with the lock, and every write
goes with the commit in a second (`_push_attendance`). The same handlers
run on both paths, against a `Facts` and a writer.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa

from district_server.services import enrollment, scheduling
from district_server.services.access_log import Caller
from district_server.services.attendance_status import is_late, school_today
from district_server.services.auth import CurrentUser
from district_server.services.changes import (
    SchoolChanges,
    UnknownSchool,
    audit_row,
    current_records,
    insert_many,
    pg_write_all,
)
from district_server.services.clock import now_iso, now_utc
from district_server.services.edit_context import Context, Outcome, Rejected, program_keys
from district_server.store.db import writer
from district_server.store.tables import SYNCED, access_log, audit, mutations, schools
from domain.attendance import DAILY_LEVELS
from domain.edits import (
    grade_mark_record,
    mark_record,
    program_id,
    submission_marks,
    submission_record,
)
from domain.grades import InvalidMark
from domain.mutations import APPLIED, CONFLICT, OPS, REJECTED, check_batch
from domain.records import attendance_mark_id, attendance_submission_id, grade_mark_id
from domain.records import kind as kind_of
from domain.scheduling import (
    Entry,
    Section,
    blocking,
    check_change,
    needing_reason,
    teacher_clash,
)

log = logging.getLogger(__name__)


def push(engine, *, user: CurrentUser, school_id: str, workstation: str | None,
         batch: Any, caller: Caller | None = None) -> list[dict[str, Any]]:
    """Apply a batch in order; one answer per mutation, in the same order."""
    checked = check_batch(batch)
    if checked and engine.dialect.name == "postgresql" and all(
            m.get("op") in CHECKS_BEFORE_WRITING and "invalid" not in m and "same_as" not in m
            for m in checked):
        return _push_attendance(engine, user=user, school_id=school_id,
                                workstation=workstation, checked=checked)
    with writer(engine) as conn:
        changes = SchoolChanges(conn, school_id, user_id=user.id, username=user.username,
                                workstation=workstation)
        ids = [m["mutation_id"] for m in checked]
        stored = {r.mutation_id: r for r in conn.execute(
            sa.select(mutations.c.mutation_id, mutations.c.school_id, mutations.c.answer)
            .where(mutations.c.mutation_id.in_(ids)))} if ids else {}
        answers: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []
        looked_up: list[dict[str, Any]] = []
        for m in checked:
            if "same_as" in m:  # the same edit twice in one push: one answer
                answers.append(answers[m["same_as"]])
                continue
            if m["mutation_id"] in stored:
                answers.append(_stored_answer(stored[m["mutation_id"]], school_id))
                continue
            answer = _refused(m) if "invalid" in m else _apply_one(
                changes, user, m, caller=caller, access_rows=looked_up)
            answers.append(answer)
            kept.append(_kept(m, answer, user, school_id, workstation))
        changes.close()
        insert_many(conn, mutations, kept)
        insert_many(conn, access_log, looked_up)
    return answers


def _refused(m: dict[str, Any]) -> dict[str, Any]:
    """The answer to a malformed edit: refused on its own, with the reason."""
    return {"mutation_id": m["mutation_id"], "status": REJECTED,
            "reason": f"this change could not be read by the server: {m['invalid']}",
            "records": []}


def _kept(m: dict[str, Any], answer: dict[str, Any], user: CurrentUser, school_id: str,
          workstation: str | None) -> dict[str, Any]:
    """The mutations row that makes a retried push get the same answer."""
    return {"mutation_id": m["mutation_id"], "school_id": school_id, "user_id": user.id,
            "workstation": workstation, "op": m.get("op") or "?", "received_at": now_iso(),
            "status": answer["status"], "answer": json.dumps(answer)}


def _stored_answer(row, school_id: str) -> dict[str, Any]:
    if row.school_id != school_id:
        return {"mutation_id": row.mutation_id, "status": REJECTED,
                "reason": "this change was already sent for another school"}
    answer = json.loads(row.answer)
    answer["replayed"] = True
    return answer


def _apply_one(changes: SchoolChanges, user: CurrentUser, m: dict[str, Any], *,
               caller: Caller | None = None,
               access_rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    conn = changes.conn
    changes.mutation_id = m["mutation_id"]
    ctx = Context(changes, user, m["payload"], m["base_version"],
                  facts=DbFacts(conn, changes.school_id), caller=caller,
                  access_rows=access_rows if access_rows is not None else [])
    op = OPS[m["op"]]
    if user.role not in op.roles:
        # Answered, not refused as a whole: the edits behind it still go
        # through, and the person sees why this one didn't.
        return _answer(m, Outcome(REJECTED, [], f"a {user.role} may not {op.words}: "
                                                "ask a counselor or an administrator"), [])
    point = changes.checkpoint()
    # Handlers that check before writing need no savepoint to be refused; on
    # PostgreSQL a failed statement spoils the transaction, so it takes one.
    checks_first = m["op"] in CHECKS_BEFORE_WRITING and conn.dialect.name != "postgresql"
    savepoint = None if checks_first else conn.begin_nested()
    try:
        outcome = HANDLERS[m["op"]](ctx)
        if savepoint is not None:
            savepoint.commit()
    except Rejected as exc:
        if savepoint is not None:
            savepoint.rollback()
        elif changes.checkpoint() != point:
            raise RuntimeError(f"{m['op']} refused an edit after writing part of it") from exc
        changes.rewind(point)
        outcome = Outcome(REJECTED, ctx.keys, str(exc))
    except TRANSIENT:
        raise  # the database or its connection: the whole push is retried
    except Exception:
        # A fault of the server's own: this edit alone is refused, the rest go on.
        if savepoint is not None:
            savepoint.rollback()
        elif changes.checkpoint() != point:
            raise
        changes.rewind(point)
        outcome = Outcome(REJECTED, ctx.keys, _fault(m))
    return _answer(m, outcome,
                   current_records(conn, changes.school_id, outcome.keys, outcome.known))


# Failures of the database itself, not of one edit: the push fails and the
# workstation sends it again later.
TRANSIENT = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def _fault(m: dict[str, Any]) -> str:
    reference = m["mutation_id"][:8]
    log.exception("edit %s (%s) failed on the server", m["mutation_id"], m["op"])
    return (f"the server could not apply this change because of a fault of its own "
            f"(reference {reference}); nothing of it was saved. Tell the help desk")


def _answer(m: dict[str, Any], outcome: Outcome, records: list[dict]) -> dict[str, Any]:
    answer: dict[str, Any] = {"mutation_id": m["mutation_id"], "status": outcome.status}
    if outcome.reason:
        answer["reason"] = outcome.reason
    answer["records"] = records
    return answer


# --- attendance: the last write to reach the server wins, every write audited


class Roll(NamedTuple):
    """What checking a section's roll needs to know about the section."""
    period: int  # the period the section meets in
    number: str  # its section number, for messages
    daily: bool  # its school keeps one roll a day (submitted for period 0)
    end_time: str | None  # when its period ends ("HH:MM"), for lateness
    submitted: bool  # the roll for this date and period came in before


class DbFacts:
    """The facts attendance edits are checked against, read when asked, one
    query each (the generic path; `_Prefetched` is the attendance path's)."""

    def __init__(self, conn, school_id: str):
        self.conn, self.school_id = conn, school_id

    def roll(self, section_id: str, submission_id: str) -> Roll | None:
        sec, bp = SYNCED["sections"], SYNCED["bell_periods"]
        sub = SYNCED["attendance_submissions"]
        ends = (sa.select(sa.func.max(bp.c.end_time)).where(bp.c.school_id == sec.c.school_id)
                .where(bp.c.number == sec.c.period).scalar_subquery())
        submitted = (sa.select(sub.c.id).where(sub.c.school_id == self.school_id)
                     .where(sub.c.id == submission_id).exists())
        row = self.conn.execute(
            sa.select(sec.c.period, sec.c.section_number, schools.c.level, ends, submitted)
            .join(schools, schools.c.id == sec.c.school_id)
            .where(sec.c.school_id == self.school_id).where(sec.c.id == section_id)).first()
        if row is None:
            return None
        return Roll(row[0], row[1], row[2] in DAILY_LEVELS, row[3], bool(row[4]))

    def known(self, *, students: Iterable[str] = (), codes: Iterable[str] = (),
              sections: Iterable[str] = ()) -> dict[str, set[str]]:
        """Which of these ids exist at the school: one query."""
        parts = [sa.select(sa.literal(what), SYNCED[what].c.id)
                 .where(SYNCED[what].c.school_id == self.school_id)
                 .where(SYNCED[what].c.id.in_(sorted(ids)))
                 for what, ids in (("students", set(students)), ("attendance_codes", set(codes)),
                                   ("sections", set(sections))) if ids]
        found: dict[str, set[str]] = {"students": set(), "attendance_codes": set(),
                                      "sections": set()}
        if parts:
            for what, record_id in self.conn.execute(sa.union_all(*parts)):
                found[what].add(record_id)
        return found


def _mark(ctx: Context) -> Outcome:
    p = ctx.payload
    record = mark_record(p, recorded_by=ctx.user.username, recorded_at=now_iso(),
                         workstation=ctx.changes.workstation)
    ctx.keys = [("attendance_marks", record["id"])]
    found = ctx.facts.known(students=[p["student_id"]], codes=[p["code"]],
                            sections=[p["section_id"]] if p["section_id"] else [])
    for what, kind, record_id in (("student", "students", p["student_id"]),
                                  ("section", "sections", p["section_id"]),
                                  ("attendance code", "attendance_codes", p["code"])):
        if record_id and record_id not in found[kind]:
            raise Rejected(f"{what} {record_id!r} does not exist at this school")
    written = ctx.changes.put("attendance_marks", record, reason=p["reason"])
    return Outcome(APPLIED, ctx.keys, known=_wire("attendance_marks", [written]))


def _submit(ctx: Context) -> Outcome:
    """A section's roll: its marks (each its own version, each audited, the
    last to reach the server wins) and the submission. A roll submitted again
    writes its marks; the first submission (who, when, late or not) stands."""
    p = ctx.payload
    marks = submission_marks(p)
    sub_id = attendance_submission_id(p["section_id"], p["date"], p["period"])
    ctx.keys = [("attendance_submissions", sub_id)] + [
        ("attendance_marks", attendance_mark_id(m["student_id"], m["section_id"], m["date"],
                                                m["period"])) for m in marks]
    roll = ctx.facts.roll(p["section_id"], sub_id)
    _check_roll(p, roll)
    if marks:
        _check_marks(marks, ctx.facts.known(students=[m["student_id"] for m in marks],
                                            codes=[m["code"] for m in marks]))
    now = now_utc()
    at = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    known = _wire("attendance_marks", ctx.changes.put_many(
        "attendance_marks",
        [mark_record(m, recorded_by=ctx.user.username, recorded_at=at,
                     workstation=ctx.changes.workstation) for m in marks],
        reasons=[m["reason"] for m in marks]))
    if not roll.submitted:
        record = submission_record(p, submitted_by=ctx.user.username, submitted_at=at,
                                   late=is_late(p["date"], roll.end_time, now))
        known.update(_wire("attendance_submissions",
                           ctx.changes.put_many("attendance_submissions", [record])))
    return Outcome(APPLIED, ctx.keys, known=known)


def _check_roll(p: dict[str, Any], roll: Roll | None) -> Roll:
    """The section is this school's and meets in the period (period 0 at a
    daily school)."""
    if roll is None:
        raise Rejected(f"section {p['section_id']!r} does not exist at this school")
    if roll.daily:
        if p["period"] != 0:
            raise Rejected(f"this school takes attendance for the whole day: submit section "
                           f"{roll.number} for period 0, not period {p['period']}")
    elif p["period"] != roll.period:
        raise Rejected(f"section {roll.number} meets in period {roll.period}, "
                       f"not period {p['period']}")
    return roll


def _check_marks(marks: list[dict[str, Any]], found: dict[str, set[str]]) -> None:
    """Every student is this school's and every code exists."""
    missing = sorted({m["student_id"] for m in marks} - found["students"])
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise Rejected(f"student {missing[0]!r}{more} is not a student of this school")
    bad = sorted({m["code"] for m in marks} - found["attendance_codes"])
    if bad:
        raise Rejected(f"unknown attendance code {bad[0]!r}")


def _wire(kind: str, records: list[dict[str, Any]]) -> dict[tuple[str, str], list[Any]]:
    columns = kind_of(kind).wire_columns
    return {(kind, r["id"]): [r[c] for c in columns] for r in records}


# --- the attendance path on PostgreSQL: the school's lock for two round trips
#
# A first pipeline takes the lock (BEGIN and the sequence row) and then, in
# one statement whose snapshot is taken once the lock is held, reads
# everything the handlers need: stored answers, the sections, students and
# codes the edits name, and the records they touch. The handlers run against
# those facts in memory; a second pipeline writes every record, the audit,
# the answers and the sequence in one statement, and commits. A failure
# anywhere rolls everything back.

_PG_LOCK = ("UPDATE school_sequences SET last_seq = last_seq WHERE school_id = %(school)s "
            "RETURNING last_seq")
_TOUCHED = ("attendance_marks", "attendance_submissions")


def _pg_rows(kind: str) -> str:
    columns = ", ".join(kind_of(kind).wire_columns)
    return (f"SELECT '{kind}', id, json_build_array({columns}) FROM {kind} "
            f"WHERE school_id = %(school)s AND id = ANY(%({kind})s::text[])")


# Each row: (what, id, details as a JSON array or null).
_PG_READ = "\nUNION ALL\n".join((
    "SELECT 'stored', mutation_id, json_build_array(school_id, answer) FROM mutations "
    "WHERE mutation_id = ANY(%(mutations)s::text[])",
    """SELECT 'sections', sec.id, json_build_array(sec.period, sec.section_number, sch.level,
       (SELECT max(bp.end_time) FROM bell_periods bp
        WHERE bp.school_id = sec.school_id AND bp.number = sec.period))
FROM sections sec JOIN schools sch ON sch.id = sec.school_id
WHERE sec.school_id = %(school)s AND sec.id = ANY(%(sections)s::text[])""",
    "SELECT 'students', id, NULL::json FROM students "
    "WHERE school_id = %(school)s AND id = ANY(%(students)s::text[])",
    "SELECT 'attendance_codes', id, NULL::json FROM attendance_codes "
    "WHERE school_id = %(school)s AND id = ANY(%(attendance_codes)s::text[])",
    *(_pg_rows(kind) for kind in _TOUCHED)))


class _Stored(NamedTuple):
    mutation_id: str
    school_id: str
    answer: str


class _Prefetched:
    """The facts and records an attendance push needs, read in one
    statement; records written during the push replace what was read."""

    def __init__(self, rows: list[tuple[str, str, Any]]):
        self.stored: dict[str, _Stored] = {}
        self.rolls: dict[str, list[Any]] = {}
        self.found: dict[str, set[str]] = {"students": set(), "attendance_codes": set(),
                                           "sections": set()}
        self.state: dict[tuple[str, str], dict[str, Any]] = {}
        for what, record_id, details in rows:
            if what == "stored":
                self.stored[record_id] = _Stored(record_id, *details)
            elif what == "sections":
                self.rolls[record_id] = details
                self.found[what].add(record_id)
            elif what in self.found:
                self.found[what].add(record_id)
            else:
                self.state[(what, record_id)] = dict(zip(kind_of(what).wire_columns, details))

    def roll(self, section_id: str, submission_id: str) -> Roll | None:
        if section_id not in self.rolls:
            return None
        period, number, level, end_time = self.rolls[section_id]
        return Roll(period, number, level in DAILY_LEVELS, end_time,
                    self.state.get(("attendance_submissions", submission_id)) is not None)

    def known(self, *, students: Iterable[str] = (), codes: Iterable[str] = (),
              sections: Iterable[str] = ()) -> dict[str, set[str]]:
        return {"students": set(students) & self.found["students"],
                "attendance_codes": set(codes) & self.found["attendance_codes"],
                "sections": set(sections) & self.found["sections"]}

    def records(self, keys: list[tuple[str, str]],
                known: dict[tuple[str, str], list[Any]]) -> list[dict]:
        """As `current_records`: the state of each key after this edit."""
        out = []
        for kind, record_id in keys:
            row = known.get((kind, record_id))
            record = self.state.get((kind, record_id))
            if row is None and record is not None:
                row = [record[c] for c in kind_of(kind).wire_columns]
            out.append({"kind": kind, "id": record_id, "row": row} if row is not None
                       else {"kind": kind, "id": record_id, "deleted": True})
        return out


class _BatchWriter:
    """SchoolChanges' put/put_many for the attendance path: numbers from the
    locked sequence, audit rows and records kept for one write at the end."""

    def __init__(self, school_id: str, seq: int, user: CurrentUser, workstation: str | None,
                 state: dict[tuple[str, str], dict[str, Any]]):
        self.school_id, self.workstation = school_id, workstation
        self.user_id, self.username = user.id, user.username
        self.mutation_id: str | None = None
        self.seq = self.start = seq
        self.state = state
        self.audit_rows: list[dict[str, Any]] = []
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}

    def checkpoint(self) -> tuple[int, int]:
        return self.seq, len(self.audit_rows)

    def put(self, kind: str, record: dict[str, Any], *, reason: str | None = None
            ) -> dict[str, Any]:
        return self.put_many(kind, [record], reason=reason)[0]

    def put_many(self, kind: str, records: list[dict[str, Any]], *, reason: str | None = None,
                 reasons: list[str | None] | None = None) -> list[dict[str, Any]]:
        fields = kind_of(kind).field_names
        new = []
        for i, r in enumerate(records):
            self.seq += 1
            n = {"id": r["id"], "version": self.seq, **{f: r.get(f) for f in fields}}
            old = self.state.get((kind, n["id"]))
            self.audit_rows.append(audit_row(self, kind, n["id"],
                                             "create" if old is None else "update", old, n,
                                             reasons[i] if reasons is not None else reason))
            self.state[(kind, n["id"])] = n
            self.rows.setdefault(kind, {})[n["id"]] = n
            new.append(n)
        return new


def _push_attendance(engine, *, user: CurrentUser, school_id: str, workstation: str | None,
                     checked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`push` for a batch of attendance edits on PostgreSQL (see above)."""
    sections, students, codes = set(), set(), set()
    touched: dict[str, set[str]] = {kind: set() for kind in _TOUCHED}
    for m in checked:
        p = m["payload"]
        if m["op"] == "attendance.submit":
            sections.add(p["section_id"])
            touched["attendance_submissions"].add(
                attendance_submission_id(p["section_id"], p["date"], p["period"]))
            marks = submission_marks(p)
        else:
            if p["section_id"]:
                sections.add(p["section_id"])
            marks = [p]
        for mk in marks:
            students.add(mk["student_id"])
            codes.add(mk["code"])
            touched["attendance_marks"].add(attendance_mark_id(
                mk["student_id"], mk["section_id"], mk["date"], mk["period"]))
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        with pg.pipeline():
            lock = pg.execute(_PG_LOCK, {"school": school_id})
            read = pg.execute(_PG_READ, {
                "school": school_id, "mutations": [m["mutation_id"] for m in checked],
                "sections": sorted(sections), "students": sorted(students),
                "attendance_codes": sorted(codes),
                **{kind: sorted(ids) for kind, ids in touched.items()}})
        row = lock.fetchone()
        if row is None:
            raise UnknownSchool(school_id)
        facts = _Prefetched(read.fetchall())
        changes = _BatchWriter(school_id, row[0], user, workstation, facts.state)
        answers, kept = [], []
        for m in checked:
            if m["mutation_id"] in facts.stored:
                answers.append(_stored_answer(facts.stored[m["mutation_id"]], school_id))
                continue
            changes.mutation_id = m["mutation_id"]
            ctx = Context(changes, user, m["payload"], m["base_version"], facts=facts)
            point = changes.checkpoint()
            try:
                outcome = HANDLERS[m["op"]](ctx)
            except Rejected as exc:
                if changes.checkpoint() != point:
                    raise RuntimeError(f"{m['op']} refused an edit after writing part "
                                       f"of it") from exc
                outcome = Outcome(REJECTED, ctx.keys, str(exc))
            except Exception:
                if changes.checkpoint() != point:
                    raise
                outcome = Outcome(REJECTED, ctx.keys, _fault(m))
            answer = _answer(m, outcome, facts.records(outcome.keys, outcome.known))
            answers.append(answer)
            kept.append(_kept(m, answer, user, school_id, workstation))
        with pg.pipeline():
            if kept:
                pg.execute(*pg_write_all(
                    school_id, upserts={k: list(v.values()) for k, v in changes.rows.items()},
                    inserts=[(audit, changes.audit_rows), (mutations, kept)],
                    last_seq=changes.seq))
            pg.commit()
    finally:
        raw.close()  # back to the pool; rolled back there if not committed
    return answers


# --- schedules: an edit made against a stale program is a conflict, kept


def _check_program_version(ctx: Context, student_id: str) -> Outcome | None:
    """A conflict if someone else changed the program since the edit's base
    version; this workstation's own earlier edit (`after_mutation_id`) being
    the last change is not someone else's."""
    ctx.need("students", student_id, "student")
    program = ctx.changes.get("programs", program_id(student_id))
    current = program["version"] if program else 0
    after = ctx.payload.get("after_mutation_id")
    own_last = after is not None and program is not None and program["last_mutation_id"] == after
    if ctx.base_version is not None and current > ctx.base_version and not own_last:
        # The edit's own records too: the workstation drops what the server lacks.
        keys = list(dict.fromkeys(ctx.keys + program_keys(ctx, student_id)))
        return Outcome(CONFLICT, keys,
                       "This student's schedule was changed by someone else since you "
                       "made this edit. Compare both versions and decide.")
    return None


def _touch_program(ctx: Context, student_id: str) -> None:
    ctx.changes.put("programs", {"id": program_id(student_id), "student_id": student_id,
                                 "updated_by": ctx.user.username,
                                 "last_mutation_id": ctx.changes.mutation_id})


def _check_schedule_rules(ctx: Context, *, student_id: str, on: str, add_id: str | None,
                          drop: dict[str, Any] | None) -> None:
    """The checks a counselor saw on the workstation, made again here where
    the whole school's edits meet: one that blocks, or one that needs a
    reason sent without one, refuses the edit with its own words."""
    conn, school = ctx.conn, ctx.changes.school_id
    program = scheduling.entries_of(conn, school, student_id)
    catalog = scheduling.load_catalog(
        conn, school, [e.section_id for e in program] + ([add_id] if add_id else []))
    if add_id is not None and add_id not in catalog.sections:
        raise Rejected(f"section {add_id!r} does not exist at this school")
    current = enrollment.active_enrollment(ctx.changes, student_id)
    grade = current["grade_level"] if current else ctx.changes.get(
        "students", student_id)["grade_level"]
    findings = check_change(
        catalog=catalog, program=program, grade_level=grade, on=on,
        add=catalog.sections[add_id] if add_id else None,
        drop=_as_entry(drop) if drop else None,
        enrolled_in_add=scheduling.enrolled_in_section(conn, school, add_id, on) if add_id else 0,
        history=scheduling.history_of(conn, school, student_id) if add_id else ())
    refused = blocking(findings) or ([] if ctx.payload.get("override_reason")
                                     else needing_reason(findings))
    if refused:
        raise Rejected(" ".join(f.message for f in refused))


def _as_entry(r: dict[str, Any]) -> Entry:
    return Entry(r["id"], r["student_id"], r["section_id"], r["begin_date"], r["end_date"])


def _new_entry(ctx: Context, entry_id: str, section_id: str, begin: str) -> None:
    if ctx.changes.get("section_enrollments", entry_id) is not None:  # by its key, not a scan
        raise Rejected("this schedule entry already exists")
    ctx.changes.put("section_enrollments", {
        "id": entry_id, "student_id": ctx.payload["student_id"], "section_id": section_id,
        "begin_date": begin, "end_date": None}, reason=ctx.payload.get("override_reason"))


def _entry_to_drop(ctx: Context) -> dict[str, Any]:
    p = ctx.payload
    entry = ctx.need("section_enrollments", p["section_enrollment_id"], "schedule entry")
    if entry["student_id"] != p["student_id"]:
        raise Rejected("that schedule entry belongs to another student")
    return entry


def _schedule_add(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    _check_schedule_rules(ctx, student_id=p["student_id"], on=p["begin_date"],
                          add_id=p["section_id"], drop=None)
    _new_entry(ctx, p["section_enrollment_id"], p["section_id"], p["begin_date"])
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def _schedule_drop(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    entry = _entry_to_drop(ctx)
    if p["end_date"] < entry["begin_date"]:
        raise Rejected(f"the drop date {p['end_date']} is before the class began "
                       f"({entry['begin_date']})")
    # The entry ends; its marks and attendance stay where they are.
    ctx.changes.put("section_enrollments", {**entry, "end_date": p["end_date"]})
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def _schedule_swap(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("section_enrollments", p["section_enrollment_id"]),
                ("section_enrollments", p["new_section_enrollment_id"]),
                ("programs", program_id(p["student_id"]))]
    conflict = _check_program_version(ctx, p["student_id"])
    if conflict:
        return conflict
    entry = _entry_to_drop(ctx)
    if p["begin_date"] <= p["end_date"]:
        raise Rejected(f"the new class must begin after the old one ends ({p['end_date']})")
    _check_schedule_rules(ctx, student_id=p["student_id"], on=p["begin_date"],
                          add_id=p["section_id"], drop={**entry, "end_date": p["end_date"]})
    ctx.changes.put("section_enrollments", {**entry, "end_date": p["end_date"]})
    _new_entry(ctx, p["new_section_enrollment_id"], p["section_id"], p["begin_date"])
    _touch_program(ctx, p["student_id"])
    return Outcome(APPLIED, program_keys(ctx, p["student_id"]))


def _section_save(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("sections", p["section_id"])]
    ctx.need("courses", p["course_id"], "course")
    ctx.need("terms", p["term_id"], "term")
    ctx.need("staff", p["teacher_id"], "teacher")
    if not 1 <= p["capacity"] <= 200:
        raise Rejected(f"a section's capacity must be between 1 and 200, not {p['capacity']}")
    periods = {r["number"] for r in ctx.changes.find("bell_periods")}
    if p["period"] not in periods:
        raise Rejected(f"period {p['period']} is not in this school's bell schedule")
    existing = ctx.changes.get("sections", p["section_id"])
    if existing is not None and (existing["period"], existing["term_id"]) != (p["period"],
                                                                           p["term_id"]):
        today = school_today()
        seated = sum(1 for e in ctx.changes.find("section_enrollments", section_id=p["section_id"])
                     if e["end_date"] is None or e["end_date"] >= today)
        if seated:
            raise Rejected(f"{seated} students are in section {existing['section_number']}: "
                           "moving it to another period or term would give them two classes "
                           "at once. Move them first, or open a new section.")
    section = Section(p["section_id"], p["course_id"], p["term_id"], p["section_number"],
                      p["period"], p["room"], p["teacher_id"], p["capacity"])
    catalog = scheduling.load_catalog(ctx.conn, ctx.changes.school_id, [
        s["id"] for s in ctx.changes.find("sections", teacher_id=p["teacher_id"])])
    catalog.sections = {**catalog.sections, section.id: section}
    clash = teacher_clash(catalog, section)
    if clash is not None:
        raise Rejected(f"that teacher already teaches {catalog.describe(clash)} in period "
                       f"{p['period']} ({catalog.terms[clash.term_id].name})")
    ctx.changes.put("sections", {"id": p["section_id"], "course_id": p["course_id"],
                                 "term_id": p["term_id"], "section_number": p["section_number"],
                                 "period": p["period"], "room": p["room"],
                                 "teacher_id": p["teacher_id"], "capacity": p["capacity"]})
    return Outcome(APPLIED, ctx.keys)


# --- next year's course requests: the server decides


MAX_REQUESTS = 12  # courses one student may request for a year (with alternates)


def _request_add(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("course_requests", p["request_id"])]
    ctx.need("students", p["student_id"], "student")
    ctx.need("school_years", p["school_year_id"], "school year")
    course = ctx.need("courses", p["course_id"], "course")
    if not 1 <= p["rank"] <= MAX_REQUESTS:
        raise Rejected(f"a request's rank is 1 to {MAX_REQUESTS}, not {p['rank']}")
    same_id = ctx.changes.get("course_requests", p["request_id"])
    if same_id is not None and same_id["student_id"] != p["student_id"]:
        raise Rejected("that request belongs to another student")
    theirs = [r for r in ctx.changes.find("course_requests", student_id=p["student_id"])
              if r["school_year_id"] == p["school_year_id"] and r["id"] != p["request_id"]]
    if any(r["course_id"] == p["course_id"] for r in theirs):
        raise Rejected(f"{course['title']} is already among this student's requests")
    if len(theirs) >= MAX_REQUESTS:
        raise Rejected(f"this student already has {MAX_REQUESTS} requests for that year")
    ctx.changes.put("course_requests", {"id": p["request_id"], "student_id": p["student_id"],
                                        "school_year_id": p["school_year_id"],
                                        "course_id": p["course_id"], "rank": p["rank"]})
    return Outcome(APPLIED, ctx.keys)


def _request_remove(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("course_requests", p["request_id"])]
    request = ctx.changes.get("course_requests", p["request_id"])
    if request is None:  # already gone: removing it again changes nothing
        return Outcome(APPLIED, ctx.keys)
    if request["student_id"] != p["student_id"]:
        raise Rejected("that request belongs to another student")
    ctx.changes.remove("course_requests", p["request_id"], reason="request removed")
    return Outcome(APPLIED, ctx.keys)


# --- report-card marks: the last write wins, every write audited


def _grade_mark(ctx: Context) -> Outcome:
    p = ctx.payload
    mark_id = grade_mark_id(p["student_id"], p["section_id"], p["marking_period_id"])
    ctx.keys = [("grade_marks", mark_id)]
    ctx.need("students", p["student_id"], "student")
    section = ctx.need("sections", p["section_id"], "section")
    period = ctx.need("marking_periods", p["marking_period_id"], "marking period")
    try:
        record = grade_mark_record(p, entered_by=ctx.user.username, entered_at=now_iso())
    except InvalidMark as exc:
        raise Rejected(str(exc)) from None
    _check_in_section_during(ctx, section, period)
    old = ctx.changes.get("grade_marks", mark_id)
    changed = old is not None and any(old[f] != record[f] for f in MARK_FIELDS)
    reason = (p.get("reason") or "").strip() or None
    if changed and period["end_date"] < school_today() and reason is None:
        raise Rejected(f"{period['name']} closed on {period['end_date']}: changing a mark "
                       "after that needs a reason")
    ctx.changes.put("grade_marks", record, reason=reason)
    return Outcome(APPLIED, ctx.keys)


MARK_FIELDS = ("mark", "work_habits", "cooperation", "comments")


def _check_in_section_during(ctx: Context, section: dict, period: dict) -> None:
    """A mark is for a class the student was in during the marking period:
    no report card would show any other (domain.report_cards.sections_on_card)."""
    entries = [Entry(e["id"], e["student_id"], e["section_id"], e["begin_date"], e["end_date"])
               for e in ctx.changes.find("section_enrollments", student_id=ctx.payload[
                   "student_id"]) if e["section_id"] == section["id"]]
    number = section["section_number"]
    if not entries:
        raise Rejected(f"the student was never in section {number}")
    catalog = scheduling.load_catalog(ctx.conn, ctx.changes.school_id, [section["id"]])
    spans = [catalog.entry_span(e) for e in entries]
    if any(first <= last and first <= period["end_date"] and last >= period["start_date"]
           for first, last in spans):
        return
    start, end = catalog.span(catalog.sections[section["id"]])
    if end < period["start_date"] or start > period["end_date"]:
        when = f"the section meets {start} to {end}"
    elif all(e.end_date and e.end_date < period["start_date"] for e in entries):
        when = f"left on {max(e.end_date or '' for e in entries)}"
    else:
        when = f"began on {min(e.begin_date for e in entries)}"
    raise Rejected(f"the student was not in section {number} during {period['name']} ({when})")


def _card_printed(ctx: Context) -> Outcome:
    p = ctx.payload
    ctx.keys = [("report_card_prints", p["print_id"])]
    ctx.need("students", p["student_id"], "student")
    ctx.need("marking_periods", p["marking_period_id"], "marking period")
    ctx.changes.put("report_card_prints", {
        "id": p["print_id"], "student_id": p["student_id"],
        # Server time, as the marks' entered_at is: "changed after printing"
        # compares the two (DESIGN.md: server time decides order).
        "marking_period_id": p["marking_period_id"], "printed_at": now_iso(),
        "printed_by": ctx.user.username}, audit_it=False)
    return Outcome(APPLIED, ctx.keys)


HANDLERS: dict[str, Callable[[Context], Outcome]] = {
    "attendance.mark": _mark,
    "attendance.submit": _submit,
    "schedule.add": _schedule_add,
    "schedule.drop": _schedule_drop,
    "schedule.swap": _schedule_swap,
    "section.save": _section_save,
    "request.add": _request_add,
    "request.remove": _request_remove,
    "grade.mark": _grade_mark,
    "report_card.printed": _card_printed,
    "enrollment.enroll": enrollment.enroll,
    "enrollment.withdraw": enrollment.withdraw,
    "enrollment.transfer_in": enrollment.re_enroll,
    "transfer.request": enrollment.request_transfer,
    "transfer.approve": enrollment.approve_transfer,
    "transfer.refuse": enrollment.refuse_transfer,
    "transfer.cancel": enrollment.cancel_transfer,
}
assert set(HANDLERS) == set(OPS)

# Handlers that refuse before their first write, so they need no savepoint
# (one that refused after writing would fail the whole push instead).
CHECKS_BEFORE_WRITING = frozenset({"attendance.mark", "attendance.submit"})
