"""Limits of the public routes (issue 13, kinds 5, 7 and 8; docs/LIMITS.md "Rates"):

- every way of asking about a code -- /v/{code}, /v?code=, the Digital Link page, its JSON,
  HEAD, every linkType, Accept: application/linkset+json -- is logged and counts against the
  same unknown-lookup limit per client hash; past it, 429 with Retry-After;
- Digital Link requests about an issued code that are not the page are logged as lookups,
  never counted as scans of the stamp;
- the 429 tells a person to wait and check the code, never that the code may be counterfeit;
- consumer reports are limited per client hash and per code (429, "thank you, already
  received"), and their alerts are aggregated: made-up codes or a flood from one client open
  one alert and one notification whose count grows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest

from helpers.handlers import TEST_ORIGIN_SECRET, Shop, claims, http_event, invoke, invoke_json, load_handler, sample
from ocop_local import backend, streams
from ocop_stamps.core.settings import get_settings

GTIN14 = "08930000000019"  # the sample product's GTIN, as GTIN-14
HANOI = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
COUNTERFEIT_WORDS = ("giả", "đừng mua", "không do hệ thống", "counterfeit", "fake", "do not buy", "not issued")


# Five minutes into a 10-minute window, an hour and a Vietnamese day (13:05 in Hà Nội):
# a test's requests never straddle a window's end.
NOW = dt.datetime(2026, 11, 23, 6, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    from ocop_stamps.scanning import reports, verification

    monkeypatch.setattr(verification, "utc_now", lambda: NOW)
    monkeypatch.setattr(reports, "utc_now", lambda: NOW)
    return NOW


def made_up(i: int) -> str:
    """A code of the right shape that was never issued (it does not decode)."""
    return f"1ABCDEFGHJKM{i:04d}"


def _client(event: dict[str, Any], ip: str | None) -> dict[str, Any]:
    if ip:
        event["requestContext"]["http"]["sourceIp"] = ip
    return event


# --- every way of asking about a code ----------------------------------------------------------
def _v_page(code: str, ip: str | None = None) -> dict[str, Any]:
    return _client(sample("public-scan-html", CODE=code), ip)


def _v_json(code: str, ip: str | None = None) -> dict[str, Any]:
    return _client(sample("public-scan-json", CODE=code), ip)


def _typed(code: str, ip: str | None = None) -> dict[str, Any]:
    event = sample("public-typed-code")
    event["queryStringParameters"] = {"code": code}
    event["rawQueryString"] = urlencode({"code": code})
    return _client(event, ip)


def _link(
    path: str, *, method: str = "GET", query: dict[str, str] | None = None, accept: str | None = None
) -> Callable[[str, str | None], dict[str, Any]]:
    def build(code: str, ip: str | None = None) -> dict[str, Any]:
        event = sample("public-digital-link")
        raw = path.format(gtin=GTIN14, code=code)
        event["rawPath"] = event["requestContext"]["http"]["path"] = raw
        event["pathParameters"] = {"dl": raw.removeprefix("/01/")}
        event["requestContext"]["http"]["method"] = method
        if query:
            event["queryStringParameters"] = query
            event["rawQueryString"] = urlencode(query)
        if accept:
            event["headers"]["accept"] = accept
        return _client(event, ip)

    return build


WAYS: dict[str, Callable[..., dict[str, Any]]] = {
    "/v/{code} page": _v_page,
    "/v/{code} JSON": _v_json,
    "/v?code= typed": _typed,
    "Digital Link page": _link("/01/{gtin}/21/{code}"),
    "Digital Link JSON": _link("/01/{gtin}/21/{code}", accept="application/json"),
    "Digital Link with lot": _link("/01/{gtin}/10/HH-2026-11/21/{code}"),
    "Digital Link HEAD": _link("/01/{gtin}/21/{code}", method="HEAD"),
    "Digital Link HEAD with lot": _link("/01/{gtin}/10/HH-2026-11/21/{code}", method="HEAD"),
    "linkType=linkset": _link("/01/{gtin}/21/{code}", query={"linkType": "linkset"}),
    "linkType=all": _link("/01/{gtin}/21/{code}", query={"linkType": "all"}),
    "linkType=gs1:pip": _link("/01/{gtin}/21/{code}", query={"linkType": "gs1:pip"}),
    "linkType=gs1:pip with lot": _link("/01/{gtin}/10/HH-2026-11/21/{code}", query={"linkType": "gs1:pip"}),
    "a link type not offered": _link("/01/{gtin}/21/{code}", query={"linkType": "gs1:nutritionalInfo"}),
    "Accept: application/linkset+json": _link("/01/{gtin}/21/{code}", accept="application/linkset+json"),
}
PAGES = {
    "/v/{code} page",
    "/v/{code} JSON",
    "/v?code= typed",
    "Digital Link page",
    "Digital Link JSON",
    "Digital Link with lot",
}
METADATA = set(WAYS) - PAGES  # HEAD, linkType, Accept: linkset: never a scan


def _log() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName="ocop-scans")["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def _stamp_count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


@pytest.fixture
def limit_of(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_limits(**env: int) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        get_settings.cache_clear()

    yield set_limits
    get_settings.cache_clear()


@pytest.mark.parametrize("way", list(WAYS))
def test_given_any_way_of_asking_about_made_up_codes_then_past_the_limit_429_and_every_try_is_logged(
    aws, limit_of, way: str
):
    limit_of(OCOP_UNKNOWN_LIMIT=3)
    ask = WAYS[way]

    answers = [invoke("public_scan", ask(made_up(i))) for i in range(5)]

    assert [status for status, _, _ in answers] == [404, 404, 404, 429, 429]
    for _, headers, body in answers[3:]:
        assert headers["retry-after"] == "300" and headers["cache-control"] == "no-store"  # 06:05 -> 06:10
        assert not any(word in body for word in COUNTERFEIT_WORDS)
    log = _log()
    assert sorted(line["code"] for line in log) == [made_up(i) for i in range(5)]  # every try is evidence
    assert {line["verdict"] for line in log} == {"unknown"}
    assert sum("rate limited" in line["reason"] for line in log) == 2
    if way in METADATA:
        assert {line["channel"] for line in log} == {"link"}
        # each line says how the code was asked about
        assert all(re.search(r"\((HEAD|linkType=\w+|Accept: linkset)\)", line["reason"]) for line in log), log


def test_given_every_way_of_asking_in_turn_then_they_share_one_limit_and_another_client_is_not_slowed(aws, limit_of):
    limit_of(OCOP_UNKNOWN_LIMIT=len(WAYS) - 1)

    statuses = [invoke("public_scan", ask(made_up(i)))[0] for i, ask in enumerate(WAYS.values())]

    assert statuses == [404] * (len(WAYS) - 1) + [429]
    assert invoke("public_scan", _v_json(made_up(99), ip="198.51.100.9"))[0] == 404


def test_given_digital_link_lookups_of_an_issued_code_past_the_limit_then_answered_logged_and_never_counted(
    shop: Shop, limit_of
):
    limit_of(OCOP_UNKNOWN_LIMIT=1)
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for i in range(3):  # the client is past its limit on unknown codes ...
        invoke("public_scan", _v_json(made_up(i)))

    head = invoke("public_scan", WAYS["Digital Link HEAD"](code))
    linkset = invoke("public_scan", WAYS["linkType=linkset"](code))
    pip = invoke("public_scan", WAYS["linkType=gs1:pip"](code))
    accept = invoke("public_scan", WAYS["Accept: application/linkset+json"](code))

    # ... but a real code still answers, as a genuine scan would
    assert [head[0], linkset[0], pip[0], accept[0]] == [200, 200, 307, 200]
    assert _stamp_count(code) == 0  # metadata is not a person scanning the label
    lines = [line for line in _log() if line["code"] == code]
    assert [(line["kind"], line["verdict"], line["channel"]) for line in lines] == [("lookup", "lookup", "link")] * 4
    assert sorted(line["reason"] for line in lines) == [
        "Accept: linkset: not a scan",
        "HEAD: not a scan",
        "linkType=linkset: not a scan",
        "linkType=pip: not a scan",
    ]
    assert {line["lot_id"] for line in lines} == {shop.lot["lot_id"]}  # in the lot's log, for inspectors
    status, body = invoke_json("public_scan", _v_json(code))
    assert status == 200 and body["scan"]["count"] == 1  # the first person scan is still the first


# --- what a slowed person is told (kind 8) -----------------------------------------------------
def test_given_a_slowed_client_when_it_mistypes_a_real_code_then_wait_and_check_the_code_never_counterfeit(
    shop: Shop, limit_of
):
    limit_of(OCOP_UNKNOWN_LIMIT=2)
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    wrong = code[:6] + ("Z" if code[6] != "Z" else "Y") + code[7:]
    for i in range(2):
        invoke("public_scan", _v_json(made_up(i)))

    vi = invoke("public_scan", _typed(wrong))
    en = invoke("public_scan", _v_page(wrong) | {"queryStringParameters": {"lang": "en"}, "rawQueryString": "lang=en"})
    as_json = invoke("public_scan", _v_json(wrong))

    for status, headers, _ in (vi, en, as_json):
        assert status == 429 and headers["retry-after"] == "300"
    assert "<h1>Bạn đã kiểm tra quá nhiều mã trong thời gian ngắn</h1>" in vi[2]
    assert "Hãy đợi khoảng 5 phút" in vi[2] and "hãy kiểm tra lại mã" in vi[2]
    assert f'value="{wrong}"' in vi[2]  # the form to correct it, filled in
    assert "<h1>Too many codes checked in a short time</h1>" in en[2]
    assert "Please wait about 5 minutes" in en[2] and "check the code" in en[2]
    error = json.loads(as_json[2])["error"]
    assert error["code"] == "too_many_requests"
    assert "Hãy đợi khoảng" in error["message_vi"] and "kiểm tra lại mã" in error["message_vi"]
    assert "Please wait about" in error["message"] and "check the code" in error["message"]
    for text in (vi[2], en[2], as_json[2]):
        assert not any(word in text for word in COUNTERFEIT_WORDS), text
        assert "report" not in text.lower() and "báo cáo" not in text


# --- reports (kind 5) --------------------------------------------------------------------------
def report(code: str, ip: str | None = None, *, as_json: bool = True, headers: dict[str, str] | None = None):
    event = _client(sample("public-report", CODE=code), ip)
    if as_json:
        event["headers"]["accept"] = "application/json"
    event["headers"].update(headers or {})
    if headers:  # a place comes only through CloudFront, which adds the origin secret (scanning.edge)
        event["headers"]["x-origin-verify"] = TEST_ORIGIN_SECRET
    return invoke("public_scan", event)


def _reports() -> list[dict[str, Any]]:
    return [line for line in _log() if line.get("kind") == "report"]


def test_given_60_reports_on_one_code_from_one_client_then_5_are_taken_the_rest_429_and_others_still_report(aws):
    code = made_up(1)

    answers = [report(code) for _ in range(60)]

    assert [status for status, _, _ in answers] == [201] * 5 + [429] * 55
    for _, headers, body in answers[5:]:
        assert headers["retry-after"] == "3300"  # 06:05 -> 07:00
        error = json.loads(body)["error"]
        assert error["code"] == "too_many_requests"
        assert "Cảm ơn bạn" in error["message_vi"] and "đã được ghi nhận" in error["message_vi"]
        assert "Thank you" in error["message"] and "already received" in error["message"]
    assert len(_reports()) == 5  # what was refused is not stored
    assert report(code, ip="198.51.100.9")[0] == 201  # another client is not affected
    assert len(_reports()) == 6


def test_given_a_report_form_over_the_limit_then_a_thank_you_page_in_both_languages_with_429(aws):
    code = made_up(2)
    for _ in range(5):
        assert report(code, as_json=False)[0] == 303

    status, headers, body = report(code, as_json=False)

    assert status == 429 and int(headers["retry-after"]) > 0
    assert "<h1>Cảm ơn bạn — báo cáo đã được ghi nhận</h1>" in body
    assert "Chúng tôi đã nhận được các báo cáo bạn gửi" in body
    assert body.index("lang=en>") > body.index("Chúng tôi đã nhận")  # Vietnamese first, then English
    assert "We have received the reports you sent" in body


def test_given_many_clients_reporting_one_code_then_20_a_vietnamese_day_and_the_rest_told_it_is_known(aws):
    code = made_up(3)

    answers = [report(code, ip=f"198.51.100.{i}") for i in range(25)]

    assert [status for status, _, _ in answers] == [201] * 20 + [429] * 5
    # the window ends at midnight in Vietnam (17:00 UTC), not at midnight UTC
    assert int(answers[-1][1]["retry-after"]) == (dt.datetime(2026, 11, 23, 17, tzinfo=dt.UTC) - NOW).seconds
    error = json.loads(answers[-1][2])["error"]
    assert f"Mã {code} đã được báo cáo nhiều lần hôm nay" in error["message_vi"]
    assert f"Code {code} has been reported many times today" in error["message"]


# --- report alerts are aggregated --------------------------------------------------------------
@pytest.fixture
def detector(aws: None) -> Any:
    """Drains the Scans table's stream (moto) through the detector's own handler."""
    env = backend.create_alert_resources()
    for key, value in env.items():
        backend.os.environ[key] = value
    backend.apply_environment({})
    reader = streams.StreamReader("ocop-scans")
    handler = load_handler("anomaly_detector").lambda_handler

    def run() -> list[str]:
        """Process what is new; the notifications sent, as their texts."""
        streams.drain(handler, reader, dead_letter_url=env["ANOMALY_DLQ_URL"])
        sqs = boto3.client("sqs", region_name="ap-southeast-1")
        out = []
        while msgs := sqs.receive_message(QueueUrl=env["ALERTS_INBOX_URL"], MaxNumberOfMessages=10).get("Messages"):
            for m in msgs:
                out.append(m["Body"])
                sqs.delete_message(QueueUrl=env["ALERTS_INBOX_URL"], ReceiptHandle=m["ReceiptHandle"])
        return out

    yield run
    for key in env:
        backend.os.environ.pop(key, None)


def _report_alerts() -> list[dict[str, Any]]:
    event = http_event("GET", "/alerts", route="/alerts", claims=claims("admin"), query={"type": "consumer_report"})
    status, body = invoke_json("inspector_api", event)
    assert status == 200, body
    return body["items"]


def test_given_40_made_up_codes_reported_from_40_clients_in_a_province_then_one_alert_counting_40(detector):
    statuses = [report(made_up(i), ip=f"198.51.100.{i}", headers=HANOI)[0] for i in range(40)]
    assert statuses == [201] * 40

    sent = detector()

    (alert,) = _report_alerts()
    assert alert["subject"] == "unissued:01" and alert["province"] == "01"
    assert alert["occurrences"] == 40 and alert["detail"]["count"] == 40
    assert "40 báo cáo trong ngày" in alert["summary_vi"] and "40 reports today" in alert["summary_en"]
    assert len(sent) == 1 and f"/alerts/{alert['alert_id']}" in sent[0]


def test_given_40_made_up_codes_from_one_client_then_5_are_taken_and_one_alert_one_notification(detector):
    statuses = [report(made_up(i))[0] for i in range(40)]
    assert statuses == [201] * 5 + [429] * 35

    sent = detector()

    (alert,) = _report_alerts()
    assert alert["occurrences"] == 5 and alert["detail"]["count"] == 5
    assert len(sent) == 1


def test_given_one_client_reporting_many_issued_codes_then_a_few_code_alerts_then_one_for_the_client(
    shop: Shop, detector
):
    codes = shop.codes(1, 6)
    assert [report(code)[0] for code in codes[:5]] == [201] * 5
    assert report(codes[5], ip="198.51.100.9")[0] == 201  # someone else, on another code

    sent = detector()

    alerts = {a["subject"]: a for a in _report_alerts()}
    client = next(s for s in alerts if s.startswith("client:"))
    assert set(alerts) == {f"code:{c}" for c in codes[:3]} | {client, f"code:{codes[5]}"}
    assert alerts[client]["occurrences"] == 2 and alerts[client]["detail"]["count"] == 5
    assert "Một máy đã gửi 5 báo cáo" in alerts[client]["summary_vi"]
    assert len(sent) == 5  # one per alert, never one per report
