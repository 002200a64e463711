"""infra/template.yaml for the template tests: its path, the loader (ocop_local.template) and
the table key schemas the design fixes, which the unit tier reads from the template and
the integration tier has moto create."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "infra" / "template.yaml"
TEMPLATE_DIR = TEMPLATE_PATH.parent

try:
    from ocop_local import template as cfn
except ModuleNotFoundError:  # not installed into the venv: import it from the source tree
    sys.path.insert(0, str(ROOT / "infra" / "local"))
    from ocop_local import template as cfn

__all__ = ["EXPECTED_TABLES", "ROOT", "TEMPLATE_DIR", "TEMPLATE_PATH", "cfn"]


def _keys(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": kind} for name, kind in pairs]


EXPECTED_TABLES: dict[str, dict[str, Any]] = {
    "CatalogTable": {
        "KeySchema": _keys(("pk", "HASH"), ("sk", "RANGE")),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "gsi1",
                "KeySchema": _keys(("gsi1pk", "HASH"), ("gsi1sk", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            },
            # sparse, products only: the Digital Link walk-up from /01/{gtin} (issue 11)
            {"IndexName": "by_gtin", "KeySchema": _keys(("gtin", "HASH")), "Projection": {"ProjectionType": "ALL"}},
        ],
    },
    "StampsTable": {"KeySchema": _keys(("code", "HASH"))},
    "ScansTable": {
        "KeySchema": _keys(("code", "HASH"), ("scan_key", "RANGE")),
        # inspector filters (issue 6): sharded partition keys "{value}#{0..7}", time-ordered sort key
        # and the producer's province (issue 11), sparse: "{home_province}#{0..7}" on scans elsewhere
        "GlobalSecondaryIndexes": [
            {
                "IndexName": f"by_{name}",
                "KeySchema": _keys((f"{shard}_shard", "HASH"), ("scan_key", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, shard in (
                *((n, n) for n in ("lot", "batch", "product", "producer", "province")),
                ("home_province", "home"),
                ("verdict", "verdict"),
            )
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    },
    "IdempotencyTable": {"KeySchema": _keys(("id", "HASH"))},
    "AlertsTable": {
        "KeySchema": _keys(("pk", "HASH"), ("sk", "RANGE")),
        "GlobalSecondaryIndexes": [
            {
                "IndexName": f"queue_by_{name}",
                "KeySchema": _keys((f"queue_{name}", "HASH"), ("queue_sk", "RANGE")),
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in ("province", "type")
        ],
    },
}
