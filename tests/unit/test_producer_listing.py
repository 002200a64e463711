"""The OCOP office's list of producers: a producer stored before the list existed joins it
through the migration step, keyed by its registration time; a listed one is left alone."""

from __future__ import annotations

from ocop_stamps.migration.steps import STEPS, producer_listed


def test_given_an_unlisted_producer_when_migrated_then_it_is_listed_by_its_registration_time() -> None:
    old = {"kind": "producer", "producer_id": "hoan-hoa", "created_at": "2025-03-01T02:00:00Z"}

    moved = producer_listed(old)

    assert moved["gsi1pk"] == "PRODUCERS" and moved["gsi1sk"] == "PRODUCER#2025-03-01T02:00:00Z#hoan-hoa"
    assert producer_listed(moved) is moved  # a second run changes nothing
    assert "producers-listed" in [s.name for s in STEPS if "producer" in s.kinds]
