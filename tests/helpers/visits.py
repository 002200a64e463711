"""Requests to a stamp's page as different visitors make them (issue 11): a person on a given
network, a chat app's link unfurler, a crawler, a browser prefetching, a link checker's HEAD;
through the public function in-process, for ``/v/{code}``, ``/v?code=`` and the Digital Link."""

from __future__ import annotations

import json
from typing import Any

import boto3

from helpers.handlers import TEST_ORIGIN_SECRET, invoke, sample

PHONE = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)
ZALO_IN_APP = (
    "Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 Zalo android/12100592 ZaloTheme/light ZaloLanguage/vi"
)


def visit(
    path: str,
    *,
    ip: str = "203.0.113.7",
    ua: str | None = PHONE,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    query: dict[str, str] | None = None,
    html: bool = False,
) -> tuple[int, dict[str, str], Any]:
    """One request to ``path`` (``/v/{code}``, ``/v``, ``/01/…/21/…``) from ``ip`` with user agent
    ``ua`` (None: no User-Agent header); the body parsed as JSON unless ``html`` or empty."""
    event = sample("public-scan-html" if html else "public-scan-json", CODE="X")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["http"]["sourceIp"] = ip
    event["headers"]["x-forwarded-for"] = ip
    event.pop("pathParameters", None)
    if ua is None:
        event["headers"].pop("user-agent", None)
    else:
        event["headers"]["user-agent"] = ua
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if any(k.lower().startswith("cloudfront-viewer-country") for k in headers or {}):
        # a place comes only through CloudFront, which adds the origin secret and the viewer's
        # address (scanning.edge); otherwise the event's own CloudFront headers are ignored
        event["headers"]["x-origin-verify"] = TEST_ORIGIN_SECRET
        event["headers"]["cloudfront-viewer-address"] = f"{ip}:443"
    if query:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    status, out_headers, body = invoke("public_scan", event)
    if html or not body:
        return status, out_headers, body
    return status, out_headers, json.loads(body)


def stamp_item(code: str) -> dict[str, Any] | None:
    """The stamp's item in the stamps table, as DynamoDB holds it (None before its first scan)."""
    return boto3.client("dynamodb").get_item(TableName="ocop-stamps", Key={"code": {"S": code}}).get("Item")


def scan_count(code: str) -> int:
    item = stamp_item(code)
    return int(item["scan_count"]["N"]) if item else 0


def log_lines(code: str) -> list[dict[str, Any]]:
    """The code's lines in the verification log, attributes as plain values."""
    items = boto3.client("dynamodb").query(
        TableName="ocop-scans", KeyConditionExpression="code = :c", ExpressionAttributeValues={":c": {"S": code}}
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in i.items()} for i in items]


def networks(n: int) -> list[str]:
    """``n`` IPv4 addresses that are ``n`` distinct scanners for this deployment's salt (their
    client hashes fall in different buckets of ``scanning.scanners``)."""
    from ocop_stamps.scanning.privacy import client_hash
    from ocop_stamps.scanning.scanners import scanner_of
    from ocop_stamps.storage.parameters import ip_hash_salt

    found: dict[str | None, str] = {}
    i = 0
    while len(found) < n:
        ip = f"198.51.{100 + i // 250}.{i % 250 + 1}"
        found.setdefault(scanner_of(client_hash(ip_hash_salt(), ip)), ip)
        i += 1
    return list(found.values())
