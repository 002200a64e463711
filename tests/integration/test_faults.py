"""DynamoDB failures injected where they hurt: nothing lost, nothing half-applied, nothing false."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.handlers import Shop, for_batch, invoke_json, load_handler, scan, with_body
from ocop_local import backend, jobs
from ocop_stamps.core.settings import get_settings


def _throttle(op: str) -> ClientError:
    return ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}}, op)


@pytest.fixture
def fail(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """fail(op, table=None, service="dynamodb", times=None): make matching calls raise (retries exhausted)."""
    rules: list[dict[str, Any]] = []
    original = BaseClient._make_api_call

    def patched(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        service = self.meta.service_model.service_name
        tables = {params.get("TableName")} | {
            next(iter(i.values())).get("TableName") for i in params.get("TransactItems", [])
        }
        for rule in rules:
            if rule["service"] == service and rule["op"] == op and (rule["table"] is None or rule["table"] in tables):
                if rule["times"] is None or rule["times"] > 0:
                    if rule["times"] is not None:
                        rule["times"] -= 1
                    raise _throttle(op)
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)

    def add(op: str, table: str | None = None, service: str = "dynamodb", times: int | None = None) -> None:
        rules.append({"op": op, "table": table, "service": service, "times": times})

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


def test_given_the_batch_write_fails_then_nothing_is_issued_and_a_retry_issues_exactly_one(shop, fail):
    fail("TransactWriteItems", "ocop-catalog", times=1)
    event = with_body(shop.event("producer-issue-batch"), size=777)
    event["headers"]["idempotency-key"] = "fault-retry-key-1"
    status, body = invoke_json("producer_api", event)
    assert status == 500 and body["error"]["code"] == "internal_error"
    batches = boto3.client("dynamodb").scan(
        TableName="ocop-catalog",
        FilterExpression="kind = :k AND #s = :n",
        ExpressionAttributeNames={"#s": "size"},
        ExpressionAttributeValues={":k": {"S": "batch"}, ":n": {"N": "777"}},
    )["Items"]
    assert batches == []
    status, first = invoke_json("producer_api", event)  # the client retries with the same key
    status2, again = invoke_json("producer_api", event)
    assert status == status2 == 201 and first == again


def test_given_the_activation_write_fails_then_neither_batch_nor_lot_changes(shop, fail):
    fail("TransactWriteItems", "ocop-catalog")
    status, _ = shop.activate(1, 10)
    assert status == 500
    fail.clear()
    _, batch = invoke_json("producer_api", for_batch(shop.event("producer-get-batch"), shop.batch_id))
    assert batch["activations"] == []
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] == "not_activated"
    assert shop.activate(1, 10)[0] == 201  # and the lot's revision was not moved


def test_given_the_recall_write_fails_then_the_lot_is_not_recalled(shop: Shop, fail):
    from helpers.handlers import claims, http_event

    shop.activate(1, 10)
    lot_id = shop.lot["lot_id"]
    event = http_event(
        "POST",
        f"/lots/{lot_id}/recall",
        route="/lots/{lot_id}/recall",
        body={"reason": "Thử lỗi ghi", "message_vi": "Thông báo thu hồi thử nghiệm"},
        claims=claims("producer", shop.producer_id),
        path_parameters={"lot_id": lot_id},
    )
    fail("TransactWriteItems", "ocop-catalog")
    assert invoke_json("producer_api", event)[0] == 500
    fail.clear()
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] == "genuine"
    assert invoke_json("producer_api", event)[0] == 201
