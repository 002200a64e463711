"""Print files for a batch or a serial range of it: inline when small, a job when large.

* ``request_print_files``: validates the request against the batch, the sheet and the
  QR (module size, dpi) first -- a size that cannot print is refused before anything
  runs. Up to ``INLINE_MAX_LABELS`` labels whose file fits ``INLINE_MAX_BYTES`` come back
  in the response (Lambda answers at most 6 MB, base64 adds a third: ``core.limits``); anything larger
  becomes a job: one catalog item and one queue message per chunk.
* ``render_chunk`` (label worker): renders one chunk into one ZIP *fragment* in S3
  (``zipstream``), counts it once on the job, and the worker that counts the last chunk
  assembles the download: every fragment byte for byte, ``manifest.csv`` (the same
  ``issuing.iter_csv`` as ``GET /batches/{id}/codes.csv``), one central directory. The
  entry count is checked against the job before it is marked done: a job is complete or
  failed, never silently short.
* ``fail_chunk``: on a chunk's last delivery (``PRINT_MAX_RECEIVES`` = the queue's
  maxReceiveCount) the job is marked failed; the message then goes to the dead-letter
  queue.

The download of a job is always a ZIP: PDF jobs hold one PDF per chunk (whole sheets,
named by serial range), SVG/PNG jobs one file per stamp named by serial; each has
``manifest.csv``.

Metric ``LabelsRendered`` (``ocop_stamps.observability``): the labels of each inline file
and of each chunk a worker renders (a redelivered chunk counts again: work done twice).
"""

from __future__ import annotations

import io
import json
import math
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from ocop_stamps.catalog.views import plain, rating_status
from ocop_stamps.codes.labels import label_url
from ocop_stamps.core.errors import BadRequest, NotFound, unavailable
from ocop_stamps.core.ids import iso, utc_now
from ocop_stamps.core.limits import binary_budget
from ocop_stamps.core.settings import get_settings
from ocop_stamps.core.vocabulary import RatingStatus
from ocop_stamps.issuing.batches import iter_csv, own_batch
from ocop_stamps.observability import LABELS_RENDERED, count, logger
from ocop_stamps.printing.qr import layout as qr_layout
from ocop_stamps.printing.render import LabelText, iter_png, iter_stamps, iter_svg, png_module_px, write_pdf
from ocop_stamps.printing.schemas import PrintFilesIn
from ocop_stamps.printing.sheets import Sheet, label_layout
from ocop_stamps.printing.zipstream import BytesSink, Entry, ZipWriter, iter_encoded
from ocop_stamps.storage import printing as store
from ocop_stamps.storage import repository as repo

INLINE_MAX_LABELS = 2_000
# The largest file whose base64 text fits Lambda's 6 MB response (core.limits): 4,669,440 bytes.
INLINE_MAX_BYTES = binary_budget()


@dataclass(frozen=True)
class PrintFile:
    body: bytes
    content_type: str
    file_name: str
    labels: int


@dataclass
class JobSpec:
    """Everything a worker needs to render any chunk, stored on the job item."""

    producer_id: str
    batch_no: int
    key_version: int
    product_id: str
    product_name: str
    stars: int
    gtin: str
    base_url: str
    format: str
    sheet: dict[str, Any]
    dpi: int
    cut_marks: bool
    error: str
    first: int
    last: int
    chunk_labels: int
    pin_panel: bool = False  # a two-layer batch (issue 14): names and stars clear of the PIN panel

    @property
    def total(self) -> int:
        return self.last - self.first + 1

    @property
    def chunks(self) -> int:
        return math.ceil(self.total / self.chunk_labels)

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        first = self.first + chunk * self.chunk_labels
        return first, min(self.last, first + self.chunk_labels - 1)

    def the_sheet(self) -> Sheet:
        return Sheet(**self.sheet)

    def text(self) -> LabelText:
        return LabelText(self.product_name, self.stars or None, pin_panel=bool(self.pin_panel))

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> JobSpec:
        names = cls.__dataclass_fields__
        values = {k: item[k] for k in names if k in item}  # a job stored before a field was added: its default
        values["sheet"] = json.loads(values["sheet"])
        return cls(**values)


def _spec(producer_id: str, batch_id: str, data: PrintFilesIn, base_url: str) -> JobSpec:
    batch = own_batch(producer_id, batch_id)
    size = int(batch.size)
    first = data.first_serial or 1
    last = data.last_serial or size
    if not 1 <= first <= last <= size:
        raise BadRequest(
            f"Serials must satisfy 1 ≤ first_serial ≤ last_serial ≤ {size} (the batch size).",
            f"Số sê-ri phải thỏa 1 ≤ `first_serial` ≤ `last_serial` ≤ {size} (cỡ đợt cấp tem).",
        )
    product = repo.get_product(batch.product_id)
    ocop = plain(product.ocop) if product is not None and product.ocop else None
    stars = int(ocop["stars"]) if ocop and rating_status(ocop) is RatingStatus.valid else 0
    gtin = product.gtin if product is not None and product.gtin else ""
    sheet = data.sheet()
    sheet.check()
    # refuse what cannot print before any work: module size, then dpi for PNG
    url_length = len(label_url(base_url, "0" * 16, gtin or None).encode("utf-8"))
    lay = label_layout(sheet.label_w, sheet.label_h, qr_layout(url_length, data.error_correction).size)
    if data.format == "png_zip":
        png_module_px(lay, data.dpi)
    chunk = max(1, get_settings().print_chunk_labels)
    if data.format == "pdf":  # every part starts a fresh sheet: chunks of whole sheets
        chunk = math.ceil(chunk / sheet.per_page) * sheet.per_page
    return JobSpec(
        producer_id=producer_id,
        batch_no=int(batch.batch_no),
        key_version=int(batch.key_version),
        product_id=batch.product_id,
        product_name=product.name if product is not None else batch.product_id,
        stars=stars,
        gtin=gtin,
        base_url=base_url,
        format=data.format,
        sheet=asdict(sheet),
        dpi=data.dpi,
        cut_marks=data.cut_marks,
        error=data.error_correction,
        first=first,
        last=last,
        chunk_labels=chunk,
        pin_panel=bool(batch.second_layer),
    )


def _estimate_bytes(spec: JobSpec) -> float:
    sheet = spec.the_sheet()
    if spec.format == "pdf":
        return 20_000 + 900 * spec.total
    if spec.format == "svg_zip":
        return 2_000 * spec.total
    pixels = (sheet.label_w * spec.dpi / 25.4) * (sheet.label_h * spec.dpi / 25.4)
    return 0.12 * pixels * spec.total


def request_print_files(
    producer_id: str, batch_id: str, data: PrintFilesIn, base_url: str
) -> PrintFile | dict[str, Any]:
    spec = _spec(producer_id, batch_id, data, base_url)
    if spec.total <= INLINE_MAX_LABELS and _estimate_bytes(spec) <= INLINE_MAX_BYTES:
        file = render_inline(spec)
        if len(file.body) <= INLINE_MAX_BYTES:
            return file
        logger.info("inline print file too large, running it as a job", extra={"bytes": len(file.body)})
    return start_job(spec)


def preview_label(producer_id: str, batch_id: str, data: PrintFilesIn, base_url: str) -> bytes:
    """One label of the print file ``data`` asks for, as an SVG document (the first serial of the
    range) whose ``width``/``height`` are the label's size in mm: checked exactly as
    ``request_print_files`` checks (own batch, sheet, module size), so a preview that shows
    is a file that prints. Renders one stamp; writes nothing."""
    spec = _spec(producer_id, batch_id, data, base_url)
    _, doc = next(iter_svg(_chunks(spec, spec.first, spec.first), spec.the_sheet(), spec.text(), error=spec.error))
    return doc


def _file_stem(spec: JobSpec, first: int, last: int) -> str:
    return f"batch-{spec.batch_no}-{first:07d}-{last:07d}"


def _chunks(spec: JobSpec, first: int, last: int) -> Any:
    return iter_stamps(spec.batch_no, spec.key_version, first, last, spec.base_url, spec.gtin or None)


def _manifest(spec: JobSpec) -> Any:
    batch = repo.get_batch(spec.batch_no)
    if batch is None:  # pragma: no cover -- batches are never deleted
        raise NotFound(f"Batch {spec.batch_no} is gone.", f"Đợt cấp tem {spec.batch_no} không còn.")
    return iter_encoded(iter_csv(batch, spec.first, spec.last, spec.base_url, gtin=spec.gtin or None))


def _write_entries(spec: JobSpec, writer: ZipWriter, first: int, last: int) -> int:
    """The files of serials first..last into ``writer``; returns how many entries."""
    sheet, text = spec.the_sheet(), spec.text()
    if spec.format == "pdf":
        buf = io.BytesIO()
        write_pdf(buf, _chunks(spec, first, last), sheet, text, cut_marks=spec.cut_marks, error=spec.error)
        writer.add(f"{_file_stem(spec, first, last)}.pdf", buf.getvalue(), compress=False)
        return 1
    written = 0
    if spec.format == "svg_zip":
        for serial, doc in iter_svg(_chunks(spec, first, last), sheet, text, error=spec.error):
            writer.add(f"{serial:07d}.svg", doc)
            written += 1
    else:
        for serial, png in iter_png(_chunks(spec, first, last), sheet, text, dpi=spec.dpi, error=spec.error):
            writer.add(f"{serial:07d}.png", png, compress=False)
            written += 1
    return written


def render_inline(spec: JobSpec) -> PrintFile:
    file = _render_inline(spec)
    count(LABELS_RENDERED, spec.total)
    return file


def _render_inline(spec: JobSpec) -> PrintFile:
    stem = _file_stem(spec, spec.first, spec.last)
    if spec.format == "pdf":
        buf = io.BytesIO()
        n = write_pdf(
            buf,
            _chunks(spec, spec.first, spec.last),
            spec.the_sheet(),
            spec.text(),
            cut_marks=spec.cut_marks,
            error=spec.error,
        )
        return PrintFile(buf.getvalue(), "application/pdf", f"{stem}.pdf", n)
    sink = BytesSink()
    writer = ZipWriter(sink)
    n = _write_entries(spec, writer, spec.first, spec.last)
    writer.add_stream("manifest.csv", _manifest(spec))
    writer.finish()
    return PrintFile(sink.getvalue(), "application/zip", f"{stem}-{spec.format.removesuffix('_zip')}.zip", n)


# --- jobs -------------------------------------------------------------------------------------


def start_job(spec: JobSpec) -> dict[str, Any]:
    job_id = "pj_" + secrets.token_hex(10)
    fields = asdict(spec)
    fields["sheet"] = json.dumps(spec.sheet)
    fields.update(
        {
            "status": "queued",
            "created_at": iso(utc_now()),
            "total_labels": spec.total,
            "chunks_total": spec.chunks,
            "chunks_done": 0,
            "labels_done": 0,
            "chunks_failed": 0,
        }
    )
    store.put_job(job_id, fields)
    try:
        store.enqueue_chunks(job_id, spec.chunks)
    except Exception as exc:  # a job with no (or some) chunk messages would never finish: fail it
        logger.exception("print job not queued", extra={"job_id": job_id})
        store.mark_failed(job_id, "its chunks could not be queued; request the files again", chunk_failed=False)
        raise unavailable() from exc
    return job_view(job_id, fields)  # as written: no read that could fail after the job exists


def job_view(job_id: str, item: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = {
        "job_id": job_id,
        "status": item["status"],
        "format": item["format"],
        "batch_id": str(item["batch_no"]),
        "first_serial": item["first"],
        "last_serial": item["last"],
        "total_labels": item["total_labels"],
        "labels_done": item.get("labels_done", 0),
        "chunks_total": item["chunks_total"],
        "chunks_done": item.get("chunks_done", 0),
        "chunks_failed": item.get("chunks_failed", 0),
        "created_at": item["created_at"],
        "status_url": f"/print-jobs/{job_id}",
    }
    if item["status"] == "done":
        view["file_name"] = item["file_name"]
        view["bytes"] = item["result_bytes"]
        view["download_url"] = store.presign(item["result_key"], item["file_name"])
        view["download_expires_in"] = 3600
    if item["status"] == "failed":
        view["failure"] = item.get("failure", "")
    return view


def get_job(producer_id: str, job_id: str) -> dict[str, Any]:
    item = store.get_job(job_id) if job_id.startswith("pj_") and len(job_id) <= 40 else None
    if item is None or item["producer_id"] != producer_id:
        raise NotFound(
            f"Print job {job_id[:40]} is not one of your print jobs.",
            f"Lệnh in {job_id[:40]} không thuộc các lệnh in của bạn.",
        )
    return job_view(job_id, item)


def _fragment_key(job_id: str, chunk: int) -> str:
    return f"print-jobs/{job_id}/parts/{chunk:06d}"


def render_chunk(job_id: str, chunk: int) -> str:
    """Render one chunk (worker); returns what happened, for the log."""
    item = store.get_job(job_id, consistent=True)
    if item is None:
        return "no such job"
    if item["status"] in ("done", "failed"):
        return f"job already {item['status']}"
    spec = JobSpec.from_item(item)
    if not 0 <= chunk < spec.chunks:
        raise ValueError(f"chunk {chunk} outside 0..{spec.chunks - 1}")
    first, last = spec.chunk_range(chunk)
    key = _fragment_key(job_id, chunk)
    upload = store.S3Upload(key + ".zipfrag")
    writer = ZipWriter(upload)
    try:
        entries = _write_entries(spec, writer, first, last)
        size = upload.close()
    except BaseException:
        upload.abort()
        raise
    expected = 1 if spec.format == "pdf" else last - first + 1
    if entries != expected:  # pragma: no cover -- a renderer bug must never pass as a short file
        raise RuntimeError(f"chunk {chunk}: {entries} entries, expected {expected}")
    count(LABELS_RENDERED, last - first + 1)
    sidecar = {"size": size, "entries": [e.to_json() for e in writer.entries]}
    store.put_object(key + ".json", json.dumps(sidecar).encode(), "application/json")
    now = store.count_chunk(job_id, chunk, last - first + 1)
    if now is None:  # counted before (a redelivery): finish the job if that is what is missing
        now = store.get_job(job_id, consistent=True) or item
    if now["status"] != "done" and now.get("chunks_done", 0) == spec.chunks:
        assemble(job_id, spec)
        return "chunk rendered; job assembled"
    return "chunk rendered"


def assemble(job_id: str, spec: JobSpec) -> None:
    """Concatenate the fragments, add manifest.csv, write the central directory."""
    file_name = f"{_file_stem(spec, spec.first, spec.last)}-{spec.format.removesuffix('_zip')}.zip"
    key = f"print-jobs/{job_id}/{file_name}"
    upload = store.S3Upload(key, "application/zip")
    writer = ZipWriter(upload)
    try:
        bases = []
        for chunk in range(spec.chunks):
            bases.append(writer.offset)
            frag = _fragment_key(job_id, chunk)
            for block in store.iter_object(frag + ".zipfrag"):
                writer._write(block)
            sizes = json.loads(store.get_bytes(frag + ".json"))
            if writer.offset - bases[-1] != sizes["size"]:
                raise RuntimeError(f"fragment {chunk} is {writer.offset - bases[-1]} bytes, expected {sizes['size']}")
        manifest = writer.add_stream("manifest.csv", _manifest(spec))
        counted = 0

        def central() -> Any:
            nonlocal counted
            for chunk, base in enumerate(bases):
                for row in json.loads(store.get_bytes(_fragment_key(job_id, chunk) + ".json"))["entries"]:
                    e = Entry.from_json(row)
                    counted += 1
                    yield Entry(e.name, e.crc, e.csize, e.usize, e.method, e.offset + base, e.flags)
            yield manifest

        writer.finish(central())
        expected = (spec.chunks if spec.format == "pdf" else spec.total) + 1
        if counted + 1 != expected:
            raise RuntimeError(f"archive would hold {counted + 1} entries, expected {expected}")
        size = upload.close()
    except BaseException:
        upload.abort()
        raise
    store.mark_done(job_id, key, size, file_name)


def fail_chunk(job_id: str, chunk: int, reason: str) -> None:
    """The chunk's last try failed: the job can no longer be complete."""
    store.mark_failed(job_id, f"chunk {chunk} failed: {reason}", chunk_failed=True)
