"""The consumer's routes through the public function: the page and its headers, the language,
codes typed by hand, and reports of suspected fakes landing in the verification log."""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlencode

import boto3
import pytest

from helpers.handlers import Shop, invoke, invoke_json, sample
from ocop_stamps.pages.scan_page import CSS_HASH
from ocop_stamps.scanning import verification


def _stamp_count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


def _log(code: str) -> list[dict]:
    items = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def page(code: str, *, query: dict[str, str] | None = None, headers: dict[str, str] | None = None):
    event = sample("public-scan-html", CODE=code)
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urlencode(query)
    event["headers"].update(headers or {})
    return invoke("public_scan", event)


def typed(text: str, **headers: str):
    event = sample("public-typed-code")
    event["queryStringParameters"] = {"code": text}
    event["rawQueryString"] = urlencode({"code": text})
    event["headers"].update(headers)
    return invoke("public_scan", event)


def report(code: str, body: str | None = None, content_type: str | None = None, accept: str | None = None):
    event = sample("public-report", CODE=code)
    if body is not None:
        event["body"] = body
    if content_type:
        event["headers"]["content-type"] = content_type
    if accept:
        event["headers"]["accept"] = accept
    return invoke("public_scan", event)


# --- the page ----------------------------------------------------------------------------------
def test_given_a_browser_then_one_page_no_store_with_a_csp_that_forbids_every_script(shop: Shop):
    shop.activate(1, 10)
    status, headers, body = page(shop.codes(1, 1)[0])

    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert headers["vary"] == "Accept, Accept-Language"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and f"style-src 'sha256-{CSS_HASH}'" in csp and "script-src" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["referrer-policy"] == "no-referrer" and headers["x-content-type-options"] == "nosniff"
    assert "<script" not in body and "http://" not in body.replace("http://www.w3", "")
    assert headers["content-language"] == "vi" and "<html lang=vi>" in body


def test_given_the_same_url_with_accept_json_then_the_verdict_as_json(shop: Shop):
    shop.activate(1, 10)
    status, headers, body = page(shop.codes(1, 1)[0], headers={"accept": "application/json"})

    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["verdict"] == "genuine" and headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("query", "accept_language", "lang", "title"),
    [
        (None, "en-GB,en;q=0.9", "en", "Genuine stamp"),
        ({"lang": "en"}, "vi-VN,vi;q=0.9", "en", "Genuine stamp"),
        ({"lang": "vi"}, "en-GB", "vi", "Tem chính hãng"),
    ],
)
def test_given_a_language_asked_for_then_the_page_is_in_it_and_the_switch_keeps_it_in_the_url(
    shop: Shop, query, accept_language: str, lang: str, title: str
):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    _, headers, body = page(code, query=query, headers={"accept-language": accept_language})

    other = "vi" if lang == "en" else "en"
    assert f"<html lang={lang}>" in body and f"<h1>{title}</h1>" in body
    # the switch shows this same scan again (a signed view token), not a new one
    assert re.search(rf'href="/v/{code}\?view=[^"&]+&amp;lang={other}"', body)
    assert headers["content-language"] == lang


def test_given_a_warm_function_then_a_scan_page_costs_at_most_three_dynamodb_requests(shop: Shop, ddb_calls):
    shop.activate(1, 10)
    codes = shop.codes(1, 3)
    verification.reset_cache()
    page(codes[0])
    for code in codes[1:]:
        ddb_calls.clear()
        page(code)
        assert len(ddb_calls) <= 3, ddb_calls


# --- codes typed by hand -----------------------------------------------------------------------
def test_given_the_lookup_form_then_it_asks_for_a_code(aws):
    status, headers, body = invoke("public_scan", sample("public-typed-code") | {"queryStringParameters": None})

    assert status == 200 and "action=/v" in body and "<label for=code>" in body
    assert headers["cache-control"] == "no-store"


def test_given_a_code_typed_in_lower_case_with_spaces_and_hyphens_then_the_same_stamp_counted_as_typed(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(2, 2)[0]
    loose = f"  {code[:4].lower()} {code[4:8]}-{code[8:12].lower()} - {code[12:]} "

    status, _, body = typed(loose)

    assert status == 200 and "<h1>Tem chính hãng</h1>" in body
    assert _stamp_count(code) == 1
    assert [r["channel"] for r in _log(code)] == ["typed"]


def test_given_a_mistyped_code_then_check_the_code_again_and_no_stamp_is_counted(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(3, 3)[0]
    wrong = code[:6] + ("Z" if code[6] != "Z" else "Y") + code[7:]

    status, _, body = typed(wrong)

    assert status == 404
    assert "<h1>Mã không đúng — hãy kiểm tra lại mã</h1>" in body
    assert f'value="{wrong}"' in body  # the form comes back filled in, to correct one character
    assert _stamp_count(code) == 0 and _stamp_count(wrong) == 0
    assert [(r["verdict"], r["reason"]) for r in _log(wrong)] == [("unknown", "check symbol mismatch")]


def test_given_a_typed_code_in_english_then_the_answer_and_its_switch_keep_the_code(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(4, 4)[0]

    _, _, body = typed(code, **{"accept-language": "en"})

    assert "<h1>Genuine stamp</h1>" in body
    assert re.search(rf'href="/v\?code={code}&amp;view=[^"&]+&amp;lang=vi"', body)


# --- reports of suspected fakes ----------------------------------------------------------------
def test_given_a_report_from_the_page_then_303_to_a_thank_you_and_a_report_line_in_the_lot_log(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(5, 5)[0]

    status, headers, _ = report(code)

    assert status == 303 and headers["location"] == f"/v/{code}/report?sent=1&lang=vi"
    lines = _log(code)
    assert len(lines) == 1
    line = lines[0]
    assert (line["kind"], line["verdict"], line["report_where"], line["report_note"]) == (
        "report",
        "report",
        "Chợ Xanh, Cao Bằng",
        "Tem bị mờ",
    )
    assert line["lot_id"] == shop.lot["lot_id"] and line["serial"] == "5"
    assert "203.0.113.7" not in json.dumps(line)  # the address only as a salted hash
    assert _stamp_count(code) == 0  # a report is not a scan

    status, lot_log = invoke_json(
        "inspector_api",
        sample("inspector-scans-by-lot", LOT_ID=shop.lot["lot_id"]),
    )
    assert status == 200
    assert [(i["kind"], i["report_where"]) for i in lot_log["items"]] == [("report", "Chợ Xanh, Cao Bằng")]


def test_given_the_thank_you_page_then_it_links_back_and_counts_nothing(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(6, 6)[0]
    event = sample("public-scan-html", CODE=code)
    event["routeKey"] = "GET /v/{code}/report"
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/v/{code}/report"
    event["queryStringParameters"] = {"sent": "1", "lang": "en"}

    status, _, body = invoke("public_scan", event)

    assert status == 200 and "Thank you for your report" in body and f'href="/v/{code}?lang=en"' in body
    assert _stamp_count(code) == 0 and _log(code) == []


def test_given_a_report_as_json_then_201_with_its_id(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(7, 7)[0]

    status, headers, body = report(code, json.dumps({"where": "Chợ Sông Bằng"}), "application/json")

    assert status == 201 and json.loads(body)["code"] == code
    assert json.loads(body)["report_id"].split("#")[1].startswith("r")


@pytest.mark.parametrize(
    "body",
    ["where=", "note=x", "where=" + "x" * 121, "where=ok&note=" + "y" * 501, "where=%20%20%20"],
)
def test_given_a_report_without_a_place_or_too_long_then_400_and_nothing_logged(shop: Shop, body: str):
    code = shop.codes(8, 8)[0]

    status, _, page_body = report(code, body)

    assert status == 400 and "role=alert" in page_body
    assert _log(code) == []


def test_given_a_report_with_control_and_bidi_characters_then_they_are_removed(shop: Shop):
    code = shop.codes(9, 9)[0]

    report(code, urlencode({"where": "Chợ\u202e\x00 Xanh", "note": "a\u200bb"}))

    assert [(r["report_where"], r["report_note"]) for r in _log(code)] == [("Chợ Xanh", "ab")]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("where=Ch%FF%FE+Xanh", None),  # percent-escapes that are not UTF-8
        ("where=Ch\x00\x01\x02", None),  # binary sent as a form
        ("where=Ch%E1%BB%A3", "application/octet-stream"),
        ('{"where": "\\udcff"}', "application/json"),  # a lone surrogate escape
    ],
)
def test_given_a_report_form_that_cannot_be_read_then_400_with_the_form_again_and_nothing_logged(
    shop: Shop, body: str, content_type: str | None
):
    code = shop.codes(10, 10)[0]

    status, headers, page_body = report(code, body, content_type)

    assert status == 400
    if content_type == "application/json":  # a script is answered in JSON, in both languages
        assert set(json.loads(page_body)["error"]) >= {"code", "message", "message_vi"}
    else:  # a browser gets the form again, with its alert
        assert "role=alert" in page_body and headers["content-type"].startswith("text/html")
    assert _log(code) == []


@pytest.mark.parametrize(
    "body",
    [base64.b64encode(b"where=Ch\xff\xfe Xanh").decode(), base64.b64encode(bytes(range(256))).decode(), "not base64!"],
    ids=["invalid UTF-8", "binary", "base64 that does not decode"],
)
def test_given_a_base64_report_form_that_cannot_be_read_as_api_gateway_sends_it_then_400_not_500(shop: Shop, body: str):
    code = shop.codes(11, 11)[0]
    event = sample("public-report", CODE=code)
    event["body"], event["isBase64Encoded"] = body, True

    status, _, page_body = invoke("public_scan", event)

    assert status == 400 and "role=alert" in page_body
    assert _log(code) == []


def test_given_a_report_on_a_code_that_does_not_decode_then_it_is_kept_under_that_code(aws):
    status, _, _ = report("1ABCDEFGHJKMNPQR")

    assert status == 303
    (line,) = _log("1ABCDEFGHJKMNPQR")
    assert line["kind"] == "report" and line["reason"].startswith("report on a code that does not decode")


def test_given_a_report_path_that_is_not_a_code_then_400(aws):
    status, _, _ = report("<script>", accept="application/json")
    assert status == 400
