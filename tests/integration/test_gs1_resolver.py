"""The GS1 Digital Link resolver: /01/{gtin14}[/10/{lot}]/21/{code} resolves like /v/{code}
for the code's own GTIN only; linksets, 307s, 400s and the resolver description follow the
GS1-Conformant Resolver standard; nothing but the page itself counts as a scan."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import boto3
import pytest

from helpers.handlers import Shop, invoke, sample

GTIN14 = "08930000000019"  # the sample product's GTIN-13 8930000000019, as GTIN-14
OTHER_GTIN = "08930000000026"  # a valid check digit, another product
BASE = "https://tem.example.vn"
VOC = "https://gs1.org/voc/"


def _stamp_count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


def resolve(path: str, *, method: str = "GET", query: dict[str, str] | None = None, accept: str | None = None):
    event = sample("public-digital-link")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"dl": path.removeprefix("/01/")}
    event["requestContext"]["http"]["method"] = method
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = urlencode(query)
    if accept:
        event["headers"]["accept"] = accept
    return invoke("public_scan", event)


@pytest.fixture
def stamp(shop: Shop) -> str:
    shop.activate(1, 10)
    return shop.codes(1, 1)[0]


# --- resolving like /v/{code} ------------------------------------------------------------------
def test_given_a_label_digital_link_then_the_consumer_page_and_one_scan_counted(shop: Shop, stamp: str):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}")

    assert status == 200 and "<h1>Sản phẩm chính hãng</h1>" in body
    assert _stamp_count(stamp) == 1
    assert headers["cache-control"] == "no-store"
    assert f'<{BASE}/01/{GTIN14}/21/{stamp}?linkType=linkset>; rel="linkset"' in headers["link"]
    # the switch stays on the label's URL and shows this same scan again (view token)
    assert re.search(rf'href="/01/{GTIN14}/21/{stamp}\?view=[^"&]+&amp;lang=en"', body)


def test_given_a_digital_link_with_its_lot_and_accept_json_then_the_verdict_as_json(shop: Shop, stamp: str):
    status, headers, body = resolve(f"/01/{GTIN14}/10/HH-2026-11/21/{stamp}", accept="application/json")

    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    assert headers["content-type"].startswith("application/json")


def test_given_a_gtin_13_in_the_path_then_it_is_read_as_gtin_14(shop: Shop, stamp: str):
    status, _, _ = resolve(f"/01/{GTIN14[1:]}/21/{stamp}/")  # and a trailing slash
    assert status == 200 and _stamp_count(stamp) == 1


def test_given_a_code_under_another_gtin_then_404_and_that_stamp_is_not_counted(shop: Shop, stamp: str):
    status, _, body = resolve(f"/01/{OTHER_GTIN}/21/{stamp}")

    assert status == 404 and "Không tìm thấy mã tem" in body
    assert _stamp_count(stamp) == 0
    status, _, body = resolve(f"/01/{OTHER_GTIN}/21/{stamp}", accept="application/json")
    assert status == 404 and json.loads(body)["verdict"] == "unknown"
    assert _stamp_count(stamp) == 0


def test_given_a_code_that_was_never_issued_then_404(aws):
    status, _, _ = resolve(f"/01/{GTIN14}/21/1ABCDEFGHJKMNPQR")
    assert status == 404


def test_given_a_gtin_without_a_stamp_then_404_this_resolver_serves_stamps(aws):
    status, _, body = resolve(f"/01/{GTIN14}", accept="application/json")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


# --- linkset and redirects (never counted) ------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (None, "application/linkset+json"),
        ({"linkType": "linkset"}, None),
        ({"linkType": "all"}, "application/json"),
    ],
)
def test_given_a_linkset_request_then_the_rfc_9264_linkset_and_no_scan(shop: Shop, stamp: str, query, accept):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query=query, accept=accept)

    assert status == 200 and headers["content-type"] == "application/linkset+json"
    data = json.loads(body)
    assert list(data) == ["linkset"] and len(data["linkset"]) == 1
    context = data["linkset"][0]
    assert context["anchor"] == f"{BASE}/01/{GTIN14}/21/{stamp}"
    types = {k.removeprefix(VOC) for k in context if k != "anchor"}
    assert types == {"defaultLink", "pip", "verificationService", "certificationInfo", "traceability", "recallStatus"}
    for key, targets in context.items():
        if key == "anchor":
            continue
        assert isinstance(targets, list) and targets
        for t in targets:
            assert t["href"].startswith(f"{BASE}/v/{stamp}") and t["title"] and t["type"]
            assert t["hreflang"] == ["vi", "en"] and t["title*"][0]["language"] == "en"
    assert context[VOC + "verificationService"][0]["type"] == "application/json"
    assert headers["access-control-allow-origin"] == "*"
    assert _stamp_count(stamp) == 0


@pytest.mark.parametrize(
    ("link_type", "location"),
    [
        ("gs1:pip", "/v/{code}?lang=en"),
        (VOC + "certificationInfo", "/v/{code}?lang=en#product"),
        ("gs1:traceability", "/v/{code}?lang=en#lot"),
        ("gs1:verificationService", "/v/{code}?lang=en"),
        ("gs1:nutritionalInfo", "/v/{code}?lang=en"),  # not offered: the default link
    ],
)
def test_given_a_link_type_then_307_to_it_with_the_query_passed_on_and_no_scan(
    shop: Shop, stamp: str, link_type: str, location: str
):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query={"linkType": link_type, "lang": "en"})

    assert status == 307 and body == ""
    assert headers["location"] == BASE + location.format(code=stamp)
    assert 'rel="linkset"' in headers["link"]
    assert _stamp_count(stamp) == 0


def test_given_a_link_type_for_a_code_of_another_gtin_then_404(shop: Shop, stamp: str):
    status, _, _ = resolve(f"/01/{OTHER_GTIN}/21/{stamp}", query={"linkType": "gs1:pip"})
    assert status == 404


def test_given_head_and_options_then_headers_only_cors_and_no_scan(shop: Shop, stamp: str):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", method="HEAD")
    assert status == 200 and body == "" and "link" in headers

    status, headers, _ = resolve(f"/01/{GTIN14}/21/{stamp}", method="OPTIONS")
    assert status == 204 and headers["access-control-allow-origin"] == "*"
    assert set(headers["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert _stamp_count(stamp) == 0

    status, _, _ = resolve(f"/01/{GTIN14}/21/{stamp}", method="POST")
    assert status == 405


# --- malformed ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/01/08930000000018/21/ABC",  # wrong check digit
        "/01/0893000000001/21/ABC",  # 13 digits with a wrong check digit
        "/01/ABCDEFGHIJKLMN/21/ABC",  # not digits
        "/01/089300000000190/21/ABC",  # 15 digits
        f"/01/{GTIN14}/21",  # AI without a value
        f"/01/{GTIN14}/21/ABC/foo",  # what the GS1 conformance test appends
        f"/01/{GTIN14}/21/ABC/10/LOT1",  # qualifiers out of order
        f"/01/{GTIN14}/10/L1/10/L2/21/ABC",  # a qualifier twice
        f"/01/{GTIN14}/99/X/21/ABC",  # unknown AI
        f"/01/{GTIN14}/21/" + "A" * 21,  # serial over 20 characters
        f"/01/{GTIN14}/10/%C3%A0/21/ABC",  # outside character set 82
    ],
)
def test_given_a_path_that_is_not_digital_link_syntax_then_400(aws, path: str):
    status, headers, body = resolve(path, accept="application/json")
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_digital_link"
    assert json.loads(body)["error"]["message_vi"]

    status, _, body = resolve(path)
    assert status == 400 and "<h1>Đường dẫn không hợp lệ</h1>" in body


# --- the resolver description --------------------------------------------------------------------
def test_given_the_well_known_path_then_the_resolver_describes_itself_and_may_be_cached(aws):
    event = sample("public-scan-json", CODE="x")
    event["routeKey"] = "GET /.well-known/gs1resolver"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/.well-known/gs1resolver"
    event.pop("pathParameters", None)

    status, headers, body = invoke("public_scan", event)

    assert status == 200
    data = json.loads(body)
    assert data["resolverRoot"] == BASE and data["supportedPrimaryKeys"] == ["01"]
    assert {
        VOC + t for t in ("pip", "verificationService", "certificationInfo", "traceability", "recallStatus")
    } <= set(data["linkTypes"])
    assert headers["cache-control"] == "public, max-age=86400" and headers["access-control-allow-origin"] == "*"
