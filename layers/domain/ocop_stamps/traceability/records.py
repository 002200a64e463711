"""One step back, one step forward (GS1 Global Traceability / TCVN 12850) for one lot.

A plain JSON record a provincial portal can import: where the lot came from (raw
material, producer, process steps) and where its stamps went (the serial ranges bound
to it, voids among them, its recall state). One read per batch bound to the lot.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.catalog.registry import own_lot
from ocop_stamps.catalog.views import history, lot_view, producer_view, product_view
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.storage import repository as repo

FORMAT = "ocop-trace/1"


def lot_trace(producer_id: str | None, lot_id: str) -> dict[str, Any]:
    lot = own_lot(producer_id, lot_id)
    view = lot_view(lot)
    product = repo.get_product(lot.product_id)
    producer = repo.get_producer(lot.producer_id)
    ranges: list[dict[str, Any]] = []
    voided = 0
    for batch_no in sorted(int(n) for n in lot.batch_nos or ()):
        batch = repo.get_batch(batch_no)
        if batch is None:
            continue
        for a in batch.activations:
            if a.lot_id != lot.lot_id:
                continue
            first, last = int(a.first), int(a.last)
            void_here = sum(max(0, min(last, int(v.last)) - max(first, int(v.first)) + 1) for v in batch.voids)
            voided += void_here
            ranges.append(
                {
                    "batch_id": str(batch_no),
                    "first_serial": first,
                    "last_serial": last,
                    "count": last - first + 1,
                    "voided": void_here,
                    "bound_at": a.at,
                }
            )
    return {
        "format": FORMAT,
        "generated_at": iso(utc_now()),
        "lot": {
            k: view[k]
            for k in ("lot_id", "lot_code", "production_date", "expiry_date", "shelf_life_days", "quantity", "unit")
            if view[k] is not None  # no expiry date, no shelf life: omitted (Circular 02/2024: "where there is one")
        },
        "what": product_view(product) if product else None,
        "who": producer_view(producer) if producer else None,
        "one_step_back": {
            "raw_material_origin": view["origin"],
            "process_steps": view["process_steps"],
            "certifications": view["certifications"],
            "standards": view["standards"],
        },
        "one_step_forward": {
            "stamp_ranges": ranges,
            "stamps_bound": sum(r["count"] for r in ranges),
            "stamps_voided": voided,
        },
        "recall": view["recall"],
        "recall_history": history(lot.recall_history),
    }
