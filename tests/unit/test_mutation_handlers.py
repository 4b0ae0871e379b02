"""The server's side of the edits in domain.mutations.OPS: one handler for
each, and one rule for who may send it, whichever way a push goes."""
from __future__ import annotations

import pytest

from district_server.services.auth import CurrentUser
from district_server.services.mutations.answers import refused_for_role
from district_server.services.mutations.handlers import CHECKS_BEFORE_WRITING, HANDLERS
from domain.mutations import OPS, ROLES


def test_the_handler_table_covers_exactly_the_operations():
    assert sorted(HANDLERS) == sorted(OPS)


def test_only_the_attendance_edits_skip_the_savepoint_and_take_the_fast_path():
    assert CHECKS_BEFORE_WRITING == {"attendance.mark", "attendance.submit"}


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_operation_says_who_may_send_it_and_what_it_does(op):
    assert OPS[op].roles and OPS[op].roles <= set(ROLES)
    assert "district_admin" in OPS[op].roles
    assert op not in OPS[op].words and len(OPS[op].words.split()) >= 2


def _user(role: str) -> CurrentUser:
    return CurrentUser(7, "someone", "Some One", role, frozenset({"sch-1"}))


def test_a_role_that_may_not_send_an_edit_is_told_why_in_the_edits_words():
    m = {"mutation_id": "0b7c9f1e-6a51-4a59-9d2e-6f1d2a3b4c5d", "op": "schedule.add"}
    assert refused_for_role(_user("clerk"), m) == {
        "mutation_id": m["mutation_id"], "status": "rejected",
        "reason": "a clerk may not add a class to a schedule: ask a counselor or an "
                  "administrator",
        "records": []}
    assert refused_for_role(_user("counselor"), m) is None
