"""The catalog table read page by page and rewritten one item at a time, never over a concurrent change.

For ``ocop_stamps.migration``: items as plain dicts (numbers as ``Decimal``), the kinds asked
for only. A write sets and removes only the attributes a step changed, on condition that each
of them still holds the value read (and ``revision`` too, where the item has one: it is then
moved on, so the optimistic locks of ``repository`` see the change). A concurrent update makes
the condition fail; the caller reads the item again and applies its steps to what is there now.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ocop_stamps.core.settings import get_settings
from ocop_stamps.storage import faults

_ser = TypeSerializer()
_de = TypeDeserializer()
KEY = ("pk", "sk")


@lru_cache(maxsize=4)
def _client(region: str, endpoint: str) -> Any:
    return faults.dynamodb_client(region, endpoint)


def _call() -> tuple[Any, str]:
    settings = get_settings()
    return _client(settings.aws_region, settings.dynamodb_endpoint), settings.catalog_table


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


@faults.retrying
def catalog_page(
    kinds: Iterable[str], start: dict[str, Any] | None = None, limit: int = 100
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of the catalog table (``limit`` items read, those of ``kinds`` returned) and the
    key to start the next page from (None after the last)."""
    client, table = _call()
    names = sorted(set(kinds))
    values = {f":k{i}": {"S": kind} for i, kind in enumerate(names)}
    request: dict[str, Any] = {
        "TableName": table,
        "Limit": limit,
        "ConsistentRead": True,
        "FilterExpression": f"#kind IN ({', '.join(values)})",
        "ExpressionAttributeNames": {"#kind": "kind"},
        "ExpressionAttributeValues": values,
    }
    if start:
        request["ExclusiveStartKey"] = start
    resp = client.scan(**request)
    return [_plain(item) for item in resp.get("Items", [])], resp.get("LastEvaluatedKey")


@faults.retrying
def fresh(item: dict[str, Any]) -> dict[str, Any] | None:
    """The item with ``item``'s key as it is now (strongly consistent); None if it is gone."""
    client, table = _call()
    resp = client.get_item(TableName=table, Key={k: _ser.serialize(item[k]) for k in KEY}, ConsistentRead=True)
    return _plain(resp["Item"]) if "Item" in resp else None


@faults.retrying
def write_if_unchanged(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Write what changed from ``old`` to ``new`` (same key); False, writing nothing, when the item
    is gone or any changed attribute (or ``revision``) no longer holds its ``old`` value."""
    changed = sorted(k for k in new if k not in KEY and (k not in old or old[k] != new[k]))
    removed = sorted(k for k in old if k not in KEY and k not in new)
    if not changed and not removed:
        return True
    names: dict[str, str] = {"#pk": "pk"}
    values: dict[str, Any] = {}
    sets, removes, conditions = [], [], ["attribute_exists(#pk)"]
    for i, attr in enumerate(changed + removed):
        names[f"#a{i}"] = attr
        if attr in old:
            values[f":o{i}"] = _ser.serialize(old[attr])
            conditions.append(f"#a{i} = :o{i}")
        else:
            conditions.append(f"attribute_not_exists(#a{i})")
        if attr in new:
            values[f":n{i}"] = _ser.serialize(new[attr])
            sets.append(f"#a{i} = :n{i}")
        else:
            removes.append(f"#a{i}")
    if "revision" in old and "revision" not in changed + removed:
        names["#rev"] = "revision"
        values[":rev"] = _ser.serialize(old["revision"])
        values[":one"] = _ser.serialize(Decimal(1))
        conditions.append("#rev = :rev")
        sets.append("#rev = #rev + :one")
    expression = " ".join(
        part
        for part in (f"SET {', '.join(sets)}" if sets else "", f"REMOVE {', '.join(removes)}" if removes else "")
        if part
    )
    client, table = _call()
    try:
        client.update_item(
            TableName=table,
            Key={k: _ser.serialize(old[k]) for k in KEY},
            UpdateExpression=expression,
            ConditionExpression=" AND ".join(conditions),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
