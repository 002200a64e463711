"""Reading a request before any route runs, for every JSON API (issue 13).

* A body that is not JSON text -- not UTF-8, base64 that does not decode, binary, another
  content type than ``application/json`` (even with an empty body) -- answers 400
  ``malformed_request``.
* JSON nested deeper than ``MAX_JSON_DEPTH``, with an integer longer than Python reads
  from text (4,300 digits) or with a lone surrogate escape answers 400 too: Python would
  raise RecursionError or ValueError (a 500) or the text could not be stored.
* Text that is not JSON at all (and ``NaN``/``Infinity``, which JSON does not have) stays
  a 422 ``invalid_request``, like every body the schema refuses.
* A query parameter given more than once answers 400 naming it: API Gateway joins the
  values with commas, so ``?to=5&to=9`` would otherwise be read as ``to=5,9``.

Every message is in English and Vietnamese, in the one error shape of ``ocop_stamps.api.resolver``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ocop_stamps.core.errors import BadRequest, Unprocessable
from ocop_stamps.core.text import nfc

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_JSON_DEPTH = 32  # the deepest request body (a lot's process steps) nests 3 levels


class MalformedRequest(BadRequest):
    """A request that cannot be read at all: its body is not JSON text, or a parameter is repeated."""

    code = "malformed_request"


def _malformed(problem: str, problem_vi: str, field: str = "body") -> MalformedRequest:
    return MalformedRequest(
        f"The request cannot be read: {problem}.",
        f"Không đọc được yêu cầu: {problem_vi}.",
        details=[{"field": field, "problem": problem}],
    )


def _media_type(headers: Mapping[str, Any]) -> str:
    for name, value in headers.items():
        if str(name).lower() == "content-type":
            return str(value).split(";", 1)[0].strip().lower()
    return ""


def body_text(event: Mapping[str, Any]) -> str | None:
    """The body as text: base64 undone, UTF-8 checked; ``MalformedRequest`` if it is not JSON text."""
    body = event.get("body")
    media_type = _media_type(event.get("headers") or {})
    # Checked even for an empty body: Powertools would otherwise parse it as that media type
    # (an empty multipart body raised ValueError, a 500 -- found by tests/e2e/test_fuzz.py).
    if media_type not in ("", "application/json"):
        raise _malformed(
            f"the body is {media_type}; send JSON with Content-Type: application/json",
            f"nội dung gửi lên có kiểu {media_type}; hãy gửi JSON với tiêu đề `Content-Type: application/json`",
            "content-type",
        )
    if body is None or body == "":
        return None
    if not isinstance(body, str):
        raise _malformed("the body is not text", "nội dung gửi lên không phải là văn bản")
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed(
                "the body is marked base64 but does not decode", "nội dung đánh dấu base64 nhưng không giải mã được"
            ) from None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _malformed(
                f"the body is not UTF-8 text (byte {exc.start})",
                f"nội dung gửi lên không phải văn bản UTF-8 (byte thứ {exc.start})",
            ) from None
    try:
        body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _malformed(
            f"the body is not UTF-8 text (character {exc.start})",
            f"nội dung gửi lên không phải văn bản UTF-8 (ký tự thứ {exc.start})",
        ) from None
    return body


class _NotJson(ValueError):
    """NaN, Infinity and -Infinity: Python reads them, JSON has no such numbers."""


def _no_constants(name: str) -> Any:
    raise _NotJson(name)


def _not_json(problem: str, problem_vi: str) -> Unprocessable:
    """Text that is not JSON: 422, as every body the schema cannot take (it was so before issue 13)."""
    return Unprocessable(
        f"The body is not valid JSON: {problem}.",
        f"Nội dung gửi lên không phải JSON hợp lệ: {problem_vi}.",
        details=[{"field": "body", "problem": f"not JSON: {problem}"}],
    )


def _too_deep() -> MalformedRequest:
    return _malformed(
        f"the body nests more than {MAX_JSON_DEPTH} levels deep",
        f"nội dung gửi lên lồng nhau quá {MAX_JSON_DEPTH} cấp",
    )


def read_json(text: str) -> Any:
    """JSON text as Python values; ``MalformedRequest`` (400) if it cannot be read, ``Unprocessable``
    (422) if it is not JSON: never a RecursionError or ValueError."""
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise _too_deep() from None
    except json.JSONDecodeError as exc:
        raise _not_json(f"{exc.msg} at character {exc.pos}", f"lỗi ở ký tự thứ {exc.pos}") from None
    except _NotJson as exc:
        raise _not_json(f"{exc} is not a JSON number", f"{exc} không phải là số JSON") from None
    except ValueError:  # an integer longer than Python reads from text (4,300 digits)
        raise _malformed(
            "a number in the body has too many digits", "một số trong nội dung gửi lên có quá nhiều chữ số"
        ) from None
    if _depth_over(value, MAX_JSON_DEPTH):
        raise _too_deep()
    _check_unicode(value)
    return value


def _depth_over(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _check_unicode(value: Any) -> None:
    """Refuse strings with a lone surrogate (a JSON ``\\udXXX`` escape without its pair): not storable text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _malformed(
                    "a string in the body has a lone surrogate escape (not Unicode text)",
                    "một chuỗi trong nội dung gửi lên có mã surrogate đơn lẻ (không phải văn bản Unicode)",
                ) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def repeated_parameter(event: Mapping[str, Any]) -> MalformedRequest | None:
    """The error for a query parameter given more than once, or None.

    API Gateway joins repeated values with commas (``?to=5&to=9`` arrives as ``"5,9"``),
    which Powertools then validates as one value; ``rawQueryString`` still tells them apart.
    """
    raw = str(event.get("rawQueryString") or "")
    if not raw:
        return None
    counts = Counter(name for name, _ in parse_qsl(raw, keep_blank_values=True))
    twice = sorted(name[:40] for name, n in counts.items() if n > 1)[:5]
    if not twice:
        return None
    names = ", ".join(f"'{name}'" for name in twice)
    several = len(twice) > 1
    return MalformedRequest(
        f"The query parameter{'s' if several else ''} {names} {'were' if several else 'was'} given more than once; "
        "give each parameter once.",
        f"Tham số truy vấn {names} được truyền nhiều lần; mỗi tham số chỉ được truyền một lần.",
        details=[{"field": f"query.{name}", "problem": "given more than once"} for name in twice],
    )


def with_text_parameters(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """``event`` with its query and path parameter values in NFC (``core.text``), so a lot code
    or a province typed on a Mac filters the same as one typed on a phone (issue 11, fault 5).
    The same event when nothing changes; otherwise a shallow copy (the caller's event is kept)."""
    changes = {}
    for name in ("queryStringParameters", "pathParameters"):
        values = event.get(name)
        if isinstance(values, dict):
            normal = nfc(values)
            if normal is not values:
                changes[name] = normal
    return {**event, **changes} if changes else event


def request_problem(event: Mapping[str, Any]) -> MalformedRequest | None:
    """Why this request cannot be read (a repeated query parameter, a body that is not JSON text), or None."""
    if problem := repeated_parameter(event):
        return problem
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "")).upper()
    if method in BODY_METHODS:
        try:
            body_text(event)
        except MalformedRequest as exc:
            return exc
    return None
