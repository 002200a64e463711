"""DynamoDB faults injected as the real service returns them (issue 13): nothing lost, nothing
half-applied, nothing false, never a 500.

The ``fail`` fixture makes matching botocore calls raise what DynamoDB answers -- throttling
(``ProvisionedThroughputExceededException``, ``ThrottlingException``, ...), a transaction
cancelled for ``TransactionConflict``, a lone ``TransactionConflictException``, a 5xx --
every time, or ``times=N`` times and then succeed. botocore itself retries nothing here
(``storage.faults``), so one injected failure is one failed attempt. Waits run on a fake
clock (``waits``): no test sleeps, and each can tell how long the request would have waited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.handlers import (
    Shop,
    claims,
    for_batch,
    gtin_for,
    http_event,
    invoke,
    invoke_json,
    load_handler,
    rating,
    sample,
    scan,
    with_body,
)
from ocop_local import backend, jobs
from ocop_stamps.core.settings import get_settings
from ocop_stamps.storage import faults

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
TABLES = ("ocop-catalog", "ocop-stamps", "ocop-scans", "ocop-idempotency", "ocop-alerts")


def _error(op: str, code: str, params: dict[str, Any], reasons: list[str] | None) -> ClientError:
    """The error DynamoDB answers: its code, HTTP status, and a cancellation's reasons (one per item)."""
    status = 500 if code in ("InternalServerError", "ServiceUnavailable") else 400
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if code == "TransactionCanceledException":
        items = max(1, len(params.get("TransactItems", [])))
        given = reasons or ["TransactionConflict"]
        response["CancellationReasons"] = [
            {"Code": given[i], "Message": "Transaction is ongoing for the item"} if i < len(given) else {"Code": "None"}
            for i in range(items)
        ]
    return ClientError(response, op)


class FakeTime:
    """faults' clock and sleep: waits are recorded and move the clock, nothing sleeps."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(faults, "_clock", fake.clock)
    monkeypatch.setattr(faults, "_sleep", fake.sleep)
    monkeypatch.setattr(faults, "_random", lambda: 1.0)  # the longest wait full jitter can draw
    return fake


@pytest.fixture
def fail(monkeypatch: pytest.MonkeyPatch, waits: FakeTime) -> Callable[..., None]:
    """fail(op | ops, table=None, service="dynamodb", times=None, code=throttle, reasons=None).

    Matching calls raise ``code`` (for TransactionCanceledException: ``reasons``, default
    TransactionConflict on the first item); ``times=N``: N times, then the call goes through.
    """
    rules: list[dict[str, Any]] = []
    original = BaseClient._make_api_call

    def patched(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        tables = {params.get("TableName")} | {
            next(iter(i.values())).get("TableName") for i in params.get("TransactItems", [])
        }
        tables |= set(params.get("RequestItems", {}))
        for rule in rules:
            if rule["service"] == service and op in rule["ops"] and (rule["table"] is None or rule["table"] in tables):
                if rule["times"] is None or rule["times"] > 0:
                    if rule["times"] is not None:
                        rule["times"] -= 1
                    rule["fired"] += 1
                    raise _error(op, rule["code"], params, rule["reasons"])
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)

    def add(
        op: str | tuple[str, ...],
        table: str | None = None,
        service: str = "dynamodb",
        times: int | None = None,
        code: str = "ProvisionedThroughputExceededException",
        reasons: list[str] | None = None,
    ) -> dict[str, Any]:
        rule = {
            "ops": {op} if isinstance(op, str) else set(op),
            "table": table,
            "service": service,
            "times": times,
            "code": code,
            "reasons": reasons,
            "fired": 0,
        }
        rules.append(rule)
        return rule

    add.clear = rules.clear  # type: ignore[attr-defined]
    return add


@pytest.fixture
def fallback(aws, monkeypatch: pytest.MonkeyPatch) -> str:
    env = backend.create_scan_fallback_queue()
    monkeypatch.setenv("SCAN_FALLBACK_QUEUE_URL", env["SCAN_FALLBACK_QUEUE_URL"])
    get_settings.cache_clear()
    return env["SCAN_FALLBACK_QUEUE_URL"]


def _drain(queue_url: str) -> int:
    return jobs.drain(load_handler("scan_log_drain").lambda_handler, queue_url, batch_size=10)


def _log(code: str) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]


def _count(code: str) -> int:
    item = boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")
    return int(item["scan_count"]["N"]) if item else 0


def _tables() -> dict[str, list[dict[str, Any]]]:
    ddb = boto3.client("dynamodb")
    return {t: sorted(ddb.scan(TableName=t)["Items"], key=json.dumps) for t in TABLES}


def _retry_later(status: int, headers: dict[str, str], body: str, expected: int = 503) -> dict[str, Any]:
    """A retryable refusal: the status, ``Retry-After`` in whole seconds, the error shape in vi and en."""
    assert status == expected, body
    assert int(headers["retry-after"]) >= 1
    error = json.loads(body)["error"]
    assert error["code"] == ("unavailable" if expected == 503 else "conflict")
    assert error["message"] and error["message_vi"] and error["message"] != error["message_vi"]
    return error


def _batch(shop: Shop) -> dict[str, Any]:
    _, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    return batch


def _call(shop: Shop, method: str, path: str, route: str, body: Any = None, role: str = "producer"):
    """One authenticated route, as ``role`` (a producer acts as the shop's producer)."""
    params = {}
    for name in ("batch_id", "lot_id", "product_id", "alert_id"):
        if "{" + name + "}" in route:
            params[name] = path.split("/")[route.split("/").index("{" + name + "}")]
    who = claims(role, shop.producer_id if role == "producer" else None)
    if role == "inspector":
        who["custom:provinces"] = "*"
    api = {"producer": "producer_api", "admin": "admin_api", "inspector": "inspector_api"}[role]
    return invoke(api, http_event(method, path, route=route, body=body, claims=who, path_parameters=params))


def _activate(shop: Shop, first: int, last: int) -> tuple[int, dict[str, str], str]:
    event = for_batch(shop.event("producer-activate", LOT_ID=shop.lot["lot_id"]), shop.batch_id)
    return invoke("producer_api", with_body(event, first_serial=first, last_serial=last))


def _recall(shop: Shop) -> tuple[int, dict[str, str], str]:
    lot_id = shop.lot["lot_id"]
    body = {"reason": "Thử lỗi ghi", "message_vi": "Thông báo thu hồi thử nghiệm"}
    return _call(shop, "POST", f"/lots/{lot_id}/recall", "/lots/{lot_id}/recall", body)


CONFLICTS = [
    pytest.param({"code": "TransactionCanceledException", "reasons": ["None", "TransactionConflict"]}, id="cancelled"),
    pytest.param({"code": "TransactionConflictException"}, id="conflict-exception"),
]


# --- transaction conflicts: activation and recall -----------------------------------------------
@pytest.mark.parametrize("conflict", CONFLICTS)
def test_given_one_transaction_conflict_on_activation_then_it_is_retried_and_the_stamps_are_bound(
    shop: Shop, fail, conflict: dict[str, Any]
):
    rule = fail("TransactWriteItems", "ocop-catalog", times=1, **conflict)
    status, body = shop.activate(1, 10)
    assert status == 201, body
    assert rule["fired"] == 1
    assert [a["first_serial"] for a in _batch(shop)["activations"]] == [1]  # bound once
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] == "genuine"


def test_given_a_transaction_conflict_that_persists_on_activation_then_409_retry_later_and_nothing_changes(
    shop: Shop, fail, waits: FakeTime, capsys: pytest.CaptureFixture[str]
):
    before = _tables()
    fail("TransactWriteItems", "ocop-catalog", code="TransactionCanceledException")
    capsys.readouterr()
    _retry_later(*_activate(shop, 1, 10), expected=409)
    assert _tables() == before  # neither batch, lot nor history moved
    # ... and the operators' alarm counts it once (docs/OPERATIONS.md, "DynamoDB refused")
    refused = [
        blob
        for blob in map(json.loads, (line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line))
        if "DynamoDbRefused" in blob
    ]
    assert [(b["DynamoDbRefused"], b["service"]) for b in refused] == [([1.0], "ocop_stamps")]
    assert 0 < len(waits.waits) and sum(waits.waits) < 1  # a conflict clears in milliseconds: short waits
    fail.clear()
    assert _activate(shop, 1, 10)[0] == 201  # the lot's revision was not moved either


@pytest.mark.parametrize("conflict", CONFLICTS)
def test_given_one_transaction_conflict_on_a_recall_then_it_is_retried_and_the_next_scan_says_recalled(
    shop: Shop, fail, conflict: dict[str, Any]
):
    shop.activate(1, 10)
    fail("TransactWriteItems", "ocop-catalog", times=1, **conflict)
    status, _, body = _recall(shop)
    assert status == 201, body
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] == "recalled"


def test_given_a_transaction_conflict_that_persists_on_a_recall_then_409_and_the_lot_is_not_recalled(shop: Shop, fail):
    shop.activate(1, 10)
    before = _tables()
    fail("TransactWriteItems", "ocop-catalog", code="TransactionCanceledException")
    _retry_later(*_recall(shop), expected=409)
    assert _tables() == before
    fail.clear()
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] == "genuine"
    assert _recall(shop)[0] == 201


def test_given_a_failed_condition_then_it_is_not_retried_as_a_fault(shop: Shop, fail):
    shop.activate(1, 10)
    rule = fail("TransactWriteItems", "ocop-catalog", times=1, code="TransactionCanceledException",
                reasons=["ConditionalCheckFailed"])  # fmt: skip
    status, body = shop.activate(11, 20)
    assert status == 201, body  # the domain re-read the revision (StaleRevision) and went on
    assert rule["fired"] == 1


# --- the scan path -------------------------------------------------------------------------------
def test_given_the_log_table_throttles_then_the_scan_is_answered_and_its_record_arrives_later(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    fail("PutItem", "ocop-scans")
    status, body = scan(code)
    assert status == 200 and body["verdict"] == "genuine" and body["scan"]["count"] == 1
    assert _log(code) == []  # not written yet...
    fail.clear()
    assert _drain(fallback) == 1
    log = _log(code)
    assert len(log) == 1 and log[0]["scan_no"]["N"] == "1"  # ...but never lost
    assert _count(code) == len(log)


def test_given_the_counter_fails_then_the_answer_claims_no_count_and_the_drain_counts_it(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(2, 2)[0]
    scan(code)
    fail("UpdateItem", "ocop-stamps")
    status, body = scan(code)
    assert status == 200 and body["verdict"] == "genuine"
    assert body["scan"]["count"] is None  # unknown, so not guessed
    fail.clear()
    _drain(fallback)
    assert _count(code) == 2 and sorted(int(i["scan_no"]["N"]) for i in _log(code)) == [1, 2]


def test_given_a_redelivered_pending_record_then_it_is_written_once(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(3, 3)[0]
    fail("PutItem", "ocop-scans")
    scan(code)
    fail.clear()
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=fallback)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=fallback, MessageBody=body)  # at-least-once: the same message again
    _drain(fallback)
    assert len(_log(code)) == 1


def test_given_dynamodb_and_sqs_both_down_then_the_scan_is_still_answered_truthfully(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(4, 4)[0]
    fail("UpdateItem", "ocop-stamps")
    fail("SendMessage", service="sqs")
    status, body = scan(code)
    assert status == 200 and body["verdict"] == "genuine" and body["scan"]["count"] is None


def test_given_one_throttled_catalog_read_then_the_scan_is_retried_answered_and_logged_once(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(5, 5)[0]
    from ocop_stamps.scanning import verification

    verification.reset_cache()  # a cold function: product, producer and lot are read too
    fail("GetItem", "ocop-catalog", times=1, code="ThrottlingException")
    status, body = scan(code)
    assert status == 200 and body["verdict"] == "genuine" and body["scan"]["count"] == 1
    assert len(_log(code)) == 1 and _drain(fallback) == 0


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError"]
)
def test_given_the_catalog_cannot_be_read_then_503_claims_no_verdict_and_the_scan_is_logged_once_later(
    shop, fallback, fail, waits: FakeTime, code: str
):
    shop.activate(1, 10)
    stamp = shop.codes(6, 6)[0]
    fail("GetItem", "ocop-catalog", code=code)
    event = sample("public-scan-json", CODE=stamp)
    status, headers, body = invoke("public_scan", event)
    _retry_later(status, headers, body)
    assert "verdict" not in json.loads(body)  # no verdict is guessed
    assert sum(waits.waits) <= 4.0  # the 10 s function's budget: 10 - one attempt (5 s) - 1 s margin
    assert _log(stamp) == [] and _count(stamp) == 0
    fail.clear()
    assert _drain(fallback) == 1
    (record,) = _log(stamp)  # logged exactly once, judged when the catalog could be read
    assert record["verdict"]["S"] == "genuine" and record["scan_no"]["N"] == "1"
    assert record["lot_id"]["S"] == shop.lot["lot_id"] and _count(stamp) == 1
    assert record["scan_key"]["S"].startswith(record["scanned_at"]["S"])  # at the time of the scan, not the drain


def test_given_a_deferred_scan_delivered_twice_then_it_is_logged_once(shop, fallback, fail):
    shop.activate(1, 10)
    stamp = shop.codes(3, 3)[0]
    fail("GetItem", "ocop-catalog")
    assert scan(stamp)[0] == 503
    fail.clear()
    sqs = boto3.client("sqs")
    body = sqs.receive_message(QueueUrl=fallback)["Messages"][0]["Body"]
    sqs.send_message(QueueUrl=fallback, MessageBody=body)  # at-least-once: the same message again
    _drain(fallback)
    (record,) = _log(stamp)
    assert record["verdict"]["S"] == "genuine"  # (its count may be one over: docs/DATA-MODEL.md)


def test_given_the_catalog_cannot_be_read_then_a_person_gets_a_page_that_says_to_scan_again(shop, fallback, fail):
    shop.activate(1, 10)
    stamp = shop.codes(7, 7)[0]
    fail("GetItem", "ocop-catalog")
    status, headers, page = invoke("public_scan", sample("public-scan-html", CODE=stamp))
    assert status == 503 and headers["retry-after"] == "5" and headers["content-type"].startswith("text/html")
    assert "Chưa kiểm tra được tem lúc này" in page and "chính hãng" not in page.lower()
    assert f'href="/v/{stamp}?lang=vi"' in page  # try again


def test_given_a_deferred_scan_of_a_stamp_recalled_meanwhile_then_the_drain_logs_it_recalled(shop, fallback, fail):
    shop.activate(1, 10)
    stamp = shop.codes(8, 8)[0]
    fail("GetItem", "ocop-catalog")
    assert scan(stamp)[0] == 503
    fail.clear()
    assert _recall(shop)[0] == 201
    _drain(fallback)
    (record,) = _log(stamp)
    assert record["verdict"]["S"] == "recalled"


def test_given_a_view_token_reshow_when_the_catalog_fails_then_503_and_nothing_is_queued(shop, fallback, fail):
    shop.activate(1, 10)
    stamp = shop.codes(9, 9)[0]
    token = scan(stamp)[1]["view_token"]
    fail("GetItem", "ocop-catalog")
    event = sample("public-scan-json", CODE=stamp)
    event["queryStringParameters"] = {"view": token}
    assert invoke("public_scan", event)[0] == 503
    fail.clear()
    assert _drain(fallback) == 0 and len(_log(stamp)) == 1  # a re-shown page is not a scan


# --- reports ---------------------------------------------------------------------------------------
def _report(code: str, *, as_json: bool = True) -> tuple[int, dict[str, str], str]:
    event = sample("public-report", CODE=code)
    if as_json:
        event["headers"]["accept"] = "application/json"
    return invoke("public_scan", event)


@pytest.mark.parametrize("read_fails", [False, True], ids=["write-throttled", "read-and-write-throttled"])
def test_given_a_throttled_report_write_then_it_is_accepted_and_arrives_through_the_fallback_queue(
    shop, fallback, fail, read_fails: bool
):
    shop.activate(1, 10)
    code = shop.codes(10, 10)[0]
    fail("PutItem", "ocop-scans")
    if read_fails:
        fail("GetItem", "ocop-catalog")
    status, _, body = _report(code)
    assert status == 201, body
    assert _log(code) == []
    fail.clear()
    assert _drain(fallback) == 1
    (record,) = _log(code)
    assert record["kind"]["S"] == "report" and record["scan_key"]["S"] == json.loads(body)["report_id"]
    assert record["report_where"]["S"] == "Chợ Xanh, Cao Bằng"
    assert record["lot_id"]["S"] == shop.lot["lot_id"]  # tied to its lot, as a report written at once is
    assert _count(code) == 0  # a report never counts as a scan


def test_given_a_report_that_neither_dynamodb_nor_sqs_takes_then_503_and_the_form_says_send_again(shop, fallback, fail):
    shop.activate(1, 10)
    code = shop.codes(11, 11)[0]
    fail("PutItem", "ocop-scans")
    fail("SendMessage", service="sqs")
    _retry_later(*_report(code))
    status, headers, page = _report(code, as_json=False)
    assert status == 503 and headers["retry-after"] == "5"
    assert "Chưa gửi được báo cáo" in page and f"/v/{code}/report" in page


# --- idempotency ------------------------------------------------------------------------------------
def _batches_of_size(size: int) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(
        TableName="ocop-catalog",
        FilterExpression="kind = :k AND #s = :n",
        ExpressionAttributeNames={"#s": "size"},
        ExpressionAttributeValues={":k": {"S": "batch"}, ":n": {"N": str(size)}},
    )["Items"]


def test_given_a_throttled_idempotency_table_then_503_and_a_retry_with_the_same_key_issues_exactly_once(
    shop: Shop, fail
):
    event = with_body(shop.event("producer-issue-batch"), size=777)
    event["headers"]["idempotency-key"] = "fault-retry-key-1"
    fail("PutItem", "ocop-idempotency", code="ThrottlingException")
    _retry_later(*invoke("producer_api", event))
    assert _batches_of_size(777) == []
    fail.clear()
    status, first = invoke_json("producer_api", event)  # the client retries with the same key
    status2, again = invoke_json("producer_api", event)
    assert status == status2 == 201 and first == again
    assert len(_batches_of_size(777)) == 1


def test_given_the_batch_write_fails_then_nothing_is_issued_and_a_retry_issues_exactly_one(shop: Shop, fail):
    fail("TransactWriteItems", "ocop-catalog")
    event = with_body(shop.event("producer-issue-batch"), size=778)
    event["headers"]["idempotency-key"] = "fault-retry-key-2"
    _retry_later(*invoke("producer_api", event))
    assert _batches_of_size(778) == []
    fail.clear()
    status, first = invoke_json("producer_api", event)  # the key was released: the retry issues
    assert invoke_json("producer_api", event) == (201, first) and status == 201
    assert len(_batches_of_size(778)) == 1


def test_given_the_idempotency_record_cannot_be_completed_then_the_batch_is_answered_and_never_issued_twice(
    shop: Shop, fail
):
    event = with_body(shop.event("producer-issue-batch"), size=779)
    event["headers"]["idempotency-key"] = "fault-retry-key-3"
    fail("UpdateItem", "ocop-idempotency")  # marking the key's answer done
    status, batch = invoke_json("producer_api", event)
    assert status == 201 and batch["size"] == 779  # it was issued: say so
    fail.clear()
    status, _, body = invoke("producer_api", event)  # the key still reads "in progress"
    assert status == 409 and len(_batches_of_size(779)) == 1


# --- every other write route: a persistent throttle is a 503, never a 500 -----------------------------
def _rating() -> dict[str, Any]:
    return {
        "action": "record",
        "rating": rating(date="2025-03-01"),
    }


def _open_alert(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> str:
    """An open alert, as the detector writes it (three devices scanning one code in a day)."""
    from helpers.visits import networks, visit
    from ocop_local import streams

    env = backend.create_alert_resources()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    backend.apply_environment({})
    reader = streams.StreamReader("ocop-scans")
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):
        visit(f"/v/{code}", ip=ip)
    streams.drain(load_handler("anomaly_detector").lambda_handler, reader, dead_letter_url=env["ANOMALY_DLQ_URL"])
    items = boto3.client("dynamodb").scan(TableName="ocop-alerts")["Items"]
    return next(i["alert_id"]["S"] for i in items if i["pk"]["S"].startswith("ALERT#"))


def _without_key(event: dict[str, Any]) -> dict[str, Any]:
    del event["headers"]["idempotency-key"]
    return event


def _print_files(shop: Shop) -> dict[str, Any]:
    event = for_batch(shop.event("producer-print-files"), shop.batch_id)
    event["rawPath"] = event["rawPath"].replace("/codes.csv", "")
    return with_body(event, first_serial=1, last_serial=130)  # over INLINE_MAX_LABELS below: a job


Call = Callable[[Shop, Any], tuple[int, dict[str, str], str]]
ROUTES: dict[str, tuple[Callable[[Shop, pytest.MonkeyPatch], Any], Call]] = {
    "register producer": (
        lambda s, _: None,
        lambda s, _: invoke("admin_api", with_body(sample("admin-create-producer"), producer_id="another-one")),
    ),
    "register product": (
        lambda s, _: None,
        lambda s, _: invoke(
            "admin_api",
            with_body(sample("admin-create-product"), producer_id=s.producer_id, gtin=gtin_for("fault")),
        ),
    ),
    "rate product": (
        lambda s, _: None,
        lambda s, _: _call(
            s, "POST", f"/products/{s.product_id}/ocop-rating", "/products/{product_id}/ocop-rating", _rating(), "admin"
        ),
    ),
    "register lot": (
        lambda s, _: None,
        lambda s, _: invoke("producer_api", with_body(s.event("producer-create-lot"), lot_code="HH-FAULT-1")),
    ),
    "issue batch": (
        lambda s, _: None,
        lambda s, _: invoke("producer_api", _without_key(with_body(s.event("producer-issue-batch"), size=10))),
    ),
    "activate": (lambda s, _: None, lambda s, _: _activate(s, 1, 5)),
    "void": (
        lambda s, _: None,
        lambda s, _: _call(
            s,
            "POST",
            f"/batches/{s.batch_id}/voids",
            "/batches/{batch_id}/voids",
            {"first_serial": 1, "last_serial": 2, "reason": "damaged"},
        ),
    ),
    "recall": (lambda s, _: None, lambda s, _: _recall(s)),
    "lift recall": (
        lambda s, _: _recall(s),
        lambda s, _: _call(
            s,
            "POST",
            f"/lots/{s.lot['lot_id']}/recall/lift",
            "/lots/{lot_id}/recall/lift",
            {"reason": "Kiểm nghiệm lại đạt"},
        ),
    ),
    "print job": (lambda s, _: None, lambda s, _: invoke("producer_api", _print_files(s))),
    "alert status": (
        _open_alert,
        lambda s, alert_id: _call(
            s,
            "POST",
            f"/alerts/{alert_id}/status",
            "/alerts/{alert_id}/status",
            {"status": "acknowledged", "note": "Đang xác minh"},
            "inspector",
        ),
    ),
    "field check": (
        lambda s, _: None,
        lambda s, _: _call(
            s,
            "POST",
            "/field-checks",
            "/field-checks",
            {
                "lot_id": s.lot["lot_id"],
                "date": "2026-11-20",
                "place": "Chợ Đồng Xuân",
                "province": "Hà Nội",
                "result": "pass",
            },
            "inspector",
        ),
    ),
}


@pytest.mark.parametrize("route", ROUTES)
def test_given_every_dynamodb_write_throttled_then_each_write_route_answers_503_retry_later_and_changes_nothing(
    shop: Shop, fail, monkeypatch: pytest.MonkeyPatch, waits: FakeTime, route: str
):
    from ocop_stamps.printing import jobs as print_jobs
    from ocop_stamps.storage import printing as print_store

    for key, value in backend.create_print_resources().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    print_store.reset_clients()
    monkeypatch.setattr(print_jobs, "INLINE_MAX_LABELS", 40)
    setup, call = ROUTES[route]
    given = setup(shop, monkeypatch)
    before = _tables()
    fail(WRITES, code="ProvisionedThroughputExceededException")
    _retry_later(*call(shop, given))
    assert _tables() == before  # nothing half-written
    assert 0 < sum(waits.waits) <= faults.REQUEST_BUDGET  # retried, within the budget
