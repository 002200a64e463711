"""Issuing batches of stamp codes: one counter update and one item per batch, whatever its size.

A batch is one item: its number comes from one atomic counter update, its codes are
computed from (batch, serial) whenever they are needed and never stored one by one.
Issuing a million codes therefore costs the same few writes as issuing ten.

Metric ``StampsIssued`` (``ocop_stamps.observability``): the batch size, once issued.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ocop_stamps.catalog.registry import own_product
from ocop_stamps.catalog.views import plain
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.scheme import CODE_LENGTH, code_lines
from ocop_stamps.core.errors import BadRequest, NotFound
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.limits import BODY_BUDGET, text_bytes
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.text import is_digits
from ocop_stamps.epcis import events as epcis
from ocop_stamps.epcis.history import event_item
from ocop_stamps.issuing.schemas import BatchIn
from ocop_stamps.observability import STAMPS_ISSUED, count
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import Activation, BatchItem
from ocop_stamps.storage.parameters import code_keys, pin_keys

CSV_HEADER = "serial,code,label_url,batch_id,product_id\r\n"


def batch_view(batch: BatchItem) -> dict[str, Any]:
    batch_id = str(int(batch.batch_no))
    size = int(batch.size)
    ranges = [activation_view(a) for a in batch.activations]
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
        "voided_count": voided_count(batch),
        "codes_csv": f"/batches/{batch_id}/codes.csv",
        "second_layer": bool(batch.second_layer),
        # who downloaded the PIN layer, when, which serials (issue 14, printing.pins)
        **({"pin_downloads": [plain(d) for d in batch.pin_downloads]} if batch.pin_downloads else {}),
    }


def voided_count(batch: BatchItem) -> int:
    """How many serials of the batch are void: the union of its void ranges (a serial voided
    twice counts once)."""
    spans = sorted((int(v.first), int(v.last)) for v in batch.voids)
    total, reach = 0, 0
    for first, last in spans:
        first = max(first, reach + 1)
        if last >= first:
            total += last - first + 1
        reach = max(reach, last)
    return total


def batches_of(producer_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """The producer's batches as ``batch_view``, newest first, at most ``limit``: one Query of
    the catalog's ``gsi1`` (batches list under their producer by number)."""
    items = repo.producer_items(BatchItem, producer_id, "BATCH#", limit)
    return [batch_view(b) for b in items if b.producer_id == producer_id]


def issue_batch(producer_id: str, data: BatchIn, base_url: str) -> dict[str, Any]:
    """Reserve the next batch number, store the batch and its commissioning event.

    1 read + 2 writes (the counter, then one transaction), whatever the size.
    """
    product = own_product(producer_id, data.product_id)
    keys = code_keys()
    batch_no = repo.reserve_batch_number()
    moment = utc_now()
    batch = BatchItem(
        table_keys.batch_key(batch_no),
        table_keys.PROFILE,
        kind="batch",
        created_at=iso(moment),
        gsi1pk=table_keys.producer_key(producer_id),
        gsi1sk=table_keys.batch_listing_key(batch_no),
        batch_no=batch_no,
        product_id=product.product_id,
        producer_id=producer_id,
        size=data.size,
        key_version=keys.current,
        note=data.note,
        second_layer=data.second_layer,
        # the PIN secret's version in force now (issue 14): only a two-layer batch reads it
        pin_key_version=pin_keys().current if data.second_layer else None,
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
    count(STAMPS_ISSUED, data.size)
    return batch_view(batch)


def parse_batch_id(batch_id: str) -> int:
    if not is_digits(batch_id) or not 1 <= int(batch_id) <= 16_777_215 or len(batch_id) > 9:
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


def csv_range(batch: BatchItem, first: int | None, last: int | None, rows_per_page: int) -> tuple[int, int]:
    """The serials one CSV response covers: the whole batch, or one page of a large one
    (``rows_per_page`` from ``csv_page_rows``)."""
    size = int(batch.size)
    limit = rows_per_page
    first = 1 if first is None else first
    last = min(size, first + limit - 1) if last is None else last
    if not 1 <= first <= last <= size:
        raise BadRequest(
            f"Serials must satisfy 1 ≤ from ≤ to ≤ {size} (the batch size).",
            f"Số sê-ri phải thỏa 1 ≤ `from` ≤ `to` ≤ {size} (cỡ đợt cấp tem).",
        )
    if last - first + 1 > limit:
        raise BadRequest(
            f"At most {limit} rows per download for this batch; ask for from/to ranges of that size.",
            f"Mỗi lần tải tối đa {limit} dòng cho đợt tem này; hãy chia thành các khoảng `from`–`to` nhỏ hơn.",
        )
    return first, last


def csv_row(serial: int, code: str, url_prefix: str, tail: str) -> str:
    """One line of codes.csv: ``serial,code,label_url,batch_id,product_id`` and CRLF
    (``tail`` is ``,batch_id,product_id`` and CRLF, the same on every line of a batch)."""
    return f"{serial},{code},{url_prefix}{code}{tail}"


def _tail(batch: BatchItem) -> str:
    return f",{int(batch.batch_no)},{batch.product_id}\r\n"


def csv_page_rows(batch: BatchItem, base_url: str, gtin: str | None, budget: int = BODY_BUDGET) -> int:
    """Rows of codes.csv one response carries: as many as fit Lambda's response limit
    (``core.limits.BODY_BUDGET``, each row costed as the JSON string Lambda measures, for
    the batch's widest serial, its label URL prefix and product id), at most
    ``OCOP_CSV_MAX_ROWS``. At the widest (a million stamps, a 48-character product id, a
    GTIN) a 44-character base URL gives 36,839 rows, a 261-character one (the longest
    PublicBaseUrl: "https://" and a 253-character domain) 16,129."""
    widest = csv_row(int(batch.size), "0" * CODE_LENGTH, label_url(base_url, "", gtin), _tail(batch))
    fit = (budget - text_bytes(CSV_HEADER)) // text_bytes(widest)
    return max(1, min(get_settings().csv_max_rows, fit))


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
    tail = _tail(batch)
    if gtin == _LOOKUP:
        gtin = batch_gtin(batch)
    url_prefix = label_url(base_url, "", gtin)
    yield CSV_HEADER
    version = int(batch.key_version)
    pieces = (",", "," + url_prefix, tail)  # csv_row's: serial,code,url_prefix+code+tail
    for start in range(first, last + 1, chunk):
        n = min(chunk, last + 1 - start)
        yield code_lines(keys, int(batch.batch_no), start, n, pieces, version=version)


def activation_view(a: Activation) -> dict[str, Any]:
    return {
        "first_serial": int(a.first),
        "last_serial": int(a.last),
        "lot_id": a.lot_id,
        "activated_at": a.at,
    }
