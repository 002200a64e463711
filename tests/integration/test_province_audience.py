"""Scans and alerts reach the inspectors of the producer's province AND of the place of the scan
(issue 11, fault 7): a Thái Nguyên producer's stamp cloned and scanned in Hà Nội and TP.HCM is
seen in Thái Nguyên (scans, CSV, the alert, its workflow, the summary, the e-mail), in Hà Nội
(its scan and the alert) and nowhere else; pages over the merged reads hold every line once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from helpers.handlers import Shop, claims, csv_rows, http_event, inspector, invoke, invoke_json
from helpers.visits import networks, visit

HANOI = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
HCMC = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "SG"}
DA_NANG = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "DN"}


THAI_NGUYEN, HA_NOI, SAI_GON, DA_NANG_INSPECTOR = (
    inspector("Thái Nguyên"),
    inspector("Hà Nội"),
    inspector("VN-SG"),
    inspector("Đà Nẵng"),
)


def api(method: str, path: str, route: str, who: dict[str, Any], **kw: Any) -> tuple[int, Any]:
    return invoke_json("inspector_api", http_event(method, path, route=route, claims=who, **kw))


def log(who: dict[str, Any], **query: str) -> list[dict[str, Any]]:
    status, body = api("GET", "/scans", "/scans", who, query=query)
    assert status == 200, body
    return body["items"]


def alerts(who: dict[str, Any], **query: str) -> list[dict[str, Any]]:
    status, body = api("GET", "/alerts", "/alerts", who, query=query)
    assert status == 200, body
    return body["items"]


def one_alert(who: dict[str, Any], alert_id: str) -> int:
    return api("GET", f"/alerts/{alert_id}", "/alerts/{alert_id}", who, path_parameters={"alert_id": alert_id})[0]


def move(who: dict[str, Any], alert_id: str, status: str, note: str = "") -> tuple[int, Any]:
    return api(
        "POST",
        f"/alerts/{alert_id}/status",
        "/alerts/{alert_id}/status",
        who,
        body={"status": status, "note": note or "Đã xác minh"},
        path_parameters={"alert_id": alert_id},
    )


@pytest.fixture
def cloned(shop: Shop, detector: Any) -> tuple[Shop, str]:
    """A Thái Nguyên producer's stamp, scanned in Hà Nội, then ten minutes later (in moto's
    time: at once) in TP.HCM by another phone: an impossible_travel alert."""
    assert shop.producer["address"]["province"] == "Tỉnh Thái Nguyên"
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    first, second = networks(2)
    assert visit(f"/v/{code}", ip=first, headers=HANOI)[0] == 200
    assert visit(f"/v/{code}", ip=second, headers=HCMC)[0] == 200
    detector()
    return shop, code


# --- the producer's province ------------------------------------------------------------------------
def test_given_a_thai_nguyen_stamp_scanned_in_two_cities_then_the_thai_nguyen_inspector_sees_both_scans(cloned):
    _, code = cloned

    lines = log(THAI_NGUYEN)
    assert sorted(line["jurisdiction"] for line in lines) == ["01", "79"]
    assert {line["code"] for line in lines} == {code} and {line["home_province"] for line in lines} == {"19"}
    assert len(log(THAI_NGUYEN, code=code)) == 2  # a key filter, the scope as a filter
    assert len(log(THAI_NGUYEN, province="Thái Nguyên")) == 2  # what Thái Nguyên's inspectors see
    rows = csv_rows(THAI_NGUYEN)
    assert sorted(r["jurisdiction_name"] for r in rows) == ["Thành phố Hà Nội", "Thành phố Hồ Chí Minh"]
    assert {r["home_province"] for r in rows} == {"19"}


def test_given_a_travel_alert_then_the_thai_nguyen_inspector_sees_it_acknowledges_it_and_it_moves_everywhere(
    cloned,
):
    _, code = cloned

    (alert,) = [a for a in alerts(THAI_NGUYEN) if a["type"] == "impossible_travel"]
    assert alert["code"] == code and alert["provinces"] == ["01", "19", "79"]
    assert one_alert(THAI_NGUYEN, alert["alert_id"]) == 200
    status, moved = move(THAI_NGUYEN, alert["alert_id"], "acknowledged", "Đang xác minh với cơ sở")
    assert status == 200 and moved["status"] == "acknowledged"

    for who in (THAI_NGUYEN, HA_NOI, SAI_GON):  # its place in every queue moved with it
        assert [a["alert_id"] for a in alerts(who, status="acknowledged")] == [alert["alert_id"]]
        assert alerts(who) == []
    assert move(HA_NOI, alert["alert_id"], "resolved", "Tem giả, đã báo công an")[0] == 200
    assert [a["status"] for a in alerts(THAI_NGUYEN, status="resolved")] == ["resolved"]


# --- the places of the scans ------------------------------------------------------------------------
def test_given_the_clone_then_the_hanoi_inspector_sees_the_hanoi_scan_and_the_alert_raised_in_saigon(cloned):
    _, code = cloned

    assert [line["jurisdiction"] for line in log(HA_NOI)] == ["01"]
    assert [r["jurisdiction"] for r in csv_rows(HA_NOI)] == ["01"]
    (alert,) = alerts(HA_NOI, type="impossible_travel")
    assert alert["province"] == "79"  # raised by the scan in TP.HCM, seen where the first one was
    assert one_alert(HA_NOI, alert["alert_id"]) == 200
    assert [line["jurisdiction"] for line in log(SAI_GON)] == ["79"]


def test_given_the_clone_then_an_inspector_of_da_nang_sees_nothing_and_cannot_touch_the_alert(cloned):
    _, code = cloned
    (alert,) = alerts(claims("admin"), type="impossible_travel")

    assert log(DA_NANG_INSPECTOR) == [] and log(DA_NANG_INSPECTOR, code=code) == []
    assert csv_rows(DA_NANG_INSPECTOR) == []
    assert alerts(DA_NANG_INSPECTOR) == []
    assert one_alert(DA_NANG_INSPECTOR, alert["alert_id"]) == 404
    assert move(DA_NANG_INSPECTOR, alert["alert_id"], "dismissed", "Không phải của tôi")[0] == 404
    assert api("GET", "/scans", "/scans", DA_NANG_INSPECTOR, query={"province": "Thái Nguyên"})[0] == 403
    status, summary = api("GET", "/summary", "/summary", DA_NANG_INSPECTOR)
    assert status == 200 and summary["totals"] == {} and summary["open_alerts"] == {}


def test_given_an_inspector_of_both_places_then_each_scan_and_the_alert_appear_once(cloned):
    both = inspector("Hà Nội,Thái Nguyên")

    assert sorted(line["jurisdiction"] for line in log(both)) == ["01", "79"]
    assert [a["type"] for a in alerts(both)] == ["impossible_travel"]
    status, summary = api("GET", "/summary", "/summary", both)
    assert status == 200 and summary["totals"] == {"genuine": 2}  # the Hà Nội scan counted once
    assert summary["open_alerts"] == {"impossible_travel": 1}
    assert {p["province"]: p["scans"] for p in summary["top_provinces"]} == {"01": 1, "79": 1}


def test_given_the_clone_then_the_thai_nguyen_summary_counts_its_producers_scans_elsewhere(cloned):
    status, summary = api("GET", "/summary", "/summary", THAI_NGUYEN)

    assert status == 200 and summary["totals"] == {"genuine": 2}
    assert summary["open_alerts"] == {"impossible_travel": 1}
    status, hanoi = api("GET", "/summary", "/summary", HA_NOI)
    assert hanoi["totals"] == {"genuine": 1} and hanoi["open_alerts"] == {"impossible_travel": 1}


def test_given_a_repeat_alert_from_phones_in_three_provinces_then_each_province_and_the_producers_see_it(
    shop: Shop, detector
):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip, place in zip(networks(3), (HANOI, DA_NANG, HCMC), strict=True):
        visit(f"/v/{code}", ip=ip, headers=place)
    detector()

    for who in (THAI_NGUYEN, HA_NOI, DA_NANG_INSPECTOR, SAI_GON):
        assert "repeat_24h" in {a["type"] for a in alerts(who)}, who["custom:provinces"]
    assert alerts(inspector("Cao Bằng")) == []


def test_given_a_new_alert_then_a_subscription_for_the_producers_province_gets_the_email(cloned, detector):
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"])
    url = sqs.create_queue(QueueName="thai-nguyen-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"province": ["VN-69"]})},
    )
    shop, _ = cloned
    code = shop.codes(2, 2)[0]
    first, second = networks(2)
    visit(f"/v/{code}", ip=first, headers=DA_NANG)
    visit(f"/v/{code}", ip=second, headers=HANOI)
    detector()

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1 and "Thái Nguyên" in messages[0]["Body"] and "Hà Nội" in messages[0]["Body"]


# --- pages over the merged reads --------------------------------------------------------------------
def test_given_scans_here_and_elsewhere_when_paged_then_every_line_comes_once_newest_first(shop: Shop):
    shop.activate(1, 30)
    places = [HANOI, HCMC, DA_NANG, None]  # None: no place, the producer's province
    for i, code in enumerate(shop.codes(1, 16)):
        place = places[i % 4]
        visit(f"/v/{code}", headers=place) if place else visit(f"/v/{code}")

    for who, expected in ((THAI_NGUYEN, 16), (inspector("Hà Nội,Thái Nguyên"), 16), (HA_NOI, 4)):
        seen, cursor = [], None
        while True:
            query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
            status, body = api("GET", "/scans", "/scans", who, query=query)
            assert status == 200, body
            seen += [(i["scanned_at"], i["code"]) for i in body["items"]]
            if not (cursor := body["next_cursor"]):
                break
        assert len(seen) == expected == len(set(seen)), who["custom:provinces"]
        assert seen == sorted(seen, reverse=True)
        # the CSV export, one row a part, walks the same lines
        rows, cursor = 0, None
        while True:
            query = {"rows": "5", **({"cursor": cursor} if cursor else {})}
            status, headers, body = invoke(
                "inspector_api", http_event("GET", "/scans.csv", route="/scans.csv", claims=who, query=query)
            )
            assert status == 200, body
            rows += len(body.strip().splitlines()) - 1
            if not (link := headers.get("link")):
                break
            cursor = parse_qs(urlsplit(link.split(">")[0].lstrip("<")).query)["cursor"][0]
        assert rows == expected


def test_given_alerts_reaching_several_of_an_inspectors_provinces_when_paged_then_each_comes_once(shop: Shop, detector):
    shop.activate(1, 30)
    trips = [(HANOI, HCMC), (HCMC, DA_NANG), (DA_NANG, HANOI), (HANOI, DA_NANG), (HCMC, HANOI)]
    for n, (there, here) in enumerate(trips):
        code = shop.codes(n + 1, n + 1)[0]
        first, second = networks(2)
        visit(f"/v/{code}", ip=first, headers=there)
        visit(f"/v/{code}", ip=second, headers=here)
    detector()
    every = {a["alert_id"] for a in alerts(claims("admin"), type="impossible_travel")}
    assert len(every) == 5

    for who in (inspector("Hà Nội,VN-SG,Đà Nẵng,Thái Nguyên"), inspector("Hà Nội,VN-SG"), THAI_NGUYEN):
        seen, cursor = [], None
        while True:
            query = {"limit": "1", "type": "impossible_travel", **({"cursor": cursor} if cursor else {})}
            status, body = api("GET", "/alerts", "/alerts", who, query=query)
            assert status == 200, body
            seen += [a["alert_id"] for a in body["items"]]
            if not (cursor := body["next_cursor"]):
                break
        assert sorted(seen) == sorted(every), who["custom:provinces"]  # each once, none missing


# --- lines written before the rule, and field checks -------------------------------------------------
def test_given_a_line_from_before_the_rule_then_the_place_sees_it_and_after_the_backfill_the_producers_too(
    shop: Shop,
):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    visit(f"/v/{code}", headers=HANOI)
    ddb = boto3.client("dynamodb")
    (line,) = ddb.scan(TableName="ocop-scans")["Items"]
    ddb.update_item(  # as issue 11 found it: no producer's province code, no second key
        TableName="ocop-scans",
        Key={"code": line["code"], "scan_key": line["scan_key"]},
        UpdateExpression="REMOVE home_province, home_shard",
    )
    assert [i["code"] for i in log(HA_NOI)] == [code]
    assert log(THAI_NGUYEN) == []

    from ocop_stamps.storage import backfill

    assert backfill.home_provinces() == {"read": 1, "updated": 1}
    assert [i["code"] for i in log(THAI_NGUYEN)] == [code] == [i["code"] for i in log(HA_NOI)]
    assert backfill.home_provinces() == {"read": 0, "updated": 0}  # a rerun changes nothing


def test_given_a_field_check_in_hanoi_of_a_thai_nguyen_lot_then_thai_nguyen_and_hanoi_may_record_it(shop: Shop):
    body = {"lot_id": shop.lot["lot_id"], "date": "2026-11-20", "place": "Chợ Đồng Xuân", "province": "Hà Nội"}
    body["result"] = "pass"

    assert api("POST", "/field-checks", "/field-checks", THAI_NGUYEN, body=body)[0] == 201
    assert api("POST", "/field-checks", "/field-checks", HA_NOI, body=body)[0] == 201
    status, answer = api("POST", "/field-checks", "/field-checks", DA_NANG_INSPECTOR, body=body)
    assert status == 403 and answer["error"]["message_vi"]


def test_given_the_clone_then_a_page_costs_the_same_few_queries_whatever_the_log_holds(cloned, ddb_calls: list):
    ddb_calls.clear()
    assert len(log(THAI_NGUYEN)) == 2
    scans = [op for service, op in ddb_calls if service == "dynamodb"]
    ddb_calls.clear()
    assert len(alerts(inspector("Hà Nội,Thái Nguyên"))) == 1
    listed = [op for service, op in ddb_calls if service == "dynamodb"]

    # 8 shards of by_province + 8 of by_home_province, no Scan, for each value Thái Nguyên's lines
    # may carry (issue 12): its code '19' and its old parts' VN-69 (Thái Nguyên) and VN-53 (Bắc Kạn)
    assert scans == ["Query"] * 16 * 3
    # one queue per value: Hà Nội's '01' and VN-HN, Thái Nguyên's three; the entries read back
    assert sorted(listed) == ["BatchGetItem"] + ["Query"] * 5
