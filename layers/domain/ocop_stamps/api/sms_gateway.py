"""What the SMS function does around its one route (issue 14, docs/SMS.md): the gateway's
secret checked before anything is read, a form-encoded message read as the JSON one, and the
reply in the shape the gateway asked in.

* ``gate``: the ``X-Gateway-Secret`` header of ``POST /sms/inbound`` (``scanning.sms.authenticate``)
  before the body is validated -- a caller without the secret learns nothing about the body.
* ``as_json``: Twilio posts ``application/x-www-form-urlencoded``; the body is turned into the
  same JSON object (the form's names: ``From``, ``Body``, ``MessageSid``, read by
  ``scanning.schemas.SmsIn``), so one schema validates both shapes and the API's rules for a
  body that cannot be read (400, ``api.reading``) hold for both. A form that cannot be read
  (not UTF-8, a field given twice with different values) is a 400 too.
* ``reply``: TwiML (``<Response><Message>…</Message></Response>``) to a form, which is what
  Twilio sends on to the sender; JSON to a JSON request or to ``Accept: application/json``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from aws_lambda_powertools.event_handler import Response

from ocop_stamps.api.reading import MalformedRequest
from ocop_stamps.api.resolver import error_event_response
from ocop_stamps.api.responses import json_response
from ocop_stamps.core.errors import DomainError
from ocop_stamps.scanning.sms import SECRET_HEADER, SmsReply, authenticate

ROUTE = "POST /sms/inbound"
FORM = "application/x-www-form-urlencoded"
TWIML = "text/xml; charset=utf-8"


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}


def gate(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The error response for a request to the inbound route without the right secret, or None."""
    if str(event.get("routeKey", "")) != ROUTE:
        return None
    try:
        authenticate(_headers(event).get(SECRET_HEADER))
    except DomainError as exc:
        return error_event_response(exc)
    return None


def is_form(event: Mapping[str, Any]) -> bool:
    return _headers(event).get("content-type", "").split(";", 1)[0].strip().lower() == FORM


def _unreadable(problem: str, problem_vi: str) -> MalformedRequest:
    return MalformedRequest(
        f"The request cannot be read: {problem}.",
        f"Không đọc được yêu cầu: {problem_vi}.",
        details=[{"field": "body", "problem": problem}],
    )


def as_json(event: Mapping[str, Any]) -> dict[str, Any]:
    """``event`` with a form-encoded body rewritten as the same fields in a JSON body (a copy;
    the event as it is when its body is not a form). ``MalformedRequest`` (400) for a form that
    cannot be read."""
    if not is_form(event):
        return dict(event)
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(str(body), validate=True)
        except (binascii.Error, ValueError):
            raise _unreadable(
                "the body is marked base64 but does not decode", "nội dung đánh dấu base64 nhưng không giải mã được"
            ) from None
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _unreadable("the form is not UTF-8 text", "biểu mẫu gửi lên không phải văn bản UTF-8") from None
    try:
        pairs = parse_qsl(str(body), keep_blank_values=True, errors="strict", max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise _unreadable(
            "the form cannot be decoded as UTF-8 fields", "không giải mã được các trường của biểu mẫu (UTF-8)"
        ) from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if fields.get(name, value) != value:
            raise _unreadable(
                f"the form field '{name[:40]}' is given more than once, with different values",
                f"trường '{name[:40]}' của biểu mẫu xuất hiện nhiều lần với các giá trị khác nhau",
            )
        fields[name] = value
    headers = {k: v for k, v in (event.get("headers") or {}).items() if str(k).lower() != "content-type"}
    headers["content-type"] = "application/json"
    return {**event, "body": json.dumps(fields, ensure_ascii=False), "isBase64Encoded": False, "headers": headers}


def reply(answer: SmsReply, message_id: str, *, twiml: bool) -> Response[Any]:
    """200 with the reply: TwiML for a form-encoded request, else JSON
    ``{"reply", "message_id", "verdict", "pin", "length", "encoding"}``."""
    if twiml:
        body = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(answer.text)}</Message></Response>'
        return Response(status_code=200, content_type=TWIML, body=body, headers={"Cache-Control": "no-store"})
    payload = {
        "reply": answer.text,
        "message_id": message_id,
        "verdict": answer.verdict,
        "pin": answer.pin,
        "length": len(answer.text),
        "encoding": "GSM-7",
    }
    return json_response(200, payload, {"Cache-Control": "no-store"})
