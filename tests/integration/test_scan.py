"""Anyone scanning a stamp sees a verdict; every scan is logged and counted."""

from __future__ import annotations

import boto3

from helpers.handlers import Shop, invoke, sample, scan, with_body
from helpers.visits import networks, visit
from ocop_stamps.codes.scheme import CodeKeys, encode
from ocop_stamps.scanning import verification


def test_given_an_activated_stamp_when_scanned_then_genuine_with_product_producer_rating_and_lot(shop: Shop):
    shop.activate(1, 100)
    code = shop.codes(1, 1)[0]
    status, body = scan(code)
    assert status == 200
    assert body["verdict"] == "genuine" and body["verdicts"] == ["genuine"]
    assert body["message"]["vi"] == "Tem chính hãng: mã do hệ thống cấp và đã được gắn với lô sản xuất"
    assert body["product"]["name"] == "Cao ngựa bạch Hoan Hoa"
    assert body["product"]["ocop"]["stars"] == 3
    assert body["producer"]["name"] == "Cơ sở chế biến cao ngựa bạch Hoan Hoa"
    assert body["lot"]["lot_code"] == "HH-2026-11" and body["lot"]["expiry_date"] == "2028-11-01"
    assert body["stamp"] == {"batch_id": shop.batch_id, "serial": 1}
    assert body["scan"]["count"] == 1


def test_given_a_stamp_never_bound_to_a_lot_then_not_activated(shop: Shop):
    code = shop.codes(999, 999)[0]
    status, body = scan(code)
    assert status == 200 and body["verdicts"] == ["not_activated"]
    assert body["lot"] is None


def test_given_a_stamp_scanned_while_unbound_then_bound_then_the_next_scan_is_genuine(shop: Shop):
    code = shop.codes(5, 5)[0]
    assert scan(code)[1]["verdict"] == "not_activated"
    shop.activate(1, 10)
    assert scan(code)[1]["verdict"] == "genuine"  # even though the batch was cached


def test_given_more_scanners_than_the_products_threshold_then_repeat(aws):
    shop = Shop()  # repeat_threshold: the default, 5 distinct scanners
    shop.activate(1, 10)
    code = shop.codes(2, 2)[0]
    verdicts = [visit(f"/v/{code}", ip=ip)[2]["verdict"] for ip in networks(7)]
    assert verdicts[:5] == ["genuine"] * 5
    assert verdicts[5:] == ["repeat", "repeat"]  # the 6th and 7th network to check it


def test_given_a_lot_past_its_expiry_then_expired(shop: Shop):
    old = shop.new_lot(
        "OLD-2023", production_date="2023-01-10", expiry_date="2024-01-10", origin={"province": "Thái Nguyên"}
    )
    shop.activate(1, 10, lot_id=old["lot_id"])
    status, body = scan(shop.codes(3, 3)[0])
    assert status == 200 and body["verdicts"] == ["expired"]


def test_given_every_scan_then_the_counter_and_the_log_agree(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(4, 4)[0]
    for _ in range(3):
        scan(code)
    stamps = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}})["Item"]
    log = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    assert stamps["scan_count"]["N"] == "3" and len(log) == 3
    assert sorted(int(i["scan_no"]["N"]) for i in log) == [1, 2, 3]


def test_given_a_code_typed_loosely_then_it_is_the_same_stamp(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(6, 6)[0]
    typed = "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()
    status, body = scan(typed)
    assert status == 200 and body["code"] == code and body["verdict"] == "genuine"


def test_given_a_malformed_code_then_404_unknown_with_no_lookup_but_the_attempt_logged(shop: Shop, ddb_calls):
    code = shop.codes(7, 7)[0]
    typo = code[:5] + ("X" if code[5] != "X" else "Y") + code[6:]
    ddb_calls.clear()
    status, body = scan(typo)
    assert status == 404
    assert body["verdict"] == "unknown" and body["hint"] == "check_code"
    assert ddb_calls == [("dynamodb", "UpdateItem"), ("dynamodb", "PutItem")]  # rate counter + log line, nothing read


def test_given_a_forged_code_with_a_valid_check_symbol_then_unknown_without_a_lookup(shop: Shop, ddb_calls):
    forger = CodeKeys({1: b"not-our-key-1234"})
    forged = encode(forger, int(shop.batch_id), 1)
    ddb_calls.clear()
    status, body = scan(forged)
    assert status == 404 and body["verdict"] == "unknown" and body["hint"] == "not_issued"
    assert ddb_calls == [("dynamodb", "UpdateItem"), ("dynamodb", "PutItem")]


def test_given_a_serial_beyond_the_batch_then_unknown(shop: Shop):
    from ocop_stamps.storage.parameters import code_keys

    beyond = encode(code_keys(), int(shop.batch_id), 1001)
    status, body = scan(beyond)
    assert status == 404 and body["verdict"] == "unknown"


def test_given_a_warm_function_then_a_scan_costs_at_most_three_dynamodb_requests(shop: Shop, ddb_calls):
    shop.activate(1, 100)
    codes = shop.codes(1, 3)
    verification.reset_cache()
    scan(codes[0])  # cold: fills the cache
    for code in codes[1:]:
        ddb_calls.clear()
        scan(code)
        assert len(ddb_calls) <= 3, ddb_calls
    unbound = shop.codes(500, 500)[0]
    ddb_calls.clear()
    scan(unbound)
    assert len(ddb_calls) <= 3, ddb_calls


def test_given_a_browser_then_an_html_page_in_vietnamese_that_no_cache_keeps(shop: Shop):
    shop.activate(1, 10)
    event = sample("public-scan-html", CODE=shop.codes(1, 1)[0])
    status, headers, body = invoke("public_scan", event)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert "<html lang=vi>" in body and "Tem chính hãng" in body and "★★★" in body


def test_given_producer_typed_text_with_markup_then_the_page_shows_it_inert(aws):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    invoke("admin_api", with_body(sample("admin-create-producer"), name=payload, owner=payload))
    shop = Shop.__new__(Shop)
    shop.producer_id = "hoan-hoa"
    _, _, product = invoke("admin_api", with_body(sample("admin-create-product"), name=payload))
    import json

    shop.product_id = json.loads(product)["product_id"]
    shop.lot = shop.new_lot(
        "XSS-1", origin={"province": "Thái Nguyên", "commune": "Xã Tân Cương", "area_name": payload}
    )
    shop.batch_id = shop.issue(5)["batch_id"]
    shop.activate(1, 5)
    status, body = scan(shop.codes(1, 1)[0], html=True)
    assert status == 200
    assert (
        "<script>" not in body
        and "<img" not in body
        and "onerror=alert" not in body.replace("onerror=alert(2)&gt;", "")
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_given_a_scan_then_no_raw_ip_or_user_agent_is_stored(shop: Shop):
    shop.activate(1, 10)
    scan(shop.codes(1, 1)[0], headers={"user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Zalo/23"})
    raw = str(boto3.client("dynamodb").scan(TableName="ocop-scans")["Items"])
    raw += str(boto3.client("dynamodb").scan(TableName="ocop-stamps")["Items"])
    assert "203.0.113.7" not in raw and "iPhone OS 17_0" not in raw
    assert "zalo-mobile" in raw


def test_given_edge_location_headers_then_the_scan_keeps_a_coarse_place(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    _status, body = scan(code)
    assert body["scan"]["first_province"] == "19"  # Thái Nguyên by its GSO code (issue 12)


def test_given_a_client_guessing_codes_then_it_is_slowed_but_its_genuine_scans_are_not(shop: Shop, monkeypatch):
    import datetime as dt

    from ocop_stamps.core.settings import get_settings
    from ocop_stamps.scanning import verification

    monkeypatch.setenv("OCOP_UNKNOWN_LIMIT", "5")
    get_settings.cache_clear()
    # mid-window, so the tries never straddle the end of a 10-minute window
    monkeypatch.setattr(verification, "utc_now", lambda: dt.datetime(2026, 11, 23, 6, 5, tzinfo=dt.UTC))
    shop.activate(1, 10)
    genuine = shop.codes(1, 1)[0]
    answers = [scan(f"ABCD-EFGH-JKMN-PQ{i:02d}")[0] for i in range(8)]
    assert answers[:5] == [404] * 5
    assert answers[5:] == [429] * 3
    event = sample("public-scan-json", CODE="ABCD-EFGH-JKMN-PQ99")
    status, headers, body = invoke("public_scan", event)
    assert status == 429 and 0 < int(headers["retry-after"]) <= 600
    assert scan(genuine)[1]["verdict"] == "genuine"  # the same client, a real label: never slowed
    log = boto3.client("dynamodb").scan(TableName="ocop-scans")["Items"]
    assert sum(1 for i in log if i["verdict"]["S"] == "unknown") == 9  # every attempt is evidence
    get_settings.cache_clear()


def test_given_a_scan_page_when_switching_language_then_the_same_scan_is_shown_not_counted_again(shop: Shop):
    import re
    from urllib.parse import parse_qs, unquote, urlparse

    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    status, page = scan(code, html=True)
    assert status == 200
    link = re.search(r'class=lang href="([^"]+)"', page)
    assert link, "the page offers a language switch"
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["lang"] == ["en"] and query["view"]
    event = sample("public-scan-html", CODE=code)
    event["queryStringParameters"] = {"lang": "en", "view": unquote(query["view"][0])}
    for _ in range(3):
        status, _, english = invoke("public_scan", event)
        assert status == 200 and "<html lang=en>" in english
    stamps = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}})["Item"]
    assert stamps["scan_count"]["N"] == "1"  # switching language three times counted nothing
    log = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    assert len(log) == 1


def test_given_a_forged_or_foreign_view_token_then_the_request_counts_as_a_scan(shop: Shop):
    shop.activate(1, 10)
    first, second = shop.codes(1, 2)
    token = scan(first)[1]["view_token"]
    for bad in (token[:-2] + "xx", token):  # tampered; or valid but for another code
        event = sample("public-scan-json", CODE=second)
        event["queryStringParameters"] = {"view": bad}
        invoke("public_scan", event)
    stamps = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": second}})["Item"]
    assert stamps["scan_count"]["N"] == "2"
