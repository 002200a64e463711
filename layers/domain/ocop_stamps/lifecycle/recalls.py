"""Recalling a lot (and lifting the recall): what consumers see on the very next scan.

One conditional transaction per step, with its EPCIS event; the recall and its lifting both stay in the history.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.catalog.registry import own_lot
from ocop_stamps.catalog.views import history, lot_view, plain
from ocop_stamps.core import dates
from ocop_stamps.core.errors import CONFLICT_ATTEMPTS, BadRequest, Conflict, busy
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.issuing.activation import recall_entry
from ocop_stamps.lifecycle.schemas import LiftIn, RecallIn
from ocop_stamps.storage import repository as repo


def recall(producer_id: str | None, lot_id: str, data: RecallIn, by: str, base_url: str) -> dict[str, Any]:
    """Recall a lot: every scan of its stamps answers ``recalled`` with the public message."""
    return _recall_step(producer_id, lot_id, by, base_url, recalled=True, reason=data.reason, data=data)


def lift(producer_id: str | None, lot_id: str, data: LiftIn, by: str, base_url: str) -> dict[str, Any]:
    """Lift a recall; the recall and the lifting both stay in the lot's history."""
    return _recall_step(producer_id, lot_id, by, base_url, recalled=False, reason=data.reason, data=None)


def _recall_step(
    producer_id: str | None,
    lot_id: str,
    by: str,
    base_url: str,
    *,
    recalled: bool,
    reason: str,
    data: RecallIn | None,
) -> dict[str, Any]:
    for _ in range(CONFLICT_ATTEMPTS):
        lot = own_lot(producer_id, lot_id, consistent=True)
        current = plain(lot.recall) if lot.recall else {}
        if recalled and current.get("status") == "recalled":
            since = dates.show(current.get("at"))  # HH:MM, dd/mm/yyyy in Vietnam, never the stored UTC text
            raise Conflict(
                f"Lot {lot.lot_code} is already recalled (since {since}, Vietnam time).",
                f"Lô {lot.lot_code} đã bị thu hồi từ {since}.",
            )
        if not recalled and current.get("status") != "recalled":
            raise Conflict(
                f"Lot {lot.lot_code} is not recalled; there is nothing to lift.",
                f"Lô {lot.lot_code} không bị thu hồi; không có lệnh thu hồi nào để gỡ.",
            )
        if len(lot.batch_nos or ()) > 90:
            raise BadRequest(
                "This lot spans more than 90 batches; contact the provincial office to recall it.",
                "Tem của lô này thuộc hơn 90 đợt cấp tem; hãy liên hệ văn phòng OCOP tỉnh để thu hồi.",
            )
        moment = utc_now()
        state: dict[str, Any] = {
            "status": "recalled" if recalled else "lifted",
            "reason": reason,
            "at": iso(moment),
            "by": by,
        }
        if data is not None:
            state["message_vi"] = data.message_vi
            if data.message_en:
                state["message_en"] = data.message_en
        product = repo.get_product(lot.product_id)
        view = lot_view(lot)
        event = epcis.recall_step(
            base_url=base_url,
            lot=view,
            gtin=product.gtin if product else None,
            recalled=recalled,
            reason=reason,
            message=data.message_vi if data else None,
            by=by,
            moment=moment,
        )
        try:
            repo.set_recall(lot, state, recall_entry(state) if recalled else None, [event_item(lot.pk, event)])
        except repo.StaleRevision:
            continue
        view["recall"] = state
        view["recall_history"] = [*history(lot.recall_history), state]
        return view
    raise busy()
