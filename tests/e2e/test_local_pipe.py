"""The local stack's pipe to moto (``serve --processes N``, issue 16): the workers' DynamoDB and
Streams requests reach moto's process over an authenticated ``multiprocessing`` connection
instead of HTTP. They must be answered exactly as over HTTP, only those requests may take
it, and nobody without the key may use it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from typing import Any

import boto3
import pytest

from ocop_local import processes


@pytest.fixture(scope="module")
def moto() -> Iterator[processes.MotoServer]:
    server = processes.MotoServer()
    server.start()
    yield server
    server.stop()


def _session(moto: processes.MotoServer, *, piped: bool, seen: list[str]) -> boto3.Session:
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="ap-southeast-1")
    if piped:
        pipe = moto.pipe
        forward = processes._through_pipe(pipe["url"], (pipe["host"], pipe["port"]), bytes.fromhex(pipe["key"]))

        def counted(request: Any, **kwargs: Any) -> Any:
            answer = forward(request, **kwargs)
            seen.append(("pipe " if answer is not None else "http ") + request.url.rsplit("/", 1)[-1])
            return answer

        session.events.register("before-send", counted)
    return session


def _table_work(session: boto3.Session, url: str, name: str) -> list[Any]:
    ddb = session.client("dynamodb", endpoint_url=url)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    item = {"pk": {"S": "Tem"}, "sk": {"S": "1"}, "name": {"S": "Trà hoa vàng"}, "bin": {"B": b"\x00\x01"}}
    answers: list[Any] = [ddb.put_item(TableName=name, Item=item)]
    answers.append(ddb.get_item(TableName=name, Key={"pk": {"S": "Tem"}, "sk": {"S": "1"}}))
    answers.append(
        ddb.query(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "Tem"}})
    )
    try:
        ddb.put_item(TableName=name, Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ddb.exceptions.ConditionalCheckFailedException as exc:
        answers.append(exc.response["Error"])
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    streams = session.client("dynamodbstreams", endpoint_url=url)
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    answers.append([r["dynamodb"]["NewImage"] for r in streams.get_records(ShardIterator=it)["Records"]])
    for answer in answers:
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
    return answers


def test_given_a_worker_with_the_pipe_when_it_calls_dynamodb_then_answers_are_those_over_http(
    moto: processes.MotoServer,
) -> None:
    seen: list[str] = []
    piped = _table_work(_session(moto, piped=True, seen=seen), moto.url, "pipe-a")
    over_http = _table_work(_session(moto, piped=False, seen=[]), moto.url, "pipe-b")
    s3 = _session(moto, piped=True, seen=seen).client("s3", endpoint_url=moto.url)
    s3.create_bucket(Bucket="pipe-bucket", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-1"})

    assert json.dumps(piped, default=repr).replace("pipe-a", "T") == json.dumps(over_http, default=repr).replace(
        "pipe-b", "T"
    )
    assert piped[1]["Item"]["name"] == {"S": "Trà hoa vàng"} and piped[1]["Item"]["bin"] == {"B": b"\x00\x01"}
    assert piped[3]["Code"] == "ConditionalCheckFailedException"
    assert [s for s in seen if s.startswith("http")] == ["http pipe-bucket"]  # only S3 went over HTTP
    assert len([s for s in seen if s.startswith("pipe")]) >= 8


def test_given_the_pipe_when_a_client_without_the_key_connects_then_it_is_refused_and_the_pipe_still_serves(
    moto: processes.MotoServer,
) -> None:
    with pytest.raises((AuthenticationError, EOFError, ConnectionError)):
        Client((moto.pipe["host"], moto.pipe["port"]), authkey=b"not the key")

    seen: list[str] = []
    ddb = _session(moto, piped=True, seen=seen).client("dynamodb", endpoint_url=moto.url)
    tables = ddb.list_tables()["TableNames"]

    assert isinstance(tables, list) and seen == ["pipe "]  # answered, over the pipe


def test_given_a_workers_connection_to_moto_breaks_when_it_calls_again_then_it_reconnects_and_is_answered(
    moto: processes.MotoServer,
) -> None:
    # found by a break tester: a broken connection stayed cached, and every later request of
    # that worker thread was a 500 until the stack was restarted
    import socket

    seen: list[str] = []
    ddb = _session(moto, piped=True, seen=seen).client("dynamodb", endpoint_url=moto.url)
    ddb.list_tables()
    broken = processes._pipes.conn
    socket.socket(fileno=os.dup(broken.fileno())).shutdown(socket.SHUT_RDWR)

    tables = ddb.list_tables()["TableNames"]

    assert isinstance(tables, list)
    assert processes._pipes.conn is not None and processes._pipes.conn is not broken
    assert seen == ["pipe "] * 2  # the first call, then botocore's retry on a new connection (the broken try raised)
