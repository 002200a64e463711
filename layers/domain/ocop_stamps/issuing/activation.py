"""Activation: binding a serial range of a batch to a production lot, all or nothing, never overlapping."""

from __future__ import annotations

from typing import Any

from ocop_stamps.catalog.registry import own_lot
from ocop_stamps.catalog.views import lot_view, plain
from ocop_stamps.core.errors import CONFLICT_ATTEMPTS, CONFLICT_RETRY_AFTER, BadRequest, Conflict
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.issuing.batches import activation_view, batch_view, own_batch
from ocop_stamps.issuing.schemas import ActivationIn
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import Activation


def activate(producer_id: str, batch_id: str, data: ActivationIn, base_url: str) -> dict[str, Any]:
    """Bind serials first..last of a batch to a lot; all or nothing, never overlapping."""
    for _ in range(CONFLICT_ATTEMPTS):
        lot = own_lot(producer_id, data.lot_id, consistent=True)
        batch = own_batch(producer_id, batch_id, consistent=True)
        if lot.product_id != batch.product_id:
            raise Conflict(
                f"Lot {lot.lot_code} is of another product than batch {batch_id}.",
                f"Lô {lot.lot_code} thuộc sản phẩm khác với đợt cấp tem {batch_id}.",
            )
        if data.last_serial > int(batch.size):
            raise BadRequest(
                f"Batch {batch_id} has serials 1 to {int(batch.size)}; {data.last_serial} is outside it.",
                f"Đợt cấp tem {batch_id} có sê-ri từ 1 đến {int(batch.size)}; sê-ri {data.last_serial} nằm ngoài khoảng này.",
            )
        for existing in batch.activations:
            if existing.first == data.first_serial and existing.last == data.last_serial:
                if existing.lot_id == data.lot_id:  # a retry of the same request: same answer
                    return {"batch": batch_view(batch), "activation": activation_view(existing)}
            if existing.first <= data.last_serial and data.first_serial <= existing.last:
                raise Conflict(
                    f"Serials {int(existing.first)}–{int(existing.last)} of batch {batch_id} are already "
                    f"bound to lot {existing.lot_id}; choose serials outside that range.",
                    f"Sê-ri {int(existing.first)}–{int(existing.last)} của đợt {batch_id} đã được gắn với "
                    f"lô {existing.lot_id}; hãy chọn khoảng sê-ri khác.",
                )
        moment = utc_now()
        new = Activation(first=data.first_serial, last=data.last_serial, lot_id=data.lot_id, at=iso(moment))
        product = repo.get_product(batch.product_id)
        event = epcis.packing(
            base_url=base_url,
            batch_no=int(batch.batch_no),
            key_version=int(batch.key_version),
            first=data.first_serial,
            last=data.last_serial,
            lot=lot_view(lot),
            gtin=product.gtin if product else None,
            moment=moment,
        )
        recall = plain(lot.recall) if lot.recall else None
        on_batch = recall_entry(recall) if recall and recall.get("status") == "recalled" else None
        try:
            repo.bind_range(batch, new, lot, on_batch, [event_item(batch.pk, event), event_item(lot.pk, event)])
        except repo.StaleRevision:
            continue  # the batch or the lot changed meanwhile: read again and re-check
        batch.activations.append(new)
        return {"batch": batch_view(batch), "activation": activation_view(new)}
    raise Conflict(
        "The batch is being changed by another request; try again in a moment.",
        "Một yêu cầu khác đang cập nhật đợt cấp tem này; vui lòng thử lại sau giây lát.",
        retry_after=CONFLICT_RETRY_AFTER,
    )


def recall_entry(recall: dict[str, Any]) -> dict[str, Any]:
    """What a batch keeps of a recalled lot: enough for the scan page, nothing more."""
    return {k: recall[k] for k in ("reason", "message_vi", "message_en", "at") if recall.get(k)}
