"""Content negotiation and form reading for the public pages, on the standard library only
(the public function's import time is part of every cold scan)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

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
    if asked in ("vi", "en"):
        return asked
    best, best_q = "vi", 0.0
    for tag, q in _accept_items(headers.get("accept-language", "")[:256]):
        primary = tag.split("-")[0]
        if primary in ("vi", "en") and q > best_q:
            best, best_q = primary, q
    return best


def wants(accept: str, media_type: str) -> bool:
    """True when ``media_type`` is named in Accept with a weight above zero."""
    return any(t == media_type and q > 0 for t, q in _accept_items(accept[:512]))


def wants_json(accept: str) -> bool:
    return wants(accept, "application/json")


def read_form(body: str | None, content_type: str) -> dict[str, str] | None:
    """Fields of a form-encoded or JSON body (first value of each), or None if unreadable."""
    if body is None or len(body.encode("utf-8", "replace")) > MAX_FORM_BYTES:
        return None
    if "application/json" in content_type.lower():
        try:
            data = json.loads(body or "{}")
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return {str(k): v for k, v in data.items() if isinstance(v, str)}
    try:
        parsed = parse_qs(body, keep_blank_values=True, max_num_fields=10, strict_parsing=False)
    except ValueError:
        return None
    return {k: v[0] for k, v in parsed.items() if v}


def lowered(headers: dict[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}
