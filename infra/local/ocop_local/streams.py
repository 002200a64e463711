"""The Scans table's DynamoDB stream on the local stack: the anomaly detector fed as deployed.

* ``StreamReader`` reads moto's stream (``dynamodbstreams`` DescribeStream, GetShardIterator,
  GetRecords) shard by shard from the trim horizon, remembering where it stopped.
* ``drain`` hands the records to the detector's own ``lambda_handler`` in the event shape
  the DynamoDB event source sends (``eventSourceARN``, ``dynamodb.NewImage``,
  ``SequenceNumber`` ...), in batches. Records the handler reports in
  ``batchItemFailures`` are delivered again from the first failed one (Lambda's
  checkpoint), a handler that raises gets the whole batch again, up to ``max_attempts``;
  after that the batch's description goes to the dead-letter queue, like the event
  source's OnFailure destination: every record is seen, or dead-lettered.
* ``StreamConsumer`` runs ``drain`` in a thread of its own, as the event source does when
  deployed: off the request path (``make dev`` and the e2e stack, ``tests/helpers/local_stack``);
  ``catch_up()`` waits for it deterministically.

With current botocore, moto's stream endpoint needs ``AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled``
(``backend.base_environment`` sets it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import backend
from .lambda_context import LocalLambdaContext
from .server import load_handler
from .template import default_template_path, function_properties

log = logging.getLogger("ocop_local.streams")
DETECTOR_ID = "AnomalyDetectorFunction"
READ_LIMIT = 1000  # records per GetRecords, DynamoDB Streams' maximum
SHARDS_SECONDS = 30.0
Handler = Callable[[dict[str, Any], Any], Any]


def detector_handler(template: dict[str, Any]) -> Handler:
    props = function_properties(template, DETECTOR_ID)
    folder = (default_template_path().resolve().parent / props["CodeUri"]).resolve()
    return load_handler(Path(folder), props["Handler"])


def _region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")


class StreamReader:
    """Where we are in each shard of one table's stream."""

    def __init__(self, table_name: str) -> None:
        import boto3

        self.table_name = table_name
        ddb = boto3.client("dynamodb", region_name=_region())
        self.stream_arn: str = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self.streams = boto3.client("dynamodbstreams", region_name=_region())
        self.iterators: dict[str, str | None] = {}
        self._shard_ids: list[str] | None = None
        self._described = 0.0

    def _shards(self) -> list[str]:
        """The stream's shards, described again at most every ``SHARDS_SECONDS`` (a table's
        shards change over hours, not between two polls; moto's never do)."""
        now = time.monotonic()
        if self._shard_ids is None or now - self._described >= SHARDS_SECONDS:
            desc = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
            self._shard_ids, self._described = [s["ShardId"] for s in desc.get("Shards", [])], now
        return self._shard_ids

    def read(self, limit: int = READ_LIMIT) -> list[dict[str, Any]]:
        """New records since the last read, oldest first, in the Lambda event shape."""
        out: list[dict[str, Any]] = []
        for shard in self._shards():
            if shard not in self.iterators:
                self.iterators[shard] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self.iterators[shard]
            if iterator is None:
                continue
            resp = self.streams.get_records(ShardIterator=iterator, Limit=limit)
            self.iterators[shard] = resp.get("NextShardIterator")
            out += [lambda_record(r, self.stream_arn) for r in resp.get("Records", [])]
        return out


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as the DynamoDB event source hands it to Lambda."""
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        ddb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", _region()),
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }


def drain(
    handler: Handler,
    reader: StreamReader,
    *,
    batch_size: int = 100,
    max_attempts: int = 3,
    dead_letter_url: str | None = None,
) -> dict[str, int]:
    """Everything new on the stream through the handler; returns counts."""
    records = reader.read()
    stats = {"records": len(records), "batches": 0, "failed": 0}
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        for attempt in range(1, max_attempts + 1):
            stats["batches"] += 1
            context = LocalLambdaContext(function_name=DETECTOR_ID, memory_limit_in_mb=512, timeout_seconds=60)
            try:
                response = handler({"Records": batch}, context) or {}
                failures = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
            except Exception:  # a function error: Lambda retries the whole batch (Powertools raises
                log.exception("anomaly detector failed on a batch")  # when every record failed)
                failures = [r["dynamodb"]["SequenceNumber"] for r in batch]
            if not failures:
                break
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            first = min(sequence.index(f) for f in failures if f in sequence)
            batch = batch[first:]  # the checkpoint: retry from the first failed record
            if attempt == max_attempts:
                stats["failed"] += len(batch)
                log.warning("anomaly detector gave up on %d stream records", len(batch))
                if dead_letter_url:
                    _dead_letter(dead_letter_url, reader.stream_arn, batch)
    return stats


def _dead_letter(queue_url: str, stream_arn: str, batch: list[dict[str, Any]]) -> None:
    import boto3

    seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
    body = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": DETECTOR_ID},
        "DDBStreamBatchInfo": {
            "streamArn": stream_arn,
            "startSequenceNumber": seqs[0],
            "endSequenceNumber": seqs[-1],
            "batchSize": len(batch),
        },
    }
    boto3.client("sqs", region_name=_region()).send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))


class StreamConsumer(threading.Thread):
    """The anomaly detector's event source, off the request path as deployed: a thread of its
    own that polls the Scans table's stream every ``interval`` seconds (Lambda polls a
    shard about four times a second; locally a poll costs a few moto requests, so an idle
    stream is polled once a second, and ``catch_up`` polls at once) and hands every new record, in stream order, to the
    detector's handler (``drain``). One consumer per stream: each record is handed over
    once, in the order it was written, so the detector sees each code's scans in order.

    A request never waits for it. A test (or ``POST /_local/streams/catch-up``) that needs
    the detector to have seen the scans it made calls ``catch_up()``: no sleeps.
    """

    def __init__(
        self, handler: Handler, reader: StreamReader, dead_letter_url: str | None = None, interval: float = 1.0
    ) -> None:
        super().__init__(name="anomaly-detector-stream", daemon=True)
        self.handler, self.reader, self.dead_letter_url, self.interval = handler, reader, dead_letter_url, interval
        self.records = 0  # handed to the detector so far
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._passes = threading.Condition()
        self._polls_begun = self._polls_ended = 0

    def run(self) -> None:  # a daemon thread: it ends with the process, or with stop()
        backend.run_in_background()  # in one process the detector runs in this thread
        while not self._stopping.is_set():
            self._wake.clear()
            with self._passes:
                self._polls_begun += 1
                number = self._polls_begun
            try:
                handed = READ_LIMIT
                while handed >= READ_LIMIT:  # a full read may have left more: read on
                    handed = drain(self.handler, self.reader, dead_letter_url=self.dead_letter_url)["records"]
                    self.records += handed
            except Exception:
                log.exception("anomaly detector stream consumer")
            with self._passes:
                self._polls_ended = number
                self._passes.notify_all()
            self._wake.wait(self.interval)

    def catch_up(self, timeout: float = 60.0) -> int:
        """Wait until every record on the stream when called has been handed to the detector
        (a poll that begins after the call has ended); returns the records handed so far.
        ``TimeoutError`` after ``timeout`` seconds."""
        with self._passes:
            target = self._polls_begun + 1
        self._wake.set()
        with self._passes:
            if not self._passes.wait_for(lambda: self._polls_ended >= target, timeout):
                raise TimeoutError(f"the anomaly detector did not catch up within {timeout:g} s")
        return self.records

    def stop(self) -> None:
        """End the loop after the current poll and wait for it."""
        self._stopping.set()
        self._wake.set()
        self.join(timeout=30)


CATCH_UP_PATH = "/_local/streams/catch-up"


def with_catch_up(app: Callable[..., Any], consumer: StreamConsumer) -> Callable[..., Any]:
    """The gateway, plus ``POST /_local/streams/catch-up``: answers ``{"records": n}`` once the
    anomaly detector has seen every scan logged before the request (for scripts such as
    ``tests/perf/load.py``; local only, like ``/_local/s3``)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != CATCH_UP_PATH or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        body: dict[str, Any]
        try:
            body, status = {"records": consumer.catch_up()}, "200 OK"
        except TimeoutError as exc:
            body, status = {"message": str(exc)}, "504 Gateway Timeout"
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return wsgi
