"""Plain-dict views of catalog items: what the API and the scan page show."""

from __future__ import annotations

from typing import Any

from .models import LotItem, ProducerItem, ProductItem


def producer_view(p: ProducerItem) -> dict[str, Any]:
    return {
        "producer_id": p.producer_id,
        "name": p.name,
        "kind": p.producer_kind,
        "owner": p.owner,
        "tax_code": p.tax_code,
        "address": dict(p.address.as_dict()) if p.address else {},
        "phone": p.phone,
        "status": p.status,
        "demo": p.demo,
        "created_at": p.created_at,
    }


def product_view(p: ProductItem) -> dict[str, Any]:
    return {
        "product_id": p.product_id,
        "producer_id": p.producer_id,
        "name": p.name,
        "name_en": p.name_en,
        "group": p.group,
        "gtin": p.gtin,
        "image_url": p.image_url,
        "description": p.description,
        "ocop": p.ocop.as_dict() if p.ocop else None,
        "repeat_threshold": int(p.repeat_threshold),
        "demo": p.demo,
        "created_at": p.created_at,
    }


def lot_view(lot: LotItem) -> dict[str, Any]:
    return {
        "lot_id": lot.lot_id,
        "lot_code": lot.lot_code,
        "product_id": lot.product_id,
        "producer_id": lot.producer_id,
        "production_date": lot.production_date,
        "expiry_date": lot.expiry_date,
        "quantity": int(lot.quantity),
        "unit": lot.unit,
        "origin": lot.origin.as_dict() if lot.origin else {},
        "certifications": sorted(lot.certifications or []),
        "created_at": lot.created_at,
    }
