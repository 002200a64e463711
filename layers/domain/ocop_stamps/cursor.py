"""Opaque page cursors: DynamoDB's LastEvaluatedKey, base64url JSON, checked on the way in."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .errors import BadRequest


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, allowed_keys: set[str]) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(data, dict) or not set(data) <= allowed_keys or not data:
            raise ValueError("unexpected keys")
        for value in data.values():
            if not (isinstance(value, dict) and set(value) == {"S"} and isinstance(value["S"], str)):
                raise ValueError("unexpected value")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "The cursor is not valid; start again without it.",
            "Con trỏ trang không hợp lệ; hãy tải lại từ đầu (bỏ tham số cursor).",
        ) from None
    return data
