"""Inspectors (issue 6): filtered verification logs in scope, CSV export, alerts raised from
the Scans table's stream (scans in, alert out), the alert workflow, notifications, field
checks in the lot's EPCIS history, summaries and SVG charts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from typing import Any

import boto3
import pytest

from helpers.epcis import validation_errors as _valid
from helpers.handlers import (
    EVENTS,
    FakeContext,
    Shop,
    claims,
    http_event,
    inspector,
    invoke,
    invoke_json,
    load_handler,
    scan,
)
from helpers.visits import networks, visit
from ocop_local import streams
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import VN_TZ

HANOI = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
HCMC = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "SG"}


def api(method: str, path: str, route: str, who: dict | None = None, **kw: Any) -> tuple[int, Any]:
    return invoke_json("inspector_api", http_event(method, path, route=route, claims=who or inspector(), **kw))


def log(who: dict | None = None, **query: str) -> tuple[int, dict]:
    return api("GET", "/scans", "/scans", who, query=query)


def alerts(who: dict | None = None, **query: str) -> list[dict]:
    status, body = api("GET", "/alerts", "/alerts", who, query=query)
    assert status == 200, body
    return body["items"]


def notifications(inbox: str) -> list[str]:
    sqs = boto3.client("sqs", region_name="ap-southeast-1")
    out = []
    while msgs := sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", []):
        for m in msgs:
            out.append(m["Body"])
            sqs.delete_message(QueueUrl=inbox, ReceiptHandle=m["ReceiptHandle"])
    return out


# --- the log: filters, scope, pages, no table scans -----------------------------------------------
def test_given_scans_in_three_places_when_filtered_by_province_then_only_that_provinces_scans(shop: Shop):
    shop.activate(1, 10)
    codes = shop.codes(1, 3)
    scan(codes[0], headers=HANOI)
    scan(codes[1], headers=HCMC)
    scan(codes[2])  # no place from the edge: counts for the producer's province

    assert len(log(lot=shop.lot["lot_id"])[1]["items"]) == 3
    assert [i["code"] for i in log(province="Hà Nội")[1]["items"]] == [codes[0]]
    assert [i["code"] for i in log(province="VN-SG")[1]["items"]] == [codes[1]]
    assert [i["code"] for i in log(province="ha noi", verdict="genuine")[1]["items"]] == [codes[0]]


def test_given_an_inspector_of_hanoi_then_only_hanoi_scans_show_and_other_provinces_are_refused(shop: Shop):
    shop.activate(1, 10)
    codes = shop.codes(1, 2)
    scan(codes[0], headers=HANOI)
    scan(codes[1], headers=HCMC)
    hanoi = inspector("Hà Nội")

    assert [i["code"] for i in log(hanoi, lot=shop.lot["lot_id"])[1]["items"]] == [codes[0]]
    assert [i["code"] for i in log(hanoi)[1]["items"]] == [codes[0]]
    assert log(hanoi, province="VN-SG")[0] == 403
    assert log(inspector(None))[0] == 403  # no provinces at all: nothing
    assert len(log(claims("admin"), lot=shop.lot["lot_id"])[1]["items"]) == 2


def test_given_every_filter_when_queried_then_only_queries_run_never_a_scan(shop: Shop, ddb_calls: list):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code, headers=HANOI)
    day = dt.datetime.now(VN_TZ).date().isoformat()  # date filters are Vietnamese days (core.dates)
    queries = [
        {"code": code},
        {"batch": shop.batch_id},
        {"lot": shop.lot["lot_id"]},
        {"product": shop.product_id},
        {"producer": shop.producer_id},
        {"province": "VN-HN"},
        {"verdict": "genuine"},
        {"from": day, "to": day},
    ]
    ddb_calls.clear()
    for q in queries:
        status, body = log(**q)
        assert status == 200 and [i["code"] for i in body["items"]] == [code], q

    assert {op for _, op in ddb_calls} == {"Query"}


def test_given_a_hot_lot_when_paged_then_every_scan_appears_once_newest_first_across_shards(shop: Shop):
    shop.activate(1, 40)
    for code in shop.codes(1, 25):
        scan(code)
    records = [r for r in _scan_items() if r.get("lot_shard")]
    assert len({r["lot_shard"] for r in records}) > 3  # spread over shards, not one partition

    seen, cursor = [], None
    while True:
        q = {"lot": shop.lot["lot_id"], "limit": "7", **({"cursor": cursor} if cursor else {})}
        status, body = log(**q)
        assert status == 200, body
        seen += [(i["scanned_at"], i["code"]) for i in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert len(seen) == 25 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_given_a_cursor_from_another_query_then_400(shop: Shop):
    shop.activate(1, 10)
    for code in shop.codes(1, 3):
        scan(code)
    cursor = log(lot=shop.lot["lot_id"], limit="1")[1]["next_cursor"]
    status, body = log(verdict="genuine", cursor=cursor)
    assert status == 400 and "cursor" in body["error"]["message"]


def _scan_items() -> list[dict]:
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    items = client.scan(TableName="ocop-scans")["Items"]  # the test reads the table, the API never does
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def test_given_a_scan_then_its_record_has_ttl_salt_version_and_no_raw_address(shop: Shop):
    shop.activate(1, 10)
    scan(shop.codes(1, 1)[0], headers=HANOI)
    (record,) = _scan_items()

    years = (int(record["expires_at"]) - time.time()) / (365.25 * 86400)
    assert 4.9 < years < 5.1
    assert record["salt_version"] == "1" and len(record["client_hash"]) == 24
    assert "203.0.113.7" not in json.dumps(record)
    assert record["jurisdiction"] == "01"  # Hà Nội, by its GSO code (issue 12)


# --- CSV export -------------------------------------------------------------------------------------
def test_given_a_lot_when_exported_then_csv_has_a_bom_vietnamese_headers_and_every_row(shop: Shop):
    shop.activate(1, 10)
    for code in shop.codes(1, 4):
        scan(code, headers=HANOI)
    event = http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(), query={"lot": shop.lot["lot_id"]})
    status, headers, body = invoke("inspector_api", event)

    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert "mã tem" in rows[0][2] and len(rows) == 5
    assert {r[12] for r in rows[1:]} == {"Thành phố Hà Nội"}


def test_given_more_rows_than_a_part_then_a_link_points_at_the_next_part(shop: Shop):
    shop.activate(1, 10)
    for code in shop.codes(1, 5):
        scan(code)
    query = {"lot": shop.lot["lot_id"], "rows": "3"}
    _, headers, body = invoke(
        "inspector_api", http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(), query=query)
    )
    assert len(body.strip().splitlines()) == 4 and 'rel="next"' in headers["link"]
    cursor = headers["link"].split("cursor=")[1].split(">")[0]
    from urllib.parse import unquote

    query["cursor"] = unquote(cursor)
    _, headers2, body2 = invoke(
        "inspector_api", http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(), query=query)
    )
    assert len(body2.strip().splitlines()) == 3 and "link" not in headers2


# --- the detector: scans in, alerts out -------------------------------------------------------------
def test_given_three_devices_checking_a_code_in_a_day_then_one_repeat_alert_counting_occurrences(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for _ in range(4):
        scan(code)  # one device checking again and again: no alert (issue 11)
    detector()
    assert [a for a in alerts() if a["type"] == "repeat_24h"] == []
    for ip in networks(4):  # four more devices
        visit(f"/v/{code}", ip=ip)
    detector()

    (alert,) = [a for a in alerts() if a["type"] == "repeat_24h"]
    assert alert["occurrences"] == 3  # the 3rd, 4th and 5th device
    assert alert["code"] == code and alert["status"] == "open"
    assert "24 giờ" in alert["summary_vi"]


def test_given_the_same_stream_records_twice_then_nothing_is_raised_or_counted_twice(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(4):
        visit(f"/v/{code}", ip=ip)
    reader = streams.StreamReader("ocop-scans")
    records = reader.read()
    handler = load_handler("anomaly_detector").lambda_handler
    first = handler({"Records": records}, FakeContext())
    again = handler({"Records": records}, FakeContext())

    assert first == again == {"batchItemFailures": []}
    (alert,) = [a for a in alerts() if a["type"] == "repeat_24h"]
    assert alert["occurrences"] == 2
    status, summary = api("GET", "/summary", "/summary")
    assert status == 200 and summary["totals"] == {"genuine": 4}  # counted once each


def test_given_the_sample_stream_event_then_a_recalled_scan_raises_an_alert_once(aws):
    event = json.loads((EVENTS / "ddb-stream-scan-insert.json").read_text(encoding="utf-8"))
    handler = load_handler("anomaly_detector").lambda_handler

    assert handler(event, FakeContext()) == {"batchItemFailures": []}
    assert handler(event, FakeContext()) == {"batchItemFailures": []}
    (alert,) = alerts(claims("admin"))
    assert (alert["type"], alert["occurrences"], alert["subject"]) == ("recalled_scanned", 1, "lot:lot_sample")


def test_given_a_code_in_hanoi_then_saigon_ten_minutes_apart_then_impossible_travel(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    scan(code, headers=HANOI)
    scan(code, headers=HCMC)
    detector()

    (alert,) = [a for a in alerts() if a["type"] == "impossible_travel"]
    assert alert["detail"]["from"] == "01" and alert["detail"]["to"] == "79"
    assert "Hà Nội" in alert["summary_vi"] and "Hồ Chí Minh" in alert["summary_vi"]


def test_given_a_burst_of_unknown_codes_from_one_client_then_an_enumeration_alert(aws, detector, monkeypatch):
    monkeypatch.setenv("OCOP_BURST_CLIENT", "5")
    get_settings.cache_clear()
    for i in range(7):
        scan(f"ABCD-EFGH-JKMN-PQR{i}")
    detector()

    (alert,) = [a for a in alerts() if a["type"] == "unknown_burst"]
    assert alert["subject"].startswith("client:") and alert["occurrences"] == 3  # the 5th, 6th, 7th


@pytest.mark.parametrize("verdict", ["void", "recalled", "not_activated", "expired"])
def test_given_a_scan_of_a_stamp_that_should_not_be_out_there_then_an_alert(shop: Shop, detector, verdict: str):
    code = shop.codes(1, 1)[0]
    if verdict != "not_activated":
        lot = (
            shop.new_lot(
                "HH-OLD", production_date="2023-01-10", expiry_date="2024-01-10", origin={"province": "Thái Nguyên"}
            )
            if verdict == "expired"
            else shop.lot
        )
        shop.activate(1, 1, lot_id=lot["lot_id"])
    if verdict == "void":
        from helpers.handlers import for_batch, with_body

        event = with_body(
            for_batch(shop.event("producer-activate", LOT_ID=shop.lot["lot_id"]), shop.batch_id),
            first_serial=1,
            last_serial=1,
        )
        event["rawPath"] = event["rawPath"].replace("activations", "voids")
        event["routeKey"] = event["requestContext"]["routeKey"] = "POST /batches/{batch_id}/voids"
        body = json.loads(event["body"])
        event["body"] = json.dumps({"first_serial": 1, "last_serial": 1, "reason": "damaged"})
        assert invoke_json("producer_api", event)[0] == 201, body
    if verdict == "recalled":
        event = http_event(
            "POST",
            f"/lots/{shop.lot['lot_id']}/recall",
            route="/lots/{lot_id}/recall",
            body={"reason": "Mẫu không đạt", "message_vi": "Ngừng sử dụng."},
            claims=claims("producer", shop.producer_id),
            path_parameters={"lot_id": shop.lot["lot_id"]},
        )
        assert invoke_json("producer_api", event)[0] in (200, 201)
    assert scan(code)[1]["verdict"] == verdict
    scan(code)
    detector()

    (alert,) = [a for a in alerts() if a["type"] == f"{verdict}_scanned"]
    assert alert["occurrences"] == 2


def test_given_a_consumer_report_then_an_alert_and_a_vietnamese_notification_with_a_link(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    event = http_event(
        "POST",
        f"/v/{code}/report",
        route="/v/{code}/report",
        path_parameters={"code": code},
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    event["body"] = "where=Ch%E1%BB%A3+Xanh&note=Tem+m%E1%BB%9D"
    status, _, _ = invoke("public_scan", event)
    assert status in (201, 303)
    detector()

    (alert,) = alerts(claims("admin"), type="consumer_report")
    assert "Chợ Xanh" in alert["summary_vi"]
    (message,) = notifications(detector.inbox)
    assert "Cảnh báo mới" in message and f"/alerts/{alert['alert_id']}" in message


# --- the workflow -----------------------------------------------------------------------------------
def test_given_an_alert_when_acknowledged_then_resolved_then_each_step_is_in_its_history(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):  # three devices in a day: a repeat alert
        visit(f"/v/{code}", ip=ip)
    detector()
    (alert,) = alerts()
    path = f"/alerts/{alert['alert_id']}/status"
    route = "/alerts/{alert_id}/status"
    pp = {"alert_id": alert["alert_id"]}

    status, body = api(
        "POST", path, route, body={"status": "acknowledged", "note": "Đang xác minh"}, path_parameters=pp
    )
    assert status == 200 and body["status"] == "acknowledged"
    assert api("POST", path, route, body={"status": "resolved"}, path_parameters=pp)[0] == 400  # why?
    status, body = api(
        "POST", path, route, body={"status": "resolved", "note": "Khách quét nhiều lần"}, path_parameters=pp
    )
    assert status == 200
    assert [(h["status"], h["by"]) for h in body["history"]] == [
        ("open", "detector"),
        ("acknowledged", "user-inspector"),
        ("resolved", "user-inspector"),
    ]
    assert api("POST", path, route, body={"status": "dismissed", "note": "x"}, path_parameters=pp)[0] == 409
    assert alerts() == [] and len(alerts(status="resolved")) == 1


def test_given_an_alert_in_hanoi_then_an_inspector_of_another_province_neither_sees_nor_moves_it(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):  # three devices in Hà Nội in a day: a repeat alert there
        visit(f"/v/{code}", ip=ip, headers=HANOI)
    detector()
    (alert,) = alerts(inspector("Hà Nội"))
    other = inspector("Cao Bằng")

    assert alerts(other) == []
    status, _ = api(
        "GET",
        f"/alerts/{alert['alert_id']}",
        "/alerts/{alert_id}",
        other,
        path_parameters={"alert_id": alert["alert_id"]},
    )
    assert status == 404


# --- field checks ------------------------------------------------------------------------------------
def test_given_a_field_check_then_it_is_an_epcis_inspecting_event_in_the_lots_history(shop: Shop):
    shop.activate(1, 10)
    codes = shop.codes(1, 2)
    body = {
        "lot_id": shop.lot["lot_id"],
        "date": time.strftime("%Y-%m-%d"),
        "place": "Chợ Đồng Xuân, quầy 12",
        "province": "Hà Nội",
        "codes": codes,
        "result": "fail",
        "note": "Tem in mờ, nghi giả",
    }
    status, made = api("POST", "/field-checks", "/field-checks", body=body)
    assert status == 201, made

    event = http_event(
        "GET",
        f"/lots/{shop.lot['lot_id']}/epcis",
        route="/lots/{lot_id}/epcis",
        claims=inspector(),
        path_parameters={"lot_id": shop.lot["lot_id"]},
    )
    status, doc = invoke_json("producer_api", event)
    checks = [e for e in doc["epcisBody"]["eventList"] if e.get("bizStep") == "inspecting"]
    assert len(checks) == 1 and checks[0]["disposition"] == "non_conformant"
    assert checks[0]["ocop:place"] == "Chợ Đồng Xuân, quầy 12" and len(checks[0]["epcList"]) == 2
    assert _valid(doc) == []


def test_given_a_field_check_naming_stamps_of_another_lot_then_409_listing_them_and_nothing_is_recorded(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    shop.activate(1, 10)
    other.activate(1, 10)
    own, foreign, unbound = other.codes(1, 1)[0], shop.codes(2, 2)[0], other.codes(50, 50)[0]
    body = {
        "lot_id": other.lot["lot_id"],
        "date": time.strftime("%Y-%m-%d"),
        "place": "Chợ Đồng Xuân",
        "province": "Hà Nội",
        "codes": [own, foreign, unbound],
        "result": "suspect",
    }

    status, answer = api("POST", "/field-checks", "/field-checks", body=body)

    assert status == 409, answer
    error = answer["error"]
    assert error["code"] == "stamps_not_in_lot"
    assert [(d["code"], d["problem"]) for d in error["details"]] == [
        (foreign, "bound to another lot"),
        (unbound, "not activated: bound to no lot"),
    ]
    assert foreign in error["message"] and foreign in error["message_vi"] and own not in error["message"]
    assert shop.lot["lot_id"] not in error["message"]  # the other lot is not named to this inspector
    event = http_event(
        "GET",
        f"/lots/{other.lot['lot_id']}/epcis",
        route="/lots/{lot_id}/epcis",
        claims=inspector(),
        path_parameters={"lot_id": other.lot["lot_id"]},
    )
    _, doc = invoke_json("producer_api", event)
    assert [e for e in doc["epcisBody"]["eventList"] if e.get("bizStep") == "inspecting"] == []
    assert api("POST", "/field-checks", "/field-checks", body={**body, "codes": [own]})[0] == 201


def test_given_a_field_check_outside_scope_or_on_a_missing_lot_then_refused(shop: Shop):
    body = {"lot_id": shop.lot["lot_id"], "date": "2026-11-20", "place": "Chợ", "province": "VN-SG", "result": "pass"}
    assert api("POST", "/field-checks", "/field-checks", inspector("Hà Nội"), body=body)[0] == 403
    assert api("POST", "/field-checks", "/field-checks", body={**body, "lot_id": "lot_missing"})[0] == 404
    assert api("POST", "/field-checks", "/field-checks", body={**body, "result": "maybe"})[0] == 422


# --- summary and charts ------------------------------------------------------------------------------
def test_given_scans_when_summarised_then_counters_answer_and_the_svg_charts_are_escaped(
    shop: Shop, detector, ddb_calls
):
    shop.activate(1, 10)
    codes = shop.codes(1, 12)
    for code in codes[:3]:
        scan(code, headers=HANOI)
    scan(codes[11])  # not activated
    detector()
    ddb_calls.clear()
    status, body = api("GET", "/summary", "/summary", query={"days": "7"})

    assert status == 200
    assert body["totals"] == {"genuine": 3, "not_activated": 1}
    assert body["top_provinces"][0] == {"province": "01", "name": "Thành phố Hà Nội", "scans": 3}
    assert body["open_alerts"] == {"not_activated_scanned": 1}
    assert {op for _, op in ddb_calls} == {"Query"}
    assert api("GET", "/summary", "/summary", query={"product": shop.product_id})[1]["totals"]["genuine"] == 3

    for chart in ("verdicts", "provinces", "alerts"):
        event = http_event(
            "GET", "/summary/chart.svg", route="/summary/chart.svg", claims=inspector(), query={"chart": chart}
        )
        status, headers, svg = invoke("inspector_api", event)
        assert status == 200 and headers["content-type"].startswith("image/svg+xml")
        assert svg.startswith("<svg") and "<script" not in svg
    assert (
        "Hà Nội"
        in invoke(
            "inspector_api",
            http_event(
                "GET",
                "/summary/chart.svg",
                route="/summary/chart.svg",
                claims=inspector(),
                query={"chart": "provinces"},
            ),
        )[2]
    )
