"""The SMS channel (issue 14, docs/SMS.md): POST /sms/inbound as a telco gateway calls it, through
the SMS function's own handler against moto -- the secret, both request shapes, the reply, the
scan it counts and logs, a gateway's retry, faults, and the PIN seam."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.handlers import Shop, claims, http_event, inspector, invoke, invoke_json, load_handler, scan
from ocop_stamps.core.settings import get_settings
from ocop_stamps.scanning import sms
from ocop_stamps.storage import faults

SECRET = "test-sms-gateway-secret-7d2a"
PHONE = "0912345678"


@pytest.fixture
def gateway(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SMS secret in place (as OCOP_SMS_SECRET), and no PIN checker wired."""
    monkeypatch.setenv("OCOP_SMS_SECRET", json.dumps({"current": SECRET}))
    monkeypatch.setattr(load_handler("sms_inbound"), "CHECK_PIN", None)
    get_settings.cache_clear()


@pytest.fixture
def sold(gateway: None) -> tuple[Shop, list[str]]:
    shop = Shop()
    status, _ = shop.activate(1, 10)
    assert status == 201
    return shop, shop.codes(1, 10)


def sms_event(
    text: str,
    message_id: str = "SM0001",
    *,
    sender: str = PHONE,
    secret: str | None = SECRET,
    form: bool = False,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    fields = (
        {"From": sender, "To": "8055", "Body": text, "MessageSid": message_id}
        if form
        else {"from": sender, "to": "8055", "text": text, "message_id": message_id}
    )
    event = http_event("POST", "/sms/inbound", route="/sms/inbound", body=body if body is not None else "")
    event["body"] = body if body is not None else urlencode(fields) if form else json.dumps(fields, ensure_ascii=False)
    event["headers"]["content-type"] = "application/x-www-form-urlencoded" if form else "application/json"
    if secret is not None:
        event["headers"]["x-gateway-secret"] = secret
    event["headers"].update(headers or {})
    return event


def send(text: str, message_id: str = "SM0001", **kw: Any) -> tuple[int, dict[str, str], str]:
    return invoke("sms_inbound", sms_event(text, message_id, **kw))


def reply_of(text: str, message_id: str = "SM0001", **kw: Any) -> dict[str, Any]:
    status, _, body = send(text, message_id, **kw)
    assert status == 200, body
    return json.loads(body)


def scan_lines(code: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="ap-southeast-1").Table("ocop-scans")
    return table.query(KeyConditionExpression=boto3.dynamodb.conditions.Key("code").eq(code))["Items"]


def in_gsm7(text: str) -> bool:
    return all(ch in sms.GSM7_BASIC for ch in text)


# --- a genuine stamp ---------------------------------------------------------------------------
def test_given_a_genuine_stamp_when_its_code_is_texted_then_the_reply_says_genuine_in_one_gsm7_sms(sold) -> None:
    shop, codes = sold

    answer = reply_of(f"OCOP {codes[0]}")

    assert answer["verdict"] == "genuine"
    assert answer["reply"].startswith("Tem chinh hang: ")
    assert "lan dau" in answer["reply"]  # the first check
    assert len(answer["reply"]) <= 160 and in_gsm7(answer["reply"])
    assert (answer["length"], answer["encoding"]) == (len(answer["reply"]), "GSM-7")


def test_given_a_texted_code_then_it_is_one_scan_of_a_person_on_channel_sms_with_no_place_and_no_number(sold) -> None:
    shop, codes = sold

    reply_of(f"ocop {codes[0].lower()}", sender="+84 91 234 5678")
    reply_of(codes[0], "SM0002", sender="0912345678")  # the same phone, written nationally

    lines = scan_lines(codes[0])
    expected = hmac.new(b"test-salt", b"sms/+84912345678", hashlib.sha256).hexdigest()[:24]
    assert [(x["channel"], x["kind"], x.get("province"), x.get("country")) for x in lines] == [
        ("sms", "person", None, None)
    ] * 2
    assert {x["client_hash"] for x in lines} == {expected}  # one phone, one client: its salted hash
    assert sorted(int(x["scan_no"]) for x in lines) == [1, 2]
    stored = json.dumps(lines, default=str)
    assert "912345678" not in stored and "SM000" not in stored  # never the number, nor the text


def test_given_twilios_form_when_a_code_is_texted_then_the_reply_is_twiml(sold) -> None:
    _, codes = sold

    status, headers, body = send(f"OCOP {codes[1]}", form=True)

    assert status == 200 and headers["content-type"].startswith("text/xml")
    message = re.fullmatch(
        r'<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>(.*)</Message></Response>', body
    )
    assert message and message.group(1).startswith("Tem chinh hang")


def test_given_a_form_with_accept_json_then_the_reply_is_json(sold) -> None:
    _, codes = sold

    answer = reply_of(codes[2], form=True, headers={"accept": "application/json"})

    assert answer["verdict"] == "genuine"


# --- the gateway's retry ---------------------------------------------------------------------------
def test_given_a_gateway_retry_of_the_same_message_then_the_same_reply_and_nothing_counted_again(sold) -> None:
    _, codes = sold
    first = reply_of(codes[0], "SM-retry")

    again = reply_of(codes[0], "SM-retry")
    other = reply_of(codes[0], "SM-other")

    assert again == first
    assert len(scan_lines(codes[0])) == 2  # the retry added no line; another message did
    assert "2 lan" in other["reply"]


# --- what else a buyer may get back --------------------------------------------------------------
def test_given_a_code_never_issued_then_the_reply_says_not_found_and_the_try_is_logged_unknown(sold) -> None:
    shop, codes = sold
    forged = codes[0][:-4] + ("0000" if codes[0][-4:] != "0000" else "1111")

    answer = reply_of(forged)

    assert answer["verdict"] == "unknown"
    assert answer["reply"].startswith(("Ma ", "Khong tim thay ma"))
    assert len(answer["reply"]) <= 160 and in_gsm7(answer["reply"])


def test_given_an_empty_text_or_the_keyword_alone_then_the_help_and_no_scan(sold) -> None:
    for n, text in enumerate(["", "OCOP", "  ocop  "]):
        answer = reply_of(text, f"SM-help-{n}")
        assert answer["verdict"] is None
        assert answer["reply"].startswith("De kiem tra tem OCOP, soan: OCOP <ma tem>")


def test_given_a_recalled_lot_then_the_reply_warns_first(sold) -> None:
    shop, codes = sold
    lot_id = shop.lot["lot_id"]
    body = {"reason": "Phát hiện nhiễm khuẩn", "message_vi": "Vui lòng ngừng sử dụng và trả lại nơi mua."}
    who = claims("producer", shop.producer_id)
    event = http_event(
        "POST",
        f"/lots/{lot_id}/recall",
        route="/lots/{lot_id}/recall",
        body=body,
        claims=who,
        path_parameters={"lot_id": lot_id},
    )
    status, recalled = invoke_json("producer_api", event)
    assert status == 201, recalled

    answer = reply_of(codes[3])

    assert answer["verdict"] == "recalled"
    assert answer["reply"].startswith("Lo hang da bi thu hoi")


def test_given_too_many_unknown_codes_from_one_phone_then_the_reply_asks_to_wait(
    sold, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCOP_UNKNOWN_LIMIT", "2")
    get_settings.cache_clear()

    answers = [reply_of("ABCD-EFGH-JKMN-PQRS", f"SM-guess-{n}")["reply"] for n in range(4)]

    assert answers[-1].startswith("Ban da tra qua nhieu ma")
    assert "phut" in answers[-1]


# --- the PIN seam ----------------------------------------------------------------------------------
def test_given_a_pin_and_no_pin_checker_then_the_reply_points_to_the_stamps_page(sold) -> None:
    _, codes = sold

    answer = reply_of(f"OCOP {codes[4]} 12345678")

    assert answer["pin"] == "web"
    assert answer["reply"].endswith(f"https://tem.example.vn/v/{codes[4]}")
    assert len(answer["reply"]) <= 160


@pytest.mark.parametrize(
    ("outcome", "starts"),
    [
        (sms.PinOutcome(sms.PIN_FIRST), "Xac nhan thanh cong: ban la nguoi dau tien"),
        (
            sms.PinOutcome(sms.PIN_AGAIN, "2026-03-02T01:00:00Z", "Thành phố Huế"),
            "Canh bao: ma PIN da duoc xac nhan ngay 02/03/2026 tai Thanh pho Hue:",
        ),
        (sms.PinOutcome(sms.PIN_WRONG, tries_left=4), "Ma PIN khong dung"),
        (sms.PinOutcome(sms.PIN_LOCKED), "Da nhap sai ma PIN qua nhieu lan"),
    ],
)
def test_given_a_pin_checker_then_each_outcome_has_its_reply(
    sold, monkeypatch: pytest.MonkeyPatch, outcome: sms.PinOutcome, starts: str
) -> None:
    _, codes = sold
    seen: list[tuple[str, str, str]] = []

    def check_pin(code: str, pin: str, ctx: Any, now: Any) -> sms.PinOutcome:
        seen.append((code, pin, ctx.channel))
        return outcome

    monkeypatch.setattr(load_handler("sms_inbound"), "CHECK_PIN", check_pin)

    answer = reply_of(f"{codes[5]} 24681357")

    assert seen == [(codes[5], "24681357", "sms")]
    assert answer["reply"].startswith(starts), answer["reply"]
    assert answer["pin"] == outcome.kind and len(answer["reply"]) <= 160
    if outcome.kind == sms.PIN_WRONG:
        assert "Con 4 lan thu" in answer["reply"]
    assert "24681357" not in json.dumps(scan_lines(codes[5]), default=str)  # the PIN is never logged


def test_given_a_pin_on_a_mistyped_code_then_the_pin_is_not_logged_as_part_of_the_code(sold) -> None:
    _, codes = sold
    typo = codes[6][:-1] + ("0" if codes[6][-1] != "0" else "1")

    reply_of(f"OCOP {typo} 97531864")

    table = boto3.resource("dynamodb", region_name="ap-southeast-1").Table("ocop-scans")
    assert "97531864" not in json.dumps(table.scan()["Items"], default=str)


# --- refused requests --------------------------------------------------------------------------
def _error(status: int, body: str) -> tuple[int, str]:
    error = json.loads(body)["error"]
    assert set(error) >= {"code", "message", "message_vi"}
    return status, error["code"]


def test_given_no_secret_then_401_and_a_wrong_one_403_in_the_error_shape_before_the_body_is_read(sold) -> None:
    _, codes = sold

    missing = send(codes[0], secret=None)
    wrong = send(codes[0], secret="not-the-secret")
    unread = send("", secret=None, body="{not json")

    assert _error(missing[0], missing[2]) == (401, "unauthorized")
    assert _error(wrong[0], wrong[2]) == (403, "forbidden")
    assert _error(unread[0], unread[2]) == (401, "unauthorized")
    assert scan_lines(codes[0]) == []


def test_given_a_rotation_then_the_previous_secret_is_still_accepted(sold, monkeypatch: pytest.MonkeyPatch) -> None:
    _, codes = sold
    monkeypatch.setenv("OCOP_SMS_SECRET", json.dumps({"current": "new-one", "previous": SECRET}))
    get_settings.cache_clear()

    assert send(codes[0], secret=SECRET)[0] == 200
    assert send(codes[0], "SM-2", secret="new-one")[0] == 200


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("Body=x&MessageSid=a&MessageSid=b&From=1", "application/x-www-form-urlencoded", (400, "malformed_request")),
        ("Body=%FF&MessageSid=a&From=1", "application/x-www-form-urlencoded", (400, "malformed_request")),
        ("OCOP ABC", "text/plain", (400, "malformed_request")),
        ('{"from": "0912345678", "text": "OCOP"}', "application/json", (422, "invalid_request")),  # no message id
        ('{"from": "0912345678", "text": "OCOP", "message_id": "a b"}', "application/json", (422, "invalid_request")),
        ("{not json", "application/json", (422, "invalid_request")),
    ],
)
def test_given_a_body_that_cannot_be_read_or_lacks_a_field_then_4xx_in_the_error_shape(
    gateway: None, body: str, content_type: str, expected: tuple[int, str]
) -> None:
    status, _, answer = send("", body=body, headers={"content-type": content_type})

    assert _error(status, answer) == expected


# --- DynamoDB faults ---------------------------------------------------------------------------
@pytest.fixture
def throttle(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    """throttle(operation, table): every such call is refused as DynamoDB refuses throttled ones
    (no waits: faults' clock jumps past the request's budget)."""
    rules: list[tuple[str, str]] = []
    original = BaseClient._make_api_call

    def patched(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if (op, params.get("TableName")) in rules:
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, op)
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)
    monkeypatch.setattr(faults, "_sleep", lambda seconds: None)
    return lambda op, table: rules.append((op, table))


def test_given_the_catalog_unreadable_then_503_with_retry_after_and_the_retry_counts_once(sold, throttle) -> None:
    _, codes = sold
    throttle("GetItem", "ocop-catalog")
    load_handler("sms_inbound")  # loaded before the fault: its cold start reads nothing
    from ocop_stamps.scanning import verification

    verification.reset_cache()

    status, headers, body = send(codes[7], "SM-fault")

    assert _error(status, body) == (503, "unavailable") and headers["retry-after"] == "5"
    assert scan_lines(codes[7]) == []  # nothing counted, nothing queued: the gateway's retry is the scan


def test_given_the_idempotency_table_failing_then_503_and_nothing_counted(sold, throttle) -> None:
    _, codes = sold
    throttle("PutItem", "ocop-idempotency")

    status, headers, body = send(codes[8], "SM-idem")

    assert _error(status, body) == (503, "unavailable") and "retry-after" in headers
    assert scan_lines(codes[8]) == []


# --- the detector sees it ---------------------------------------------------------------------------
def test_given_three_phones_texting_one_code_then_the_detector_opens_a_repeat_alert(sold, detector) -> None:
    _, codes = sold
    for n, phone in enumerate(["0911111111", "0922222222", "0933333333"]):
        reply_of(codes[9], f"SM-phone-{n}", sender=phone)

    detector()

    status, body = invoke_json("inspector_api", http_event("GET", "/alerts", route="/alerts", claims=inspector()))
    assert status == 200, body
    assert [(a["type"], a["code"]) for a in body["items"]] == [("repeat_24h", codes[9])]


# --- what it costs ----------------------------------------------------------------------------
def test_given_a_warm_function_then_a_text_costs_five_dynamodb_requests_and_its_retry_one(sold, ddb_calls) -> None:
    _, codes = sold
    reply_of(codes[0], "SM-warm")  # warm: keys, salt, secret and the product cached
    ddb_calls.clear()

    reply_of(codes[1], "SM-cost")
    first = [op for service, op in ddb_calls if service == "dynamodb"]
    ddb_calls.clear()
    reply_of(codes[1], "SM-cost")
    retry = [op for service, op in ddb_calls if service == "dynamodb"]

    # the scan's three (batch, counter, log line) and the message's record (put, then its reply)
    assert sorted(first) == sorted(["GetItem", "UpdateItem", "PutItem", "PutItem", "UpdateItem"])
    assert retry == ["PutItem"]  # the record's conditional put fails with the stored reply


def test_given_the_openapi_then_the_inbound_body_names_its_fields_and_the_secret_header_is_described(gateway) -> None:
    status, _, body = invoke("sms_inbound", http_event("GET", "/docs/sms", route="/docs/sms", query={"format": "json"}))
    spec = json.loads(body)

    operation = spec["paths"]["/sms/inbound"]["post"]
    schema = spec["components"]["schemas"]["SmsIn"]
    assert status == 200
    assert {"from", "text", "message_id", "received_at"} <= set(schema["properties"])
    assert set(schema["required"]) == {"from", "message_id"}
    assert (
        "X-Gateway-Secret" in spec["info"]["description"]
        and "Twilio" in operation["description"] + spec["info"]["description"]
    )


# --- the real PIN check (issue 14: a texted scratch-off PIN claims the stamp like the page) ----
@pytest.fixture
def two_layer_sold(gateway: None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from integration.test_pins import issue_two_layer

    monkeypatch.setattr(load_handler("sms_inbound"), "CHECK_PIN", sms.check_pin)  # as deployed
    shop = Shop()
    batch = issue_two_layer(shop, size=20)
    shop.activate(1, 20, batch_id=batch["batch_id"])
    return shop.codes(1, 3, batch_id=batch["batch_id"])


def test_given_a_two_layer_stamp_when_its_code_and_pin_are_texted_then_the_first_buyer_is_told_and_a_second_is_warned(
    two_layer_sold: list[str],
) -> None:
    from integration.test_pins import pin_of, wrong_pin_of

    code = two_layer_sold[0]
    pin = pin_of(code)

    first = reply_of(f"OCOP {code} {pin}", "SM-PIN-1")
    again = reply_of(f"ocop {code.lower()} {pin}", "SM-PIN-2", sender="0987654321")
    wrong = reply_of(f"{two_layer_sold[1]} {wrong_pin_of(two_layer_sold[1])}", "SM-PIN-3")
    short = reply_of(f"{two_layer_sold[2]} 1234", "SM-PIN-4")

    assert first["pin"] == "first" and "nguoi dau tien" in first["reply"]
    assert again["pin"] == "again" and "da duoc xac nhan" in again["reply"]
    assert wrong["pin"] == "wrong" and "Con 9 lan thu" in wrong["reply"]
    assert short["pin"] == "format" and "8 chu so" in short["reply"]
    for reply in (first, again, wrong, short):
        assert len(reply["reply"]) <= 160 and in_gsm7(reply["reply"])
    assert pin not in json.dumps(scan_lines(code), default=str)  # logged as outcomes, never the PIN
    # the claim is the stamp's, whichever channel made it: its page now says claimed
    _, page = scan(code)
    assert page["verdict"] == "claimed"


def test_given_a_one_layer_stamp_with_digits_after_its_code_then_the_verdict_is_the_reply(sold) -> None:
    _, codes = sold
    sms_module = load_handler("sms_inbound")
    sms_module.CHECK_PIN = sms.check_pin
    try:
        reply = reply_of(f"OCOP {codes[0]} 12345678", "SM-ONE-1")
    finally:
        sms_module.CHECK_PIN = None
    assert reply["verdict"] == "genuine" and reply["pin"] == "none" and "Tem chinh hang" in reply["reply"]
