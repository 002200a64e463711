"""Voiding stamps: a damaged, lost or misprinted stamp (or a range of them) stops scanning as genuine.

One conditional transaction that also appends the EPCIS event; history only grows.
"""

from __future__ import annotations

from typing import Any

from ocop_stamps.codes.scheme import InvalidCode, decode
from ocop_stamps.core.errors import CONFLICT_ATTEMPTS, BadRequest, Conflict, busy
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.issuing.batches import batch_view, own_batch
from ocop_stamps.lifecycle.schemas import VoidIn
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import VoidRange
from ocop_stamps.storage.parameters import code_keys


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


def check_range(batch: Any, data: VoidIn) -> tuple[int, int, VoidRange | None]:
    """The serial range ``data`` asks to void in ``batch`` (a BatchItem, as stored now):
    ``(first, last, the same void already made or None)``, without writing anything.

    Raises ``BadRequest`` for a range outside the batch (``details`` names ``last_serial``) and
    ``Conflict`` for one that overlaps stamps already void (names ``first_serial``). The console's
    confirmation asks this before it shows what buyers will see; ``void`` asks it again."""
    batch_id = str(int(batch.batch_no))
    first, last = _serials(int(batch.batch_no), data)
    if last > int(batch.size):
        raise BadRequest(
            f"Batch {batch_id} has serials 1 to {int(batch.size)}; {last} is outside it.",
            f"Đợt cấp tem {batch_id} có sê-ri từ 1 đến {int(batch.size)}; sê-ri {last} nằm ngoài khoảng này.",
            details=[{"field": "last_serial", "problem": "outside the batch"}],
        )
    for v in batch.voids:
        if int(v.first) == first and int(v.last) == last and v.reason == data.reason.value:
            return first, last, v  # a retry: the same answer
        if int(v.first) <= last and first <= int(v.last):
            raise Conflict(
                f"Serials {int(v.first)}–{int(v.last)} of batch {batch_id} are already void.",
                f"Sê-ri {int(v.first)}–{int(v.last)} của đợt {batch_id} đã bị hủy trước đó.",
                details=[{"field": "first_serial", "problem": "overlaps a void range"}],
            )
    return first, last, None


def void(producer_id: str, batch_id: str, data: VoidIn, base_url: str) -> dict[str, Any]:
    """Cancel stamps (damaged, lost, destroyed...): scans of them answer ``void`` from now on."""
    for _ in range(CONFLICT_ATTEMPTS):
        batch = own_batch(producer_id, batch_id, consistent=True)
        first, last, same = check_range(batch, data)
        if same is not None:
            return {"batch": batch_view(batch), "void": _void_view(same)}  # a retry: same answer
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
        lots = {
            table_keys.lot_key(a.lot_id) for a in batch.activations if int(a.first) <= last and first <= int(a.last)
        }
        pks = [batch.pk, *sorted(lots)]
        try:
            repo.add_voids(batch, [entry], [event_item(pk, event) for pk in pks])
        except repo.StaleRevision:
            continue
        batch.voids.append(entry)
        return {"batch": batch_view(batch), "void": _void_view(entry)}
    raise busy()


def _void_view(v: VoidRange) -> dict[str, Any]:
    view = {"first_serial": int(v.first), "last_serial": int(v.last), "reason": v.reason, "voided_at": v.at}
    if v.note:
        view["note"] = v.note
    return view
