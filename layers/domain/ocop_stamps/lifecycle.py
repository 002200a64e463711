"""Stamp and lot lifecycle: void stamps, recall a lot (and lift it), change an OCOP rating.

Every change is one conditional transaction that also appends its EPCIS event: two
concurrent changes cannot both apply, and nothing is overwritten -- history only grows.
"""

from __future__ import annotations

from typing import Any

from . import epcis
from . import repository as repo
from .catalog import own_lot
from .codes import InvalidCode, decode
from .errors import BadRequest, Conflict, NotFound
from .history import event_item
from .ids import iso, utc_now
from .issuing import batch_view, own_batch, recall_entry
from .models import VoidRange
from .schemas import LiftIn, RatingAction, RatingIn, RecallIn, VoidIn
from .secrets import code_keys
from .views import history, lot_view, plain, product_view

_ATTEMPTS = 5
_BUSY = Conflict(
    "Someone else is changing the same data; try again in a moment.",
    "Dữ liệu đang được thay đổi bởi yêu cầu khác; vui lòng thử lại sau giây lát.",
)


def _serials(batch_no: int, data: VoidIn) -> tuple[int, int]:
    if data.code is None:
        assert data.first_serial is not None and data.last_serial is not None
        return data.first_serial, data.last_serial
    try:
        stamp = decode(code_keys(), data.code)
    except InvalidCode:
        raise BadRequest(
            f"'{data.code[:40]}' is not a valid stamp code; check it against the label.",
            f"'{data.code[:40]}' không phải mã tem hợp lệ; hãy đối chiếu với nhãn.",
        ) from None
    if stamp.batch != batch_no:
        raise BadRequest(
            f"Code {data.code[:40]} belongs to batch {stamp.batch}, not to batch {batch_no}.",
            f"Mã {data.code[:40]} thuộc đợt {stamp.batch}, không thuộc đợt {batch_no}.",
        )
    return stamp.serial, stamp.serial


def void(producer_id: str, batch_id: str, data: VoidIn, base_url: str) -> dict[str, Any]:
    """Cancel stamps (damaged, lost, destroyed...): scans of them answer ``void`` from now on."""
    for _ in range(_ATTEMPTS):
        batch = own_batch(producer_id, batch_id, consistent=True)
        first, last = _serials(int(batch.batch_no), data)
        if last > int(batch.size):
            raise BadRequest(
                f"Batch {batch_id} has serials 1 to {int(batch.size)}; {last} is outside it.",
                f"Đợt cấp tem {batch_id} có sê-ri từ 1 đến {int(batch.size)}; {last} nằm ngoài.",
            )
        for v in batch.voids:
            if int(v.first) == first and int(v.last) == last and v.reason == data.reason.value:
                return {"batch": batch_view(batch), "void": _void_view(v)}  # a retry: same answer
            if int(v.first) <= last and first <= int(v.last):
                raise Conflict(
                    f"Serials {int(v.first)}–{int(v.last)} of batch {batch_id} are already void.",
                    f"Sê-ri {int(v.first)}–{int(v.last)} của đợt {batch_id} đã bị hủy trước đó.",
                )
        moment = utc_now()
        entry = VoidRange(first=first, last=last, reason=data.reason.value, note=data.note, at=iso(moment))
        product = repo.get_product(batch.product_id)
        event = epcis.destroying(
            base_url=base_url,
            batch_no=int(batch.batch_no),
            key_version=int(batch.key_version),
            first=first,
            last=last,
            product_id=batch.product_id,
            producer_id=batch.producer_id,
            gtin=product.gtin if product else None,
            reason=data.reason.value,
            note=data.note,
            moment=moment,
        )
        lots = {repo.lot_key(a.lot_id) for a in batch.activations if int(a.first) <= last and first <= int(a.last)}
        pks = [batch.pk, *sorted(lots)]
        try:
            repo.add_voids(batch, [entry], [event_item(pk, event) for pk in pks])
        except repo.StaleRevision:
            continue
        batch.voids.append(entry)
        return {"batch": batch_view(batch), "void": _void_view(entry)}
    raise _BUSY


def _void_view(v: VoidRange) -> dict[str, Any]:
    view = {"first_serial": int(v.first), "last_serial": int(v.last), "reason": v.reason, "voided_at": v.at}
    if v.note:
        view["note"] = v.note
    return view


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
    for _ in range(_ATTEMPTS):
        lot = own_lot(producer_id, lot_id, consistent=True)
        current = plain(lot.recall) if lot.recall else {}
        if recalled and current.get("status") == "recalled":
            raise Conflict(
                f"Lot {lot.lot_code} is already recalled (since {current.get('at')}).",
                f"Lô {lot.lot_code} đã bị thu hồi từ {current.get('at')}.",
            )
        if not recalled and current.get("status") != "recalled":
            raise Conflict(
                f"Lot {lot.lot_code} is not recalled; there is nothing to lift.",
                f"Lô {lot.lot_code} không bị thu hồi; không có gì để gỡ bỏ.",
            )
        if len(lot.batch_nos or ()) > 90:
            raise BadRequest(
                "This lot spans more than 90 batches; contact the provincial office to recall it.",
                "Lô này trải trên hơn 90 đợt tem; hãy liên hệ văn phòng OCOP tỉnh để thu hồi.",
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
    raise _BUSY


def rate(product_id: str, data: RatingIn, by: str, base_url: str) -> dict[str, Any]:
    """Record, renew, downgrade or withdraw a product's OCOP rating (admin)."""
    for _ in range(_ATTEMPTS):
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
    raise _BUSY
