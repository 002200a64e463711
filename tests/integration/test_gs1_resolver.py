"""The GS1 Digital Link resolver, statement by statement of the GS1-Conformant Resolver
standard (docs/DIGITAL-LINK.md holds the table: statement, how it is met, the test here).

/01/{gtin14}[/10/{lot}]/21/{code} resolves like /v/{code} for the code's own GTIN only;
/01/{gtin14} and /01/{gtin14}/10/{lot} walk up to the product's and the lot's page; linksets
validate against GS1's linkset schema; nothing but the page a person lands on counts a scan.
Events have both shapes of a path: encoded (``%2F`` kept, as the local stack sends it) and
decoded (as API Gateway's HTTP API delivers ``rawPath`` and ``pathParameters``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import boto3
import jsonschema
import pytest

from helpers.handlers import Shop, claims, http_event, invoke, invoke_json, sample

GTIN14 = "08930000000019"  # the sample product's GTIN-13 8930000000019, as GTIN-14
OTHER_GTIN = "08930000000026"  # a valid check digit, another product
BASE = "https://tem.example.vn"
VOC = "https://gs1.org/voc/"
LINKSET_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "gs1-linkset" / "gs1-linkset-schema.json").read_text("utf-8")
)
JSONLD_CONTEXT_LINK = (
    '<https://ref.gs1.org/standards/resolver/1.2.0/linkset-context>; rel="http://www.w3.org/ns/json-ld#context"; '
    'type="application/ld+json"'
)


def _stamp_count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


def _log_kinds(code: str) -> list[str]:
    items = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    return sorted(i.get("kind", {}).get("S", "person") for i in items)


def _table_sizes() -> tuple[int, int]:
    client = boto3.client("dynamodb")
    return tuple(len(client.scan(TableName=t)["Items"]) for t in ("ocop-stamps", "ocop-scans"))  # type: ignore[return-value]


def resolve(
    path: str,
    *,
    method: str = "GET",
    query: dict[str, str] | list[tuple[str, str]] | None = None,
    accept: str | None = None,
    headers: dict[str, str] | None = None,
    decoded: bool = False,
) -> tuple[int, dict[str, str], str]:
    """One request to the public function. ``decoded``: the path as API Gateway's HTTP API
    delivers it, percent-decoded (a lot's ``%2F`` is a ``/``); otherwise as sent (local stack)."""
    event = sample("public-digital-link")
    raw_path = unquote(path) if decoded else path
    event["rawPath"] = event["requestContext"]["http"]["path"] = raw_path
    if raw_path.startswith("/01/"):
        event["pathParameters"] = {"dl": unquote(path).removeprefix("/01/")}  # always decoded
    else:
        event.pop("pathParameters", None)
    event["requestContext"]["http"]["method"] = method
    if query:
        pairs = list(query.items()) if isinstance(query, dict) else list(query)
        joined: dict[str, str] = {}
        for k, v in pairs:  # payload 2.0 joins repeated parameters with commas
            joined[k] = f"{joined[k]},{v}" if k in joined else v
        event["queryStringParameters"] = joined
        event["rawQueryString"] = urlencode(pairs)
    if accept:
        event["headers"]["accept"] = accept
    event["headers"].update(headers or {})
    return invoke("public_scan", event)


def follow(location: str, **kwargs: Any) -> tuple[int, dict[str, str], str]:
    """The request a browser makes for a 307's Location (same host)."""
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}" == BASE
    return resolve(url.path, query=parse_qsl(url.query, keep_blank_values=True) or None, **kwargs)


def _linkset(path: str, **kwargs: Any) -> dict[str, Any]:
    status, headers, body = resolve(path, accept="application/linkset+json", **kwargs)
    assert status == 200 and headers["content-type"] == "application/linkset+json", body
    return json.loads(body)


@pytest.fixture
def stamp(shop: Shop) -> str:
    shop.activate(1, 10)
    return shop.codes(1, 1)[0]


# --- a stamp's Digital Link: the page in place, counted once ---------------------------------------
def test_given_a_label_digital_link_then_the_consumer_page_and_one_scan_counted(shop: Shop, stamp: str):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}")

    assert status == 200 and "<h1>Tem chính hãng</h1>" in body
    assert _stamp_count(stamp) == 1 and _log_kinds(stamp) == ["person"]
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


# --- fault 10: a lot with a "/" in both shapes of the path ----------------------------------------
@pytest.mark.parametrize("decoded", [False, True], ids=["encoded-rawPath", "decoded-rawPath-http-api"])
def test_given_a_lot_with_an_encoded_slash_then_both_path_shapes_resolve_to_the_same_lot(shop: Shop, decoded: bool):
    lot = shop.new_lot("L2026/11.A")
    shop.activate(11, 20, lot_id=lot["lot_id"])
    code = shop.codes(11, 11)[0]

    status, _, body = resolve(f"/01/{GTIN14}/10/L2026%2F11.A/21/{code}", accept="application/json", decoded=decoded)
    assert status == 200, body
    result = json.loads(body)
    assert result["verdict"] == "genuine" and result["lot"]["lot_code"] == "L2026/11.A"
    assert "lot_mismatch" not in result  # the label's lot was read whole, and is the stamp's
    assert _stamp_count(code) == 1

    status, _, body = resolve(f"/01/{GTIN14}/10/L2026%2F11.A", accept="application/json", decoded=decoded)
    assert status == 200 and json.loads(body)["lot"]["lot_code"] == "L2026/11.A"

    data = _linkset(f"/01/{GTIN14}/10/L2026%2F11.A/21/{code}", decoded=decoded)
    assert data["linkset"][0]["anchor"] == f"{BASE}/01/{GTIN14}/10/L2026%2F11.A/21/{code}"
    assert f"{BASE}/01/{GTIN14}/10/L2026%2F11.A" in [c["anchor"] for c in data["linkset"]]


# --- GS1-Conformant Resolver: one test per SHALL statement (docs/DIGITAL-LINK.md) -----------------
def test_shall_support_every_key_qualifier_of_the_gtin(shop: Shop, stamp: str):
    """All key qualifiers of a primary key SHALL be supported: 22 (CPV), 10 (lot), 21 (serial)."""
    status, _, body = resolve(f"/01/{GTIN14}/22/A1/10/HH-2026-11/21/{stamp}", accept="application/json")
    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    status, _, body = resolve(f"/01/{GTIN14}/22/A1", accept="application/json")  # walks up to the product
    assert status == 200 and json.loads(body)["product"]["gtin"] == GTIN14


def test_shall_support_get_head_and_options(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}", f"/01/{GTIN14}/10/HH-2026-11"):
        get_status, get_headers, _ = resolve(path, accept="application/json")
        status, headers, body = resolve(path, method="HEAD")
        assert (status, body) == (get_status, "") and headers["link"] == get_headers["link"]
        status, headers, _ = resolve(path, method="OPTIONS")
        assert status == 204 and set(headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert _stamp_count(stamp) == 1  # the one GET of the page; HEAD and OPTIONS count nothing
    status, _, _ = resolve(f"/01/{GTIN14}/21/{stamp}", method="POST")
    assert status == 405


CORS_CASES = [
    ("/01/{gtin}/21/{code}", None, None),
    ("/01/{gtin}/21/{code}", {"linkType": "gs1:pip"}, None),
    ("/01/{gtin}/21/{code}", None, "application/linkset+json"),
    ("/01/{gtin}/21/{code}", {"linkType": "gs1:nutritionalInfo"}, None),
    ("/01/{gtin}", None, None),
    ("/01/{other}", None, None),
    ("/01/{gtin}/99/x", None, None),
]


def test_shall_support_cors_on_every_answer(shop: Shop, stamp: str):
    for path, query, accept in CORS_CASES:
        where = path.format(gtin=GTIN14, other=OTHER_GTIN, code=stamp)
        status, headers, _ = resolve(where, query=query, accept=accept)
        assert headers["access-control-allow-origin"] == "*", (where, status)
        status, headers, _ = resolve(where, method="OPTIONS")
        assert status == 204 and headers["access-control-allow-origin"] == "*"
        assert set(headers["access-control-allow-methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


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
        f"/01/{GTIN14}/10/" + "L" * 15 + "%2F" + "L" * 5 + "/21/ABC",  # a lot of 21 characters with its "/"
    ],
)
@pytest.mark.parametrize("decoded", [False, True], ids=["encoded", "decoded"])
def test_shall_validate_the_uri_syntax_and_answer_400(aws, path: str, decoded: bool):
    status, headers, body = resolve(path, accept="application/json", decoded=decoded)
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_digital_link"
    assert json.loads(body)["error"]["message_vi"]

    status, _, body = resolve(path, decoded=decoded)
    assert status == 400 and "<h1>Đường dẫn không hợp lệ</h1>" in body


ERROR_CASES = [
    ("/01/{gtin}/21/1ABCDEFGHJKMNPQR", None, 404),  # a code never issued
    ("/01/{other}/21/{code}", {"linkType": "gs1:pip"}, 404),  # a code of another GTIN
    ("/01/{other}", None, 404),  # no product with this GTIN
    ("/01/{gtin}/10/NO-SUCH-LOT", None, 404),  # no such lot of the product
    ("/01/{gtin}/21/{code}", {"linkType": "gs1:nutritionalInfo"}, 404),  # a link type not offered
    ("/01/{gtin}/99/x", None, 400),
]


def test_shall_not_answer_200_with_an_error(shop: Shop, stamp: str):
    for path, query, status in ERROR_CASES:
        for accept in ("application/json", None, "application/linkset+json"):
            where = path.format(gtin=GTIN14, other=OTHER_GTIN, code=stamp)
            got, _, body = resolve(where, query=query, accept=accept)
            assert got == status, (where, accept, body)
    assert _stamp_count(stamp) == 0


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (None, "application/linkset+json"),
        ({"linkType": "linkset"}, None),
        ({"linkType": "all"}, "application/json"),
    ],
)
def test_shall_answer_the_linkset_for_linktype_linkset_or_its_media_type(shop: Shop, stamp: str, query, accept):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query=query, accept=accept)

    assert status == 200 and headers["content-type"] == "application/linkset+json"
    data = json.loads(body)
    assert list(data) == ["linkset"]
    context = data["linkset"][0]
    assert context["anchor"] == f"{BASE}/01/{GTIN14}/21/{stamp}"
    assert context["itemDescription"] == "Cao ngựa bạch Hoan Hoa"
    types = {k.removeprefix(VOC) for k in context if k not in ("anchor", "itemDescription")}
    assert types == {"defaultLink", "pip", "verificationService", "certificationInfo", "traceability", "recallStatus"}
    for key, targets in context.items():
        if key in ("anchor", "itemDescription"):
            continue
        for t in targets:
            assert t["href"].startswith(f"{BASE}/v/{stamp}")
    assert [t["hreflang"] for t in context[VOC + "pip"]] == [["vi"], ["en"]]
    assert context[VOC + "verificationService"][0]["type"] == "application/json"
    assert headers["access-control-allow-origin"] == "*"
    assert _stamp_count(stamp) == 0


def test_shall_include_the_links_of_each_level_up_to_the_gtin(shop: Shop, stamp: str):
    anchors = [c["anchor"] for c in _linkset(f"/01/{GTIN14}/21/{stamp}")["linkset"]]
    assert anchors == [f"{BASE}/01/{GTIN14}/21/{stamp}", f"{BASE}/01/{GTIN14}/10/HH-2026-11", f"{BASE}/01/{GTIN14}"]

    anchors = [c["anchor"] for c in _linkset(f"/01/{GTIN14}/10/HH-2026-11")["linkset"]]
    assert anchors == [f"{BASE}/01/{GTIN14}/10/HH-2026-11", f"{BASE}/01/{GTIN14}"]
    assert [c["anchor"] for c in _linkset(f"/01/{GTIN14}")["linkset"]] == [f"{BASE}/01/{GTIN14}"]


def test_shall_name_the_uncompressed_canonical_uri_as_the_subject(shop: Shop, stamp: str):
    data = _linkset(f"/01/{GTIN14[1:]}/10/HH-2026-11/21/{stamp.lower()}/")  # GTIN-13, lower case, a slash
    assert data["linkset"][0]["anchor"] == f"{BASE}/01/{GTIN14}/10/HH-2026-11/21/{stamp}"


def _every_link(data: dict[str, Any]):
    for context in data["linkset"]:
        for key, targets in context.items():
            if key not in ("anchor", "itemDescription"):
                for target in targets:
                    yield key, target


def test_shall_give_every_link_a_target_a_link_type_and_a_title(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}/10/HH-2026-11", f"/01/{GTIN14}"):
        for link_type, target in _every_link(_linkset(path)):
            assert link_type.startswith(VOC) and target["href"].startswith(BASE) and target["title"].strip()
            if link_type != VOC + "defaultLink":
                assert target["hreflang"] in (["vi"], ["en"])  # SHOULD: the language


IANA_MEDIA_TYPES = {"text/html", "application/json"}  # both registered with IANA (RFC 2854, RFC 8259)


def test_shall_only_use_media_types_registered_with_iana(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}/10/HH-2026-11"):
        assert {t["type"] for _, t in _every_link(_linkset(path)) if "type" in t} <= IANA_MEDIA_TYPES


def test_shall_describe_the_default_link_by_a_descriptive_link_type_too(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}/10/HH-2026-11", f"/01/{GTIN14}"):
        for context in _linkset(path)["linkset"]:
            (default,) = context[VOC + "defaultLink"]
            described = [
                t["href"].split("?lang=")[0].replace("&lang=vi", "").replace("&lang=en", "")
                for t in context[VOC + "pip"]
            ]
            assert default["href"] in described


def test_shall_recognise_one_default_link_for_any_request_uri(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/22/A1/10/HH-2026-11/21/{stamp}", f"/01/{GTIN14}/10/HH-2026-11", f"/01/{GTIN14}"):
        for context in _linkset(path)["linkset"]:
            assert len(context[VOC + "defaultLink"]) == 1


def test_shall_give_the_default_link_no_optional_attribute(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}/10/HH-2026-11", f"/01/{GTIN14}"):
        for context in _linkset(path)["linkset"]:
            (default,) = context[VOC + "defaultLink"]
            assert set(default) == {"href", "title"}


@pytest.mark.parametrize("level", ["stamp", "lot", "product"])
def test_shall_validate_every_linkset_against_gs1s_linkset_schema(shop: Shop, stamp: str, level: str):
    path = {
        "stamp": f"/01/{GTIN14}/10/HH-2026-11/21/{stamp}",
        "lot": f"/01/{GTIN14}/10/HH-2026-11",
        "product": f"/01/{GTIN14}",
    }[level]
    validator = jsonschema.Draft7Validator(LINKSET_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(_linkset(path))]
    assert errors == []


@pytest.mark.parametrize("path", ["/01/{gtin}/21/{stamp}", "/01/{gtin}/10/HH-2026-11"])
def test_given_a_linkset_then_the_lots_item_description_is_in_both_languages_like_its_links(
    shop: Shop, stamp: str, path: str
):
    data = _linkset(path.format(gtin=GTIN14, stamp=stamp))

    descriptions = {c["anchor"].removeprefix(f"{BASE}/01/{GTIN14}"): c["itemDescription"] for c in data["linkset"]}
    assert descriptions["/10/HH-2026-11"] == (
        "Cao ngựa bạch Hoan Hoa — lô HH-2026-11 / Hoan Hoa white-horse bone paste — lot HH-2026-11"
    )
    assert descriptions[""] == "Cao ngựa bạch Hoan Hoa"  # the product: its registered name
    validator = jsonschema.Draft7Validator(LINKSET_SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    assert [e.message for e in validator.iter_errors(data)] == []


def test_shall_name_the_json_ld_context_in_a_link_header(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}"):
        _, headers, _ = resolve(path, accept="application/linkset+json")
        assert JSONLD_CONTEXT_LINK in headers["link"]
        _, headers, _ = resolve(path, query={"linkType": "gs1:pip"})  # even when redirecting
        assert JSONLD_CONTEXT_LINK in headers["link"] and 'rel="linkset"' in headers["link"]


@pytest.mark.parametrize(
    "path, query, status",
    [
        (f"/01/{GTIN14}/21/{{stamp}}", {"linkType": "gs1:nutritionalInfo"}, 404),
        (f"/01/{GTIN14}/10/NO-SUCH-LOT", None, 404),
        (f"/01/{GTIN14}/21/NEVERISSUED00000", None, 404),
        ("/01/08930000000010/21/{stamp}", None, 400),  # a wrong check digit
    ],
)
def test_given_an_error_answer_then_it_still_names_the_json_ld_context(
    shop: Shop, stamp: str, path: str, query: dict[str, str] | None, status: int
):
    answer, headers, _ = resolve(path.format(stamp=stamp), query=query, accept="application/json")

    assert answer == status and JSONLD_CONTEXT_LINK in headers["link"]


def test_shall_redirect_to_the_default_link_with_the_query_passed_on(shop: Shop, stamp: str):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query=[("utm_source", "poster"), ("a", "1")])

    assert status == 307 and body == ""
    assert headers["location"] == f"{BASE}/v/{stamp}?utm_source=poster&a=1"
    assert _stamp_count(stamp) == 0 and _log_kinds(stamp) == []  # the page it leads to logs and counts

    status, headers, _ = resolve(f"/01/{GTIN14}", query={"utm_source": "poster"})
    assert status == 307 and headers["location"] == f"{BASE}/01/{GTIN14}?linkType=gs1:pip&utm_source=poster"


def test_given_the_307_to_the_default_link_followed_then_the_scan_counts_exactly_once(shop: Shop, stamp: str):
    status, headers, _ = resolve(f"/01/{GTIN14}/10/HH-2026-11/21/{stamp}", query={"src": "zalo"})
    assert status == 307 and _stamp_count(stamp) == 0

    status, _, body = follow(headers["location"], accept="application/json")

    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    assert "lot_mismatch" not in json.loads(body)  # the label's lot went along (?lot=) and matches
    assert _stamp_count(stamp) == 1 and _log_kinds(stamp) == ["person"]


def test_given_a_label_lot_that_is_not_the_stamps_then_the_page_after_the_307_still_says_so(shop: Shop, stamp: str):
    status, headers, _ = resolve(f"/01/{GTIN14}/10/OTHER-LOT/21/{stamp}", query={"src": "zalo"})
    status, _, body = follow(headers["location"], accept="application/json")
    assert status == 200 and json.loads(body)["lot_mismatch"]["label_lot"] == "OTHER-LOT"
    status, _, page = follow(headers["location"])  # the language switch keeps the label's lot
    assert status == 200 and re.search(rf'href="/v/{stamp}\?lot=OTHER-LOT&amp;view=[^"&]+&amp;lang=en"', page)


def test_shall_redirect_to_the_requested_link_type(shop: Shop, stamp: str):
    for link_type, location in [
        ("gs1:pip", "/v/{code}?lang=en"),
        (VOC + "certificationInfo", "/v/{code}?lang=en#product"),
        ("gs1:traceability", "/v/{code}?lang=en#lot"),
        ("gs1:verificationService", "/v/{code}?lang=en"),
    ]:
        status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query={"linkType": link_type, "lang": "en"})
        assert status == 307 and body == ""
        assert headers["location"] == BASE + location.format(code=stamp)
        assert 'rel="linkset"' in headers["link"]
    assert _stamp_count(stamp) == 0


@pytest.mark.parametrize("link_type", ["gs1:defaultLink", VOC + "defaultLink", "gs1:defaultLinkMulti"])
def test_shall_redirect_to_the_default_link_when_it_is_the_link_type_asked_for(shop: Shop, stamp: str, link_type: str):
    status, headers, body = resolve(f"/01/{GTIN14}/21/{stamp}", query={"linkType": link_type, "lang": "en"})

    assert status == 307 and body == "" and headers["location"] == f"{BASE}/v/{stamp}?lang=en"
    status, headers, page = resolve(f"/01/{GTIN14}", query={"linkType": link_type})  # the resolver hosts it
    assert status == 200 and headers["content-type"].startswith("text/html") and "Cao ngựa bạch Hoan Hoa" in page
    assert _stamp_count(stamp) == 0


@pytest.mark.parametrize("link_type", ["gs1:nutritionalInfo", "gs1:", "https://example.com/voc/pip", "gs1:handledBy"])
def test_shall_answer_404_for_a_link_type_not_available(shop: Shop, stamp: str, link_type: str):
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}", f"/01/{GTIN14}/10/HH-2026-11"):
        status, headers, body = resolve(path, query={"linkType": link_type})
        assert status == 404 and "location" not in headers, path
        error = json.loads(body)["error"]
        assert error["code"] == "not_found" and error["message"] and error["message_vi"]
    assert _stamp_count(stamp) == 0


def test_given_link_type_repeated_with_different_values_then_400_repeated_parameter(shop: Shop, stamp: str):
    query = [("linkType", "gs1:pip"), ("linkType", "gs1:traceability")]
    for path in (f"/01/{GTIN14}/21/{stamp}", f"/01/{GTIN14}"):
        status, headers, body = resolve(path, query=query)

        assert status == 400 and "location" not in headers and JSONLD_CONTEXT_LINK in headers["link"]
        error = json.loads(body)["error"]
        assert error["code"] == "repeated_parameter" and error["details"] == {"parameter": "linkType"}
    status, headers, _ = resolve(f"/01/{GTIN14}/21/{stamp}", query=[("linkType", "gs1:pip"), ("linkType", "pip")])
    assert status == 307 and headers["location"] == f"{BASE}/v/{stamp}"  # the same link twice: read once
    assert _stamp_count(stamp) == 0


def test_shall_pass_on_every_key_value_pair_when_redirecting(shop: Shop, stamp: str):
    query = [("linkType", "gs1:certificationInfo"), ("a", "1"), ("a", "2"), ("b", ""), ("c", "x y")]
    status, headers, _ = resolve(f"/01/{GTIN14}/21/{stamp}", query=query)
    assert status == 307 and headers["location"] == f"{BASE}/v/{stamp}?a=1&a=2&b=&c=x+y#product"


def test_shall_describe_itself_at_the_well_known_path(aws):
    status, headers, body = resolve("/.well-known/gs1resolver")

    assert status == 200
    data = json.loads(body)
    assert data["resolverRoot"] == BASE
    assert {
        VOC + t for t in ("pip", "verificationService", "certificationInfo", "traceability", "recallStatus")
    } <= set(data["linkTypes"])
    assert data["jsonLdContextLocation"] == "https://ref.gs1.org/standards/resolver/1.2.0/linkset-context"
    assert headers["cache-control"] == "public, max-age=86400" and headers["access-control-allow-origin"] == "*"


def test_shall_list_the_supported_primary_keys_in_the_description(aws):
    _, _, body = resolve("/.well-known/gs1resolver")
    assert json.loads(body)["supportedPrimaryKeys"] == ["01"]


def test_shall_recognise_the_gs1_web_vocabulary_and_use_no_other(shop: Shop, stamp: str):
    for spelled in ("gs1:certificationInfo", VOC + "certificationInfo", "http://gs1.org/voc/certificationInfo"):
        status, headers, _ = resolve(f"/01/{GTIN14}/21/{stamp}", query={"linkType": spelled})
        assert status == 307 and headers["location"].endswith("#product")
    keys = {k for k, _ in _every_link(_linkset(f"/01/{GTIN14}/21/{stamp}"))}
    assert all(k.startswith(VOC) for k in keys)  # no link type of another vocabulary duplicates GS1's


def test_should_tolerate_a_trailing_slash(shop: Shop, stamp: str):
    for path in (f"/01/{GTIN14}/21/{stamp}/", f"/01/{GTIN14}/", f"/01/{GTIN14}/10/HH-2026-11/"):
        status, _, _ = resolve(path, accept="application/json")
        assert status == 200


# --- walking up: the product's page and the lot's page (no verdict, nothing counted) --------------
def test_given_only_the_gtin_then_the_products_page_without_a_verdict_and_nothing_written(shop: Shop, stamp: str):
    before = _table_sizes()

    status, headers, page = resolve(f"/01/{GTIN14}")

    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "<h1>Cao ngựa bạch Hoan Hoa</h1>" in page and "Cơ sở chế biến cao ngựa bạch Hoan Hoa" in page
    assert "★★★☆☆" in page  # the OCOP rating
    assert "data-verdict" not in page and "Tem chính hãng" not in page and "không kiểm tra một con tem" in page
    assert headers["content-language"] == "vi"
    status, headers, page = resolve(f"/01/{GTIN14}", query={"lang": "en"})
    assert status == 200 and headers["content-language"] == "en" and "it does not check any one stamp" in page
    assert _table_sizes() == before  # no scan, no lookup line, no counter


def test_given_the_gtin_and_a_known_lot_then_the_lots_page_as_html_and_json(shop: Shop, stamp: str):
    status, _, page = resolve(f"/01/{GTIN14}/10/HH-2026-11")
    assert status == 200 and "HH-2026-11" in page and "id=lot" in page and "data-verdict" not in page

    status, _, body = resolve(f"/01/{GTIN14}/10/HH-2026-11", accept="application/json")
    data = json.loads(body)
    assert status == 200 and data["lot"]["lot_code"] == "HH-2026-11" and data["product"]["gtin"] == GTIN14
    assert not {"verdict", "scan", "code"} & data.keys()
    assert _stamp_count(stamp) == 0


def test_given_a_recalled_lot_then_its_page_says_so(shop: Shop, stamp: str):
    lot_id = shop.lot["lot_id"]
    recall = {"reason": "Phát hiện nhiễm khuẩn", "message_vi": "Vui lòng ngừng sử dụng và trả lại nơi mua."}
    event = http_event(
        "POST",
        f"/lots/{lot_id}/recall",
        route="/lots/{lot_id}/recall",
        body=recall,
        claims=claims("producer", shop.producer_id),
        path_parameters={"lot_id": lot_id},
    )
    status, body = invoke_json("producer_api", event)
    assert status in (200, 201), body
    status, _, page = resolve(f"/01/{GTIN14}/10/HH-2026-11")
    assert status == 200 and "Lô hàng này đã bị thu hồi" in page and "Vui lòng ngừng sử dụng" in page


def test_given_producer_text_with_markup_then_the_walk_up_page_escapes_it(shop: Shop):
    shop.new_lot("XSS-1", process_steps=[{"step": "<script>alert(1)</script>", "when": "2026-11-01"}])
    status, _, page = resolve(f"/01/{GTIN14}/10/XSS-1")
    assert status == 200 and "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("path", ["/01/{other}", "/01/{gtin}/10/NO-SUCH-LOT", "/01/{other}/10/HH-2026-11"])
def test_given_an_unknown_gtin_or_lot_then_404_in_the_error_shape(shop: Shop, path: str):
    status, _, body = resolve(path.format(gtin=GTIN14, other=OTHER_GTIN))
    error = json.loads(body)["error"]
    assert status == 404 and error["code"] == "not_found" and error["message"] and error["message_vi"]


def test_given_a_second_product_with_a_registered_gtin_then_409_names_the_field_and_the_walk_up_still_answers(
    shop: Shop,
):
    from helpers.handlers import with_body

    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), producer_id=shop.producer_id))

    assert status == 409 and body["error"]["details"] == [{"field": "gtin", "problem": "already registered"}]
    assert GTIN14 in body["error"]["message"] and "GTIN" in body["error"]["message_vi"]
    status, _, page = resolve(f"/01/{GTIN14}")
    assert status == 200 and shop.product["name"] in page


def test_given_two_products_with_one_gtin_from_before_the_rule_then_the_walk_up_will_not_choose_and_a_third_is_refused(
    shop: Shop,
):
    from helpers.handlers import with_body
    from ocop_stamps.storage import keys
    from ocop_stamps.storage.models import ProductItem

    # a product stored before GTINs were claimed: no GtinClaim item beside it
    old = ProductItem.get(keys.product_key(shop.product_id), keys.PROFILE)
    old.pk = keys.product_key("prd_legacy")
    old.gsi1sk = old.pk
    old.product_id = "prd_legacy"
    old.save()

    status, _, _ = resolve(f"/01/{GTIN14}")
    assert status == 404
    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), producer_id=shop.producer_id))
    assert status == 409 and body["error"]["details"][0]["field"] == "gtin"
