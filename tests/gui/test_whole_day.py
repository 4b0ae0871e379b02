"""'Left after 3rd period': one edit per remaining class, each with the reason."""
from __future__ import annotations

import datetime as dt

from domain.mutations import check_mutation, new_mutation_id
from local_store import queries
from ui.attendance.whole_day import WholeDayDialog


def test_rest_of_the_day_marks_every_class_from_the_period_on(qtbot, school_store):
    day = max(r["date"] for r in school_store.records("attendance_submissions"))
    student = next(s for s in school_store.records("students")
                   if len(queries.current_schedule(school_store, s["id"],
                                                   on=dt.date.fromisoformat(day))) >= 6)
    dialog = WholeDayDialog(school_store, student["id"], day, 4)
    qtbot.addWidget(dialog)
    dialog.reason.setCurrentText("Phone call")
    dialog.code.setCurrentIndex(dialog.code.findData("E"))
    with qtbot.waitSignal(dialog.submitted) as sent:
        dialog.apply.click()

    payloads = sent.args[0]
    classes = queries.current_schedule(school_store, student["id"],
                                       on=dt.date.fromisoformat(day))
    assert [p["period"] for p in payloads] == [c["period"] for c in classes if c["period"] >= 4]
    assert {p["section_id"] for p in payloads} == {c["section_id"] for c in classes
                                                   if c["period"] >= 4}
    for p in payloads:
        assert p["code"] == "E" and p["reason"] == "Phone call" and p["date"] == day
        check_mutation({"mutation_id": new_mutation_id(), "op": "attendance.mark",
                        "payload": p})
