"""Data access for inspectors (issue 6): scan-log queries, the Alerts table, field checks.

The Alerts table holds three kinds of item (docs/DATA-MODEL.md):

* ``pk=ALERT#{alert_id}``, ``sk=ALERT`` -- one alert per (type, subject, window), its
  status, occurrences and history; ``queue_province``/``queue_type`` + ``queue_sk`` put
  it in the alert-queue indexes (``{status}#{province}``, ``{status}#{type}``).
* ``pk=ALERT#{alert_id}``, ``sk=SEE#{province}`` -- the alert's entry in the queue of each
  other province that sees it (``keys.audience``, issue 11): ``queue_province`` + ``queue_sk``.
* ``pk=STATS#{scope}#{shard}``, ``sk={day}`` -- daily counters (``v:{verdict}``,
  ``p:{province}``) the detector adds to; summaries read them, never raw scans.
* ``pk=SEEN#{code}``, ``sk={scan_key}`` -- the detector's marker that a stream record was
  processed, written in the same transaction as its effects (idempotency); TTL-expired.
* ``pk=BURST#{kind}#{value}``, ``sk={window}`` -- unknown-code counters per client hash or
  place and window (enumeration), TTL-expired.

The table is reached with the low-level client: attribute names such as ``v:genuine``
are data, not a fixed schema.
Functions doing I/O are traced (``ocop_stamps.observability``) and retried on a DynamoDB
fault (``faults.retrying``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.text import nfc
from ocop_stamps.observability import tracer
from ocop_stamps.storage import faults
from ocop_stamps.storage.models import EventItem, ScanItem

_ser = TypeSerializer()
_de = TypeDeserializer()


@lru_cache(maxsize=4)
def _client(region: str, endpoint: str) -> Any:
    return faults.dynamodb_client(region, endpoint)


def client() -> Any:
    settings = get_settings()
    return _client(settings.aws_region, settings.dynamodb_endpoint)


def table() -> str:
    return get_settings().alerts_table


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in item.items() if v is not None}


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in nfc(item).items()}  # text in NFC (core.text)


def plain(value: Any) -> Any:
    """Decimals from DynamoDB as int/float, recursively (JSON-ready)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    return value


# --- scans ---------------------------------------------------------------------------------
@dataclass
class Result:
    items: list[ScanItem]
    exhausted: bool


@tracer.capture_method(capture_response=False)
@faults.retrying
def query_scans(
    index: str | None, partition: str, range_cond: Any, filter_cond: Any, limit: int, start: dict[str, Any] | None
) -> Result:
    """Newest first from one partition of the table or of an index; ``exhausted`` when the
    partition has nothing more that matches."""
    results = ScanItem.query(
        partition,
        range_cond,
        filter_cond,
        index_name=index,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=start,
    )
    items = list(results)
    return Result(items, len(items) < limit or results.last_evaluated_key is None)


@tracer.capture_method(capture_response=False)
@faults.retrying
def recent_scans_of_code(code: str, since: str, limit: int = 500) -> list[ScanItem]:
    """The code's scans since ``since`` (newest first): the detector's time windows."""
    return list(
        ScanItem.query(
            code,
            ScanItem.scan_key >= since,
            scan_index_forward=False,
            limit=limit,
            attributes_to_get=[
                *("code", "scan_key", "scanned_at", "verdict", "jurisdiction", "province", "country", "kind"),
                "client_hash",  # distinct scanners, not page loads (issue 11)
            ],
        )
    )


# --- alerts table --------------------------------------------------------------------------
@tracer.capture_method(capture_response=False)
@faults.retrying
def get(pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
    resp = client().get_item(TableName=table(), Key=to_ddb({"pk": pk, "sk": sk}), ConsistentRead=consistent)
    return from_ddb(resp["Item"]) if "Item" in resp else None


@tracer.capture_method(capture_response=False)
@faults.retrying
def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    if not keys:
        return {}
    resp = client().batch_get_item(
        RequestItems={table(): {"Keys": [to_ddb({"pk": pk, "sk": sk}) for pk, sk in keys], "ConsistentRead": True}}
    )
    if resp.get("UnprocessedKeys"):  # throttled in part: read all again after a wait (faults.retrying)
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "unprocessed keys"}},
            "BatchGetItem",
        )
    found = {}
    for raw in resp.get("Responses", {}).get(table(), []):
        item = from_ddb(raw)
        found[(item["pk"], item["sk"])] = item
    return found


class TransactionCancelled(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons)
        self.reasons = reasons  # one code per operation, "None" where it did not fail


@tracer.capture_method(capture_response=False)
@faults.retrying
def transact(operations: list[dict[str, Any]]) -> None:
    """TransactWriteItems on the Alerts table; ``TransactionCancelled`` says which failed."""
    c = client()
    try:
        c.transact_write_items(TransactItems=operations)
    except c.exceptions.TransactionCanceledException as exc:
        reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
        raise TransactionCancelled(reasons) from exc


@tracer.capture_method(capture_response=False)
@faults.retrying
def update(
    pk: str, sk: str, expression: str, names: dict[str, str], values: dict[str, Any], condition: str | None = None
) -> dict[str, Any] | None:
    """UpdateItem returning the new item; None when ``condition`` did not hold."""
    c = client()
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "Key": to_ddb({"pk": pk, "sk": sk}),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_ddb(values),
        "ReturnValues": "ALL_NEW",
    }
    if condition:
        kwargs["ConditionExpression"] = condition
    try:
        resp = c.update_item(**kwargs)
    except c.exceptions.ConditionalCheckFailedException:
        return None
    return from_ddb(resp["Attributes"])


@tracer.capture_method(capture_response=False)
@faults.retrying
def query_partition(
    pk_value: str,
    *,
    index: str | None = None,
    pk_name: str = "pk",
    sk_name: str = "sk",
    sk_between: tuple[str, str] | None = None,
    sk_below: str | None = None,
    newest_first: bool = True,
    limit: int = 100,
    start: dict[str, Any] | None = None,
    filter_expression: str | None = None,
    filter_names: dict[str, str] | None = None,
    filter_values: dict[str, Any] | None = None,
    count_only: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
    """One Query page: (items, LastEvaluatedKey as plain values, count). ``sk_below``: only
    sort keys below it (a merged list's watermark, ``inspection.alerts``)."""
    names = {"#pk": pk_name, **(filter_names or {})}
    values: dict[str, Any] = {":pk": pk_value, **(filter_values or {})}
    condition = "#pk = :pk"
    if sk_between:
        names["#sk"] = sk_name
        values[":lo"], values[":hi"] = sk_between
        condition += " AND #sk BETWEEN :lo AND :hi"
    elif sk_below is not None:
        names["#sk"] = sk_name
        values[":below"] = sk_below
        condition += " AND #sk < :below"
    kwargs: dict[str, Any] = {
        "TableName": table(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_ddb(values),
        "ScanIndexForward": not newest_first,
        "Limit": limit,
    }
    if index:
        kwargs["IndexName"] = index
    if start:
        kwargs["ExclusiveStartKey"] = to_ddb(start)
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    if count_only:
        kwargs["Select"] = "COUNT"
    resp = client().query(**kwargs)
    last = from_ddb(resp["LastEvaluatedKey"]) if "LastEvaluatedKey" in resp else None
    return [from_ddb(i) for i in resp.get("Items", [])], last, int(resp.get("Count", 0))


# --- field checks: EPCIS events next to the lot's history -----------------------------------
@tracer.capture_method(capture_response=False)
@faults.retrying
def append_event(event: EventItem) -> None:
    """Written only if absent: history is append-only (as repository._save_events)."""
    try:
        event.save(condition=EventItem.sk.does_not_exist())
    except PutError as exc:  # pragma: no cover - a uuid-keyed event never collides
        raise RuntimeError("event already recorded") from exc
