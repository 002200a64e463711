"""Issuing is idempotent on the ``Idempotency-Key`` header (Powertools idempotency).

The key is scoped to the producer, so two producers may use the same key. A retry with
the same key and body gets the first answer; the same key with another body is refused.
Without a key every request issues a new batch -- the CLI always sends one.

When the idempotency table keeps failing (issue 13, docs/DATA-MODEL.md "DynamoDB faults"):
before the batch is issued the answer is 503 with ``Retry-After`` and nothing is issued; a
batch issued whose record could not be marked done is still answered 201 (it exists), and
its key stays "in progress" until it expires -- a retry is told 409, never issued twice.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from ocop_stamps.core.errors import BadRequest, Conflict, Unprocessable, unavailable
from ocop_stamps.core.settings import get_settings
from ocop_stamps.issuing.batches import issue_batch
from ocop_stamps.issuing.schemas import BatchIn
from ocop_stamps.observability import logger
from ocop_stamps.storage.idempotency import persistence_layer

_KEY = re.compile(r"^[\x21-\x7e]{8,128}$")

idempotency_config = IdempotencyConfig(
    event_key_jmespath="[producer_id, key]",
    payload_validation_jmespath="request",
    expires_after_seconds=24 * 3600,
    raise_on_no_idempotency_key=True,
)
_persistence: DynamoDBPersistenceLayer | None = None


def persistence() -> DynamoDBPersistenceLayer:
    """The idempotency table's persistence layer (one per process and table name); shared by
    every form a retry must not repeat (a batch here, a field check: ``inspection.field_checks``)."""
    global _persistence
    table = get_settings().idempotency_table
    if _persistence is None or _persistence.table_name != table:
        _persistence = persistence_layer(table)
    return _persistence


def issue_once(producer_id: str, key: str | None, body: BatchIn, base_url: str) -> dict[str, Any]:
    if key is None:
        return issue_batch(producer_id, body, base_url)
    if not _KEY.match(key):
        raise BadRequest(
            "Idempotency-Key must be 8 to 128 visible ASCII characters (a UUID is ideal).",
            "Tiêu đề `Idempotency-Key` phải gồm 8 đến 128 ký tự ASCII (nên dùng UUID).",
        )

    issued: list[dict[str, Any]] = []

    @idempotent_function(data_keyword_argument="request", config=idempotency_config, persistence_store=persistence())
    def _issue(request: dict[str, Any]) -> dict[str, Any]:
        issued.append(issue_batch(producer_id, BatchIn.model_validate(request["request"]), base_url))
        return issued[-1]

    try:
        return _issue(request={"producer_id": producer_id, "key": key, "request": body.model_dump(mode="json")})
    except IdempotencyPersistenceLayerError as exc:
        if issued:  # the batch exists; only the record of this key's answer could not be saved
            logger.error("batch issued but its idempotency record not completed", extra={"key": key})
            return issued[-1]
        raise unavailable() from exc
    except IdempotencyValidationError:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request; use a new key.",
            "Tiêu đề `Idempotency-Key` này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới.",
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise Conflict(
            "The same request is still being processed; retry in a few seconds.",
            "Yêu cầu giống hệt đang được xử lý; vui lòng thử lại sau vài giây.",
        ) from None
