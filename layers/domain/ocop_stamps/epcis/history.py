"""The append-only history: EPCIS events stored next to the lot, batch or product they concern."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.limits import BODY_BUDGET, text_bytes
from ocop_stamps.epcis.events import document
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.keys import event_key, is_event_key
from ocop_stamps.storage.models import EventItem


def event_item(pk: str, event: dict[str, Any]) -> EventItem:
    """One stored copy of an event under ``pk``; the sort key orders the history by time."""
    return EventItem(
        pk,
        event_key(iso(utc_now()), event["eventID"]),
        kind="event",
        created_at=iso(utc_now()),
        event_id=event["eventID"],
        event_type=event["type"],
        epcis=_compact(event),
    )


def _compact(value: Any) -> str:
    """The one encoding of stored events and of API bodies: UTF-8 as is, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def epcis_page(
    pk: str, doc_id: str, page_token: str | None = None, budget: int | None = None
) -> tuple[dict[str, Any], str | None]:
    """One EPCIS document of the history, oldest first, from the page ``page_token`` names:
    as many events as fit ``budget`` (the body as Lambda measures it, default
    ``core.limits.BODY_BUDGET``), and the token of the next page or None. A page never
    splits an event; the token names the last event it holds (EPCIS 2.0's
    ``nextPageToken``). BadRequest for a token that does not name an event."""
    budget = BODY_BUDGET if budget is None else budget
    moment = utc_now()
    used = text_bytes(_compact(document([], moment, doc_id)))
    events: list[dict[str, Any]] = []
    last: str | None = None
    for item in repo.events_of(pk, _after(page_token)):
        cost = text_bytes(item.epcis) + 1  # and its comma
        if events and used + cost > budget:
            return document(events, moment, doc_id), _token(last or "")
        events.append(json.loads(item.epcis))
        used += cost
        last = item.sk
    return document(events, moment, doc_id), None


def _token(sk: str) -> str:
    return base64.urlsafe_b64encode(sk.encode()).decode().rstrip("=")


def _after(token: str | None) -> str | None:
    if not token:
        return None
    try:
        sk = base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        sk = ""
    if not is_event_key(sk):
        raise BadRequest(
            "nextPageToken is not a page of this history; start again without it.",
            "Mã trang (`nextPageToken`) không thuộc lịch sử này; hãy tải lại từ đầu, không kèm mã trang.",
        )
    return sk
