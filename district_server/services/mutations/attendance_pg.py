"""The attendance push on PostgreSQL: the school's lock for two round trips.

At the 8 AM peak each clerk's roll arrives as it is taken, and every push
of a school queues on that school's sequence row. A first pipeline takes
the lock (BEGIN and the sequence row) and then, in one statement whose
snapshot is taken once the lock is held, reads everything the handlers
need: stored answers, the sections, students and codes the edits name, and
the records they touch. The handlers run against those facts in memory; a
second pipeline writes every record, the audit, the answers and the
sequence in one statement, and commits. A failure anywhere rolls
everything back.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from district_server.services.auth import CurrentUser
from district_server.services.changes import UnknownSchool, audit_row, pg_write_all
from district_server.services.edit_context import Context, Outcome, Rejected
from district_server.services.mutations.answers import (
    answer_to,
    fault,
    refused_for_role,
    row_to_keep,
    stored_answer,
)
from district_server.services.mutations.attendance_edits import Roll
from district_server.services.mutations.handlers import HANDLERS
from district_server.store.tables import audit, mutations
from domain.attendance import DAILY_LEVELS
from domain.edits import submission_marks
from domain.mutations import REJECTED
from domain.records import attendance_mark_id, attendance_submission_id
from domain.records import kind as kind_of

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


class Prefetched:
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


def push_attendance(engine, *, user: CurrentUser, school_id: str, workstation: str | None,
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
        facts = Prefetched(read.fetchall())
        changes = _BatchWriter(school_id, row[0], user, workstation, facts.state)
        answers, kept = [], []
        for m in checked:
            if m["mutation_id"] in facts.stored:
                answers.append(stored_answer(facts.stored[m["mutation_id"]], school_id))
                continue
            refused = refused_for_role(user, m)
            if refused is not None:
                answers.append(refused)
                kept.append(row_to_keep(m, refused, user, school_id, workstation))
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
                outcome = Outcome(REJECTED, ctx.keys, fault(m))
            answer = answer_to(m, outcome, facts.records(outcome.keys, outcome.known))
            answers.append(answer)
            kept.append(row_to_keep(m, answer, user, school_id, workstation))
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
