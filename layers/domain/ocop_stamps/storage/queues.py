"""The scan-fallback queue: where a scan's (or a report's) write goes when DynamoDB refuses it (issues 7, 13).

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
    from botocore.config import Config

    # On the scan path, after DynamoDB already failed: two tries, short timeouts (issue 13).
    config = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=2)
    boto3.client("sqs", config=config).send_message(
        QueueUrl=url, MessageBody=json.dumps(body, ensure_ascii=False, default=str)
    )
