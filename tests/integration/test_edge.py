"""Anyone could set a scan's place (issue 11, kind 6): the public function takes CloudFront's
viewer headers -- place and address -- only from requests that carry the distribution's origin
secret. Forged headers change neither what the buyer's page says nor what inspectors are
alerted to; the scan is still answered, and the attempt is counted. The rule on plain headers:
tests/unit/test_edge.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from helpers.handlers import TEST_ORIGIN_SECRET, Shop, claims, http_event, invoke, invoke_json, sample
from ocop_stamps.storage import parameters

HANOI = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"}
SAIGON = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "SG"}
THAI_NGUYEN = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "69"}
EDGE_SERVER = "130.176.88.1"  # behind CloudFront, API Gateway sees an edge server, not the phone


def through_cloudfront(place: dict[str, str], viewer: int, secret: str | None = TEST_ORIGIN_SECRET) -> dict[str, str]:
    """Headers of a request as the function receives it; ``secret=None``: sent straight to the API."""
    headers = {**place, "cloudfront-viewer-address": f"198.51.100.{viewer}:5{viewer:04d}"}
    if secret is not None:
        headers["x-origin-verify"] = secret
    return headers


def scan_page(code: str, headers: dict[str, str], source_ip: str = EDGE_SERVER) -> tuple[int, str]:
    event = sample("public-scan-html", CODE=code)
    event["headers"].update(headers)
    event["requestContext"]["http"]["sourceIp"] = source_ip
    status, _, body = invoke("public_scan", event)
    return status, body


def scan_json(code: str, headers: dict[str, str], source_ip: str = EDGE_SERVER) -> dict[str, Any]:
    event = sample("public-scan-html", CODE=code)
    event["headers"].update({**headers, "accept": "application/json"})
    event["requestContext"]["http"]["sourceIp"] = source_ip
    status, body = invoke_json("public_scan", event)
    assert status == 200, body
    return body


def stored_scans(code: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb").scan(TableName="ocop-scans")["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items if item["code"]["S"] == code]


def alerts() -> list[dict[str, Any]]:
    status, body = invoke_json("inspector_api", http_event("GET", "/alerts", route="/alerts", claims=claims("admin")))
    assert status == 200, body
    return body["items"]


# --- the page a buyer sees, the alerts inspectors get --------------------------------------
@pytest.mark.parametrize(
    ("secret", "trusted"),
    [(TEST_ORIGIN_SECRET, True), (None, False), ("a-guessed-secret", False)],
    ids=["through-cloudfront", "straight-to-the-api", "wrong-secret"],
)
def test_given_two_scans_claiming_hanoi_then_saigon_when_a_buyer_later_sees_the_repeat_page_then_only_cloudfront_placed_them(
    shop: Shop, detector, secret: str | None, trusted: bool
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]

    # two scans, ten minutes' travel apart, that say Hà Nội then Sài Gòn
    scan_page(code, through_cloudfront(HANOI, 1, secret))
    scan_page(code, through_cloudfront(SAIGON, 2, secret))
    # then people in Thái Nguyên scan it through CloudFront until the page says "repeat" (> 10)
    for viewer in range(3, 11):
        scan_page(code, through_cloudfront(THAI_NGUYEN, viewer))
    status, page = scan_page(code, through_cloudfront(THAI_NGUYEN, 11))
    detector()
    travel = [a for a in alerts() if a["type"] == "impossible_travel"]

    assert status == 200 and 'data-verdict="repeat"' in page
    if trusted:
        assert "tại Thành phố Hà Nội." in page
        (alert,) = travel  # Hà Nội -> Sài Gòn, then Sài Gòn -> Thái Nguyên: one alert on the code
        assert "Hồ Chí Minh" in alert["summary_vi"]
    else:
        assert "tại Tỉnh Thái Nguyên." not in page  # the first check's place is unknown; a later one is not it
        assert "Hà Nội" not in page and "Hồ Chí Minh" not in page
        assert travel == []


def test_given_a_forged_first_scan_then_first_checked_in_stays_unknown_even_when_cloudfront_places_a_later_scan(
    shop: Shop,
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]

    forged = scan_json(code, through_cloudfront(SAIGON, 1, secret=None), source_ip="203.0.113.7")
    placed = scan_json(code, through_cloudfront(HANOI, 2))

    assert forged["verdict"] == "genuine"  # still answered
    assert forged["scan"]["first_province"] is None
    assert placed["scan"]["first_province"] is None  # the first check's place was not known; a later one is not it
    assert sorted(str(s.get("province")) for s in stored_scans(code)) == ["01", "None"]


@pytest.mark.parametrize(
    ("region", "code", "name"),
    [
        ("VN-26", "46", "Thành phố Huế"),  # ISO 3166-2 still says Thừa Thiên Huế
        ("26", "46", "Thành phố Huế"),  # CloudFront sends the part after "VN-"
        ("03", "08", "Tỉnh Tuyên Quang"),  # Hà Giang, part of Tuyên Quang since 1 July 2025
        ("08", "08", "Tỉnh Tuyên Quang"),  # a GSO code of today, which no ISO code of the 63 reads as
    ],
)
def test_given_a_place_header_with_an_old_or_new_code_when_the_page_is_read_then_it_names_the_province_of_today(
    shop: Shop, region: str, code: str, name: str
) -> None:
    shop.activate(1, 10)
    stamp = shop.codes(1, 1)[0]
    place = {"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": region}

    first = scan_json(stamp, through_cloudfront(place, 1))
    for viewer in range(2, 12):
        status, page = scan_page(stamp, through_cloudfront(HANOI, viewer))

    assert first["scan"]["first_province"] == code and first["scan"]["first_province_name"] == name
    assert min(stored_scans(stamp), key=lambda s: s["scan_key"])["jurisdiction"] == code
    assert status == 200 and 'data-verdict="repeat"' in page
    assert f"tại {name}." in page and "Thừa Thiên" not in page and "Hà Giang" not in page


def test_given_forged_place_headers_then_the_attempt_is_counted_and_logged_without_the_address(
    shop: Shop, capsys
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    capsys.readouterr()

    scan_json(code, through_cloudfront(HANOI, 7, secret=None), source_ip="203.0.113.7")
    scan_json(code, through_cloudfront(HANOI, 7, secret="nope"), source_ip="203.0.113.7")
    scan_json(code, through_cloudfront(HANOI, 7))
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]

    counted = [line["reason"] for line in lines if "UntrustedEdge" in line]
    assert counted == ["no_secret", "wrong_secret"]  # the request through CloudFront is not counted
    assert "198.51.100.7" not in out and "203.0.113.7" not in out and TEST_ORIGIN_SECRET not in out


# --- the address that is hashed --------------------------------------------------------------
def test_given_two_phones_behind_one_edge_server_then_their_scans_hash_apart_and_a_claimed_address_counts_not(
    shop: Shop,
) -> None:
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]

    scan_json(code, through_cloudfront(HANOI, 1))  # phone 1 through CloudFront
    scan_json(code, through_cloudfront(HANOI, 2))  # phone 2 through the same edge server
    scan_json(code, through_cloudfront({}, 1, secret=None), source_ip="203.0.113.9")  # claims phone 1's address
    scan_json(code, {}, source_ip="203.0.113.9")  # the same client, claiming nothing
    hashes = [s["client_hash"] for s in sorted(stored_scans(code), key=lambda s: s["scan_key"])]

    assert hashes[0] != hashes[1]
    assert hashes[2] == hashes[3] != hashes[0]


# --- reports of fakes carry a place by the same rule ----------------------------------------
@pytest.mark.parametrize(("secret", "province"), [(TEST_ORIGIN_SECRET, "01"), (None, None), ("x", None)])
def test_given_a_report_with_place_headers_then_its_place_is_kept_only_through_cloudfront(
    shop: Shop, secret: str | None, province: str | None
) -> None:
    code = shop.codes(1, 1)[0]
    event = sample("public-report", CODE=code)
    event["headers"].update(through_cloudfront(HANOI, 4, secret))

    status, _, _ = invoke("public_scan", event)
    (report,) = [s for s in stored_scans(code) if s.get("kind") == "report"]

    assert status == 303
    assert report.get("province") == province


# --- the secret in Secrets Manager, cached, rotated -----------------------------------------
OLD, NEW = "old-origin-secret-0001", "new-origin-secret-0002"


@pytest.fixture
def secrets_manager(aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The origin secret as deployed: a Secrets Manager secret named by ORIGIN_SECRET_ID."""
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="OriginVerifySecret", SecretString=json.dumps({"current": OLD}))["ARN"]
    monkeypatch.delenv("OCOP_ORIGIN_SECRET")
    monkeypatch.setenv("ORIGIN_SECRET_ID", arn)
    parameters.reset_caches()
    yield lambda value: client.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    parameters.reset_caches()


def _place(code: str, secret: str, viewer: int) -> str | None:
    first = scan_json(code, through_cloudfront(HANOI, viewer, secret))["scan"]["first_province"]
    return None if first is None else "trusted"


def test_given_the_secret_rotated_then_the_new_value_works_and_the_old_one_only_during_the_grace(
    secrets_manager,
) -> None:
    shop = Shop()
    shop.activate(1, 10)
    codes = shop.codes(1, 6)

    before = (_place(codes[0], OLD, 1), _place(codes[1], NEW, 2))
    # 1. the new value goes in as current, the old one stays as previous
    secrets_manager({"current": NEW, "previous": OLD})
    parameters.reset_caches()  # what the 5-minute cache expiry does in a warm function
    during = (_place(codes[2], OLD, 3), _place(codes[3], NEW, 4))
    # 2. CloudFront sends the new value (stack update); 3. the old one is dropped
    secrets_manager({"current": NEW})
    parameters.reset_caches()
    after = (_place(codes[4], OLD, 5), _place(codes[5], NEW, 6))

    assert before == ("trusted", None)
    assert during == ("trusted", "trusted")
    assert after == (None, "trusted")


def test_given_a_cached_origin_secret_then_secrets_manager_is_not_read_on_every_scan(
    secrets_manager, ddb_calls
) -> None:
    shop = Shop()
    shop.activate(1, 10)
    codes = shop.codes(1, 5)
    ddb_calls.clear()

    places = [
        scan_json(code, through_cloudfront(HANOI, i, OLD))["scan"]["first_province"] for i, code in enumerate(codes)
    ]

    assert places == ["01"] * 5
    assert [c for c in ddb_calls if c[0] == "secretsmanager"] == [("secretsmanager", "GetSecretValue")]
