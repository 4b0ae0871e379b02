"""Every kind of edit a person may find under "Changes waiting for me" is
described in their words, never by its internal operation name."""
from __future__ import annotations

import pytest

from domain.mutations import OPS
from tests.unit.test_mutations import GOOD_PAYLOADS
from ui.session.attention import ChangeDescriber


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_edit_is_described_in_words(school_store, op):
    text = ChangeDescriber(school_store).describe(op, GOOD_PAYLOADS[op])
    assert op not in text and len(text.split()) >= 3


def test_a_refused_mark_names_the_student_the_class_and_the_period(school_store):
    mark = next(iter(school_store.records("grade_marks")))
    student = school_store.record("students", mark["student_id"])
    period = school_store.record("marking_periods", mark["marking_period_id"])
    text = ChangeDescriber(school_store).describe("grade.mark", {**mark, "mark": "F"})
    assert text.startswith("Mark F for ")
    assert student["legal_last_name"] in text and period["name"] in text
