"""The GS1 Digital Link path parser, on plain strings (the resolver itself: tests/integration)."""

from __future__ import annotations

from ocop_stamps.scanning import digital_link as dl


def test_given_the_parser_then_valid_paths_read_back_to_their_canonical_form():
    link = dl.parse_path("/01/8930000000019/22/A1/10/HH%2F2026/21/ABC/")

    assert link == dl.DigitalLink("08930000000019", "A1", "HH/2026", "ABC")
    assert link.path() == "/01/08930000000019/22/A1/10/HH%2F2026/21/ABC"
