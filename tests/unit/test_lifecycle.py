"""GS1's EPCIS 2.0 JSON Schema, as the validator every EPCIS document is held against
(the documents themselves: tests/integration/test_lifecycle.py)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.epcis import validation_errors as _valid


def test_the_schema_validator_accepts_gs1s_own_example_and_rejects_a_broken_one():
    example = json.loads(
        (Path(__file__).parents[1] / "data" / "epcis" / "Example_9.6.1-ObjectEventWithDigitalLink.jsonld").read_text()
    )
    assert _valid(example) == []
    example["epcisBody"]["eventList"][0]["action"] = "SHOUT"
    assert _valid(example)
