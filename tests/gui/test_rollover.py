"""The semester rollover: the dry run from the cache, then apply on the real server."""
from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtCore import Qt

from local_store.scheduling.rollover import rollover_dry_run
from tests.support.clock import SCHOOL_DAY
from tests.support.fixtures import signed_in
from tests.support.postgres import free_port
from ui.common import messages
from ui.scheduling.rollover import RolloverDialog

CLICK = Qt.MouseButton.LeftButton
TODAY = SCHOOL_DAY.isoformat()  # the demo district is generated as of that day


def open_dialog(qtbot, store, workstation, **kwargs) -> RolloverDialog:
    dialog = RolloverDialog(store, workstation, today=TODAY, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.dry_run is not None, timeout=20000)
    return dialog


def number(label) -> int:
    return int(label.text().split()[0].replace(",", ""))


def spring_entries(store, to_term_id: str) -> int:
    with store.read() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM section_enrollments e JOIN sections s ON s.id = e.section_id "
            "WHERE s.term_id = ?", (to_term_id,)).scalar_one()


def test_the_dry_run_shows_the_plans_counts(qtbot, school_store, school_workstation):
    plan, incomplete = rollover_dry_run(school_store, on=TODAY)
    dialog = open_dialog(qtbot, school_store, school_workstation)

    assert dialog.windowTitle() == (f"Semester rollover: {plan.from_term.name} → "
                                    f"{plan.to_term.name}")
    assert plan.changes > 0, "the demo's fall term hasn't been rolled over"
    assert number(dialog.ends) == len(plan.ends)
    assert number(dialog.adds) == len({e.student_id for e in plan.adds})
    assert f"{len(plan.adds):,} classes" in dialog.adds.text()
    assert number(dialog.carried) == plan.carried
    assert number(dialog.unplaced) == len(plan.unplaced)
    assert number(dialog.incomplete) == len(incomplete)
    assert dialog.apply.isEnabled()

    # Who would be left short: names, the periods they miss, and why.
    with school_store.read() as conn:
        names = {sid: f"{last}, {first}" for sid, last, first in conn.exec_driver_sql(
            "SELECT id, legal_last_name, legal_first_name FROM students")}
    rows = dialog.gaps_model.rows
    assert sorted(r[1] for r in rows) == sorted(names[i.student_id] for i in incomplete)
    for i in incomplete:
        row = next(r for r in rows if r[1] == names[i.student_id])
        assert row[3] == ", ".join(map(str, i.missing))
        assert all(f"period {p}:" in row[4] for p in i.missing)


def test_the_students_left_short_export_to_excel(qtbot, tmp_path, school_store,
                                                 school_workstation):
    dialog = open_dialog(qtbot, school_store, school_workstation)
    assert dialog.gaps_model.rows, "the demo leaves a few students short"
    path = tmp_path / "short.xlsx"
    dialog.on_export(str(path))
    qtbot.waitUntil(lambda: "Exported" in dialog.dry_status.text(), timeout=10000)
    sheet = load_workbook(path).active
    assert "without a complete schedule" in sheet["A1"].value
    assert [c.value for c in sheet[2]] == ["Student ID", "Name", "Grade", "Missing periods",
                                           "Why"]
    assert sheet.max_row == 2 + len(dialog.gaps_model.rows)


def test_only_counselors_and_administrators_apply(qtbot, school_store, school_workstation):
    dialog = open_dialog(qtbot, school_store, school_workstation, can_apply=False)
    assert number(dialog.ends) > 0, "the dry run is there to read"
    assert not dialog.apply.isEnabled()
    dialog.on_apply()
    assert messages.shown == [] and not dialog.applying()


def test_apply_on_the_server_then_nothing_is_left_to_do(
        qtbot, tmp_path, sqlite_server, demo_district, demo_school, monkeypatch):
    ws = signed_in(tmp_path / "ws", sqlite_server.url, demo_district,
                   f"counselor.{demo_school.code}", demo_school.id)
    store = ws.open_store()
    try:
        ws.sync(store)
        dialog = open_dialog(qtbot, store, ws)
        plan = dialog.dry_run.plan
        assert plan.adds and spring_entries(store, plan.to_term.id) == 0

        monkeypatch.setattr(messages, "confirm", lambda *args, **kwargs: True)
        with qtbot.waitSignal(dialog.sync_requested, timeout=120000):
            qtbot.mouseClick(dialog.apply, CLICK)
        result = dialog.server_result
        assert result["applied"] is True
        assert (result["ended"], result["added"], result["carried"]) == \
            (len(plan.ends), len(plan.adds), plan.carried)
        assert "Applied on the server" in dialog.outcome.text()
        assert "differ" not in dialog.outcome.text(), "nobody changed programs meanwhile"
        assert not dialog.progress.isVisibleTo(dialog) and not dialog.apply.isEnabled()

        ws.sync(store)
        assert spring_entries(store, plan.to_term.id) == len(plan.adds)

        dialog.reload()
        qtbot.waitUntil(lambda: dialog.nothing_to_do(), timeout=20000)
        assert dialog.dry_status.text() == (f"Nothing to do: {plan.to_term.name} programs are "
                                            "already in place.")
        assert not dialog.apply.isEnabled()
    finally:
        store.close()


def test_the_server_counts_that_differ_from_the_dry_run_are_pointed_out(
        qtbot, school_store, school_workstation):
    dialog = open_dialog(qtbot, school_store, school_workstation)
    plan = dialog.dry_run.plan
    with qtbot.waitSignal(dialog.sync_requested):
        dialog.on_applied({"from_term": plan.from_term.name, "to_term": plan.to_term.name,
                           "ended": len(plan.ends), "added": len(plan.adds) - 1,
                           "carried": plan.carried, "students": len(plan.students),
                           "unplaced": [], "incomplete_after": 0, "applied": True})
    assert "differ from this workstation's dry run" in dialog.outcome.text()
    assert f"{len(plan.adds) - 1:,} on the server, {len(plan.adds):,} here" in \
        dialog.outcome.text()


def test_apply_says_calmly_when_the_server_is_unreachable(
        qtbot, school_store, school_workstation, monkeypatch):
    school_workstation.settings.server_url = f"http://127.0.0.1:{free_port()}"
    school_workstation.retries = 0
    dialog = open_dialog(qtbot, school_store, school_workstation)
    monkeypatch.setattr(messages, "confirm", lambda *args, **kwargs: True)
    qtbot.mouseClick(dialog.apply, CLICK)
    qtbot.waitUntil(lambda: not dialog.applying(), timeout=20000)
    assert [m.kind for m in messages.shown] == ["warning"]
    assert "can't be reached" in messages.shown[0].text
    assert "not applied" in dialog.outcome.text()
    assert dialog.apply.isEnabled(), "try again when the server is back"
