"""The alerts topic: one SNS message per new alert, with attributes subscribers filter on."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ocop_stamps.core.settings import get_settings
from ocop_stamps.places.scopes import spellings_of


@lru_cache(maxsize=4)
def _sns(region: str) -> Any:
    """One SNS client per region for the process: a new client costs tens of ms (issue 16)."""
    import boto3

    return boto3.client("sns", region_name=region or None)


def sns_publisher(topic_arn: str) -> Callable[[str, str, dict[str, Any]], None]:
    """A publisher ``send(subject, message, alert)`` to the topic; attributes ``type`` and
    ``province``: every province whose inspectors see the alert (``alert["provinces"]``, issue
    11), a ``String.Array``, so a subscription filtering on one province gets it: today's GSO
    codes and their old parts' ``VN-xx`` codes (issue 12), so a filter made before still matches."""
    sns = _sns(get_settings().aws_region)

    def send(subject: str, message: str, alert: dict[str, Any]) -> None:
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject,
            Message=message,
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": alert["type"]},
                "province": {
                    "DataType": "String.Array",
                    "StringValue": json.dumps(sorted(spellings_of(alert.get("provinces") or [alert["province"]]))),
                },
            },
        )

    return send
