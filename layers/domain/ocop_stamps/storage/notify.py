"""The alerts topic: one SNS message per new alert, with attributes subscribers filter on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def sns_publisher(topic_arn: str) -> Callable[[str, str, dict[str, Any]], None]:
    """A publisher ``send(subject, message, alert)`` to the topic; attributes ``type`` and
    ``province``: every province whose inspectors see the alert (``alert["provinces"]``, issue
    11), a ``String.Array``, so a subscription filtering on one province gets it."""
    import boto3

    sns = boto3.client("sns")

    def send(subject: str, message: str, alert: dict[str, Any]) -> None:
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject,
            Message=message,
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": alert["type"]},
                "province": {
                    "DataType": "String.Array",
                    "StringValue": json.dumps(sorted(alert.get("provinces") or [alert["province"]])),
                },
            },
        )

    return send
