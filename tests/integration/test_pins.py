"""The scratch-off PIN end to end against moto (issue 14, docs/PIN.md): two-layer batches, one
conditional write per claim, retries that stay first, wrong tries to the lock, faults."""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.epcis import validation_errors
from helpers.handlers import (
    TEST_PIN_KEYS,
    Shop,
    csv_rows,
    for_batch,
    http_event,
    invoke,
    invoke_json,
    scan,
    with_body,
)
from helpers.handlers import claims as claims_of
from ocop_stamps.codes import pins
from ocop_stamps.codes.scheme import decode
from ocop_stamps.core.errors import BadRequest, NotFound, Unavailable
from ocop_stamps.scanning import pins as claims
from ocop_stamps.scanning.verification import ScanContext
from ocop_stamps.storage.parameters import code_keys, parse_pin_keys

HANOI = ScanContext(
    source_ip="198.51.100.7",
    user_agent="Mozilla/5.0 (Linux; Android 14) Mobile",
    headers={"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "HN"},
)
HUE = ScanContext(
    source_ip="198.51.100.99",
    user_agent="Mozilla/5.0 (iPhone) Mobile",
    headers={"cloudfront-viewer-country": "VN", "cloudfront-viewer-country-region": "26"},
)


def issue_two_layer(shop: Shop, size: int = 50) -> dict[str, Any]:
    event = with_body(shop.event("producer-issue-batch"), size=size, second_layer=True)
    del event["headers"]["idempotency-key"]
    status, batch = invoke_json("producer_api", event)
    assert status == 201, batch
    return batch


def pin_of(code: str) -> str:
    stamp = decode(code_keys(), code)
    return pins.derive(parse_pin_keys(TEST_PIN_KEYS), 1, stamp.batch, stamp.serial)


def wrong_pin_of(code: str) -> str:
    return str((int(pin_of(code)) + 1) % 10**8).zfill(8)


@pytest.fixture
def two_layer(shop: Shop) -> dict[str, Any]:
    batch = issue_two_layer(shop)
    shop.activate(1, 50, batch_id=batch["batch_id"])
    return {"batch": batch, "codes": shop.codes(1, 10, batch_id=batch["batch_id"])}


def scan_log(code: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table("ocop-scans")
    return table.query(KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": code})["Items"]


# --- the batch option (step 2) ----------------------------------------------------------------
def test_given_a_batch_requested_with_a_second_layer_then_it_says_so_and_others_do_not(shop: Shop):
    batch = issue_two_layer(shop)
    assert batch["second_layer"] is True
    assert shop.batch["second_layer"] is False  # the default
    assert "pin_key_version" not in batch  # the secret's version is nobody's business


def test_given_a_batch_stored_before_two_layer_stamps_existed_then_it_reads_as_one_layer(shop: Shop):
    boto3.client("dynamodb").update_item(
        TableName="ocop-catalog",
        Key={"pk": {"S": f"BATCH#{int(shop.batch_id):08d}"}, "sk": {"S": "PROFILE"}},
        UpdateExpression="REMOVE second_layer, pin_key_version",
    )
    status, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    assert status == 200 and batch["second_layer"] is False


def test_given_second_layer_not_a_boolean_then_the_request_is_refused(shop: Shop):
    event = with_body(shop.event("producer-issue-batch"), size=5, second_layer="yes")
    del event["headers"]["idempotency-key"]
    status, body = invoke_json("producer_api", event)
    assert status in (400, 422) and body["error"]["message_vi"]


# --- claiming (step 3) ----------------------------------------------------------------------
def test_given_the_first_right_pin_then_the_buyer_is_first_and_the_stamp_reads_claimed(two_layer):
    code = two_layer["codes"][0]
    answer = claims.check_pin(code, pin_of(code), HANOI, ref="page-1")
    assert answer["outcome"] == "first"
    assert answer["claimed_province"] == "01" and answer["claimed_province_name"] == "Thành phố Hà Nội"
    status, page = scan(code)
    assert status == 200 and page["verdict"] == "claimed" and "claimed" in page["verdicts"]
    assert page["claim"]["claimed_at"] == answer["claimed_at"] and page["claim"]["claimed_province"] == "01"
    assert page["second_layer"] is True


def test_given_an_unclaimed_two_layer_stamp_then_its_scan_is_genuine_and_asks_for_the_pin(two_layer):
    status, page = scan(two_layer["codes"][1])
    assert status == 200 and page["verdict"] == "genuine" and page["second_layer"] is True and "claim" not in page


def test_given_a_later_right_pin_then_it_warns_when_and_where_the_stamp_was_claimed(two_layer):
    code = two_layer["codes"][0]
    first = claims.check_pin(code, pin_of(code), HANOI, ref="buyer-a")
    later = claims.check_pin(code, pin_of(code), HUE, ref="buyer-b")
    assert later["outcome"] == "already_claimed"
    assert later["claimed_at"] == first["claimed_at"] and later["claimed_province"] == "01"
    assert "đã được xác nhận trước đó" in later["message"]["vi"]


def test_given_the_same_claiming_request_again_then_it_is_first_again_and_logged_once(two_layer):
    code = two_layer["codes"][0]
    first = claims.check_pin(code, pin_of(code), HANOI, ref="view-token-xyz")
    again = claims.check_pin(code, pin_of(code), HANOI, ref="view-token-xyz")
    assert first["outcome"] == again["outcome"] == "first" and again["claimed_at"] == first["claimed_at"]
    assert [line["verdict"] for line in scan_log(code)] == ["pin_first"]


def test_given_two_buyers_entering_the_pin_at_the_same_moment_then_exactly_one_is_first(two_layer):
    code = two_layer["codes"][2]
    pin = pin_of(code)
    claims.check_pin(two_layer["codes"][3], pin_of(two_layer["codes"][3]), HANOI)  # clients and caches warm
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def buyer(n: int) -> None:
        start.wait()
        outcomes.append(claims.check_pin(code, pin, HANOI, ref=f"buyer-{n}")["outcome"])

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_claimed"] * 7 + ["first"]


def test_given_wrong_pins_then_each_says_so_with_the_tries_left_until_the_pin_locks(two_layer):
    code = two_layer["codes"][4]
    left = [claims.check_pin(code, wrong_pin_of(code), HANOI)["tries_left"] for _ in range(pins.MAX_WRONG_TRIES)]
    assert left == list(range(pins.MAX_WRONG_TRIES - 1, -1, -1))
    assert claims.check_pin(code, wrong_pin_of(code), HANOI)["outcome"] == "locked"
    # locked means locked: the right PIN is not checked either, and the stamp is not claimed
    assert claims.check_pin(code, pin_of(code), HANOI)["outcome"] == "locked"
    assert scan(code)[1]["verdict"] == "genuine"


def test_given_a_wrong_pin_then_the_first_right_one_still_claims(two_layer):
    code = two_layer["codes"][5]
    assert claims.check_pin(code, wrong_pin_of(code), HANOI)["outcome"] == "wrong"
    assert claims.check_pin(code, pin_of(code), HANOI)["outcome"] == "first"


@pytest.mark.parametrize("typed", ["1234567", "12345678901", "abcdefgh", ""])
def test_given_something_that_is_not_a_pin_then_it_is_refused_and_not_counted(two_layer, typed):
    code = two_layer["codes"][6]
    with pytest.raises(BadRequest):
        claims.check_pin(code, typed, HANOI)
    assert scan_log(code) == []
    assert claims.check_pin(code, wrong_pin_of(code), HANOI)["tries_left"] == pins.MAX_WRONG_TRIES - 1


def test_given_a_one_layer_stamp_or_no_stamp_then_there_is_no_pin_to_enter(shop: Shop):
    code = shop.codes(1, 1)[0]
    with pytest.raises(claims.NoPin):
        claims.check_pin(code, "12345678", HANOI)
    with pytest.raises(NotFound):
        claims.check_pin("not-a-code", "12345678", HANOI)


def test_given_a_two_layer_stamp_never_activated_or_voided_then_no_pin_is_checked_and_no_try_counted(shop: Shop):
    from integration.test_lifecycle import void

    batch = issue_two_layer(shop, size=10)
    first, second = shop.codes(1, 2, batch_id=batch["batch_id"])

    with pytest.raises(claims.NotClaimable) as before_activation:
        claims.check_pin(first, pin_of(first), HANOI)
    shop.activate(1, 10, batch_id=batch["batch_id"])
    shop.batch_id = batch["batch_id"]
    assert void(shop, first_serial=2, last_serial=2, reason="damaged")[0] == 201
    with pytest.raises(claims.NotClaimable) as after_void:
        claims.check_pin(second, pin_of(second), HANOI)

    assert before_activation.value.status == 409 and "kích hoạt" in before_activation.value.message_vi
    assert after_void.value.code == "not_claimable" and "hủy" in after_void.value.message_vi
    assert scan_log(first) == [] and scan_log(second) == []  # no try, no claim, nothing logged
    assert claims.check_pin(first, pin_of(first), HANOI)["outcome"] == "first"  # once activated, it claims


def test_given_pin_entries_then_the_pin_is_in_no_log_line_and_no_stamp_item(two_layer):
    code = two_layer["codes"][7]
    pin = pin_of(code)
    claims.check_pin(code, wrong_pin_of(code), HANOI)
    claims.check_pin(code, pin, HANOI)
    claims.check_pin(code, pin, HUE)
    lines = scan_log(code)
    assert sorted(line["verdict"] for line in lines) == ["pin_already_claimed", "pin_first", "pin_wrong"]
    assert all(line["kind"] == "pin" for line in lines)
    stamp = boto3.resource("dynamodb").Table("ocop-stamps").get_item(Key={"code": code})["Item"]
    assert pin not in repr(lines) and pin not in repr(stamp)


# --- requests per entry (target <= 3, warm) -----------------------------------------------------
def test_given_a_warm_function_then_a_first_claim_a_second_claim_and_a_wrong_pin_take_three_requests_each(
    two_layer, ddb_calls
):
    a, b = two_layer["codes"][8], two_layer["codes"][9]
    warm = two_layer["codes"][7]
    claims.check_pin(warm, pin_of(warm), HANOI)  # warm: product and producer in the cache, the clients made
    ddb_calls.clear()
    claims.check_pin(a, pin_of(a), HANOI)
    first = [c for c in ddb_calls if c[0] == "dynamodb"]
    ddb_calls.clear()
    claims.check_pin(a, pin_of(a), HUE)
    second = [c for c in ddb_calls if c[0] == "dynamodb"]
    ddb_calls.clear()
    claims.check_pin(b, wrong_pin_of(b), HANOI)
    wrong = [c for c in ddb_calls if c[0] == "dynamodb"]
    claim = [("dynamodb", "GetItem"), ("dynamodb", "TransactWriteItems"), ("dynamodb", "PutItem")]
    assert first == second == claim  # the claim and its EPCIS event in one transaction
    assert wrong == [("dynamodb", "GetItem"), ("dynamodb", "UpdateItem"), ("dynamodb", "PutItem")]


# --- DynamoDB faults (storage.faults, as tests/integration/test_faults.py) ---------------------
def _refusing(monkeypatch: pytest.MonkeyPatch, code: str, *, after: bool, times: int) -> dict[str, int]:
    """The stamp's write (UpdateItem, or the claim's TransactWriteItems) fails ``times`` times with
    a 500: before DynamoDB applied it, or (``after``) once it had (a timeout on the answer)."""
    from ocop_stamps.storage import faults

    monkeypatch.setattr(faults, "_sleep", lambda seconds: None)
    original = BaseClient._make_api_call
    left = {"times": times}

    def patched(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        tables = {params.get("TableName")} | {
            next(iter(i.values()))["TableName"] for i in params.get("TransactItems", [])
        }
        if op in ("UpdateItem", "TransactWriteItems") and "ocop-stamps" in tables and left["times"] > 0:
            left["times"] -= 1
            if after:
                original(self, op, params)
            raise ClientError(
                {"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, op
            )
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)
    return left


def test_given_a_claim_applied_but_its_answer_lost_then_the_retry_is_still_first(two_layer, monkeypatch):
    code = two_layer["codes"][0]
    _refusing(monkeypatch, code, after=True, times=1)
    answer = claims.check_pin(code, pin_of(code), HANOI)  # no ref given: the request's own one
    assert answer["outcome"] == "first"
    assert [line["verdict"] for line in scan_log(code)] == ["pin_first"]


def test_given_dynamodb_refusing_the_claim_a_while_then_it_is_retried_and_claims(two_layer, monkeypatch):
    code = two_layer["codes"][1]
    _refusing(monkeypatch, code, after=False, times=2)
    assert claims.check_pin(code, pin_of(code), HANOI)["outcome"] == "first"


def test_given_dynamodb_refusing_the_claim_for_good_then_it_is_unavailable_and_nothing_claimed(two_layer, monkeypatch):
    code = two_layer["codes"][2]
    left = _refusing(monkeypatch, code, after=False, times=99)
    with pytest.raises(Unavailable):
        claims.check_pin(code, pin_of(code), HANOI)
    left["times"] = 0  # DynamoDB back
    assert scan(code)[1]["verdict"] == "genuine"


# --- the page's form and the JSON API (step 4) ------------------------------------------------
def post_pin(code: str, body: str, *, json_body: bool = False, headers: dict[str, str] | None = None) -> Any:
    event = http_event("POST", f"/v/{code}/pin", route="/v/{code}/pin", body=body, headers=headers)
    event["headers"]["content-type"] = "application/json" if json_body else "application/x-www-form-urlencoded"
    if json_body:
        event["headers"]["accept"] = "application/json"
    return invoke("public_scan", event)


def test_given_the_page_form_posted_without_script_then_the_buyer_reads_first_then_a_resubmission_reads_first_again(
    two_layer,
):
    code = two_layer["codes"][0]
    status, html = scan(code, html=True)
    assert status == 200 and f'action="/v/{code}/pin"' in html and "inputmode=numeric" in html
    token = html.split('name=ref value="', 1)[1].split('"', 1)[0]
    form = f"lang=vi&ref={token}&pin={pin_of(code)[:4]}+{pin_of(code)[4:]}"
    status, headers, page = post_pin(code, form)
    assert status == 200 and "Bạn là người đầu tiên xác nhận tem này" in page
    assert headers["content-security-policy"].startswith("default-src 'none'") and "<script" not in page
    status, _, page = post_pin(code, form)  # the browser's "resend the form?"
    assert status == 200 and "Bạn là người đầu tiên xác nhận tem này" in page
    status, html = scan(code, html=True)
    assert "Tem này đã có người mua xác nhận" in html


def test_given_a_wrong_pin_in_the_form_then_the_page_says_so_with_tries_left_and_the_form_again(two_layer):
    code = two_layer["codes"][1]
    status, _, page = post_pin(code, f"lang=en&pin={wrong_pin_of(code)}")
    assert status == 200 and "Wrong PIN" in page and "9 tries left" in page and f'action="/v/{code}/pin"' in page


def test_given_json_then_the_outcome_comes_as_json_and_errors_in_the_error_shape(two_layer, shop: Shop):
    code = two_layer["codes"][2]
    status, _, body = post_pin(
        code, json.dumps({"pin": pin_of(code)}), json_body=True, headers={"idempotency-key": "k1"}
    )
    assert status == 200 and json.loads(body)["outcome"] == "first" and pin_of(code) not in body
    status, _, body = post_pin(code, json.dumps({"pin": "12"}), json_body=True)
    error = json.loads(body)["error"]
    assert status == 400 and error["message_vi"] == "Mã PIN gồm đúng 8 chữ số."
    status, _, body = post_pin(shop.codes(1, 1)[0], json.dumps({"pin": "12345678"}), json_body=True)
    assert status == 404 and json.loads(body)["error"]["code"] == "no_pin"


def test_given_dynamodb_down_then_the_pin_page_is_a_503_that_claims_nothing(two_layer, monkeypatch):
    code = two_layer["codes"][3]
    _refusing(monkeypatch, code, after=False, times=99)
    status, headers, page = post_pin(code, f"pin={pin_of(code)}")
    assert status == 503 and headers.get("retry-after") and "người đầu tiên" not in page


# --- inspectors (step 5) -----------------------------------------------------------------------
def alerts() -> list[dict[str, Any]]:
    status, body = invoke_json(
        "inspector_api", http_event("GET", "/alerts", route="/alerts", claims=claims_of("admin"))
    )
    assert status == 200, body
    return list(body["items"])


def test_given_a_pin_confirmed_a_second_time_then_inspectors_get_an_alert_naming_the_first_claim(two_layer, detector):
    code = two_layer["codes"][0]
    claims.check_pin(code, pin_of(code), HANOI, ref="first-buyer")
    claims.check_pin(code, pin_of(code), HUE, ref="second-buyer")
    detector()
    raised = [a for a in alerts() if a["type"] == "pin_second_claim"]
    assert len(raised) == 1 and raised[0]["subject"] == f"code:{code}"
    assert "được nhập đúng sau khi tem đã có người mua xác nhận" in raised[0]["summary_vi"]
    assert "claimed first at" in raised[0]["detail"]["first"] and " in 01" in raised[0]["detail"]["first"]


def test_given_pin_guessing_on_a_code_then_one_alert_from_the_third_wrong_pin_and_it_says_when_locked(
    two_layer, detector
):
    code = two_layer["codes"][1]
    claims.check_pin(code, wrong_pin_of(code), HANOI)
    claims.check_pin(code, wrong_pin_of(code), HANOI)
    detector()
    assert [a for a in alerts() if a["type"] == "pin_guessing"] == []  # a buyer's slips are not guessing
    for _ in range(pins.MAX_WRONG_TRIES - 1):
        claims.check_pin(code, wrong_pin_of(code), HANOI)
    detector()
    raised = [a for a in alerts() if a["type"] == "pin_guessing"]
    assert len(raised) == 1 and raised[0]["detail"]["locked"] is True and raised[0]["detail"]["count"] == 11
    assert "mã PIN đã bị khóa" in raised[0]["summary_vi"]


def test_given_pin_entries_then_inspectors_see_them_in_the_log_and_the_csv_and_a_first_claim_raises_nothing(
    two_layer, detector
):
    code = two_layer["codes"][2]
    claims.check_pin(code, wrong_pin_of(code), HANOI)
    claims.check_pin(code, pin_of(code), HANOI)
    detector()
    assert alerts() == []
    status, body = invoke_json(
        "inspector_api", http_event("GET", "/scans", route="/scans", claims=claims_of("admin"), query={"code": code})
    )
    assert status == 200 and sorted(i["verdict"] for i in body["items"]) == ["pin_first", "pin_wrong"]
    rows = csv_rows(claims_of("admin"), verdict="pin_wrong")
    assert [(r["code"], r["kind"], r["reason"]) for r in rows] == [(code, "pin", "wrong PINs 1 of 10")]


# --- EPCIS (step 6) ------------------------------------------------------------------------------
def epcis_of(shop: Shop, path: str, route: str, name: str, value: str) -> dict[str, Any]:
    who = claims_of("producer", shop.producer_id)
    event = http_event("GET", path, route=route, claims=who, path_parameters={name: value})
    status, doc = invoke_json("producer_api", event)
    assert status == 200, doc
    return doc


def test_given_a_claim_then_it_is_a_retail_sale_event_of_the_stamp_in_the_lot_and_batch_documents(
    shop: Shop, two_layer
):
    code = two_layer["codes"][0]
    claims.check_pin(code, pin_of(code), HANOI, ref="a")
    claims.check_pin(code, pin_of(code), HUE, ref="b")  # a second claim is no second sale
    claims.check_pin(two_layer["codes"][1], wrong_pin_of(two_layer["codes"][1]), HANOI)  # nor is a wrong PIN
    batch_id, lot_id = two_layer["batch"]["batch_id"], shop.lot["lot_id"]
    for doc in (
        epcis_of(shop, f"/batches/{batch_id}/epcis", "/batches/{batch_id}/epcis", "batch_id", batch_id),
        epcis_of(shop, f"/lots/{lot_id}/epcis", "/lots/{lot_id}/epcis", "lot_id", lot_id),
    ):
        assert validation_errors(doc) == []
        sales = [e for e in doc["epcisBody"]["eventList"] if e.get("bizStep") == "retail_selling"]
        assert len(sales) == 1
        sale = sales[0]
        assert sale["type"] == "ObjectEvent" and sale["action"] == "OBSERVE" and sale["disposition"] == "retail_sold"
        assert sale["epcList"] == [f"https://id.gs1.org/01/08930000000019/21/{code}"]
        assert sale["ocop:province"] == "01" and sale["ocop:lotId"] == lot_id
        assert pin_of(code) not in json.dumps(doc)


# --- the PIN layer for the print shop (step 7) ----------------------------------------------------
def pin_layer(shop: Shop, batch_id: str, *, producer_id: str | None = None, **body: Any) -> tuple[int, dict, str]:
    who = claims_of("producer", producer_id or shop.producer_id)
    event = http_event(
        "POST",
        f"/batches/{batch_id}/pin-layer",
        route="/batches/{batch_id}/pin-layer",
        body=body,
        claims=who,
        path_parameters={"batch_id": batch_id},
    )
    return invoke("producer_api", event)


def test_given_the_owner_then_the_pin_csv_has_each_stamps_pin_and_the_download_is_recorded(shop: Shop, two_layer):
    batch_id = two_layer["batch"]["batch_id"]
    status, headers, body = pin_layer(shop, batch_id, format="csv", first_serial=1, last_serial=10)
    assert status == 200 and headers["content-type"].startswith("text/csv") and headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["serial", "code", "pin", "label_url", "batch_id"]
    assert [r["code"] for r in rows] == two_layer["codes"] and all(r["pin"] == pin_of(r["code"]) for r in rows)
    status, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), batch_id))
    (entry,) = batch["pin_downloads"]
    assert (entry["first"], entry["last"], entry["format"], entry["producer_id"]) == (1, 10, "csv", shop.producer_id)
    assert entry["by"] == "user-producer" and entry["at"]
    lines = csv_rows(claims_of("admin"), verdict="pin_download")
    assert [(r["batch_id"], r["kind"]) for r in lines] == [(batch_id, "pin_download")]
    assert "serials 1-10 (csv) downloaded by user-producer" in lines[0]["reason"]


def test_given_the_owner_then_the_pin_pdf_has_a_label_per_stamp_on_the_qr_labels_sheet(shop: Shop, two_layer):
    import pypdfium2 as pdfium

    batch_id = two_layer["batch"]["batch_id"]
    status, headers, body = pin_layer(shop, batch_id, first_serial=1, last_serial=10, preset="a4-40")
    assert status == 200 and headers["content-type"] == "application/pdf" and headers["x-label-count"] == "10"
    pdf = pdfium.PdfDocument(base64.b64decode(body))  # a binary body goes base64-encoded, as API Gateway wants
    assert len(pdf) == 1
    text = pdf[0].get_textpage().get_text_range()
    assert all(f"{pin_of(c)[:4]} {pin_of(c)[4:]}" in text for c in two_layer["codes"])


def test_given_another_producer_or_a_one_layer_batch_then_no_pin_leaves_the_service(shop: Shop, two_layer):
    other = Shop(producer_id="ba-lan")
    batch_id = two_layer["batch"]["batch_id"]
    status, _, body = pin_layer(
        shop, batch_id, producer_id=other.producer_id, format="csv", first_serial=1, last_serial=5
    )
    assert status == 404 and all(pin_of(c) not in body for c in two_layer["codes"])
    status, _, body = pin_layer(shop, shop.batch_id, format="csv", first_serial=1, last_serial=5)
    assert (
        status == 409 and json.loads(body)["error"]["message_vi"] == "Đợt tem này là tem một lớp: tem không có mã PIN."
    )
    status, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), batch_id))
    assert "pin_downloads" not in batch  # refused downloads are not downloads
    assert csv_rows(claims_of("admin"), verdict="pin_download") == []


def test_given_serials_past_the_batch_then_the_download_is_refused_in_both_languages(shop: Shop, two_layer):
    status, _, body = pin_layer(shop, two_layer["batch"]["batch_id"], format="csv", first_serial=1, last_serial=51)
    error = json.loads(body)["error"]
    assert status == 400 and "≤ 50" in error["message"] and "≤ 50" in error["message_vi"]


def test_given_the_download_cannot_be_recorded_then_no_file_is_served(shop: Shop, two_layer, monkeypatch):
    from ocop_stamps.storage import faults

    monkeypatch.setattr(faults, "_sleep", lambda seconds: None)
    original = BaseClient._make_api_call

    def refusing(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == "TransactWriteItems":
            raise ClientError(
                {"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}}, op
            )
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", refusing)
    status, headers, body = pin_layer(shop, two_layer["batch"]["batch_id"], format="csv", first_serial=1, last_serial=5)
    assert status == 503 and headers.get("retry-after") and all(pin_of(c) not in body for c in two_layer["codes"])


# --- found by testing from outside: the page offers the form only where a PIN can be checked --
def test_given_a_locked_pin_then_the_stamps_page_says_so_instead_of_offering_the_form(two_layer):
    code = two_layer["codes"][7]
    for _ in range(pins.MAX_WRONG_TRIES):
        claims.check_pin(code, wrong_pin_of(code), HANOI)

    status, html = scan(code, html=True)
    _, body = scan(code)

    assert status == 200 and f'action="/v/{code}/pin"' not in html
    assert "đã bị khóa để chống dò mã" in html
    assert body["verdict"] == "genuine" and body["pin_locked"] is True


def test_given_a_two_layer_stamp_not_activated_then_its_page_and_a_refused_pin_offer_no_form(shop: Shop):
    batch = issue_two_layer(shop, size=10)
    code = shop.codes(1, 1, batch_id=batch["batch_id"])[0]

    _, html = scan(code, html=True)
    status, _, page = post_pin(code, f"lang=vi&pin={pin_of(code)}")

    assert "chưa được kích hoạt" in html.lower() or "not_activated" in html
    assert f'action="/v/{code}/pin"' not in html
    assert status == 409 and "chưa được nhà sản xuất kích hoạt" in page and f'action="/v/{code}/pin"' not in page


def test_given_the_pin_address_opened_again_then_it_leads_back_to_the_stamps_page_and_counts_nothing(two_layer):
    code = two_layer["codes"][9]
    event = http_event("GET", f"/v/{code}/pin", route="/v/{path+}", query={"lang": "en"})
    event["headers"]["accept"] = "text/html"

    status, headers, body = invoke("public_scan", event)

    assert status == 303 and headers["location"] == f"/v/{code}?lang=en" and body == ""
    assert scan_log(code) == []


@pytest.mark.parametrize(
    "typed", ["{code} {pin}", "{code} {pin4} {pin_rest}", "{code}{pin}", "{code} {pin4}-{pin_rest}"]
)
def test_given_a_code_typed_with_its_pin_in_the_lookup_box_then_the_stamp_answers_and_no_pin_digit_is_logged(
    two_layer, typed: str
):
    code = two_layer["codes"][8]
    pin = pin_of(code)
    text = typed.format(code=code, pin=pin, pin4=pin[:4], pin_rest=pin[4:])
    event = http_event("GET", "/v", route="/v", query={"code": text})
    event["headers"]["accept"] = "application/json"

    status, _, body = invoke("public_scan", event)

    assert status == 200 and json.loads(body)["verdict"] == "genuine"
    logged = json.dumps([scan_log(code), scan_log(text)], default=str)
    assert pin not in logged and pin[:4] not in logged.replace(code, "")
