"""Console sessions ended before their cookie expires: the server-side revocation list.

Decision (docs/CONSOLE.md, "Sessions"): the session stays a signed cookie; what the server
keeps is only what *ended* early, in the catalog table, each with ``expires_at`` (DynamoDB
TTL) at the moment the cookie would have expired anyway, so the list never outgrows the
sessions of the last 8 hours:

* ``SESSION#{sid}`` / ``REVOKED``: one session signed out (a copy of its cookie is dead);
* ``SIGNIN#{sub}`` / ``NOT_BEFORE``: every session of one person issued before
  ``not_before`` (epoch milliseconds) -- "sign out everywhere" (a lost phone).

``revoked`` reads both in one ``BatchGetItem``: one DynamoDB request per console page,
whatever the number of sessions. Faults are retried (``storage.faults``), then answered
503 -- a page is never shown on a session that could not be checked.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from ocop_stamps.core.settings import get_settings
from ocop_stamps.observability import tracer
from ocop_stamps.storage import faults

KIND_SESSION = "console_session_revoked"
KIND_SIGNIN = "console_signin_not_before"


@lru_cache(maxsize=4)
def _client(region: str, endpoint: str) -> Any:
    return faults.dynamodb_client(region, endpoint)


def _client_now() -> Any:
    settings = get_settings()
    return _client(settings.aws_region, settings.dynamodb_endpoint)


def _session_key(sid: str) -> dict[str, Any]:
    return {"pk": {"S": f"SESSION#{sid}"}, "sk": {"S": "REVOKED"}}


def _signin_key(sub: str) -> dict[str, Any]:
    return {"pk": {"S": f"SIGNIN#{sub}"}, "sk": {"S": "NOT_BEFORE"}}


@tracer.capture_method(capture_response=False)
@faults.retrying
def revoke(sid: str, until: int) -> None:
    """End the session ``sid`` now; the record lasts until ``until`` (epoch s, its cookie's expiry)."""
    _client_now().put_item(
        TableName=get_settings().catalog_table,
        Item={**_session_key(sid), "kind": {"S": KIND_SESSION}, "expires_at": {"N": str(int(until))}},
    )


@tracer.capture_method(capture_response=False)
@faults.retrying
def revoke_all(sub: str, at_ms: int, until: int) -> None:
    """End every session of the person ``sub`` issued before ``at_ms`` (epoch ms); the record is
    kept until ``until`` (epoch s, when the last of those sessions would have expired).

    A later ``at`` never moves back (the condition keeps the greatest)."""
    try:
        _client_now().put_item(
            TableName=get_settings().catalog_table,
            Item={
                **_signin_key(sub),
                "kind": {"S": KIND_SIGNIN},
                "not_before": {"N": str(int(at_ms))},
                "expires_at": {"N": str(int(until))},
            },
            ConditionExpression="attribute_not_exists(pk) OR not_before <= :at",
            ExpressionAttributeValues={":at": {"N": str(int(at_ms))}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


@tracer.capture_method(capture_response=False)
@faults.retrying
def revoked(sid: str, sub: str, issued_at_ms: int) -> bool:
    """Whether the session ``sid`` of ``sub``, begun at ``issued_at_ms`` (epoch ms), has been ended.

    One BatchGetItem (eventually consistent: a sign-out is seen by other requests within a
    second, DynamoDB's usual propagation)."""
    table = get_settings().catalog_table
    resp = _client_now().batch_get_item(RequestItems={table: {"Keys": [_session_key(sid), _signin_key(sub)]}})
    if resp.get("UnprocessedKeys"):  # throttled in part: read both again after a wait (faults.retrying)
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "unprocessed keys"}},
            "BatchGetItem",
        )
    for item in resp.get("Responses", {}).get(table, []):
        if item["pk"]["S"].startswith("SESSION#"):
            return True
        if int(item.get("not_before", {}).get("N", "0")) > issued_at_ms:
            return True
    return False
