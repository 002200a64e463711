"""OCOP ratings of a product: record, renew, downgrade, withdraw -- each with its EPCIS event."""

from __future__ import annotations

from typing import Any

from ocop_stamps.catalog.schemas import RatingAction, RatingIn
from ocop_stamps.catalog.views import history, plain, product_view
from ocop_stamps.core.errors import CONFLICT_ATTEMPTS, Conflict, NotFound, busy
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.storage import repository as repo


def rate(product_id: str, data: RatingIn, by: str, base_url: str) -> dict[str, Any]:
    """Record, renew, downgrade or withdraw a product's OCOP rating (admin)."""
    for _ in range(CONFLICT_ATTEMPTS):
        product = repo.get_product(product_id)
        if product is None:
            raise NotFound(f"There is no product '{product_id}'.", f"Không có sản phẩm '{product_id}'.")
        current = plain(product.ocop) if product.ocop else None
        live = current if current and not current.get("withdrawn") else None
        moment = utc_now()
        if data.action is RatingAction.withdraw:
            if live is None:
                raise Conflict("The product has no rating to withdraw.", "Sản phẩm không có hạng sao để thu hồi.")
            ocop = {**live, "withdrawn": True, "withdrawn_at": iso(moment), "withdrawal_reason": data.reason}
        else:
            assert data.rating is not None
            ocop = data.rating.model_dump(mode="json")
            if data.action is RatingAction.downgrade and (live is None or ocop["stars"] >= int(live["stars"])):
                raise Conflict(
                    "A downgrade needs fewer stars than the current rating.",
                    "Hạ hạng phải có số sao thấp hơn hạng hiện tại.",
                )
            if data.action is RatingAction.renew and live is None:
                raise Conflict(
                    "There is no rating to renew; record one instead.",
                    "Chưa có hạng sao để gia hạn; hãy ghi nhận hạng mới.",
                )
        entry = {"action": data.action.value, **ocop, "at": iso(moment), "by": by}
        if data.reason:
            entry["reason"] = data.reason
        event = epcis.rating_step(
            base_url=base_url,
            product_id=product.product_id,
            producer_id=product.producer_id,
            gtin=product.gtin,
            action=data.action.value,
            rating={**ocop, "reason": data.reason},
            by=by,
            moment=moment,
        )
        try:
            repo.set_rating(product, ocop, entry, [event_item(product.pk, event)])
        except repo.StaleRevision:
            continue
        product.ocop = ocop  # type: ignore[assignment]
        view = product_view(product)
        view["ocop_history"] = [*history(product.ocop_history), entry]
        return view
    raise busy()
