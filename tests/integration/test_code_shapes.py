"""Issue 11, kinds 2-4, at the level a consumer notices: a genuine stamp answers HEAD and
OPTIONS without being counted; every URL shape a phone or print shop makes of it, and a code
typed on a Vietnamese keyboard, gets the genuine page and counts exactly once; what cannot be
read back to one code gets the advice to turn the accent keyboard off -- never another stamp."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import boto3
import pytest

from helpers.handlers import Shop, invoke, sample
from helpers.keyboards import TELEX, VIQR, VNI, type_with
from ocop_local import backend
from ocop_stamps.codes import typed as typed_codes
from ocop_stamps.codes.scheme import StampId, group

GTIN14 = "08930000000019"  # the sample product's GTIN
HEADERS_HTML = {"accept": "text/html"}


def _stamp_count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


def _log(code: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def request(
    path: str,
    *,
    method: str = "GET",
    raw_query: str = "",
    accept: str = "application/json",
) -> tuple[int, dict[str, str], str]:
    """The public function answering ``method path?raw_query`` as API Gateway delivers it
    (repeated query parameters joined by commas in ``queryStringParameters``)."""
    event = sample("public-scan-json", CODE="X")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["headers"]["accept"] = accept
    event["rawQueryString"] = raw_query
    joined: dict[str, str] = {}
    for pair in filter(None, raw_query.split("&")):
        key, _, value = pair.partition("=")
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    event["queryStringParameters"] = joined or None
    event.pop("pathParameters", None)
    return invoke("public_scan", event)


@pytest.fixture
def stamp(shop: Shop) -> str:
    shop.activate(1, 50)
    return shop.codes(1, 1)[0]


def _codes(shop: Shop, method: str, letters: str = "") -> tuple[str, str]:
    """An activated code that ``method`` rewrites when typed (into one of ``letters``), and what it shows."""
    shop.activate(1, 300)
    for code in shop.codes(1, 300):
        shown = type_with(method, code)
        if not shown.isascii() and (not letters or any(ch in shown for ch in letters)):
            return code, shown
    raise AssertionError("no code of the batch is rewritten")


# --- kind 2: HEAD and OPTIONS -------------------------------------------------------------------
def test_given_head_on_a_genuine_stamp_then_200_without_a_body_and_nothing_counted(shop: Shop, stamp: str):
    for _ in range(10):  # a link checker run ten times over
        status, headers, body = request(f"/v/{stamp}", method="HEAD", accept="text/html")
        assert (status, body) == (200, "")
        assert headers["content-type"].startswith("text/html") and headers["cache-control"] == "no-store"

    assert _stamp_count(stamp) == 0
    assert {entry["kind"] for entry in _log(stamp)} == {"head"}  # logged with its kind
    status, _, body = request(f"/v/{stamp}")
    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    assert json.loads(body)["scan"]["count"] == 1  # the buyer's first real scan is the first


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v", ""),
        ("/v", "code={stamp}"),
        ("/v/{stamp}/report", ""),
        ("/v/{stamp}/pin", ""),
        ("/.well-known/gs1resolver", ""),
    ],
)
def test_given_head_on_every_public_get_address_then_the_gets_answer_without_a_body_and_nothing_counted(
    shop: Shop, stamp: str, path: str, query: str
):
    # issue 11's leftover: these answered HEAD with a 404 (no HEAD route; now the $default
    # route brings HEAD to the public function, which answers it as GET without the body)
    path, query = path.format(stamp=stamp), query.format(stamp=stamp)

    head = request(path, method="HEAD", raw_query=query, accept="text/html")
    counted = _stamp_count(stamp)
    got = request(path, raw_query=query, accept="text/html")  # (a GET of /v?code= counts, after)

    assert head[2] == "" and head[0] < 400 and counted == 0
    assert (head[0], head[1].get("content-type")) == (got[0], got[1].get("content-type"))


def test_given_a_warm_function_then_head_costs_one_read_and_the_log_line_and_never_the_counter(
    shop: Shop, stamp: str, ddb_calls: list
):
    request(f"/v/{stamp}", method="HEAD")  # warm: keys, salt, product, producer, lot cached
    ddb_calls.clear()

    request(f"/v/{stamp}", method="HEAD")

    assert ddb_calls == [("dynamodb", "GetItem"), ("dynamodb", "PutItem")]  # the batch; the log line


def test_given_head_on_a_code_never_issued_then_404_as_get_answers(aws):
    status, _, body = request("/v/1ABCDEFGHJKMNPQR", method="HEAD")
    assert (status, body) == (404, "")


def test_given_options_then_204_with_allow_and_other_methods_405(shop: Shop, stamp: str):
    status, headers, _ = request(f"/v/{stamp}", method="OPTIONS")
    assert status == 204
    assert set(headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert headers["access-control-allow-origin"] == "*"  # as the Digital Link routes answer

    for method in ("POST", "PUT", "DELETE"):
        status, headers, body = request(f"/v/{stamp}", method=method)
        assert status == 405 and "GET" in headers["allow"]
        error = json.loads(body)["error"]  # the API's one error shape
        assert error["code"] == "method_not_allowed" and "GET" in error["message"] and error["message_vi"]
    status, headers, body = request(f"/01/{GTIN14}/21/{stamp}", method="DELETE")
    assert status == 405 and "GET" in headers["allow"] and json.loads(body)["error"]["code"] == "method_not_allowed"
    assert _stamp_count(stamp) == 0


@pytest.mark.parametrize("tail", ["//", "/extra", "/report/"])
def test_given_an_address_under_a_stamp_that_no_page_answers_then_404_in_the_error_shape_or_a_page(
    shop: Shop, stamp: str, tail: str
):
    status, _, body = request(f"/v/{stamp}{tail}")

    assert status == 404
    error = json.loads(body)["error"]
    assert error["code"] == "route_not_found" and error["message"] and error["message_vi"] == "Không có trang này."

    status, headers, page = request(f"/v/{stamp}{tail}", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert status == 404 and headers["content-type"].startswith("text/html") and "Không có trang này" in page
    assert _stamp_count(stamp) == 0


def _alerts() -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName=backend.os.environ.get("ALERTS_TABLE", "ocop-alerts"))["Items"]
    return [i for i in items if i.get("kind", {}).get("S") == "alert"]


def test_given_head_on_a_stamp_that_was_never_activated_then_no_alert_but_a_scan_raises_one(detector):
    shop = Shop()
    code = shop.codes(1, 1)[0]  # issued, never bound to a lot: any scan of it raises an alert

    assert request(f"/v/{code}", method="HEAD")[0] == 200
    detector()
    assert _alerts() == []

    assert json.loads(request(f"/v/{code}")[2])["verdict"] == "not_activated"
    detector()
    assert [a["type"]["S"] for a in _alerts()] == ["not_activated_scanned"]


# --- kind 3: the URL shapes of phones and print shops -------------------------------------------
@pytest.mark.parametrize(
    "shape",
    [
        lambda c: f"/V/{c}",  # a QR encoded in upper case (alphanumeric mode)
        lambda c: f"/v/{c}/",  # a trailing slash
        lambda c: f"/V/{c}/",
        lambda c: "/v/" + "%20".join(group(c).split("-")),  # spaces typed inside, percent-encoded
        lambda c: "/v/" + " ".join(group(c).split("-")),  # ... or as a decoded rawPath
        lambda c: "/v/" + group(c).lower(),  # hyphens, lower case
        lambda c: "/v/" + quote(group(c).replace("-", "\u2013")),  # en dashes from a word processor
        lambda c: "/v/" + c.replace("0", "O").replace("1", "I"),  # Crockford's look-alikes
    ],
)
def test_given_a_url_shape_of_a_genuine_stamp_then_its_page_counted_exactly_once(shop: Shop, stamp: str, shape):
    status, _, body = request(shape(stamp))

    assert status == 200, body
    assert json.loads(body)["verdict"] == "genuine" and json.loads(body)["code"] == stamp
    assert _stamp_count(stamp) == 1


@pytest.mark.parametrize(
    "shape",
    [
        lambda c: "/v/" + "%2520".join(group(c).split("-")),  # a link percent-encoded twice
        lambda c: "/v/" + "%252D".join(group(c).split("-")),
        lambda c: "/v?code=" + quote(f"http://tem.example.vn/01/{GTIN14}/21/{c}", safe=""),  # a label URL pasted
        lambda c: "/v?code=" + quote(f"https://tem.example.vn/v/{c}?lang=en", safe=""),
        lambda c: "/v?code=" + quote(f"tem.example.vn/V/{c}/", safe=""),
    ],
)
def test_given_a_genuine_code_encoded_twice_or_inside_a_pasted_url_then_its_page_counted_once(
    shop: Shop, stamp: str, shape
):
    path, _, query = shape(stamp).partition("?")

    status, _, body = request(path, raw_query=query)

    assert status == 200, body
    assert json.loads(body)["verdict"] == "genuine" and json.loads(body)["code"] == stamp
    assert _stamp_count(stamp) == 1


def test_given_a_pasted_url_of_a_code_never_issued_then_still_unknown(shop: Shop, stamp: str):
    other = stamp[:-1] + ("0" if stamp[-1] != "0" else "1")  # one character changed: fails the check
    url = quote(f"https://tem.example.vn/01/{GTIN14}/21/{other}", safe="")

    status, _, body = request("/v", raw_query=f"code={url}")

    assert status == 404 and json.loads(body)["verdict"] == "unknown"
    assert _stamp_count(stamp) == 0


def test_given_the_code_repeated_in_the_query_then_read_once_but_two_codes_are_refused(shop: Shop, stamp: str):
    status, _, body = request("/v", raw_query=f"code={stamp}&code={group(stamp)}")
    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    assert _stamp_count(stamp) == 1

    other = shop.codes(2, 2)[0]
    status, _, body = request("/v", raw_query=f"code={stamp}&code={other}")
    assert status == 400
    error = json.loads(body)["error"]
    assert error["code"] == "repeated_parameter" and error["details"] == {"parameter": "code"}
    assert "code" in error["message"] and "code" in error["message_vi"]
    assert _stamp_count(stamp) == 1 and _stamp_count(other) == 0


@pytest.mark.parametrize(
    "path",
    [
        lambda c: f"/01/{GTIN14}/21/{c}/",  # a trailing slash
        lambda c: f"/01/{GTIN14}/21/{c.lower()}",  # the serial in lower case
        lambda c: f"/01/{GTIN14}/21/{group(c)}",  # hyphens are GS1 character set 82
        lambda c: f"/01/{GTIN14}/21/" + quote(type_with(TELEX, c)),  # typed on a Vietnamese keyboard
    ],
)
def test_given_a_digital_link_shape_of_a_genuine_stamp_then_its_page_counted_once(shop: Shop, stamp: str, path):
    status, headers, body = request(path(stamp))

    assert status == 200, body
    assert json.loads(body)["code"] == stamp and _stamp_count(stamp) == 1
    assert f"/01/{GTIN14}/21/{stamp}?linkType=linkset" in headers["link"]  # named by the printed code


# --- kind 4: a Vietnamese keyboard --------------------------------------------------------------
@pytest.mark.parametrize("method", [TELEX, VNI, VIQR])
def test_given_a_genuine_code_typed_on_a_vietnamese_keyboard_then_the_genuine_page_counted_once(
    shop: Shop, method: str
):
    code, shown = _codes(shop, method)

    status, _, body = request("/v", raw_query=urlencode({"code": shown, "ch": "typed"}), accept="text/html")

    assert status == 200 and "<h1>Tem chính hãng</h1>" in body
    assert _stamp_count(code) == 1
    [entry] = _log(code)
    assert entry["channel"] == "typed" and "Vietnamese keyboard" in entry["reason"]


def test_given_a_telex_code_in_the_stamp_path_or_its_report_then_the_same_stamp(shop: Shop):
    code, shown = _codes(shop, TELEX)

    status, _, body = request("/v/" + quote(shown))
    assert status == 200 and json.loads(body)["code"] == code and _stamp_count(code) == 1
    status, _, page = request("/v/" + quote(shown.lower()) + "/report", accept="text/html")
    assert status == 200 and f'action="/v/{code}/report"' in page  # filed under the printed code


def test_given_accents_that_read_as_no_code_then_the_advice_to_turn_the_keyboard_off(shop: Shop, stamp: str):
    shown = stamp[:5] + "Ế" + stamp[6:]  # a genuine code with a letter no reading brings back

    status, _, page = request("/v", raw_query=urlencode({"code": shown}), accept="text/html")
    assert status == 404
    assert "Hãy tắt bộ gõ tiếng Việt rồi nhập lại mã" in page and "có thể là hàng giả" not in page
    assert "id=report" not in page  # a keyboard, not a fake: no report form

    status, _, body = request("/v", raw_query=urlencode({"code": shown}))
    answer = json.loads(body)
    assert (answer["verdict"], answer["hint"]) == ("unknown", "keyboard")
    assert (
        answer["message"]["vi"].startswith("Tắt bộ gõ tiếng Việt") and "Vietnamese keyboard" in answer["message"]["en"]
    )
    assert _stamp_count(stamp) == 0


def test_given_accents_that_read_as_two_codes_then_neither_stamp_is_counted(shop: Shop, monkeypatch):
    shop.activate(1, 300)
    codes = shop.codes(1, 300)
    for code in codes:  # a code whose keyboard text has another reading with a valid check symbol
        shown = type_with(TELEX, code)
        if not shown.isascii():
            passing, _ = typed_codes._checked_readings(typed_codes._options(typed_codes._letters(shown)))
            if twins := [r for r in passing if r != code]:
                break
    else:
        raise AssertionError("no code with a twin reading")
    real = typed_codes.decode

    def as_if_both_issued(keys: Any, text: str) -> StampId:  # the twin reads as serial 2
        return StampId(1, int(shop.batch_id), 2) if text == twins[0] else real(keys, text)

    monkeypatch.setattr(typed_codes, "decode", as_if_both_issued)
    status, _, page = request("/v", raw_query=urlencode({"code": shown}), accept="text/html")

    assert status == 404 and "Hãy tắt bộ gõ tiếng Việt" in page
    assert _stamp_count(code) == 0 and _stamp_count(codes[1]) == 0
