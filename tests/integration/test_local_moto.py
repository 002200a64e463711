"""The local stack's moto (issue 16): what ``ocop_local.backend`` changes in how moto works
must not change what it answers, and the anomaly detector's stream consumer hands on every
record, in order, off the request path.

- ``_journal_transactions``: a cancelled TransactWriteItems is rolled back from the items it
  names instead of a deep copy of every table it touches; tables, stream and reasons must be
  exactly what moto's own rollback leaves.
- ``_partition_queries``: a Query on a table's key reads its partition only; pages, order,
  conditions and filters must be moto's own.
- ``_plain_json_answers``: DynamoDB's item operations answered as plain JSON; what a botocore
  client parses must be what it parses of moto's own serialiser, for every kind of value.
"""

from __future__ import annotations

import copy
import inspect
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ocop_local import streams

TABLE = "ocop-local-tx"


def _table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _item(pk: str, sk: str, n: int, g: str = "G") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}, "g": {"S": g}}


@pytest.fixture
def ddb(aws: None) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture
def moto_own(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's TransactWriteItems, Query and answers as shipped, for comparison."""
    import moto.core.responses as responses
    import moto.dynamodb.models as ddb_models
    import moto.dynamodb.models.table as table_module
    from moto.core.responses import ActionResult
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items.__wrapped__)
    monkeypatch.setattr(ddb_models, "copy", copy)
    monkeypatch.setattr(Table, "query", inspect.unwrap(Table.query))
    monkeypatch.setattr(table_module, "copy", copy)
    monkeypatch.setattr(Item, "project", Item.project.__wrapped__)
    monkeypatch.setattr(UpdateExpressionParser, "make", vars(UpdateExpressionParser)["make"].__func__.__wrapped__)
    monkeypatch.setattr(validators, "deepcopy", validators.deepcopy.__wrapped__)
    monkeypatch.setattr(
        DepthFirstTraverser, "traverse_node_recursively", DepthFirstTraverser.traverse_node_recursively.__wrapped__
    )
    monkeypatch.setattr(
        validators.ActionCountValidator, "traverse", validators.ActionCountValidator.traverse.__wrapped__
    )
    monkeypatch.setattr(ActionResult, "execute_result", ActionResult.execute_result.__wrapped__)
    monkeypatch.setattr(responses, "method_names_from_class", responses.method_names_from_class.__wrapped__)
    monkeypatch.setattr(Item, "__init__", Item.__init__.__wrapped__)
    yield


def _state(ddb: Any, name: str) -> dict[str, Any]:
    """Everything a client can see of the table: its items, and its stream's records."""
    items = sorted(ddb.scan(TableName=name)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ds = boto3.client("dynamodbstreams")
    shard = ds.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = ds.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = [(r["eventName"], r["dynamodb"].get("NewImage")) for r in ds.get_records(ShardIterator=it)["Records"]]
    return {"items": items, "stream": records}


def _scenario(ddb: Any, name: str, *, fail: bool) -> dict[str, Any]:
    """Items in place, then one transaction that puts a new partition, updates, deletes and
    puts over an item, and (if ``fail``) ends with a condition that does not hold."""
    _table(ddb, name)
    for pk, sk, n in [("A", "1", 1), ("A", "2", 2), ("B", "1", 3)]:
        ddb.put_item(TableName=name, Item=_item(pk, sk, n))
    ops: list[dict[str, Any]] = [
        {"Put": {"TableName": name, "Item": _item("NEW", "1", 9), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": name, "Item": _item("A", "3", 4)}},
        {
            "Update": {
                "TableName": name,
                "Key": {"pk": {"S": "A"}, "sk": {"S": "1"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "A"}, "sk": {"S": "2"}}}},
        {"Put": {"TableName": name, "Item": _item("B", "1", 30)}},
    ]
    if fail:
        ops.append(
            {
                "ConditionCheck": {
                    "TableName": name,
                    "Key": {"pk": {"S": "B"}, "sk": {"S": "9"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        )
    reasons = None
    try:
        ddb.transact_write_items(TransactItems=ops)
    except ClientError as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
    return {**_state(ddb, name), "reasons": reasons}


@pytest.mark.parametrize("fail", [True, False], ids=["cancelled", "committed"])
def test_given_a_transaction_when_the_local_stack_runs_it_then_tables_stream_and_reasons_are_motos_own(
    ddb: Any, request: pytest.FixtureRequest, fail: bool
) -> None:
    journaled = _scenario(ddb, TABLE + "-journal", fail=fail)
    request.getfixturevalue("moto_own")
    own = _scenario(ddb, TABLE + "-moto", fail=fail)

    assert journaled == own
    assert (journaled["reasons"] is not None) == fail
    if fail:  # nothing of it stayed: three items and their three stream records, as before
        assert [i["n"]["N"] for i in journaled["items"]] == ["1", "2", "3"]
        assert len(journaled["stream"]) == 3


def test_given_a_table_when_a_transaction_runs_then_no_table_is_copied(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.table import Table

    _table(ddb, TABLE)

    def refuse(self: Table, memo: Any) -> Table:
        raise AssertionError("a whole table was deep-copied for a transaction")

    monkeypatch.setattr(Table, "__deepcopy__", refuse, raising=False)
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": TABLE, "Item": _item("A", "1", 1)}}])
    with pytest.raises(ClientError, match="TransactionCanceled"):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": _item("A", "1", 2),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ]
        )

    assert ddb.get_item(TableName=TABLE, Key={"pk": {"S": "A"}, "sk": {"S": "1"}})["Item"]["n"] == {"N": "1"}


QUERIES: list[dict[str, Any]] = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P1"}}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "P1"}}, "ScanIndexForward": False},
    {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "ExpressionAttributeValues": {":p": {"S": "P2"}, ":s": {"S": "0"}},
    },
    {
        "KeyConditionExpression": "pk = :p",
        "FilterExpression": "n > :n",
        "ExpressionAttributeValues": {":p": {"S": "P0"}, ":n": {"N": "5"}},
        "Limit": 4,
    },
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "nobody"}}},
    {"IndexName": "by_g", "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "G1"}}},
    # projections (the detector's kind: top-level names, newest first, a limit), and the kinds moto keeps
    {
        "KeyConditionExpression": "pk = :p AND sk >= :s",
        "ProjectionExpression": "sk, n, #g, nothere",
        "ExpressionAttributeNames": {"#g": "g"},
        "ExpressionAttributeValues": {":p": {"S": "P1"}, ":s": {"S": "10"}},
        "ScanIndexForward": False,
        "Limit": 3,
    },
    {
        "KeyConditionExpression": "pk = :p",
        "FilterExpression": "n > :n",
        "ProjectionExpression": "n",
        "ExpressionAttributeValues": {":p": {"S": "P0"}, ":n": {"N": "5"}},
    },
    {
        "IndexName": "by_g",
        "KeyConditionExpression": "g = :g",
        "ProjectionExpression": "pk, n",
        "ExpressionAttributeValues": {":g": {"S": "G0"}},
        "Limit": 7,
    },
]


def _pages(ddb: Any, name: str, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    pages, start = [], None
    while True:
        page = ddb.query(TableName=name, **query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def test_given_partitions_when_queried_then_every_page_is_motos_own(ddb: Any, request: pytest.FixtureRequest) -> None:
    _table(ddb, TABLE)
    for i in range(60):
        ddb.put_item(TableName=TABLE, Item=_item(f"P{i % 3}", f"{(i * 7) % 60:02d}", i, g=f"G{i % 2}"))
    answers = [_pages(ddb, TABLE, q) for q in QUERIES]
    request.getfixturevalue("moto_own")

    assert answers == [_pages(ddb, TABLE, q) for q in QUERIES]
    assert len(answers[0][0]) == 20 and len(answers[3]) > 1  # real partitions, real pages
    assert len(answers[6]) > 1 and set(answers[6][0][0]) == {"sk", "n", "g"}  # projected, paged


def test_given_items_of_every_kind_when_a_query_projects_top_level_names_then_it_converts_only_those(
    ddb: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    _table(ddb, TABLE)
    for sk in "123":
        ddb.put_item(TableName=TABLE, Item={**_every_kind("A", sk), "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"1"]}})
    everything = "pk, sk, s, #empty, n, big, yes, #none, ss, ns, l, m, b, bs, nothere"
    query = {
        "KeyConditionExpression": "pk = :p",
        "ProjectionExpression": everything,
        "ExpressionAttributeNames": {"#none": "none", "#empty": "empty"},
        "ExpressionAttributeValues": {":p": {"S": "A"}},
    }
    whole_items: list[str] = []
    for name in ("to_regular_json", "__deepcopy__"):
        shipped = getattr(Item, name)
        monkeypatch.setattr(Item, name, lambda self, *a, _f=shipped, _n=name: whole_items.append(_n) or _f(self, *a))
    projected = _pages(ddb, TABLE, query)
    got = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "A"}, "sk": {"S": "2"}}, ProjectionExpression="m, b, sk")
    got.pop("ResponseMetadata")
    assert whole_items == []  # no whole item converted or copied
    request.getfixturevalue("moto_own")

    assert projected == _pages(ddb, TABLE, query)
    again = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "A"}, "sk": {"S": "2"}}, ProjectionExpression="m, b, sk")
    assert got == {"Item": again["Item"]} and set(got["Item"]) == {"m", "b", "sk"}
    assert len(projected[0]) == 3 and projected[0][0]["s"] == {"S": "Trà hoa vàng Đồng Hỷ"}


def _tree(node: Any) -> Any:
    """A parsed expression as plain data: node types, and each leaf's value."""
    if not hasattr(node, "children"):
        return repr(node)
    children = node.children
    return [type(node).__name__, node.type, None if children is None else [_tree(child) for child in children]]


def test_given_one_update_expression_when_it_updates_many_items_then_each_is_motos_own_and_its_tree_unchanged(
    ddb: Any, request: pytest.FixtureRequest
) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    expression = "SET n = n + :one, #t = list_append(if_not_exists(#t, :empty), :e) ADD c :one REMOVE gone"

    def run(name: str) -> list[Any]:
        _table(ddb, name)
        seen = []
        for i in range(4):
            key = {"pk": {"S": "U"}, "sk": {"S": str(i % 2)}}
            ddb.put_item(TableName=name, Item={**key, "n": {"N": str(i)}, "gone": {"S": "x"}}) if i < 2 else None
            seen.append(
                ddb.update_item(
                    TableName=name,
                    Key=key,
                    UpdateExpression=expression,
                    ExpressionAttributeNames={"#t": "trail"},
                    ExpressionAttributeValues={
                        ":one": {"N": str(i + 1)},
                        ":empty": {"L": []},
                        ":e": {"L": [{"N": str(i)}]},
                    },
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            )
        refusals = [
            ("SET = 1", {}),  # not an expression
            ("SET a = :v SET b = :v", {":v": {"N": "1"}}),  # a second SET clause
            ("ADD a :v SET b = :v ADD c :v", {":v": {"N": "1"}}),  # a second ADD, after a SET
            ("SET a = :v, a = :v", {":v": {"N": "1"}}),  # one path twice
            ("SET pk = :v", {":v": {"S": "x"}}),  # the key
            ("SET n = n + :v", {":v": {"S": "x"}}),  # a number plus a string
        ]
        for text, values in refusals * 2:  # a refused expression is refused every time
            with pytest.raises(ClientError) as refused:
                ddb.update_item(
                    TableName=name,
                    Key={"pk": {"S": "U"}, "sk": {"S": "0"}},
                    UpdateExpression=text,
                    **({"ExpressionAttributeValues": values} if values else {}),
                )
            seen.append(refused.value.response["Error"])
        return seen

    ours = run(TABLE + "-once")
    kept = UpdateExpressionParser.make(expression)
    assert UpdateExpressionParser.make(expression) is kept  # parsed once, then served
    request.getfixturevalue("moto_own")

    assert ours == run(TABLE + "-own")
    assert _tree(kept) == _tree(UpdateExpressionParser.make(expression))  # no request changed the kept tree
    assert ours[3]["trail"] == {"L": [{"N": "1"}, {"N": "3"}]} and ours[3]["c"] == {"N": "6"}
    assert len({error["Message"] for error in ours[4:]}) == 6  # six different refusals


def test_given_update_expressions_when_their_clauses_are_counted_in_one_walk_then_each_count_is_find_clauses_own() -> (
    None
):
    from moto.dynamodb.parsing import ast_nodes as nodes
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from ocop_local.backend import _clause_counts

    clauses = (nodes.UpdateExpressionAddClause, nodes.UpdateExpressionRemoveClause, nodes.UpdateExpressionSetClause)
    texts = [
        "SET a = :v",
        "ADD #0 :0 SET #1 = :1, #2 = if_not_exists (#2, :2) ADD #3 :3",
        "SET a = :v SET b = :v",
        "REMOVE a SET b = list_append(if_not_exists(c, :e), :v) REMOVE d ADD e :one DELETE s :set",
    ]
    trees = [UpdateExpressionParser.make(text) for text in texts]
    # a tree the grammar never makes: clauses inside clauses of their own and other types
    inner_add = nodes.UpdateExpressionAddClause(children=[nodes.UpdateExpressionSetClause(children=[])])
    trees.append(
        nodes.UpdateExpression(
            children=[
                nodes.UpdateExpressionAddClause(children=[inner_add, nodes.UpdateExpressionRemoveClause(children=[])]),
                nodes.UpdateExpressionSetClause(children=[nodes.UpdateExpressionAddClause(children=[]), "leaf"]),
            ]
        )
    )
    checked = 0
    while trees:
        node = trees.pop()
        assert _clause_counts(node, clauses) == {c: len(node.find_clauses([c])) for c in clauses}
        checked += 1
        trees.extend(child for child in node.children or [] if isinstance(child, nodes.Node))
    assert checked > 60


def test_given_parsed_update_expressions_when_copied_then_the_copy_is_deepcopys_and_unusual_trees_are_left_to_it() -> (
    None
):
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing.ast_nodes import DDBTypedValue
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from ocop_local.backend import _copy_tree, _UnusualTree

    texts = [
        "SET a = :v",
        "SET #a.b[2] = list_append(if_not_exists(c, :e), :v), d = d - :one REMOVE x[1], y ADD s :set DELETE t :set",
    ]
    for text in texts:
        tree = UpdateExpressionParser.make(text)
        copied = _copy_tree(tree)
        assert _tree(copied) == _tree(copy.deepcopy(tree)) == _tree(tree)
        nodes = [copied]
        while nodes:  # every node new, every parent the copy's own
            node = nodes.pop()
            for child in node.children or []:
                if hasattr(child, "children"):
                    assert child.parent is node
                    nodes.append(child)
    with pytest.raises(_UnusualTree):  # a value moto put in a tree: deepcopy's to copy
        _copy_tree(DDBTypedValue(DynamoType({"S": "x"})))
    subtree = UpdateExpressionParser.make("SET a = :v").children[0]
    with pytest.raises(_UnusualTree):  # a subtree: deepcopy would copy its parents too
        _copy_tree(subtree)


def test_given_scans_written_when_the_consumer_catches_up_then_it_saw_each_once_in_order_per_code(
    aws: None,
) -> None:
    seen: list[tuple[str, str]] = []
    handed = threading.Event()

    def detector(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            image = record["dynamodb"]["NewImage"]
            seen.append((image["code"]["S"], image["scan_key"]["S"]))
        handed.set()
        return {"batchItemFailures": []}

    ddb = boto3.client("dynamodb")
    consumer = streams.StreamConsumer(detector, streams.StreamReader("ocop-scans"), interval=3600)
    consumer.start()  # polls once at start, then only when asked
    try:
        consumer.catch_up()
        written = [(f"CODE{i % 3}", f"2026-11-29T10:00:{i:02d}Z#{i}") for i in range(40)]
        for code, scan_key in written:
            ddb.put_item(TableName="ocop-scans", Item={"code": {"S": code}, "scan_key": {"S": scan_key}})

        assert not handed.is_set()  # written, answered, and not yet handed on: off the request path
        assert consumer.catch_up() == 40
    finally:
        consumer.stop()

    assert sorted(seen) == sorted(written)  # each once
    for code in {c for c, _ in written}:
        assert [k for c, k in seen if c == code] == [k for c, k in written if c == code]


def test_given_a_detector_that_fails_a_batch_once_when_the_consumer_catches_up_then_it_is_handed_again(
    aws: None,
) -> None:
    deliveries: list[int] = []

    def detector(event: dict[str, Any], context: Any) -> dict[str, Any]:
        deliveries.append(len(event["Records"]))
        if len(deliveries) == 1:
            raise RuntimeError("DynamoDB refused the transaction")  # Powertools raises when all fail
        return {"batchItemFailures": []}

    ddb = boto3.client("dynamodb")
    for i in range(5):
        ddb.put_item(TableName="ocop-scans", Item={"code": {"S": "CODE"}, "scan_key": {"S": f"k{i}"}})
    consumer = streams.StreamConsumer(detector, streams.StreamReader("ocop-scans"), interval=3600)
    consumer.start()
    try:
        consumer.catch_up()
    finally:
        consumer.stop()

    assert deliveries == [5, 5]  # the whole batch again, as the event source retries a function error


def test_given_a_detector_that_always_fails_then_the_batch_is_dead_lettered_and_later_scans_still_handed(
    aws: None,
) -> None:
    from ocop_local import backend

    dead_letters = backend.create_alert_resources()["ANOMALY_DLQ_URL"]
    seen: list[str] = []

    def detector(event: dict[str, Any], context: Any) -> dict[str, Any]:
        keys = [r["dynamodb"]["NewImage"]["scan_key"]["S"] for r in event["Records"]]
        if "poison" in keys:
            raise RuntimeError("cannot process")
        seen.extend(keys)
        return {"batchItemFailures": []}

    ddb = boto3.client("dynamodb")
    consumer = streams.StreamConsumer(detector, streams.StreamReader("ocop-scans"), dead_letters, interval=3600)
    consumer.start()
    try:
        ddb.put_item(TableName="ocop-scans", Item={"code": {"S": "CODE"}, "scan_key": {"S": "poison"}})
        consumer.catch_up()
        ddb.put_item(TableName="ocop-scans", Item={"code": {"S": "CODE"}, "scan_key": {"S": "after"}})
        consumer.catch_up()
    finally:
        consumer.stop()

    messages = boto3.client("sqs").receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10).get("Messages", [])
    assert seen == ["after"]
    assert len(messages) == 1 and '"batchSize": 1' in messages[0]["Body"]


def _every_kind(pk: str, sk: str) -> dict[str, Any]:
    """An item with a value of every DynamoDB type, Vietnamese text and an empty string among them."""
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "g": {"S": "G"},
        "s": {"S": "Trà hoa vàng Đồng Hỷ"},
        "empty": {"S": ""},
        "n": {"N": "-12.50"},
        "big": {"N": "123456789012345678901234567890"},
        "yes": {"BOOL": True},
        "none": {"NULL": True},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"BOOL": False}}}]},
        "m": {"M": {"nested": {"L": []}, "text": {"S": "Kha Sơn"}}},
    }


def _item_operations(ddb: Any, name: str, *, binary: bool) -> list[Any]:
    """What a client parses of each item operation the stack uses, on a fresh table."""
    _table(ddb, name)
    extra = {"b": {"B": b"\x00\xffbin"}, "bs": {"BS": [b"1", b"2"]}} if binary else {}
    key = {"pk": {"S": "A"}, "sk": {"S": "1"}}
    seen: list[Any] = [ddb.put_item(TableName=name, Item={**_every_kind("A", "1"), **extra})]
    for sk in "2345":
        ddb.put_item(TableName=name, Item=_every_kind("A", sk))
    seen.append(ddb.put_item(TableName=name, Item=_every_kind("A", "5"), ReturnValues="ALL_OLD"))
    seen.append(ddb.get_item(TableName=name, Key=key))
    seen.append(ddb.get_item(TableName=name, Key={"pk": {"S": "A"}, "sk": {"S": "9"}}))
    seen.append(
        ddb.get_item(
            TableName=name, Key=key, ProjectionExpression="s, l[2].k, m.#t", ExpressionAttributeNames={"#t": "text"}
        )
    )
    page = ddb.query(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "A"}}, Limit=2
    )
    seen += [
        page,
        ddb.query(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "A"}},
            ExclusiveStartKey=page["LastEvaluatedKey"],
            ScanIndexForward=False,
        ),
    ]
    seen.append(
        ddb.query(
            TableName=name,
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "G"}},
            Select="COUNT",
        )
    )
    seen.append(ddb.scan(TableName=name, FilterExpression="sk > :s", ExpressionAttributeValues={":s": {"S": "3"}}))
    for returns in ("ALL_NEW", "UPDATED_OLD", "NONE"):
        seen.append(
            ddb.update_item(
                TableName=name,
                Key=key,
                UpdateExpression="ADD ns :x SET n = n + :one",
                ExpressionAttributeValues={":x": {"NS": ["7"]}, ":one": {"N": "1"}},
                ReturnValues=returns,
            )
        )
    seen.append(
        ddb.batch_get_item(
            RequestItems={
                name: {"Keys": [key, {"pk": {"S": "A"}, "sk": {"S": "2"}}, {"pk": {"S": "Z"}, "sk": {"S": "0"}}]}
            }
        )
    )
    seen.append(
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": _every_kind("B", "1")}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "A"}, "sk": {"S": "4"}}}},
                ]
            }
        )
    )
    seen.append(
        ddb.transact_get_items(
            TransactItems=[
                {"Get": {"TableName": name, "Key": key}},
                {"Get": {"TableName": name, "Key": {"pk": {"S": "Q"}, "sk": {"S": "0"}}}},
            ]
        )
    )
    seen.append(
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": name,
                        "Key": key,
                        "UpdateExpression": "SET yes = :f",
                        "ExpressionAttributeValues": {":f": {"BOOL": False}},
                    }
                }
            ]
        )
    )
    seen.append(ddb.delete_item(TableName=name, Key={"pk": {"S": "A"}, "sk": {"S": "3"}}, ReturnValues="ALL_OLD"))
    try:
        ddb.put_item(
            TableName=name,
            Item=_every_kind("A", "1"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        seen.append((exc.response["Error"], exc.response.get("Item")))
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    ds = boto3.client("dynamodbstreams")
    shard = ds.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = ds.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    for record in ds.get_records(ShardIterator=it)["Records"]:
        change = record["dynamodb"]
        assert abs(change.pop("ApproximateCreationDateTime").timestamp() - time.time()) < 60
        assert change.pop("SizeBytes") > 0 and change.pop("SequenceNumber")  # moto's estimate; its counter
        seen.append({"event": record["eventName"], **change})
    for answer in seen:
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
    return json.loads(json.dumps(seen, default=repr).replace(name, "TABLE"))  # one table's answers as the other's


@pytest.mark.parametrize("binary", [False, True], ids=["plain", "with-binary"])
def test_given_every_kind_of_value_when_item_operations_answer_as_plain_json_then_clients_parse_motos_own(
    ddb: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, binary: bool
) -> None:
    from moto.core.serialize import JSONSerializer

    walks: list[str] = []
    serialize = JSONSerializer.serialize
    monkeypatch.setattr(
        JSONSerializer, "serialize", lambda self, result: walks.append(self.operation_name) or serialize(self, result)
    )
    plain = _item_operations(ddb, TABLE + "-plain", binary=binary)
    plain_walks = list(walks)
    request.getfixturevalue("moto_own")
    own = _item_operations(ddb, TABLE + "-own", binary=binary)

    assert plain == own
    assert len(plain) == 18 + 13 and plain[2]["Item"]["s"] == {"S": "Trà hoa vàng Đồng Hỷ"}
    # moto's serialiser walked only the errors and, with binary values, the answers that carry them
    reads = {"GetItem", "Query", "Scan", "UpdateItem", "BatchGetItem", "TransactGetItems", "DeleteItem", "GetRecords"}
    assert ("GetItem" in plain_walks) if binary else not reads & set(plain_walks)


def test_given_a_handler_class_when_its_actions_are_looked_up_then_they_are_listed_once_and_again_for_a_new_one() -> (
    None
):
    from ocop_local.backend import _MethodNames

    class Handler:
        def get_item(self) -> None: ...

    listings: list[type] = []

    def listed(clazz: type) -> list[str]:
        listings.append(clazz)
        return [name for name, value in vars(clazz).items() if callable(value)]

    names = _MethodNames(listed, Handler)
    assert "get_item" in names and "get_item" in names and "put_item" not in names
    assert len(listings) == 2  # once made, once for the name it lacked
    Handler.put_item = lambda self: None  # type: ignore[attr-defined]
    assert "put_item" in names and "put_item" in names and len(listings) == 3


def _sized_puts(ddb: Any, name: str) -> list[Any]:
    """Items of one or many attributes each side of moto's size limit, put and updated."""
    _table(ddb, name)
    answers: list[Any] = []
    key = {"pk": {"S": "S"}, "sk": {"S": "1"}}
    for filler in (404_900, 404_990, 405_100):  # one large attribute (plus the keys' ~10 bytes)
        items = [
            {**key, "big": {"S": "x" * filler}},
            {**key, **{f"a{i:02d}": {"S": "y" * (filler // 40)} for i in range(40)}},  # forty, the last one tips it
            {**key, "big": {"S": "đ" * (filler // 2)}},  # two bytes a character
        ]
        for item in items:
            try:
                ddb.put_item(TableName=name, Item=item)
                answers.append(("put", len(ddb.get_item(TableName=name, Key=key)["Item"])))
            except ClientError as exc:
                answers.append(exc.response["Error"])
    try:
        ddb.update_item(
            TableName=name,
            Key=key,
            UpdateExpression="SET more = :m",
            ExpressionAttributeValues={":m": {"S": "z" * 9000}},
        )
        answers.append("updated")
    except ClientError as exc:
        answers.append(exc.response["Error"])
    return answers


def test_given_items_around_the_size_limit_when_put_then_each_is_taken_or_refused_as_moto_does(
    ddb: Any, request: pytest.FixtureRequest
) -> None:
    ours = _sized_puts(ddb, TABLE + "-sized")
    request.getfixturevalue("moto_own")

    assert ours == _sized_puts(ddb, TABLE + "-own")
    assert ("put", 3) in ours and {"put"} != {a[0] if isinstance(a, tuple) else "refused" for a in ours}


def _turns(lock: Any, first: bool, second: bool) -> list[str]:
    """The order in which two requests waiting for ``lock`` get it, the first having come first."""
    order: list[str] = []

    def request(name: str, background: bool, ready: threading.Event) -> None:
        ready.set()
        with lock.held(background):
            order.append(name)

    lock.acquire()  # a request in moto
    threads = []
    for name, background in (("first", first), ("second", second)):
        ready = threading.Event()
        threads.append(threading.Thread(target=request, args=(name, background, ready)))
        threads[-1].start()
        ready.wait()
        time.sleep(0.05)  # it is waiting now
    lock.release()
    for thread in threads:
        thread.join(5)
    return order


def test_given_moto_busy_when_a_background_request_and_then_a_scans_wait_then_the_scans_goes_first() -> None:
    from ocop_local.backend import MotoLock

    assert _turns(MotoLock(), first=True, second=False) == ["second", "first"]  # the detector's waits
    assert _turns(MotoLock(), first=False, second=True) == ["first", "second"]
    assert _turns(MotoLock(), first=False, second=False) in (["first", "second"], ["second", "first"])


def test_given_requests_of_the_request_path_without_pause_when_the_detector_waits_then_it_gets_a_turn_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ocop_local import backend

    monkeypatch.setattr(backend, "BACKGROUND_WAIT_SECONDS", 0.2)
    lock, stop, turns = backend.MotoLock(), threading.Event(), []

    def scans() -> None:  # always one waiting while another holds it
        while not stop.is_set():
            with lock.held(False):
                time.sleep(0.002)

    busy = [threading.Thread(target=scans) for _ in range(3)]
    for thread in busy:
        thread.start()
    started = time.monotonic()
    with lock.held(True):
        turns.append(time.monotonic() - started)
        with lock:  # re-entrant: moto calling itself in the same thread
            turns.append("again")
    stop.set()
    for thread in busy:
        thread.join(5)
    assert turns[1] == "again" and 0.15 < turns[0] < 2.0  # it waited for the scans, not for ever


def test_given_the_template_when_worker_functions_are_made_then_only_event_fed_ones_run_in_the_background() -> None:
    from ocop_local import processes
    from ocop_local.template import load_template

    functions = processes._local_functions(load_template(), set())
    background = {name for name, function in functions.items() if function.background}
    assert background == set(processes.EVENT_FUNCTIONS)
    assert "PublicScanFunction" in functions


def _awkward_transactions(ddb: Any, name: str) -> list[Any]:
    """Transactions moto answers in its own way (found by a break test): an entry with two
    operations after a written one, the table named by its ARN beside its name, an update
    through the ARN; then everything a client sees of the table."""
    _table(ddb, name)
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.put_item(TableName=name, Item=_item("E", "1", 1))
    missing = {
        "TableName": name,
        "Key": {"pk": {"S": "Z"}, "sk": {"S": "1"}},
        "ConditionExpression": "attribute_exists(pk)",
    }
    attempts = [
        [  # one entry, two operations: refused there, the first put kept
            {"Put": {"TableName": name, "Item": _item("A", "1", 1)}},
            {
                "Put": {"TableName": name, "Item": _item("B", "1", 1)},
                "Delete": {"TableName": name, "Key": _item("E", "1", 1)},
            },
        ],
        [  # by ARN, then a failed check by name: the whole table restored
            {"Put": {"TableName": arn, "Item": _item("C", "1", 1)}},
            {"ConditionCheck": missing},
        ],
        [  # an update of an existing item through the ARN, then a failed check: undone
            {
                "Update": {
                    "TableName": arn,
                    "Key": {"pk": {"S": "E"}, "sk": {"S": "1"}},
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "9"}},
                }
            },
            {"ConditionCheck": missing},
        ],
        [  # by ARN only, then a failed check by ARN: moto snapshots names, so nothing is restored
            {"Put": {"TableName": arn, "Item": _item("D", "1", 1)}},
            {"ConditionCheck": {**missing, "TableName": arn}},
        ],
    ]
    seen: list[Any] = []
    for items in attempts:
        try:
            ddb.transact_write_items(TransactItems=items)
            seen.append("written")
        except ClientError as exc:
            seen.append(exc.response["Error"]["Code"])
        seen.append(_state(ddb, name))
    capacity = ddb.batch_get_item(
        RequestItems={name: {"Keys": [{"pk": {"S": "E"}, "sk": {"S": "1"}}]}}, ReturnConsumedCapacity="TOTAL"
    )["ConsumedCapacity"]
    seen.append([(type(c["CapacityUnits"]).__name__, c["CapacityUnits"]) for c in capacity])
    return json.loads(json.dumps(seen, default=repr).replace(name, "TABLE"))


def test_given_awkward_transactions_when_the_local_stack_runs_them_then_tables_and_stream_are_motos_own(
    ddb: Any, request: pytest.FixtureRequest
) -> None:
    ours = _awkward_transactions(ddb, TABLE + "-awkward")
    request.getfixturevalue("moto_own")

    assert ours == _awkward_transactions(ddb, TABLE + "-own")
    kept = [item["pk"]["S"] for item in ours[1]["items"]]
    assert kept == ["A", "E"] and ours[-1] == [["float", 1.0]]
