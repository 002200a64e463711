"""The verification log names the lot and the product as people do (issue 12, found by testing):
the producer's lot code and the product's name on each line of ``GET /scans`` and as the last
two columns of ``scans.csv``, written with the line from what the scan already read; lines
written before keep reading, with empty cells (docs/DATA-MODEL.md, "Scan records")."""

from __future__ import annotations

import csv
import io
from typing import Any

import boto3

from helpers.handlers import Shop, http_event, inspector, invoke, invoke_json, scan
from ocop_stamps.inspection.queries import CSV_COLUMNS

# The columns of scans.csv as they were before the names were added: scripts read them by place.
COLUMNS_BEFORE = [
    "scanned_at", "scanned_at_vn", "code", "verdict", "verdicts", "scan_no", "batch_id", "serial", "lot_id",
    "product_id", "producer_id", "jurisdiction", "jurisdiction_name", "country", "channel", "client_hash",
    "ua_family", "reason", "report_where", "report_note", "label_lot", "flags", "kind", "home_province",
    "jurisdiction_recorded",
]  # fmt: skip


def _log(**query: str) -> list[dict[str, Any]]:
    status, body = invoke_json(
        "inspector_api", http_event("GET", "/scans", route="/scans", claims=inspector(), query=query)
    )
    assert status == 200, body
    return body["items"]


def _csv(**query: str) -> list[list[str]]:
    status, _, body = invoke(
        "inspector_api", http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(), query=query)
    )
    assert status == 200, body
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def _report(code: str) -> None:
    event = http_event(
        "POST",
        f"/v/{code}/report",
        route="/v/{code}/report",
        path_parameters={"code": code},
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    event["body"] = "where=Ch%E1%BB%A3+Xanh%2C+H%C3%A0+N%E1%BB%99i&note=Tem+m%E1%BB%9D"
    status, _, body = invoke("public_scan", event)
    assert status in (201, 303), body


def test_given_a_scan_then_the_log_names_its_lot_by_the_producers_code_and_its_product_by_name(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code)

    (line,) = _log(code=code)
    assert line["lot_code"] == "HH-2026-11" and line["lot_id"] == shop.lot["lot_id"]
    assert line["product_name"] == shop.product["name"] and line["product_id"] == shop.product_id


def test_given_a_scan_then_the_csv_adds_lot_code_and_product_name_last_and_keeps_every_column_in_place(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code)

    header, row = _csv(code=code)
    names = [h.split(" (")[0] for h in header]
    assert names[: len(COLUMNS_BEFORE)] == COLUMNS_BEFORE
    assert names[len(COLUMNS_BEFORE) :] == ["lot_code", "product_name"]
    assert header[-2:] == ["lot_code (mã lô)", "product_name (tên sản phẩm)"]
    assert row[-2:] == ["HH-2026-11", shop.product["name"]]
    assert row[names.index("lot_id")] == shop.lot["lot_id"]


def test_given_a_line_written_before_the_names_then_it_still_reads_with_empty_cells_not_the_lot_id(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code)
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    (item,) = client.query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    client.update_item(  # as a line of before: no lot_code, no product_name
        TableName="ocop-scans",
        Key={"code": item["code"], "scan_key": item["scan_key"]},
        UpdateExpression="REMOVE lot_code, product_name",
    )

    (line,) = _log(code=code)
    assert "lot_code" not in line and "product_name" not in line and line["lot_id"] == shop.lot["lot_id"]
    header, row = _csv(code=code)
    assert len(row) == len(header) == len(CSV_COLUMNS) and row[-2:] == ["", ""]


def test_given_a_consumer_report_then_its_line_names_the_lot_and_the_product_too(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code)  # the page the report is sent from
    _report(code)

    (line,) = [i for i in _log(code=code) if i["verdict"] == "report"]
    assert line["lot_code"] == "HH-2026-11" and line["product_name"] == shop.product["name"]


def test_given_a_stamp_not_yet_bound_to_a_lot_then_its_line_names_the_product_and_no_lot(shop: Shop):
    code = shop.codes(1, 1)[0]
    scan(code)

    (line,) = _log(code=code)
    assert line["verdict"] == "not_activated" and line["product_name"] == shop.product["name"]
    assert "lot_code" not in line and "lot_id" not in line
