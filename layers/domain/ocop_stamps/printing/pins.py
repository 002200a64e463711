"""The PIN layer of a two-layer batch, for its owner's print shop (issue 14, docs/PIN.md).

The only place a PIN leaves the service. A PDF with the geometry of the batch's QR labels
(same sheet, same layout: each PIN in the label's scratch-off panel, ``sheets.pin_box``), so
the shop prints the PINs on the labels and coats them; or a CSV with a ``pin`` column. Only
the batch's owner may download it (another producer's batch answers 404, as everywhere),
and every download is recorded *before* the file is made -- who, when, which serials, which
format -- on the batch (``GET /batches/{id}``: ``pin_downloads``) and as a line in the
verification log (kind and verdict ``pin_download``), which inspectors read. A download the
service cannot record is not served.
"""

from __future__ import annotations

import io
import secrets as pysecrets
from typing import Any

from ocop_stamps.catalog.views import plain
from ocop_stamps.codes.labels import label_url
from ocop_stamps.codes.pins import derive
from ocop_stamps.codes.scheme import encode_many
from ocop_stamps.core.errors import BadRequest, Conflict
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.vocabulary import PIN_DOWNLOAD
from ocop_stamps.issuing.batches import batch_gtin, own_batch
from ocop_stamps.observability import LABELS_RENDERED, count
from ocop_stamps.printing.jobs import PrintFile
from ocop_stamps.printing.qr import layout as qr_layout
from ocop_stamps.printing.render import write_pin_pdf
from ocop_stamps.printing.schemas import PinLayerIn
from ocop_stamps.printing.sheets import label_layout
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import repository as repo
from ocop_stamps.storage.models import BatchItem, ScanItem
from ocop_stamps.storage.parameters import code_keys, pin_keys

MAX_LABELS = 10_000
"""Labels per download: a PDF of 10,000 PINs is ~0.5 MB and well under a second of work
(docs/PERFORMANCE.md, "PIN layer"), inside the response limit; a larger batch comes in ranges."""
CSV_HEADER = "serial,code,pin,label_url,batch_id\r\n"
CHUNK = 1_000


def _pins(batch: BatchItem, first: int, last: int) -> Any:
    keys, version, batch_no = pin_keys(), int(batch.pin_key_version or 1), int(batch.batch_no)
    for start in range(first, last + 1, CHUNK):
        serials = list(range(start, min(last, start + CHUNK - 1) + 1))
        yield serials, [derive(keys, version, batch_no, s) for s in serials]


def _csv(batch: BatchItem, first: int, last: int, base_url: str, gtin: str | None) -> bytes:
    keys = code_keys()
    prefix = label_url(base_url, "", gtin)
    out = [CSV_HEADER]
    tail = f",{int(batch.batch_no)}\r\n"
    for serials, pins in _pins(batch, first, last):
        codes = encode_many(keys, int(batch.batch_no), serials[0], len(serials), version=int(batch.key_version))
        out += [f"{s},{c},{p},{prefix}{c}{tail}" for s, c, p in zip(serials, codes, pins, strict=True)]
    return "".join(out).encode()


def download_pin_layer(producer_id: str, subject: str, batch_id: str, data: PinLayerIn, base_url: str) -> PrintFile:
    """The PIN layer of serials ``first_serial..last_serial`` of the caller's two-layer batch, as a
    PDF or CSV. NotFound (not the caller's batch), Conflict (a one-layer batch), BadRequest
    (serials outside the batch, more than ``MAX_LABELS``, a sheet that does not fit)."""
    batch = own_batch(producer_id, batch_id)
    if not batch.second_layer:
        raise Conflict(
            "This batch has one layer: its stamps have no PIN.",
            "Đợt tem này là tem một lớp: tem không có mã PIN.",
        )
    first, last, size = data.first_serial, data.last_serial, int(batch.size)
    if last > size or last - first + 1 > MAX_LABELS:
        raise BadRequest(
            f"Serials must satisfy 1 ≤ first_serial ≤ last_serial ≤ {size}, at most {MAX_LABELS:,} per download.",
            f"Số sê-ri phải thỏa 1 ≤ `first_serial` ≤ `last_serial` ≤ {size}, "
            f"tối đa {MAX_LABELS:,} tem mỗi lần tải.".replace(",", "."),
        )
    gtin = batch_gtin(batch)
    sheet = data.sheet()
    if data.format == "pdf":  # refuse what cannot print before recording anything
        sheet.check()
        url_length = len(label_url(base_url, "0" * 16, gtin).encode("utf-8"))
        lay = label_layout(sheet.label_w, sheet.label_h, qr_layout(url_length, data.error_correction).size)
    _record(batch, producer_id, subject, first, last, data.format)
    stem = f"batch-{int(batch.batch_no)}-pin-{first:07d}-{last:07d}"
    if data.format == "csv":
        return PrintFile(
            _csv(batch, first, last, base_url, gtin), "text/csv; charset=utf-8", f"{stem}.csv", last - first + 1
        )
    buf = io.BytesIO()
    n = write_pin_pdf(buf, _pins(batch, first, last), sheet, lay, cut_marks=data.cut_marks)
    count(LABELS_RENDERED, n)
    return PrintFile(buf.getvalue(), "application/pdf", f"{stem}.pdf", n)


def _record(batch: BatchItem, producer_id: str, subject: str, first: int, last: int, fmt: str) -> None:
    now = iso(utc_now())
    entry = {"by": subject, "producer_id": producer_id, "at": now, "first": first, "last": last, "format": fmt}
    producer = repo.get_producer(batch.producer_id)
    line = ScanItem(
        code=f"PIN-{int(batch.batch_no)}",  # never a stamp's code: 16 characters of the code alphabet
        scan_key=table_keys.uncounted_scan_key(now, "d", pysecrets.token_hex(5)),
        scanned_at=now,
        channel="api",
        kind=PIN_DOWNLOAD,
        verdict=PIN_DOWNLOAD,
        verdicts=[PIN_DOWNLOAD],
        batch_no=int(batch.batch_no),
        product_id=batch.product_id,
        producer_id=batch.producer_id,
        producer_province=(plain(producer.address) or {}).get("province") if producer is not None else None,
        reason=f"PIN layer of serials {first}-{last} ({fmt}) downloaded by {subject} of {producer_id}",
    )
    repo.record_pin_download(int(batch.batch_no), entry, line)
