"""The append-only history: EPCIS events stored next to the lot, batch or product they concern."""

from __future__ import annotations

import json
from typing import Any

from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.epcis.events import document
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.keys import event_key
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
        epcis=json.dumps(event, ensure_ascii=False, separators=(",", ":")),
    )


def epcis_document(pk: str, doc_id: str) -> dict[str, Any]:
    events = [json.loads(item.epcis) for item in repo.events_of(pk)]
    return document(events, utc_now(), doc_id)
