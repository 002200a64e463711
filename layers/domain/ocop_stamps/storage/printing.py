"""Data access for print jobs: the job item (catalog table), the label-jobs queue, the bucket.

A job is one catalog item ``pk = JOB#{job_id}, sk = PROFILE``. Progress moves by atomic
``ADD`` updates -- one per chunk, whatever the job size -- and a chunk is counted once
only (``done_chunks`` is a number set checked in the condition), so a redelivered message
never counts twice.

The job, queue and object functions are traced (``ocop_stamps.observability``); the
multipart stream (``S3Upload``) and ``iter_object`` are left to the botocore patch (one
subsegment per AWS call): a traced generator would hold its subsegment open across the
caller's own calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.text import nfc
from ocop_stamps.observability import tracer
from ocop_stamps.storage import faults

PROFILE = "PROFILE"
PART_SIZE = 8 * 1024 * 1024  # S3 multipart parts (minimum 5 MiB except the last)


def job_key(job_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": PROFILE}}


@lru_cache(maxsize=4)
def _client(service: str, endpoint: str | None = None) -> Any:
    if service == "dynamodb":
        return faults.dynamodb_client(endpoint=endpoint)
    config = Config(s3={"addressing_style": "path"}, signature_version="s3v4") if service == "s3" else None
    return boto3.client(service, endpoint_url=endpoint or None, config=config)


def reset_clients() -> None:
    _client.cache_clear()


def _ddb() -> Any:
    return _client("dynamodb")


def _s3() -> Any:
    return _client("s3")


# --- job items -------------------------------------------------------------------------------


def _to_attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, dict | list):
        return {"S": json.dumps(value, ensure_ascii=False)}
    return {"S": str(value)}


def _from_attr(attr: dict[str, Any]) -> Any:
    if "N" in attr:
        n = attr["N"]
        return int(n) if n.lstrip("-").isdigit() else float(n)
    if "S" in attr:
        return attr["S"]
    if "BOOL" in attr:
        return attr["BOOL"]
    if "NS" in attr:
        return sorted(int(x) for x in attr["NS"])
    return None


@tracer.capture_method(capture_response=False)
@faults.retrying
def put_job(job_id: str, fields: dict[str, Any]) -> None:
    """Create the job item. Job ids are random (80 bits): an item already there is this same
    write, applied by an attempt whose answer was lost (a 5xx or a timeout), and is kept."""
    item = {**job_key(job_id), "kind": {"S": "print_job"}}
    item.update({k: _to_attr(v) for k, v in fields.items()})
    try:
        _ddb().put_item(
            TableName=get_settings().catalog_table, Item=item, ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


@tracer.capture_method(capture_response=False)
@faults.retrying
def get_job(job_id: str, *, consistent: bool = False) -> dict[str, Any] | None:
    out = _ddb().get_item(TableName=get_settings().catalog_table, Key=job_key(job_id), ConsistentRead=consistent)
    item = out.get("Item")
    if not item or item.get("kind", {}).get("S") != "print_job":
        return None
    return {k: _from_attr(v) for k, v in nfc(item).items()}  # text in NFC (core.text)


@tracer.capture_method(capture_response=False)
@faults.retrying
def count_chunk(job_id: str, chunk: int, labels: int) -> dict[str, Any] | None:
    """Count chunk ``chunk`` as rendered (once); the job as it is now, or None if it was
    already counted."""
    try:
        out = _ddb().update_item(
            TableName=get_settings().catalog_table,
            Key=job_key(job_id),
            UpdateExpression="ADD done_chunks :c, chunks_done :one, labels_done :n SET #s = :running",
            ConditionExpression="attribute_exists(pk) AND NOT contains(done_chunks, :i) AND #s <> :failed",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":c": {"NS": [str(chunk)]},
                ":i": {"N": str(chunk)},
                ":one": {"N": "1"},
                ":n": {"N": str(labels)},
                ":running": {"S": "running"},
                ":failed": {"S": "failed"},
            },
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return {k: _from_attr(v) for k, v in out["Attributes"].items()}


@tracer.capture_method(capture_response=False)
@faults.retrying
def mark_failed(job_id: str, reason: str, *, chunk_failed: bool) -> None:
    expr = "SET #s = :failed, failure = :why"
    values: dict[str, Any] = {":failed": {"S": "failed"}, ":why": {"S": reason[:500]}, ":done": {"S": "done"}}
    if chunk_failed:
        expr += " ADD chunks_failed :one"
        values[":one"] = {"N": "1"}
    try:
        _ddb().update_item(
            TableName=get_settings().catalog_table,
            Key=job_key(job_id),
            UpdateExpression=expr,
            ConditionExpression="attribute_exists(pk) AND #s <> :done",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


@tracer.capture_method(capture_response=False)
@faults.retrying
def mark_done(job_id: str, result_key: str, size: int, file_name: str) -> None:
    _ddb().update_item(
        TableName=get_settings().catalog_table,
        Key=job_key(job_id),
        UpdateExpression="SET #s = :done, result_key = :k, result_bytes = :b, file_name = :f",
        ConditionExpression="attribute_exists(pk) AND #s <> :failed",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":done": {"S": "done"},
            ":failed": {"S": "failed"},
            ":k": {"S": result_key},
            ":b": {"N": str(size)},
            ":f": {"S": file_name},
        },
    )


# --- queue -----------------------------------------------------------------------------------


@tracer.capture_method(capture_response=False)
def enqueue_chunks(job_id: str, chunks: int) -> None:
    """One message per chunk, ten per request."""
    url = get_settings().print_queue_url
    sqs = _client("sqs")
    for start in range(0, chunks, 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps({"job_id": job_id, "chunk": i})}
            for i in range(start, min(chunks, start + 10))
        ]
        out = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if out.get("Failed"):
            raise RuntimeError(f"queue refused {len(out['Failed'])} chunk messages of job {job_id}")


# --- bucket ----------------------------------------------------------------------------------


class S3Upload:
    """A write-only stream into one S3 object (multipart, ``PART_SIZE`` parts): memory
    holds one part whatever the object's size. ``close()`` completes; ``abort()`` drops."""

    def __init__(self, key: str, content_type: str = "application/octet-stream") -> None:
        self.key = key
        self.bucket = get_settings().print_bucket
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.size = 0
        self.upload_id = _s3().create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type, ServerSideEncryption="AES256"
        )["UploadId"]

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.size += len(data)
        if len(self.buffer) >= PART_SIZE:
            self._flush()
        return len(data)

    def _flush(self) -> None:
        number = len(self.parts) + 1
        out = _s3().upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer)
        )
        self.parts.append({"PartNumber": number, "ETag": out["ETag"]})
        self.buffer = bytearray()

    def close(self) -> int:
        if self.buffer or not self.parts:
            self._flush()
        _s3().complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )
        return self.size

    def abort(self) -> None:
        _s3().abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)


@tracer.capture_method(capture_response=False)
def put_object(key: str, body: bytes, content_type: str = "application/octet-stream") -> None:
    _s3().put_object(
        Bucket=get_settings().print_bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption="AES256"
    )


@tracer.capture_method(capture_response=False)
def get_bytes(key: str) -> bytes:
    return bytes(_s3().get_object(Bucket=get_settings().print_bucket, Key=key)["Body"].read())


def iter_object(key: str, block: int = 1024 * 1024) -> Iterator[bytes]:
    body = _s3().get_object(Bucket=get_settings().print_bucket, Key=key)["Body"]
    while chunk := body.read(block):
        yield chunk


def presign(key: str, file_name: str, seconds: int = 3600) -> str:
    settings = get_settings()
    client = _client("s3", settings.s3_presign_endpoint or None)
    return str(
        client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": settings.print_bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{file_name}"',
            },
            ExpiresIn=seconds,
        )
    )
