"""Many producers' clients at once against the local stack: every range distinct, counts exact."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests

from helpers.local_stack import LocalStack


@pytest.mark.slow
def test_given_220_concurrent_batch_requests_with_retries_then_exactly_200_disjoint_batches_exist(
    local_stack: LocalStack,
) -> None:
    product = next(p for p, owner in local_stack.summary.products.items() if owner == local_stack.summary.producer_id)
    keys = [str(uuid.uuid4()) for _ in range(200)]
    # the first 20 keys are sent twice at the same time: a client retrying after a timeout
    requests_to_send = keys + keys[:20]
    headers = {**local_stack.bearer("producer"), "Content-Type": "application/json"}

    def issue(key: str) -> tuple[str, int, dict]:
        # a client as the API asks: a 409 says "try again in a moment" (Retry-After), whether the
        # same request is still in progress or this one kept losing races for the batch number
        for _ in range(10):
            response = requests.post(
                local_stack.url("/batches"),
                headers={**headers, "Idempotency-Key": key},
                data=json.dumps({"product_id": product, "size": 1000}),
                timeout=120,
            )
            if response.status_code != 409:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        return key, response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(issue, requests_to_send))

    assert {status for _, status, _ in answers} == {201}  # every request issued, after its 409s if any
    by_key: dict[str, set[str]] = {}
    for key, status, body in answers:
        if status == 201:
            by_key.setdefault(key, set()).add(body["batch_id"])
    assert set(by_key) == set(keys)
    assert all(len(ids) == 1 for ids in by_key.values())  # a retried key never issued twice
    issued = {next(iter(ids)) for ids in by_key.values()}
    assert len(issued) == 200  # every request its own batch number, so serial ranges never overlap

    stored = boto3.client("dynamodb").scan(
        TableName="ocop-catalog",
        FilterExpression="kind = :k AND product_id = :p AND #size = :s",
        ExpressionAttributeNames={"#size": "size"},
        ExpressionAttributeValues={":k": {"S": "batch"}, ":p": {"S": product}, ":s": {"N": "1000"}},
    )["Items"]
    assert {i["batch_no"]["N"] for i in stored} == issued  # nothing half-written, nothing extra
