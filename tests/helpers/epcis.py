"""GS1's EPCIS 2.0 JSON Schema (tests/data/epcis/) as a validator: the errors of a document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

DATA = Path(__file__).resolve().parents[1] / "data" / "epcis"
SCHEMA = json.loads((DATA / "EPCIS-JSON-Schema.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def validation_errors(doc: dict[str, Any]) -> list[str]:
    """Every schema error of ``doc`` as "path: message"; empty when the document is valid."""
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]
