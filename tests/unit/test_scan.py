"""Verdict rules on plain facts (scanning stamps through the handler: tests/integration)."""

from __future__ import annotations

import datetime as dt


def test_given_several_problems_then_all_are_returned_most_serious_first():
    from ocop_stamps.scanning.verdicts import StampFacts, judge

    facts = StampFacts(activated=False, scanners=50, repeat_threshold=10, recalled=True, void=True)
    assert [v.value for v in judge(facts, dt.date(2026, 1, 1))] == ["recalled", "void", "not_activated", "repeat"]
