"""What a function's calls need from IAM, checked against what the template grants it.

moto does not enforce IAM, so a page that calls DynamoDB on a table or index its function's
policy does not name works in every test and fails deployed (AccessDenied). ``Recorder``
wraps botocore while one function's handler runs and lists each call's (action, resource)
-- the resource as the template names it: ``CatalogTable`` or
``${ScansTable.Arn}/index/by_province`` -- and ``missing`` says which the policy lacks
(a grant's resource may end in ``*``, as ``${X.Arn}/index/*`` does).

DynamoDB calls are matched to their table and index; a transaction needs each item's own
action (IAM authorises TransactWriteItems per item: Put -> PutItem, Update -> UpdateItem,
ConditionCheck -> ConditionCheckItem, Delete -> DeleteItem). Other services are checked by
action only (their resources are parameters and queues the template names once).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from helpers.template import TEMPLATE_PATH, cfn
from ocop_stamps.core.settings import get_settings

_TABLES = {
    "catalog_table": "CatalogTable",
    "stamps_table": "StampsTable",
    "scans_table": "ScansTable",
    "idempotency_table": "IdempotencyTable",
    "alerts_table": "AlertsTable",
}
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "ConditionCheck": "ConditionCheckItem", "Delete": "DeleteItem"}
_S3_ACTIONS = {
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "HeadObject": "GetObject",
    "ListObjectsV2": "ListBucket",
    "ListObjects": "ListBucket",
    "DeleteObjects": "DeleteObject",
}
_SERVICE_PREFIX = {"cognito-idp": "cognito-idp", "dynamodb": "dynamodb", "ssm": "ssm", "sqs": "sqs", "s3": "s3"}


def _label(resource: Any) -> str:
    if isinstance(resource, dict):
        if "Fn::GetAtt" in resource and resource["Fn::GetAtt"][1:] == ["Arn"]:
            return str(resource["Fn::GetAtt"][0])
        if isinstance(resource.get("Fn::Sub"), str):
            return str(resource["Fn::Sub"])
        if "Ref" in resource:
            return str(resource["Ref"])
    return str(resource)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=16)
def grants(function_id: str) -> frozenset[tuple[str, str]]:
    """(action, resource label) pairs the template's policy gives ``function_id``."""
    template = cfn.load_template(TEMPLATE_PATH)
    policies = template["Resources"][function_id]["Properties"].get("Policies", [])
    return frozenset(
        (action, _label(resource))
        for policy in policies
        for statement in policy["Statement"]
        if statement.get("Effect") == "Allow"
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    )


def _table_ids() -> dict[str, str]:
    settings = get_settings()
    return {getattr(settings, field): logical for field, logical in _TABLES.items()}


def needs(service: str, operation: str, params: dict[str, Any]) -> set[tuple[str, str]]:
    """The (action, resource label) pairs one botocore call needs; resource ``*`` outside DynamoDB."""
    if service != "dynamodb":
        # SQS authorises a batch call by its single action (SQS Developer Guide, "Amazon SQS API
        # permissions: Actions and resource reference"): SendMessageBatch needs sqs:SendMessage.
        if service == "sqs" and operation.endswith("Batch"):
            operation = operation.removesuffix("Batch")
        # S3 authorises several API operations by one action (Amazon S3 User Guide, "Policy
        # actions for Amazon S3"): the parts of a multipart upload by s3:PutObject, HEAD by
        # s3:GetObject, a listing by s3:ListBucket, a multi-delete by s3:DeleteObject.
        if service == "s3":
            operation = _S3_ACTIONS.get(operation, operation)
        return {(f"{_SERVICE_PREFIX.get(service, service)}:{operation}", "*")}
    ids = _table_ids()

    def where(table: str, index: str | None = None) -> str:
        logical = ids.get(table, table)
        return f"${{{logical}.Arn}}/index/{index}" if index else logical

    if operation == "TransactWriteItems":
        return {
            (f"dynamodb:{_TRANSACT[kind]}", where(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        }
    if operation == "TransactGetItems":
        return {("dynamodb:GetItem", where(item["Get"]["TableName"])) for item in params["TransactItems"]}
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return {(f"dynamodb:{operation}", where(table)) for table in params["RequestItems"]}
    if "TableName" not in params:  # ListTables, DescribeLimits...: an account-wide action
        return {(f"dynamodb:{operation}", "*")}
    return {(f"dynamodb:{operation}", where(params["TableName"], params.get("IndexName")))}


def missing(function_id: str, needed: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The needs the policy of ``function_id`` does not grant."""
    granted = grants(function_id)

    def allowed(action: str, resource: str) -> bool:
        return any(
            action == a and (resource == "*" or resource == r or (r.endswith("*") and fnmatch.fnmatchcase(resource, r)))
            for a, r in granted
        )

    return {need for need in needed if not allowed(*need)}


_current = threading.local()  # the set the running handler's calls go into, per thread


def _install() -> None:
    """Wrap botocore's one call path once (again if a test's monkeypatch replaced it since):
    patching and unpatching per request would race between threads (a test's concurrent
    requests) and leave one thread's wrapper in place of another's."""
    from botocore.client import BaseClient

    if getattr(BaseClient._make_api_call, "_iam_recorder", False):
        return
    inner = BaseClient._make_api_call

    def record(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        seen = getattr(_current, "seen", None)
        if seen is not None:
            seen.update(needs(self.meta.service_model.service_name, operation, params))
        return inner(self, operation, params)

    record._iam_recorder = True  # type: ignore[attr-defined]
    BaseClient._make_api_call = record  # type: ignore[method-assign]


@contextmanager
def recording() -> Iterator[set[tuple[str, str]]]:
    """Every AWS call made inside, in this thread, as the IAM (action, resource) pairs it needs."""
    _install()
    outer = getattr(_current, "seen", None)
    seen: set[tuple[str, str]] = set()
    _current.seen = seen
    try:
        yield seen
    finally:
        _current.seen = outer


def function_id(name: str) -> str:
    """functions/<name> -> its logical id in the template (``public_scan`` -> ``PublicScanFunction``)."""
    return "".join(part.capitalize() for part in name.split("_")) + "Function"


def assert_granted(name: str, needed: set[tuple[str, str]]) -> None:
    """Fail when functions/<name> made a call its policy does not grant (it would be AccessDenied deployed)."""
    gaps = missing(function_id(name), needed)
    assert not gaps, f"{function_id(name)}: its policy in infra/template.yaml lacks {sorted(gaps)}"
