"""Content negotiation and form reading for the public pages, on the standard library only
(the public function's import time is part of every cold scan)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs

from ocop_stamps.core.vocabulary import LANGS

MAX_FORM_BYTES = 4096
HTML = "text/html; charset=utf-8"
LINKSET = "application/linkset+json"

# Scan pages must reach the function every time: the counter has to see each scan.
NO_STORE = {"Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}
# Documents that do not change per request (resolver description): any cache may keep them.
PUBLIC_DAY = {"Cache-Control": "public, max-age=86400"}
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Expose-Headers": "Link, Location",
}


def _accept_items(header: str) -> list[tuple[str, float]]:
    items = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        items.append((fields[0].lower(), q))
    return items


def choose_lang(query: dict[str, str], headers: dict[str, str]) -> str:
    """``?lang=`` wins; then the first of vi/en in Accept-Language by weight; else Vietnamese."""
    asked = (query.get("lang") or "").lower()
    if asked in LANGS:
        return asked
    best, best_q = LANGS[0], 0.0
    for tag, q in _accept_items(headers.get("accept-language", "")[:256]):
        primary = tag.split("-")[0]
        if primary in LANGS and q > best_q:
            best, best_q = primary, q
    return best


def wants(accept: str, media_type: str) -> bool:
    """True when ``media_type`` is named in Accept with a weight above zero."""
    return any(t == media_type and q > 0 for t, q in _accept_items(accept[:512]))


def wants_json(accept: str) -> bool:
    """True when Accept names ``application/json`` with a weight above zero and no lower than
    ``text/html``'s (RFC 9110 §12.5.1; media types are case-insensitive). A tie is JSON, the
    API's own form: ``text/html, application/json`` asks for either."""
    items = _accept_items(accept[:512])
    json_q = max((q for t, q in items if t == "application/json"), default=0.0)
    html_q = max((q for t, q in items if t == "text/html"), default=0.0)
    return json_q > 0 and json_q >= html_q


def _form_text(body: str | bytes | None, base64_encoded: bool) -> str | None:
    """The body as UTF-8 text of at most ``MAX_FORM_BYTES``, or None: base64 that does not
    decode, bytes that are not UTF-8 and lone surrogates are unreadable, not a 500."""
    if body is None:
        return None
    raw: bytes | str = body
    if base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        return None if len(data) > MAX_FORM_BYTES else data.decode("utf-8")
    except UnicodeError:
        return None


def _storable(data: dict[str, Any]) -> bool:
    """No lone surrogate (a ``\\udXXX`` escape without its pair) in a key or a text value."""
    try:
        for key, value in data.items():
            str(key).encode("utf-8")
            if isinstance(value, str):
                value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_form(body: str | bytes | None, content_type: str, *, base64_encoded: bool = False) -> dict[str, str] | None:
    """Fields of a form-encoded or JSON body (first value of each), or None if unreadable.

    ``body`` is the event's body as it came (pass ``base64_encoded``: API Gateway sends
    forms base64-encoded) or already decoded text. Unreadable: over ``MAX_FORM_BYTES``,
    not UTF-8 (percent-escapes included), binary, another content type than a form or JSON.
    """
    text = _form_text(body, base64_encoded)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if text is None or "\x00" in text:
        return None
    if media_type == "application/json":
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or not _storable(data):
            return None
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    if media_type not in ("", "application/x-www-form-urlencoded"):
        return None
    try:
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=10, strict_parsing=False, errors="strict")
    except ValueError:  # too many fields, or a percent-escape that is not UTF-8
        return None
    return {k: v[0] for k, v in parsed.items() if v}
