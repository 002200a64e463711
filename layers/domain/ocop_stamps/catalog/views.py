"""Plain-dict views of catalog items: what the API and the scan page show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ocop_stamps.core import ocop as rules
from ocop_stamps.core.dates import day_of
from ocop_stamps.core.vocabulary import COUNTRY_LABELS, OCOP_GROUP_LABELS, VN_TZ, RatingStatus, current_group
from ocop_stamps.places.addresses import with_current
from ocop_stamps.storage.models import LotItem, ProducerItem, ProductItem


def producer_view(p: ProducerItem) -> dict[str, Any]:
    """A producer as the API and the page show it; an old-shape address gets today's units (``current``)."""
    return {
        "producer_id": p.producer_id,
        "name": p.name,
        "kind": p.producer_kind,
        "owner": p.owner,
        "tax_code": p.tax_code,
        "address": with_current(plain(p.address)) if p.address else {},
        "phone": p.phone,
        "status": p.status,
        "demo": p.demo,
        "created_at": p.created_at,
    }


def plain(value: Any) -> dict[str, Any]:
    """A stored map as a dict, whether pynamodb hands back a MapAttribute or a dict."""
    return dict(value.as_dict()) if hasattr(value, "as_dict") else dict(value)


def history(values: Any) -> list[dict[str, Any]]:
    return [plain(v) for v in values or []]


def rating_history(values: Any) -> list[dict[str, Any]]:
    """A product's rating steps, oldest first, each in today's shape (``core.ocop.current_rating``)."""
    return [rules.current_rating(entry) for entry in history(values)]


def rating_view(stored: Any) -> dict[str, Any]:
    """A stored rating as the API shows it: today's shape (an old one mapped on read), with
    ``status`` (valid, lapsed, withdrawn) and, when the certificate no longer holds,
    ``notice`` {vi, en}: "Giấy chứng nhận OCOP đã hết hiệu lực ngày dd/mm/yyyy." and the like."""
    ocop = rules.current_rating(plain(stored))
    status = rating_status(ocop)
    ocop["status"] = status
    notice = rules.status_notice(ocop, status)
    if notice is not None:
        ocop["notice"] = {"vi": notice[0], "en": notice[1]}
    return ocop


def group_view(stored: object) -> dict[str, str] | None:
    """A product's group: its Decision 148 key (an old stored key mapped) and its words; None if unknown."""
    group = current_group(stored)
    if group is None:
        return None
    vi, en = OCOP_GROUP_LABELS[group]
    return {"key": group.value, "vi": vi, "en": en}


def rating_status(ocop: dict[str, Any] | None, today: dt.date | None = None) -> RatingStatus | None:
    """valid, lapsed (past valid_until) or withdrawn; None when never rated."""
    if not ocop:
        return None
    if ocop.get("withdrawn"):
        return RatingStatus.withdrawn
    today = today or dt.datetime.now(VN_TZ).date()
    valid_until = day_of(ocop.get("valid_until"))  # a stored value that is no date: no end known
    if valid_until is not None and today > valid_until:
        return RatingStatus.lapsed
    return RatingStatus.valid


def shelf_life_days(production_date: object, expiry_date: object) -> int | None:
    """Days from production to expiry; None when a stored value is not a date."""
    made, expires = day_of(production_date), day_of(expiry_date)
    return None if made is None or expires is None else (expires - made).days


def made_in_view(stored: Any) -> dict[str, Any] | None:
    """A product's origin (xuất xứ) as shown: ``{"country", "place"?, "name": {vi, en}}``, the
    country's name from the words catalogue; None when none was recorded (older products) or
    the stored country is one the catalogue does not name (never a raw code on a page)."""
    if not stored:
        return None
    made_in = plain(stored)
    names = COUNTRY_LABELS.get(str(made_in.get("country") or ""))
    if names is None:
        return None
    place = str(made_in.get("place") or "")
    shown = [f"{place}, {name}" if place else name for name in names]
    return {**made_in, "name": {"vi": shown[0], "en": shown[1]}}


def product_view(p: ProductItem) -> dict[str, Any]:
    group = group_view(p.group)
    return {
        "product_id": p.product_id,
        "producer_id": p.producer_id,
        "name": p.name,
        "name_en": p.name_en,
        "group": group["key"] if group else p.group,
        "group_name": {"vi": group["vi"], "en": group["en"]} if group else None,
        "gtin": p.gtin,
        "image_url": p.image_url,
        "description": p.description,
        "brand": p.brand,
        "made_in": made_in_view(p.made_in),
        "standards": list(p.standards or []),
        "ocop": rating_view(p.ocop) if p.ocop else None,
        "repeat_threshold": int(p.repeat_threshold),
        "demo": p.demo,
        "created_at": p.created_at,
    }


def _step(step: dict[str, Any]) -> dict[str, Any]:
    return {**step, "place": with_current(plain(step["place"]))} if step.get("place") else step


def lot_view(lot: LotItem) -> dict[str, Any]:
    """A lot as the API and the page show it; an address stored in the old shape gets today's units (``current``)."""
    return {
        "lot_id": lot.lot_id,
        "lot_code": lot.lot_code,
        "product_id": lot.product_id,
        "producer_id": lot.producer_id,
        "production_date": lot.production_date,
        "expiry_date": lot.expiry_date,
        "quantity": int(lot.quantity),
        "shelf_life_days": shelf_life_days(lot.production_date, lot.expiry_date),
        "unit": lot.unit,
        "origin": with_current(plain(lot.origin)) if lot.origin else {},
        "certifications": sorted(lot.certifications or []),
        "standards": sorted(lot.standards or []),
        "process_steps": [_step(s) for s in history(lot.process_steps)],
        "recall": plain(lot.recall) if lot.recall else None,
        "created_at": lot.created_at,
    }
