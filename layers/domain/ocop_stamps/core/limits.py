"""The size every answer must fit: Lambda's response payload, measured as Lambda measures it.

A function behind the HTTP API returns a proxy result (``statusCode``, ``headers``,
``body``, ``isBase64Encoded``); the Python 3.12 runtime serializes it to JSON (simplejson,
``ensure_ascii=False``, default separators) and Lambda refuses a result larger than its
synchronous response payload quota, 6 MB = 6 MiB = 6,291,456 bytes (Lambda quotas,
"Invocation payload (request and response)"). API Gateway then answers a bare
``500 {"message":"Internal Server Error"}``. So a body's cost is its size *as a JSON
string inside that JSON*: every ``"`` and ``\\`` costs 2 bytes, CR and LF 2 each, other
control characters 6, U+2028/U+2029 6 (simplejson escapes them), any other character its
UTF-8 length; a binary body is base64 first (4 bytes per 3).

Page sizes are derived from ``BODY_BUDGET``, never from a fixed row count
(docs/LIMITS.md, "Sizes and pages").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Lambda's synchronous response payload quota (6 MiB). Its error message names 6,291,556
# bytes; the documented 6 MiB is the one kept here (and by the local stack): 100 bytes stricter.
LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024
# Room kept for everything around the body: statusCode, headers (a Link with a cursor of up
# to 8 KiB, Content-Disposition, ...), the JSON keys and quotes.
ENVELOPE_BYTES = 64 * 1024
# What a body may cost (as a JSON string value, see ``text_bytes``).
BODY_BUDGET = LAMBDA_RESPONSE_BYTES - ENVELOPE_BYTES

_SEPARATORS_2028 = ("\u2028", "\u2029")


def text_bytes(text: str) -> int:
    """Bytes ``text`` adds to the Lambda payload as a JSON string value (quotes excluded)."""
    encoded = json.dumps(text, ensure_ascii=False)
    extra = 3 * sum(text.count(sep) for sep in _SEPARATORS_2028) if "\u2028" in text or "\u2029" in text else 0
    return len(encoded.encode("utf-8")) - 2 + extra


def binary_budget(budget: int = BODY_BUDGET) -> int:
    """The most bytes of a binary body whose base64 text fits ``budget``."""
    return budget // 4 * 3


def payload_bytes(result: Mapping[str, Any]) -> int:
    """The size Lambda measures: ``result`` as the Python 3.12 runtime serializes it."""
    text = json.dumps(result, ensure_ascii=False)
    return len(text.encode("utf-8")) + 3 * sum(text.count(sep) for sep in _SEPARATORS_2028)


def fits(result: Mapping[str, Any], limit: int = LAMBDA_RESPONSE_BYTES) -> bool:
    """Whether Lambda would return ``result``; a small body is not serialized to know."""
    body = result.get("body")
    if isinstance(body, str):
        rest = payload_bytes({k: v for k, v in result.items() if k != "body"}) + len('"body": "", ')
        # a character costs at most 6 bytes in the payload (a control character as \\u00XX)
        if rest + 6 * len(body) <= limit:
            return True
    return payload_bytes(result) <= limit
