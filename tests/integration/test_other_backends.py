"""The local stack's AWS side when a service is moved to another server (botocore's
``AWS_ENDPOINT_URL_<SERVICE>``): only that service moves, the rest stay on moto without
credentials, and what a DynamoDB-compatible server lacks is named at start in one line.
The whole stack on moto's server mode, over real sockets: tests/e2e/test_other_dynamodb.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ocop_local import backend

ELSEWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers there


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name in backend.endpoint_variables():
        monkeypatch.delenv(name)
    yield


def test_given_dynamodb_moved_and_no_credentials_when_s3_sqs_and_sns_are_called_then_moto_answers(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", ELSEWHERE)
    for name, value in backend.base_environment().items():
        monkeypatch.setenv(name, value)

    with backend.moto_backend():
        # before: moto was off for every service, and this died with NoCredentialsError
        s3 = boto3.client("s3", region_name=backend.REGION)
        s3.create_bucket(Bucket="ocop-print-files", CreateBucketConfiguration={"LocationConstraint": backend.REGION})
        queue = boto3.client("sqs", region_name=backend.REGION).create_queue(QueueName="q")["QueueUrl"]
        topic = boto3.client("sns", region_name=backend.REGION).create_topic(Name="t")["TopicArn"]
        dynamodb = boto3.client("dynamodb", region_name=backend.REGION)
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["ocop-print-files"]

    assert queue.endswith("/q") and topic.endswith(":t")
    # DynamoDB, and its streams with it, go to the server named; nothing else does
    assert dynamodb.meta.endpoint_url == ELSEWHERE
    assert boto3.client("dynamodbstreams", region_name=backend.REGION).meta.endpoint_url == ELSEWHERE
    assert "amazonaws.com" in s3.meta.endpoint_url


def test_given_endpoint_variables_then_the_banner_says_where_each_service_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"AWS_ENDPOINT_URL_DYNAMODB": ELSEWHERE, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": ELSEWHERE}
    line = backend.describe_backends(env)
    assert line.startswith(f"DYNAMODB at {ELSEWHERE}; the rest: moto")
    assert backend.describe_backends({}).startswith("moto")
    assert backend.describe_backends({"AWS_ENDPOINT_URL": ELSEWHERE}) == (
        f"every AWS service at {ELSEWHERE} (AWS_ENDPOINT_URL)"
    )


def test_given_caller_credentials_and_a_moved_service_then_they_are_kept_for_that_server(
    no_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", ELSEWHERE)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    assert "AWS_ACCESS_KEY_ID" not in backend.base_environment()
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB")
    assert backend.base_environment()["AWS_ACCESS_KEY_ID"] == "testing"  # moto only: never real keys


# --- a server that lacks what the stack uses ------------------------------------------------
def _stubbed(monkeypatch: pytest.MonkeyPatch, ddb_errors: dict[str, str], stream: bool) -> None:
    """boto3 clients for a server that refuses the named DynamoDB operations."""
    real = boto3.client

    def client(service: str, **_: Any) -> Any:
        c = real(service, region_name=backend.REGION, aws_access_key_id="x", aws_secret_access_key="y")
        stub = Stubber(c)
        if service == "dynamodb":
            for operation, code in ddb_errors.items():
                stub.add_client_error(
                    operation, service_error_code=code, service_message=f"{operation} is not supported"
                )
            table = {"TableName": "ocop-scans"}
            if stream:
                table["LatestStreamArn"] = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/ocop-scans/stream/x"
            if "transact_write_items" not in ddb_errors:
                stub.add_response("transact_write_items", {})
            stub.add_response("describe_table", {"Table": table})
        else:
            stub.add_response("describe_stream", {"StreamDescription": {"Shards": []}})
        stub.activate()
        return c

    monkeypatch.setattr(boto3, "client", client)


def test_given_a_server_without_transactions_or_streams_then_both_are_named_in_one_line_that_stops_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _stubbed(monkeypatch, {"transact_write_items": "UnknownOperationException"}, stream=False)

    missing = backend.probe_dynamodb()

    assert set(missing) == {"transactions", "streams"}
    assert "UnknownOperationException" in missing["transactions"]
    line = backend.lacking_line(missing, f"DynamoDB at {ELSEWHERE}")
    assert "\n" not in line and "transactions" in line and "streams" in line
    assert line.endswith("the stack cannot run on it.")


def test_given_a_server_without_streams_only_then_the_stack_runs_without_alerts() -> None:
    line = backend.lacking_line({"streams": "the table has no stream"}, "DynamoDB at x")
    assert "anomaly detector" in line and line.endswith("the stack runs without it.")


def test_given_a_server_with_everything_then_nothing_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _stubbed(monkeypatch, {}, stream=True)
    assert backend.probe_dynamodb() == {}
