"""One-off backfill (issue 11): give scan lines written before ``home_province`` existed their
producer's province, so the inspectors of that province see them (``keys.audience``).

Until it has run, an old line is seen by the inspectors of its place (``jurisdiction``, as
before) and by national scopes, not yet by those of its producer's province when that is
another. It walks the Scans table once (a Scan: an operator's job, never a request path),
only lines with ``producer_province`` and no ``home_province``, and sets both index
attributes with ``keys.fill``'s rule in one conditional UpdateItem each, so a rerun, or a run
beside live traffic, changes nothing twice. Run with the deployment's credentials and settings:

    PYTHONPATH=layers/domain python -m ocop_stamps.storage.backfill
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.core.settings import get_settings
from ocop_stamps.storage import faults
from ocop_stamps.storage.inspection import client, from_ddb, to_ddb
from ocop_stamps.storage.keys import home_province, shard_of


def home_provinces(page_size: int = 500) -> dict[str, int]:
    """Set ``home_province`` (and ``home_shard`` when it is not the line's place) on every old
    line; ``{"read": lines read, "updated": lines changed}``."""
    table = get_settings().scans_table
    read = updated = 0
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "Limit": page_size,
            "FilterExpression": "attribute_exists(producer_province) AND attribute_not_exists(home_province)",
            "ProjectionExpression": "code, scan_key, producer_province, jurisdiction",
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        resp = faults.retrying(client().scan)(**kwargs)
        for raw in resp.get("Items", []):
            read += 1
            updated += _fill_one(table, from_ddb(raw))
        start = resp.get("LastEvaluatedKey")
        if not start:
            return {"read": read, "updated": updated}


def _fill_one(table: str, line: dict[str, Any]) -> int:
    home = home_province(line.get("producer_province"))
    if home is None:
        return 0
    names, values = {"#h": "home_province"}, {":h": home}
    expression = "SET #h = :h"
    if home != line.get("jurisdiction"):
        names["#s"] = "home_shard"
        values[":s"] = f"{home}#{shard_of(line['code'], line['scan_key'])}"
        expression += ", #s = :s"
    c = client()
    try:
        faults.retrying(c.update_item)(
            TableName=table,
            Key=to_ddb({"code": line["code"], "scan_key": line["scan_key"]}),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(code) AND attribute_not_exists(home_province)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_ddb(values),
        )
    except c.exceptions.ConditionalCheckFailedException:
        return 0  # gone (TTL) or filled meanwhile
    return 1


if __name__ == "__main__":  # pragma: no cover - an operator's command
    print(home_provinces())
