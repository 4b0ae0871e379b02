"""Two counselors change one student's schedule offline; the second sees
both versions side by side and decides (pytest-qt, a real server on
loopback, real caches, the real HTTP client).

Counselor A's workstation and counselor B's both load the high school, both
change the same student's program without syncing in between; A syncs
first, so B's edit comes back as a conflict that stays until B decides.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from domain.scheduling import BLOCK, OVERRIDE
from local_store import queries
from local_store.scheduling.master_schedule import MasterRow, master_schedule
from local_store.scheduling.program import check_program_change, program_rows
from local_store.store import LocalStore
from sync.workstation import Workstation
from tests.integration.helpers import server_dump
from tests.support.clock import SCHOOL_DAY
from tests.support.fixtures import signed_in
from ui.common import messages
from ui.scheduling.schedule_conflict import ScheduleConflictDialog
from ui.session.attention import AttentionDialog
from widgets.sync_status import SyncState, SyncStatus

CLICK = Qt.MouseButton.LeftButton
TODAY = SCHOOL_DAY  # the demo district is generated as of that day


@pytest.fixture(autouse=True)
def quiet_messages():
    messages.set_interactive(False)
    messages.shown.clear()
    yield
    messages.set_interactive(True)


@dataclass
class Desk:
    """A counselor's workstation and its cache of the school."""

    ws: Workstation
    store: LocalStore

    def edit(self, op: str, payload: dict) -> str:
        return self.ws.edit(self.store, op, payload)

    def sync(self):
        return self.ws.sync(self.store)


@pytest.fixture
def desks(tmp_path, sqlite_server, demo_district, school):
    """Counselor A's and counselor B's workstations, both bootstrapped."""
    user = f"counselor.{school.code}"
    made = []
    for name in ("a", "b"):
        ws = signed_in(tmp_path / f"ws-{name}", sqlite_server.url, demo_district, user)
        desk = Desk(ws, ws.open_store())
        desk.sync()
        made.append(desk)
    yield made
    for desk in made:
        desk.store.close()


# --- finding a student and classes the checks let through


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def fine(findings) -> bool:
    return not any(f.severity in (BLOCK, OVERRIDE) for f in findings)


def sections_in_period(store: LocalStore, period: int) -> list[MasterRow]:
    return [r for r in master_schedule(store, on=day()) if r.period == period]


def student_with_a_free_period(store: LocalStore):
    """(student id, the entry of one of their classes, a section the checks
    let them add today in a period they have free)."""
    periods = [p["number"] for p in queries.bell_schedule(store)]
    for student in store.records("students"):
        program = program_rows(store, student["id"], on=day())
        taken = {r.period for r in program}
        for period in (p for p in periods if p not in taken):
            for row in sections_in_period(store, period):
                if fine(check_program_change(store, student["id"], on=day(),
                                             add_section_id=row.section_id)):
                    return student["id"], program[0], row
    pytest.fail("the demo school has no student with a free period and a class to fill it")


def student_with_two_other_sections(store: LocalStore):
    """(student id, the entry of one of their classes, two other sections of
    that period the checks let it be swapped for)."""
    for student in store.records("students"):
        for entry in program_rows(store, student["id"], on=day()):
            options = [r for r in sections_in_period(store, entry.period)
                       if r.section_id != entry.section_id
                       and fine(check_program_change(store, student["id"], on=day(),
                                                     add_section_id=r.section_id,
                                                     drop_entry_id=entry.entry_id))]
            if len(options) >= 2:
                return student["id"], entry, options[0], options[1]
    pytest.fail("the demo school has no class with two others to swap it for")


def drop(student_id: str, entry_id: str, end: str) -> dict:
    return {"student_id": student_id, "section_enrollment_id": entry_id, "end_date": end}


def add(student_id: str, section_id: str, begin: str) -> dict:
    return {"student_id": student_id, "section_id": section_id, "begin_date": begin,
            "section_enrollment_id": str(uuid.uuid4())}


def swap(student_id: str, entry_id: str, section_id: str) -> dict:
    return {"student_id": student_id, "section_enrollment_id": entry_id, "end_date": day(-1),
            "section_id": section_id, "new_section_enrollment_id": str(uuid.uuid4()),
            "begin_date": day()}


# --- reading what the server holds and what the screens show


def server_program(server, school, student_id: str) -> dict[str, str | None]:
    """The student's entries on the server: section -> last day (None: still in it)."""
    rows = server_dump(server.engine, school.id)["section_enrollments"].values()
    out: dict[str, str | None] = {}
    for _id, _version, sid, section_id, _begin, end in sorted(rows, key=lambda r: r[4]):
        if sid == student_id:
            out[section_id] = end
    return out


def still_in(program: dict[str, str | None]) -> set[str]:
    return {section for section, end in program.items() if end is None}


def status_for(store: LocalStore) -> SyncStatus:
    """The status bar's corner showing the cache's counts, as the sync controller sets them."""
    counts = store.outbox_counts()
    status = SyncStatus()
    status.show_state(SyncState(online=True, pending=counts["pending"],
                                attention=counts["conflict"] + counts["rejected"],
                                schedule_conflicts=len(store.conflict_students())))
    return status


def rows_named(rows, name: str) -> list[tuple[str, ...]]:
    return [r for r in rows if name in r[1]]


def open_conflict(qtbot, desk: Desk, student_id: str) -> ScheduleConflictDialog:
    dialog = ScheduleConflictDialog(desk.store, student_id,
                                    lambda op, payload: desk.edit(op, payload), today=day())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def conflict_after_both_edited(desks, edit_a, edit_b) -> tuple[Desk, Desk, str]:
    """A and B edit offline from the same version; A syncs, then B, whose
    edit comes back in conflict. Returns (A, B, B's edit's mutation id)."""
    a, b = desks
    a.edit(*edit_a)
    b_mutation = b.edit(*edit_b)
    assert a.sync().applied == 1
    report = b.sync()
    assert (report.conflicts, report.applied) == (1, 0)
    return a, b, b_mutation


# --- the tests


def test_combining_keeps_both_counselors_changes(qtbot, desks, sqlite_server, school):
    a, b = desks
    sid, class_x, class_y = student_with_a_free_period(b.store)
    name_x, name_y = class_x.course_title, class_y.course_title
    a, b, b_mutation = conflict_after_both_edited(
        desks, ("schedule.drop", drop(sid, class_x.entry_id, day())),
        ("schedule.add", add(sid, class_y.section_id, day())))

    # The conflict is kept, visible, and the status bar asks to decide it.
    assert [e["mutation_id"] for e in b.store.outbox_entries("conflict")] == [b_mutation]
    assert b.store.conflict_students() == [sid]
    status = status_for(b.store)
    qtbot.addWidget(status)
    assert status.attention.text() == "⚠ 1 schedule conflict — decide"
    assert status.attention.property("urgency") == "decide"
    assert not status.attention.isHidden()

    dialog = open_conflict(qtbot, b, sid)
    yours_box, server_box = dialog.yours_box, dialog.server_box
    assert yours_box.title() == "Your version (not saved)"
    assert server_box.title() == f"On the server now — changed by counselor.{school.code}"
    # Side by side: same height on screen, yours on the left.
    assert yours_box.geometry().top() == server_box.geometry().top()
    assert yours_box.geometry().right() < server_box.geometry().left()
    yours, servers = dialog.version_texts(mine=True), dialog.version_texts(mine=False)
    [added] = rows_named(yours, name_y)
    assert added[1].startswith("+ ") and added[3] == "+ added by you"
    assert rows_named(servers, name_y)[0][3] == "− not on the server"
    for version in (yours, servers):  # A's drop, in both, struck out and said
        [dropped] = rows_named(version, name_x)
        assert dropped[1].startswith("− ") and dropped[3] == "− dropped on the server"
    assert (str(class_y.period), "— no class —", "", "") in servers
    assert f"add {name_y}" in dialog.your_changes.text()

    # Both changes are in the ticked set: A's drop (not ticked), B's add (ticked).
    ticked = {c.section_id for c in dialog.ticked()}
    assert class_y.section_id in ticked and class_x.section_id not in ticked
    with qtbot.waitSignal(dialog.resolved) as resolved:
        qtbot.mouseClick(dialog.combine, CLICK)
    assert resolved.args == [sid]
    assert b.store.outbox_counts() == {"pending": 1, "conflict": 0, "rejected": 0}

    report = b.sync()
    assert (report.applied, report.conflicts, report.rejected) == (1, 0, 0)
    assert b.store.outbox_entries() == []
    on_server = server_program(sqlite_server, school, sid)
    assert on_server[class_x.section_id] == day()  # A's drop
    assert on_server[class_y.section_id] is None  # B's add
    a.sync()
    shown_to_a = {r.section_id for r in program_rows(a.store, sid, on=day(1))}
    assert class_y.section_id in shown_to_a and class_x.section_id not in shown_to_a
    assert status_for(b.store).attention.isHidden()


def test_keeping_the_servers_version_changes_nothing_there(qtbot, desks, sqlite_server, school):
    a, b = desks
    sid, class_x, class_y = student_with_a_free_period(b.store)
    a, b, _ = conflict_after_both_edited(
        desks, ("schedule.drop", drop(sid, class_x.entry_id, day())),
        ("schedule.add", add(sid, class_y.section_id, day())))
    before = server_dump(sqlite_server.engine, school.id)

    # From the list of changes waiting: compare, then keep the server's.
    attention = AttentionDialog(b.store, queue_edit=lambda op, p: b.edit(op, p), today=day())
    qtbot.addWidget(attention)
    attention.show()
    compare = attention.findChild(QPushButton, "compareButton")
    assert compare.isVisible() and compare.isEnabled()
    qtbot.mouseClick(compare, CLICK)
    dialog = attention.conflict_dialog
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignals([dialog.resolved, attention.changed]):
        qtbot.mouseClick(dialog.keep_server, CLICK)

    assert b.store.outbox_entries() == []
    assert b.store.conflict_students() == []
    assert attention.findChild(type(attention.empty), "emptyState").isVisible()
    assert b.sync().pushed == 0
    after = server_dump(sqlite_server.engine, school.id)
    assert after["section_enrollments"] == before["section_enrollments"]
    assert after["programs"] == before["programs"]
    # B's cache shows what the server has: A's drop, no phantom class.
    assert b.store.dump()["section_enrollments"] == after["section_enrollments"]


def test_keeping_mine_puts_my_version_on_the_server(qtbot, desks, sqlite_server, school):
    a, b = desks
    sid, class_x, class_z, class_w = student_with_two_other_sections(b.store)
    # Both swap the same class, each for another section of that period.
    a, b, _ = conflict_after_both_edited(
        desks, ("schedule.swap", swap(sid, class_x.entry_id, class_z.section_id)),
        ("schedule.swap", swap(sid, class_x.entry_id, class_w.section_id)))

    dialog = open_conflict(qtbot, b, sid)
    yours = dialog.version_texts(mine=True)
    assert rows_named(yours, class_w.course_title)[0][3] == "+ added by you"
    assert rows_named(dialog.version_texts(mine=False), class_z.course_title)[0][3] == \
        "+ added on the server"
    my_version = {c.section_id for c in dialog.view.merge.kept_by_yours()}
    assert class_w.section_id in my_version and class_z.section_id not in my_version

    # Both classes of that period ticked: refused, with both named, nothing sent.
    dialog.set_ticked(my_version | {class_z.section_id})
    with qtbot.assertNotEmitted(dialog.resolved):
        qtbot.mouseClick(dialog.combine, CLICK)
    problem = messages.shown[-1]
    assert problem.title == "These classes can't all be kept"
    assert problem.text.startswith(f"Period {class_x.period} has two classes ticked")
    assert b.store.outbox_counts()["conflict"] == 1

    with qtbot.waitSignal(dialog.resolved):
        qtbot.mouseClick(dialog.keep_mine, CLICK)
    [(op, payload)] = [(e["op"], e["payload"]) for e in b.store.outbox_entries()]
    assert op == "schedule.swap" and payload["section_id"] == class_w.section_id
    report = b.sync()
    assert (report.applied, report.conflicts, report.rejected) == (1, 0, 0)
    assert b.store.outbox_entries() == []
    on_server = server_program(sqlite_server, school, sid)
    assert still_in(on_server) == my_version
    assert on_server[class_z.section_id] is not None  # A's section, ended


def test_dismissing_a_schedule_conflict_is_keeping_the_servers_after_a_confirm(
        qtbot, desks, monkeypatch):
    a, b = desks
    sid, class_x, class_y = student_with_a_free_period(b.store)
    conflict_after_both_edited(
        desks, ("schedule.drop", drop(sid, class_x.entry_id, day())),
        ("schedule.add", add(sid, class_y.section_id, day())))
    attention = AttentionDialog(b.store, today=day())  # no queue_edit: keep the server's
    qtbot.addWidget(attention)
    attention.show()
    dismiss = attention.findChild(QPushButton, "dismissButton")
    assert dismiss.text() == "Keep the server's…"

    with qtbot.assertNotEmitted(attention.changed):
        qtbot.mouseClick(dismiss, CLICK)  # the confirmation says no
    assert messages.shown[-1].title == "Keep the server's schedule"
    assert class_y.course_title in messages.shown[-1].text
    assert b.store.conflict_students() == [sid]

    monkeypatch.setattr(messages, "confirm", lambda *args, **kwargs: True)
    with qtbot.waitSignal(attention.changed):
        qtbot.mouseClick(dismiss, CLICK)
    assert b.store.outbox_entries() == []
