"""Print jobs on the local stack: the label worker fed from moto's queue, downloads served.

* ``drain`` receives from the label-jobs queue and invokes the worker's own
  ``lambda_handler`` with the event shape the SQS event source sends (one record per
  message, ``ApproximateReceiveCount`` and all). Records the handler reports in
  ``batchItemFailures`` are made visible again at once (AWS would wait for the visibility
  timeout), so retries and the dead-letter queue behave as deployed, only faster.
* ``WorkerPoller`` runs ``drain`` in a background thread of ``make dev``.
* ``with_downloads`` serves presigned links locally: the functions presign against
  ``{base}/_local/s3`` (``OCOP_S3_PRESIGN_ENDPOINT``), and this WSGI wrapper answers
  those paths from moto's bucket while the link has not expired. Every other path goes
  to the gateway untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from . import backend
from .lambda_context import LocalLambdaContext
from .server import load_handler
from .template import default_template_path, function_properties

log = logging.getLogger("ocop_local.jobs")
DOWNLOAD_PREFIX = "/_local/s3"
WORKER_ID = "LabelWorkerFunction"


def worker_handler(template: dict[str, Any], function_id: str = WORKER_ID) -> Callable[[dict[str, Any], Any], Any]:
    """The handler of a queue-fed function of the template (the label worker by default)."""
    props = function_properties(template, function_id)
    folder = (default_template_path().resolve().parent / props["CodeUri"]).resolve()
    return load_handler(Path(folder), props["Handler"])


def sqs_event(messages: Iterable[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    records = []
    for m in messages:
        attrs = m.get("Attributes", {})
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": attrs.get("ApproximateReceiveCount", "1"),
                    "SentTimestamp": attrs.get("SentTimestamp", str(int(time.time() * 1000))),
                    "SenderId": attrs.get("SenderId", "local"),
                    "ApproximateFirstReceiveTimestamp": attrs.get(
                        "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
                    ),
                },
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
        )
    return {"Records": records}


_queue_arns: dict[str, str] = {}


def drain(
    handler: Callable[[dict[str, Any], Any], Any],
    queue_url: str | None = None,
    *,
    batch_size: int = 1,
    max_rounds: int = 10_000,
    wait_seconds: int = 0,
    sqs: Any = None,
) -> int:
    """Deliver messages to ``handler`` until the queue is empty; returns deliveries made.
    ``sqs``: a client to use (a poller keeps one: making a client costs tens of ms)."""
    import boto3

    region = os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1")
    sqs = sqs or boto3.client("sqs", region_name=region)
    url = queue_url or os.environ["PRINT_QUEUE_URL"]
    arn = (
        _queue_arns.get(url)
        or sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    )
    _queue_arns[url] = arn  # a queue's URL names its account, region and name, as its ARN does
    delivered = 0
    for _ in range(max_rounds):
        out = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=batch_size, AttributeNames=["All"], WaitTimeSeconds=wait_seconds
        )
        messages = out.get("Messages", [])
        if not messages:
            break
        delivered += len(messages)
        context = LocalLambdaContext(
            function_name=WORKER_ID, memory_limit_in_mb=2048, timeout_seconds=300, region=region
        )
        try:
            result = handler(sqs_event(messages, arn, region), context) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            log.exception("label worker failed on a whole batch")
            failed = {m["MessageId"] for m in messages}
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return delivered


class WorkerPoller(threading.Thread):
    """``drain`` in the background, as the SQS event source does when deployed."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], queue_url: str, interval: float = 0.5) -> None:
        super().__init__(name="label-worker-poller", daemon=True)
        self.handler, self.queue_url, self.interval = handler, queue_url, interval
        self.stopping = threading.Event()

    def run(self) -> None:  # a daemon thread: it ends with the process, or with stop()
        import boto3

        backend.run_in_background()  # in one process the label worker runs in this thread

        sqs = boto3.client("sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1"))
        while not self.stopping.is_set():
            try:
                drain(self.handler, self.queue_url, max_rounds=50, sqs=sqs)
            except Exception:
                log.exception("label worker poller")
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        """End the loop and wait for it (tests start a poller per module and stop it after)."""
        self.stopping.set()
        self.join(timeout=10)


def with_downloads(app: Callable[..., Any]) -> Callable[..., Any]:
    """The gateway, plus ``GET /_local/s3/{bucket}/{key}?X-Amz-...`` from moto's S3."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(DOWNLOAD_PREFIX + "/") or environ.get("REQUEST_METHOD") != "GET":
            return app(environ, start_response)  # type: ignore[no-any-return]
        return _download(path[len(DOWNLOAD_PREFIX) + 1 :], environ.get("QUERY_STRING", ""), start_response)

    return wsgi


def _download(path: str, query: str, start_response: Any) -> Iterable[bytes]:
    import boto3
    from botocore.exceptions import ClientError

    params = {k: v[0] for k, v in parse_qs(query).items()}
    bucket, _, key = unquote(path).partition("/")
    try:
        signed = dt.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        expired = dt.datetime.now(dt.UTC) > signed + dt.timedelta(seconds=int(params["X-Amz-Expires"]))
        if "X-Amz-Signature" not in params:
            raise KeyError("X-Amz-Signature")
    except (KeyError, ValueError):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"not a presigned link"]
    if expired:
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"the link has expired"]
    s3 = boto3.client("s3", region_name=os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1"))
    try:
        obj = s3.get_object(Bucket=bucket, Key=key)
    except ClientError:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such object"]
    headers = [
        ("Content-Type", obj.get("ContentType") or "application/octet-stream"),
        ("Content-Length", str(obj["ContentLength"])),
    ]
    if "response-content-disposition" in params:
        headers.append(("Content-Disposition", params["response-content-disposition"]))
    start_response("200 OK", headers)
    body = obj["Body"]
    return iter(lambda: body.read(1024 * 1024), b"")
