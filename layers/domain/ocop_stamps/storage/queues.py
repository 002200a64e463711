"""The scan-fallback queue: where a scan's write goes when DynamoDB refuses it (issue 7).

boto3 is imported only when a write actually falls back, so the scan path's cold start
stays small.
"""

from __future__ import annotations

import json
from typing import Any

from ocop_stamps.core.settings import get_settings


class FallbackUnavailable(RuntimeError):
    """No fallback queue is configured (``SCAN_FALLBACK_QUEUE_URL``)."""


def send_scan_fallback(body: dict[str, Any]) -> None:
    """Queue one pending scan write (JSON body, UTF-8); raises FallbackUnavailable without a queue."""
    url = get_settings().scan_fallback_queue_url
    if not url:
        raise FallbackUnavailable("SCAN_FALLBACK_QUEUE_URL is not set")
    import boto3

    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body, ensure_ascii=False, default=str))
