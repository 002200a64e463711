"""Issuing batches of stamp codes and binding serial ranges of them to lots.

A batch is one item: its number comes from one atomic counter update, its codes are
computed from (batch, serial) whenever they are needed and never stored one by one.
Issuing a million codes therefore costs the same few writes as issuing ten.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import epcis
from . import repository as repo
from .catalog import own_lot, own_product
from .codes import encode_many
from .errors import BadRequest, Conflict, NotFound
from .history import event_item
from .ids import iso, utc_now
from .labels import label_url
from .models import Activation, BatchItem
from .schemas import ActivationIn, BatchIn
from .secrets import code_keys
from .settings import get_settings
from .views import lot_view, plain

CSV_HEADER = "serial,code,label_url,batch_id,product_id\r\n"
_ACTIVATION_ATTEMPTS = 5


def batch_view(batch: BatchItem) -> dict[str, Any]:
    batch_id = str(int(batch.batch_no))
    size = int(batch.size)
    ranges = [_activation_view(a) for a in batch.activations]
    return {
        "batch_id": batch_id,
        "product_id": batch.product_id,
        "producer_id": batch.producer_id,
        "size": size,
        "first_serial": 1,
        "last_serial": size,
        "key_version": int(batch.key_version),
        "note": batch.note,
        "created_at": batch.created_at,
        "activations": ranges,
        "activated_count": sum(int(a.last) - int(a.first) + 1 for a in batch.activations),
        "codes_csv": f"/batches/{batch_id}/codes.csv",
    }


def issue_batch(producer_id: str, data: BatchIn, base_url: str) -> dict[str, Any]:
    """Reserve the next batch number, store the batch and its commissioning event.

    1 read + 2 writes (the counter, then one transaction), whatever the size.
    """
    product = own_product(producer_id, data.product_id)
    keys = code_keys()
    batch_no = repo.reserve_batch_number()
    moment = utc_now()
    batch = BatchItem(
        repo.batch_key(batch_no),
        repo.PROFILE,
        kind="batch",
        created_at=iso(moment),
        gsi1pk=repo.producer_key(producer_id),
        gsi1sk=f"BATCH#{batch_no:010d}",
        batch_no=batch_no,
        product_id=product.product_id,
        producer_id=producer_id,
        size=data.size,
        key_version=keys.current,
        note=data.note,
        activations=[],
        voids=[],
        recalls={},
        revision=0,
    )
    event = epcis.commissioning(
        base_url=base_url,
        batch_no=batch_no,
        size=data.size,
        key_version=keys.current,
        product_id=product.product_id,
        producer_id=producer_id,
        gtin=product.gtin,
        moment=moment,
    )
    repo.create_batch(batch, [event_item(batch.pk, event)])
    return batch_view(batch)


def parse_batch_id(batch_id: str) -> int:
    if not batch_id.isdigit() or not 1 <= int(batch_id) <= 16_777_215 or len(batch_id) > 9:
        raise NotFound(f"There is no batch '{batch_id[:40]}'.", f"Không có đợt cấp tem '{batch_id[:40]}'.")
    return int(batch_id)


def own_batch(producer_id: str | None, batch_id: str, *, consistent: bool = False) -> BatchItem:
    """The batch, if it is this producer's (any batch for producer_id None: admins, inspectors)."""
    batch = repo.get_batch(parse_batch_id(batch_id), consistent=consistent)
    if batch is None or (producer_id is not None and batch.producer_id != producer_id):
        raise NotFound(
            f"Batch {batch_id} is not one of your batches.",
            f"Đợt cấp tem {batch_id} không thuộc các đợt cấp tem của bạn.",
        )
    return batch


def csv_range(batch: BatchItem, first: int | None, last: int | None) -> tuple[int, int]:
    """The serials one CSV response covers: the whole batch, or one page of a large one."""
    size = int(batch.size)
    limit = get_settings().csv_max_rows
    first = 1 if first is None else first
    last = min(size, first + limit - 1) if last is None else last
    if not 1 <= first <= last <= size:
        raise BadRequest(
            f"Serials must satisfy 1 ≤ from ≤ to ≤ {size} (the batch size).",
            f"Số sê-ri phải thỏa 1 ≤ from ≤ to ≤ {size} (cỡ đợt cấp tem).",
        )
    if last - first + 1 > limit:
        raise BadRequest(
            f"At most {limit} rows per download; ask for from/to ranges of that size.",
            f"Mỗi lần tải tối đa {limit} dòng; hãy chia thành các khoảng from/to nhỏ hơn.",
        )
    return first, last


def batch_gtin(batch: BatchItem) -> str | None:
    """The GTIN of the batch's product, if it has one: its labels then carry a GS1 Digital Link."""
    product = repo.get_product(batch.product_id)
    return product.gtin if product is not None and product.gtin else None


_LOOKUP = "lookup"


def iter_csv(
    batch: BatchItem, first: int, last: int, base_url: str, chunk: int = 10_000, *, gtin: str | None = _LOOKUP
) -> Iterator[str]:
    """The CSV manifest, in chunks of text -- memory stays flat whatever the range.

    Label URLs come from ``labels.label_url`` (GS1 Digital Link when the product has a
    GTIN, read once here unless the caller passes it), exactly as print files print them.
    """
    keys = code_keys()
    batch_id = str(int(batch.batch_no))
    tail = f",{batch_id},{batch.product_id}\r\n"
    if gtin == _LOOKUP:
        gtin = batch_gtin(batch)
    url_prefix = label_url(base_url, "", gtin)
    yield CSV_HEADER
    version = int(batch.key_version)
    for start in range(first, last + 1, chunk):
        count = min(chunk, last + 1 - start)
        codes = encode_many(keys, int(batch.batch_no), start, count, version=version)
        yield "".join(
            f"{serial},{code},{url_prefix}{code}{tail}"
            for serial, code in zip(range(start, start + count), codes, strict=True)
        )


def activate(producer_id: str, batch_id: str, data: ActivationIn, base_url: str) -> dict[str, Any]:
    """Bind serials first..last of a batch to a lot; all or nothing, never overlapping."""
    for _ in range(_ACTIVATION_ATTEMPTS):
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
                f"Đợt cấp tem {batch_id} có sê-ri từ 1 đến {int(batch.size)}; {data.last_serial} nằm ngoài.",
            )
        for existing in batch.activations:
            if existing.first == data.first_serial and existing.last == data.last_serial:
                if existing.lot_id == data.lot_id:  # a retry of the same request: same answer
                    return {"batch": batch_view(batch), "activation": _activation_view(existing)}
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
        return {"batch": batch_view(batch), "activation": _activation_view(new)}
    raise Conflict(
        "The batch is being changed by another request; try again in a moment.",
        "Đợt cấp tem đang được cập nhật bởi yêu cầu khác; vui lòng thử lại sau giây lát.",
    )


def recall_entry(recall: dict[str, Any]) -> dict[str, Any]:
    """What a batch keeps of a recalled lot: enough for the scan page, nothing more."""
    return {k: recall[k] for k in ("reason", "message_vi", "message_en", "at") if recall.get(k)}


def _activation_view(a: Activation) -> dict[str, Any]:
    return {
        "first_serial": int(a.first),
        "last_serial": int(a.last),
        "lot_id": a.lot_id,
        "activated_at": a.at,
    }
