"""Province scope since 1 July 2025 (issue 12): the 34 provinces of today, and everything recorded
under their old parts. Tuyên Quang absorbed Hà Giang: a Hà Giang scan line written before the
change (``VN-03`` in its keys), an alert and daily counters of then, and a new scan in Tuyên
Quang are all seen by Tuyên Quang's inspectors -- in the list, the CSV, the alerts and the
summary -- whether their account names Tuyên Quang, VN-03 or Hà Giang; Huế's do not see Đà Nẵng."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest

from helpers.handlers import Shop, claims, csv_rows, http_event, inspector, invoke_json, scan
from ocop_stamps.core.vocabulary import VN_TZ
from ocop_stamps.storage import inspection as alerts_store
from ocop_stamps.storage import keys as table_keys

HA_GIANG = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "03"}  # ISO, old
TUYEN_QUANG = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "07"}
QUANG_NAM = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "27"}  # Đà Nẵng today
OLD_ALERT = "al_0ld0ha0g1an9"


def api(path: str, who: dict[str, Any], **query: str) -> Any:
    status, body = invoke_json("inspector_api", http_event("GET", path, route=path, claims=who, query=query))
    assert status == 200, body
    return body


def scan_through_cloudfront(code: str, place: dict[str, str], viewer: int) -> None:
    """A scan that came through CloudFront (the sample event carries the origin secret)."""
    status, _ = scan(code, headers={**place, "cloudfront-viewer-address": f"198.51.100.{viewer}:5{viewer:04d}"})
    assert status == 200


def as_written_before_issue_12(code: str) -> None:
    """Rewrite the stored line of ``code`` as the code before issue 12 wrote it: old ISO codes in
    its attributes and index keys (Hà Giang VN-03, the producer's Thái Nguyên VN-69)."""
    table = boto3.resource("dynamodb").Table("ocop-scans")
    for item in table.scan()["Items"]:
        if item["code"] != code:
            continue
        shard = item["province_shard"].split("#")[1]
        table.update_item(
            Key={"code": code, "scan_key": item["scan_key"]},
            UpdateExpression="SET jurisdiction = :j, province = :j, province_shard = :ps, home_province = :h, home_shard = :hs",
            ExpressionAttributeValues={":j": "VN-03", ":ps": f"VN-03#{shard}", ":h": "VN-69", ":hs": f"VN-69#{shard}"},
        )


def put_old_alert_and_counters(shop: Shop, code: str) -> None:
    """An alert raised in Hà Giang before the change (queued as ``open#VN-03``, with an entry for
    the producer's VN-69), and yesterday's counters of five Hà Giang scans under ``province:VN-03``."""
    client, table = alerts_store.client(), alerts_store.table()
    at = "2025-06-20T01:00:00.000Z"
    alert = {
        "pk": table_keys.alert_key(OLD_ALERT),
        "sk": table_keys.ALERT_SK,
        "kind": "alert",
        "alert_id": OLD_ALERT,
        "type": "repeat_24h",
        "subject": f"code:{code}",
        "status": "open",
        "province": "VN-03",
        "provinces": {"VN-03", "VN-69"},
        "home_province": "VN-69",
        "code": code,
        "producer_id": shop.producer_id,
        "summary_vi": "Mã tem bị quét nhiều lần ở Hà Giang",
        "summary_en": "A code scanned many times in Hà Giang",
        "history": [],
        "queue_province": table_keys.queue_key("open", "VN-03"),
        "queue_type": table_keys.queue_key("open", "repeat_24h"),
        "queue_sk": f"{at}#{OLD_ALERT}",
    }
    entry = {
        "pk": table_keys.alert_key(OLD_ALERT),
        "sk": table_keys.alert_entry_key("VN-69"),
        "kind": "alert_entry",
        "alert_id": OLD_ALERT,
        "type": "repeat_24h",
        "province": "VN-69",
        "queue_province": table_keys.queue_key("open", "VN-69"),
        "queue_sk": alert["queue_sk"],
    }
    yesterday = (dt.datetime.now(VN_TZ).date() - dt.timedelta(days=1)).isoformat()
    counters = {
        "pk": table_keys.stats_key("province:VN-03", 0),
        "sk": yesterday,
        "scope": "province:VN-03",
        "v:genuine": 5,
        "p:VN-03": 5,
        "total": 5,
    }
    for item in (alert, entry, counters):
        client.put_item(TableName=table, Item=alerts_store.to_ddb(item))


@pytest.fixture
def merged(shop: Shop, detector: Any) -> dict[str, str]:
    """A Thái Nguyên producer's stamps: one scanned in Hà Giang before the change (its line, an
    alert and counters written as then), one scanned in Tuyên Quang today, one in Quảng Nam."""
    shop.activate(1, 10)
    old, new, elsewhere = shop.codes(1, 3)
    scan_through_cloudfront(old, HA_GIANG, 1)
    as_written_before_issue_12(old)
    scan_through_cloudfront(new, TUYEN_QUANG, 2)
    scan_through_cloudfront(elsewhere, QUANG_NAM, 3)
    put_old_alert_and_counters(shop, old)
    detector()
    return {"old": old, "new": new, "elsewhere": elsewhere}


TUYEN_QUANG_ACCOUNTS = ["Tuyên Quang", "08", "VN-03", "Hà Giang", "ha giang", "VN-07"]


@pytest.mark.parametrize("claim", TUYEN_QUANG_ACCOUNTS)
def test_given_a_line_from_before_and_a_new_scan_then_tuyen_quangs_inspector_sees_both_in_the_list_and_the_csv(
    merged: dict[str, str], claim: str
) -> None:
    who = inspector(claim)

    items = api("/scans", who)["items"]
    rows = csv_rows(who)

    assert sorted(i["code"] for i in items) == sorted([merged["old"], merged["new"]])
    assert {i["jurisdiction"] for i in items} == {"08"}  # today's code, the old line's included
    assert {i["jurisdiction_name"] for i in items} == {"Tỉnh Tuyên Quang"}
    assert [i.get("jurisdiction_recorded") for i in items if i["code"] == merged["old"]] == ["VN-03"]
    assert sorted(r["code"] for r in rows) == sorted([merged["old"], merged["new"]])
    assert {r["jurisdiction_name"] for r in rows} == {"Tỉnh Tuyên Quang"}


@pytest.mark.parametrize("claim", TUYEN_QUANG_ACCOUNTS)
def test_given_an_alert_and_counters_from_before_then_tuyen_quangs_inspector_sees_them_as_tuyen_quangs(
    merged: dict[str, str], claim: str
) -> None:
    who = inspector(claim)

    listed = api("/alerts", who)["items"]
    summary = api("/summary", who)

    assert [a["alert_id"] for a in listed] == [OLD_ALERT]
    assert listed[0]["province"] == "08" and listed[0]["province_name"] == "Tỉnh Tuyên Quang"
    assert listed[0]["provinces"] == ["08", "19"]
    assert summary["totals"] == {"genuine": 7}  # five of yesterday under VN-03, two today
    assert summary["top_provinces"] == [{"province": "08", "name": "Tỉnh Tuyên Quang", "scans": 7}]


def test_given_a_province_filter_with_an_old_name_then_it_reads_todays_province_and_says_so(
    merged: dict[str, str],
) -> None:
    body = api("/scans", inspector("Tuyên Quang"), province="Hà Giang")
    alerts = api("/alerts", claims("admin"), province="VN-03")

    assert sorted(i["code"] for i in body["items"]) == sorted([merged["old"], merged["new"]])
    assert body["province"]["code"] == "08" and body["province"]["name"] == "Tỉnh Tuyên Quang"
    assert "nay thuộc Tỉnh Tuyên Quang" in body["province"]["note_vi"]
    assert [a["alert_id"] for a in alerts["items"]] == [OLD_ALERT]
    assert "note_vi" not in api("/scans", inspector("Tuyên Quang"), province="Tuyên Quang")["province"]


def test_given_the_merged_provinces_then_hue_does_not_see_da_nang_and_da_nang_sees_quang_nam(
    merged: dict[str, str],
) -> None:
    hue, da_nang = inspector("Thừa Thiên Huế"), inspector("Đà Nẵng")

    assert api("/scans", hue)["items"] == [] and api("/alerts", hue)["items"] == []
    assert api("/summary", hue)["totals"] == {}
    assert [i["code"] for i in api("/scans", da_nang)["items"]] == [merged["elsewhere"]]
    assert [i["jurisdiction_name"] for i in api("/scans", da_nang)["items"]] == ["Thành phố Đà Nẵng"]


def test_given_the_producers_province_then_thai_nguyen_sees_every_line_old_and_new(merged: dict[str, str]) -> None:
    codes = {i["code"] for i in api("/scans", inspector("VN-69"))["items"]}  # an account of before

    assert codes == set(merged.values())
    assert [a["alert_id"] for a in api("/alerts", inspector("Thái Nguyên"))["items"]] == [OLD_ALERT]


def test_given_old_and_new_lines_when_paged_one_by_one_then_the_cursor_walks_every_spelling_once(
    merged: dict[str, str],
) -> None:
    who, seen, cursor = inspector("VN-03"), [], None
    for _ in range(5):
        body = api("/scans", who, limit="1", **({"cursor": cursor} if cursor else {}))
        seen += [i["code"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    status, _ = invoke_json(
        "inspector_api", http_event("GET", "/scans", route="/scans", claims=inspector("Huế"), query={"cursor": "x" * 8})
    )

    assert sorted(seen) == sorted([merged["old"], merged["new"]]) and cursor is None
    assert status == 400


def test_given_a_filter_by_a_gso_code_of_the_63_then_400_saying_whose_code_it_was_and_what_to_give(
    aws: None,
) -> None:
    status, body = invoke_json(
        "inspector_api", http_event("GET", "/scans", route="/scans", claims=inspector("*"), query={"province": "02"})
    )

    assert status == 400
    assert "Tỉnh Hà Giang" in body["error"]["message_vi"] and "Tỉnh Tuyên Quang" in body["error"]["message_vi"]
    assert "08" in body["error"]["message"] and "before 1 July 2025" in body["error"]["message"]


@pytest.mark.parametrize("given", ["Thừa Thiên Huế", "VN-26", "VN-HN"])
def test_given_a_filter_by_the_old_spelling_of_a_province_left_whole_then_no_note_about_merged_parts(
    aws: None, given: str
) -> None:
    body = api("/scans", inspector("*"), province=given)

    assert body["province"]["code"] in ("46", "01") and "note_vi" not in body["province"]
