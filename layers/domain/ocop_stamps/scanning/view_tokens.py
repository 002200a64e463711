"""Seeing the same scan again (e.g. in the other language) without counting it again.

A scan page links to its other-language version with a short signed token holding what
the scan established (the code, its number, first scan). Opening that link re-renders
the verdict from fresh stamp data but neither bumps the counter nor adds a log line, so
switching language never pushes a real product towards a false ``repeat``. Tokens are
HMAC-signed with the service's secret salt, bound to the code, and expire in 15 minutes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from ocop_stamps.core.text import same_secret

MAX_AGE = dt.timedelta(minutes=15)


def _mac(key: bytes, data: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, b"view|" + data, hashlib.sha256).digest()[:16]).decode().rstrip("=")


def sign(key: bytes, payload: dict[str, Any]) -> str:
    data = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{data}.{_mac(key, data.encode())}"


def check(key: bytes, token: str, code: str, now: dt.datetime) -> dict[str, Any] | None:
    """The payload if the token is ours, for this code and fresh; None otherwise."""
    try:
        data, mac = token.split(".", 1)
        if len(token) > 600 or not same_secret(mac, _mac(key, data.encode())):
            return None
        payload = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        scanned = dt.datetime.fromisoformat(str(payload["t"]).replace("Z", "+00:00"))
        if payload.get("k") != code or not isinstance(payload.get("c"), int):
            return None
        if not dt.timedelta(0) <= now - scanned <= MAX_AGE:
            return None
        return dict(payload)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
