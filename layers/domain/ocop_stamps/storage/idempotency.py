"""The idempotency table: Powertools' DynamoDB persistence layer, with the service's fault handling.

Its four record operations run under ``faults.retrying`` on a client made with
``faults.CONFIG``, like every other DynamoDB call (issue 13): a throttled idempotency
table is retried within the request's budget, then answered 503 by ``issuing.idempotency``.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from ocop_stamps.storage import faults


class _RetryingPersistence(DynamoDBPersistenceLayer):
    _get_record: Any = faults.retrying(DynamoDBPersistenceLayer._get_record)
    _put_record: Any = faults.retrying(DynamoDBPersistenceLayer._put_record)
    _update_record: Any = faults.retrying(DynamoDBPersistenceLayer._update_record)
    _delete_record: Any = faults.retrying(DynamoDBPersistenceLayer._delete_record)


def persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    """The persistence layer of the idempotency table ``table_name``."""
    return _RetryingPersistence(table_name=table_name, boto3_client=faults.dynamodb_client())
