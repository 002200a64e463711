"""List cursors: opaque, signed by the service, bound to the route and query that made them (issue 13).

A cursor says where a list stopped: DynamoDB keys, read back into ``ExclusiveStartKey``. A
cursor a client made up -- base64 of a well-formed but foreign key -- used to reach
DynamoDB and answer 500; now every cursor is ``{version}.{data}.{mac}``:

* ``data``: the list's state as JSON, deflated (keys share long prefixes), base64url;
* ``mac``: HMAC-SHA256 over ``cursor|{binding}|{data}`` with the key of ``version``, first 16
  bytes, base64url. ``binding`` names the route, the query's filters and the caller's scope
  (an inspector's provinces), so a cursor is good only for the route, query and scope that
  made it;
* ``version``: the key version, so a key rotation does not break a cursor in flight.

Anything else -- not three parts, an unknown version, a MAC that does not match, data that
does not inflate or parse -- is ``InvalidCursor``: 400 ``invalid_cursor`` in both
languages. The keys come from ``storage.parameters.cursor_keys`` (derived from the code
keys, so no new secret to deploy); this module only signs and checks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from collections.abc import Mapping
from typing import Any, NamedTuple

from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.text import is_digits

MAX_STATE_BYTES = 16_384
_MAC_BYTES = 16


class CursorKeys(NamedTuple):
    """Signing keys by version; ``current`` signs, every version checks."""

    current: int
    keys: Mapping[int, bytes]


class InvalidCursor(BadRequest):
    """A cursor this service did not give for this route, query and caller."""

    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__(
            "Invalid cursor: it is damaged or belongs to another list, query or account; start again without it.",
            "Con trỏ trang (`cursor`) không hợp lệ: bị hỏng hoặc thuộc về danh sách, truy vấn hay tài khoản "
            "khác; hãy tải lại từ đầu, không kèm con trỏ trang.",
            details=[{"field": "query.cursor", "problem": "invalid cursor"}],
        )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def _mac(key: bytes, binding: str, data: str) -> str:
    message = f"cursor|{binding}|{data}".encode()
    return _b64(hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES])


def seal(keys: CursorKeys, binding: str, state: Any) -> str:
    """``state`` (JSON-able) as a cursor good only for ``binding``."""
    raw = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    data = _b64(zlib.compress(raw, 9))
    return f"{keys.current}.{data}.{_mac(keys.keys[keys.current], binding, data)}"


def unseal(keys: CursorKeys, binding: str, cursor: str) -> Any:
    """The state a cursor from ``seal(keys, binding, ...)`` holds; ``InvalidCursor`` for anything else."""
    try:
        version_text, data, mac = cursor.split(".")
        if not is_digits(version_text) or len(version_text) > 4:
            raise ValueError("no version")
        key = keys.keys.get(int(version_text))
        if key is None or not hmac.compare_digest(mac.encode(), _mac(key, binding, data).encode()):
            raise ValueError("not signed for this list")
        inflater = zlib.decompressobj()
        raw = inflater.decompress(_unb64(data), MAX_STATE_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("too large or truncated")
        return json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeError, zlib.error, RecursionError):
        raise InvalidCursor() from None
