"""Print files (issue 3), through the API: every QR decodes, with an independent decoder, to exactly the
stamp's URL from the CSV manifest; small ranges come back at once, large ones run as jobs
through the real worker handler on moto's SQS and S3."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from helpers.handlers import (
    FakeContext,
    Shop,
    as_producer,
    for_batch,
    invoke,
    invoke_json,
    load_handler,
    sample,
    with_body,
)
from helpers.qr import decode_all
from ocop_local import backend, jobs
from ocop_stamps.codes.scheme import group
from ocop_stamps.core.settings import get_settings
from ocop_stamps.printing import jobs as print_jobs
from ocop_stamps.printing import render, sheets
from ocop_stamps.storage import printing as print_store

BASE = "https://tem.example.vn"
GTIN14 = "08930000000019"  # the sample product's GTIN-13 8930000000019 as GTIN-14


@pytest.fixture
def printing(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """The shop, plus the template's bucket and label-jobs queues in moto."""
    env = backend.create_print_resources()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    print_store.reset_clients()
    yield shop
    get_settings.cache_clear()
    print_store.reset_clients()


def print_event(shop: Shop, batch_id: str | None = None, **body: Any) -> dict[str, Any]:
    event = for_batch(as_producer(sample("producer-print-files"), shop.producer_id), batch_id or shop.batch_id)
    event["rawPath"] = event["rawPath"].replace("/codes.csv", "")
    return with_body(event, **body) if body else event


def job_event(shop: Shop, job_id: str, producer_id: str | None = None) -> dict[str, Any]:
    event = as_producer(sample("producer-print-job", JOB_ID=job_id), producer_id or shop.producer_id)
    return event


def csv_urls(shop: Shop, first: int, last: int) -> dict[int, str]:
    status, _, body = shop.csv(first, last)
    assert status == 200, body
    return {int(line.split(",")[0]): line.split(",")[2] for line in body.splitlines()[1:]}


def pdf_pages(data: bytes, dpi: int = 300) -> list[Image.Image]:
    pdf = pdfium.PdfDocument(data)
    return [page.render(scale=dpi / 72).to_pil() for page in pdf]


def run_worker(max_rounds: int = 1000) -> int:
    return jobs.drain(load_handler("label_worker").lambda_handler, max_rounds=max_rounds)


# --- label URLs ----------------------------------------------------------------------------------
def test_given_a_batch_of_a_product_with_a_gtin_when_its_csv_is_downloaded_then_urls_are_digital_links(
    shop: Shop,
) -> None:
    urls = csv_urls(shop, 1, 3)
    codes = shop.codes(1, 3)

    assert list(urls.values()) == [f"{BASE}/01/{GTIN14}/21/{code}" for code in codes]


# --- inline files --------------------------------------------------------------------------------
def test_given_65_labels_when_a_pdf_sheet_is_asked_then_every_qr_on_the_rasterised_page_is_the_csv_url(
    printing: Shop,
) -> None:
    status, headers, body = invoke("producer_api", print_event(printing))
    assert status == 200, body
    assert headers["content-type"] == "application/pdf"
    assert "batch-" in headers["content-disposition"]
    data = base64.b64decode(body)

    pages = pdf_pages(data)

    assert len(pages) == 1
    assert decode_all(pages[0]) == sorted(csv_urls(printing, 1, 65).values())


def test_given_a_pdf_when_its_text_is_read_then_codes_are_grouped_and_the_vietnamese_name_is_intact(
    printing: Shop,
) -> None:
    _, _, body = invoke("producer_api", print_event(printing, last_serial=3, preset="a4-24"))
    page = pdfium.PdfDocument(base64.b64decode(body))[0]
    text = page.get_textpage().get_text_range()

    for code in printing.codes(1, 3):
        assert group(code) in text
    assert "Cao ngựa bạch" in text  # the sample product, diacritics and all
    assert "OCOP" in text


@pytest.mark.parametrize("preset", ["a4-65", "a4-40", "a4-24"])
def test_given_each_preset_when_printed_then_labels_sit_on_the_sheet_grid(printing: Shop, preset: str) -> None:
    sheet = sheets.PRESETS[preset]
    status, _, body = invoke("producer_api", print_event(printing, preset=preset, last_serial=sheet.per_page + 1))
    assert status == 200
    pdf = pdfium.PdfDocument(base64.b64decode(body))
    width, height = pdf[0].get_size()

    assert len(pdf) == 2
    assert (round(width / render.PT_PER_MM), round(height / render.PT_PER_MM)) == (210, 297)
    image = pdf[0].render(scale=300 / 72).to_pil()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == sheet.per_page
    # every QR's centre lies inside its own label box, in reading order
    px_per_mm = 300 / 25.4
    centres = sorted(
        (
            (r.position.top_left.y + r.position.bottom_right.y) / 2,
            (r.position.top_left.x + r.position.bottom_right.x) / 2,
        )
        for r in found
    )
    boxes = [sheet.origin(i) for i in range(sheet.per_page)]
    for cy, cx in centres:
        x_mm, y_mm = cx / px_per_mm, cy / px_per_mm
        assert any(ox <= x_mm <= ox + sheet.label_w and oy <= y_mm <= oy + sheet.label_h for ox, oy in boxes)


def test_given_svg_zip_when_asked_then_one_svg_per_serial_and_the_manifest_is_the_csv(printing: Shop) -> None:
    status, headers, body = invoke(
        "producer_api", print_event(printing, format="svg_zip", first_serial=5, last_serial=24)
    )
    assert status == 200, body
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body)))
    _, _, csv_body = printing.csv(5, 24)

    assert archive.testzip() is None
    assert archive.namelist() == [f"{s:07d}.svg" for s in range(5, 25)] + ["manifest.csv"]
    assert archive.read("manifest.csv").decode() == csv_body
    urls = csv_urls(printing, 5, 24)
    svg = archive.read("0000005.svg").decode()
    assert f"<title>{urls[5]}</title>" in svg
    assert group(printing.codes(5, 5)[0]) in svg


def test_given_png_zip_at_300_dpi_when_decoded_then_each_png_holds_its_own_serials_url(printing: Shop) -> None:
    status, _, body = invoke(
        "producer_api", print_event(printing, format="png_zip", first_serial=1, last_serial=12, dpi=300, preset="a4-40")
    )
    assert status == 200, body
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(body)))
    urls = csv_urls(printing, 1, 12)

    for serial, url in urls.items():
        image = Image.open(io.BytesIO(archive.read(f"{serial:07d}.png")))
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
        assert decode_all(image) == [url]


def test_given_a_label_too_small_for_033_mm_modules_when_asked_then_refused_with_the_smallest_size(
    printing: Shop,
) -> None:
    custom = {"label_w_mm": 20, "label_h_mm": 10, "cols": 10, "rows": 29}
    status, body = invoke_json("producer_api", print_event(printing, preset=None, custom=custom))

    assert status == 400
    assert "0.33 mm" in body["error"]["message"]
    assert "smallest label" in body["error"]["message"]
    assert "nhỏ nhất" in body["error"]["message_vi"]
    smallest = body["error"]["details"][0]["problem"]
    w, h = (float(v) for v in smallest.split()[2::2])
    smallest_sheet = {**custom, "label_w_mm": w, "label_h_mm": h, "rows": 1, "cols": 1}
    status, _, _ = invoke("producer_api", print_event(printing, preset=None, custom=smallest_sheet, last_serial=1))
    assert status == 200


def test_given_a_dpi_too_low_for_whole_pixel_modules_when_png_is_asked_then_refused_with_the_dpi_that_works(
    printing: Shop,
) -> None:
    status, body = invoke_json("producer_api", print_event(printing, format="png_zip", dpi=100))

    assert status == 400
    assert "dpi" in body["error"]["message"] and "dpi" in body["error"]["message_vi"]


def test_given_another_producers_batch_when_print_files_are_asked_then_404(printing: Shop) -> None:
    event = as_producer(print_event(printing), "tam-hoa")
    status, body = invoke_json("producer_api", event)

    assert status == 404


# --- jobs ----------------------------------------------------------------------------------------
@pytest.fixture
def small_chunks(printing: Shop, monkeypatch: pytest.MonkeyPatch) -> Shop:
    """Jobs from 40 labels up, in chunks of 100 labels (the real limits are 2,000 / 5,000)."""
    monkeypatch.setattr(print_jobs, "INLINE_MAX_LABELS", 40)
    monkeypatch.setenv("OCOP_PRINT_CHUNK_LABELS", "100")
    get_settings.cache_clear()
    return printing


def start(shop: Shop, **body: Any) -> dict[str, Any]:
    status, job = invoke_json("producer_api", print_event(shop, **body))
    assert status == 202, job
    assert job["status"] == "queued"
    return job


def poll(shop: Shop, job_id: str) -> dict[str, Any]:
    status, job = invoke_json("producer_api", job_event(shop, job_id))
    assert status == 200, job
    return job


def test_given_more_labels_than_inline_when_asked_then_a_job_renders_chunks_and_links_one_complete_zip(
    small_chunks: Shop,
) -> None:
    job = start(small_chunks, format="svg_zip", first_serial=1, last_serial=350)
    assert (job["total_labels"], job["chunks_total"], job["labels_done"]) == (350, 4, 0)

    run_worker()
    done = poll(small_chunks, job["job_id"])

    assert done["status"] == "done"
    assert (done["labels_done"], done["chunks_done"], done["chunks_failed"]) == (350, 4, 0)
    assert "X-Amz-Signature" in done["download_url"]
    key = done["download_url"].split("?")[0].split(f"/{get_settings().print_bucket}/", 1)[1]
    archive = zipfile.ZipFile(io.BytesIO(print_store.get_bytes(key)))
    assert archive.testzip() is None
    assert archive.namelist() == [f"{s:07d}.svg" for s in range(1, 351)] + ["manifest.csv"]
    status, _, csv_body = small_chunks.csv(1, 350)
    assert archive.read("manifest.csv").decode() == csv_body


def test_given_a_pdf_job_when_done_then_the_zip_holds_whole_sheet_parts_whose_qrs_decode(small_chunks: Shop) -> None:
    job = start(small_chunks, format="pdf", preset="a4-24", first_serial=1, last_serial=150)
    run_worker()
    done = poll(small_chunks, job["job_id"])
    key = done["download_url"].split("?")[0].split(f"/{get_settings().print_bucket}/", 1)[1]
    archive = zipfile.ZipFile(io.BytesIO(print_store.get_bytes(key)))

    parts = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(parts) == done["chunks_total"] == 2  # chunks are whole sheets: 120 = 5 x 24
    decoded = [u for part in parts for page in pdf_pages(archive.read(part), dpi=200) for u in decode_all(page)]
    assert sorted(decoded) == sorted(csv_urls(small_chunks, 1, 150).values())


def test_given_a_chunk_that_fails_once_when_the_queue_redelivers_it_then_the_job_still_completes(
    small_chunks: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = print_jobs._write_entries
    failed: list[int] = []

    def flaky(spec: Any, writer: Any, first: int, last: int) -> int:
        if first == 101 and not failed:
            failed.append(first)
            raise OSError("disk hiccup")
        return real(spec, writer, first, last)

    monkeypatch.setattr(print_jobs, "_write_entries", flaky)
    job = start(small_chunks, format="svg_zip", first_serial=1, last_serial=300)
    handler = load_handler("label_worker").lambda_handler

    deliveries = jobs.drain(handler)
    done = poll(small_chunks, job["job_id"])

    assert deliveries == 4  # three chunks, one of them delivered twice
    assert (done["status"], done["labels_done"], done["chunks_failed"]) == ("done", 300, 0)


def test_given_a_worker_batch_with_a_failing_record_when_handled_then_only_that_record_is_reported(
    small_chunks: Shop,
) -> None:
    job = start(small_chunks, format="svg_zip", first_serial=1, last_serial=100)
    event = json.loads(json.dumps(sample("label-worker-sqs", JOB_ID=job["job_id"])))
    bad = json.loads(json.dumps(event["Records"][0]))
    bad["messageId"], bad["body"] = "bad-one", json.dumps({"job_id": job["job_id"], "chunk": 99})
    event["Records"].insert(0, bad)  # before the good one, which completes the job

    result = load_handler("label_worker").lambda_handler(event, FakeContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "bad-one"}]}
    assert poll(small_chunks, job["job_id"])["status"] == "done"


def test_given_a_chunk_that_always_fails_when_retries_run_out_then_the_job_says_failed_and_the_dlq_has_it(
    small_chunks: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: Any, writer: Any, first: int, last: int) -> int:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(print_jobs, "_write_entries", broken)
    job = start(small_chunks, format="png_zip", first_serial=1, last_serial=100)

    deliveries = run_worker()
    failed = poll(small_chunks, job["job_id"])

    assert deliveries == get_settings().print_max_receives == 3
    assert (failed["status"], failed["chunks_failed"]) == ("failed", 1)
    assert "download_url" not in failed
    dlq = print_store._client("sqs").receive_message(
        QueueUrl=get_settings().print_queue_url.replace("LabelJobsQueue", "LabelJobsDeadLetterQueue")
    )
    assert len(dlq.get("Messages", [])) == 1


def test_given_another_producers_job_when_polled_then_404(small_chunks: Shop) -> None:
    job = start(small_chunks, format="svg_zip", first_serial=1, last_serial=50)
    status, body = invoke_json("producer_api", job_event(small_chunks, job["job_id"], producer_id="tam-hoa"))

    assert status == 404
    assert body["error"]["message_vi"]


def test_given_make_dev_when_a_done_jobs_link_is_opened_then_the_local_server_serves_the_file(
    small_chunks: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from werkzeug.test import Client

    monkeypatch.setenv("OCOP_S3_PRESIGN_ENDPOINT", f"http://localhost{jobs.DOWNLOAD_PREFIX}")
    get_settings.cache_clear()
    job = start(small_chunks, format="svg_zip", first_serial=1, last_serial=60)
    run_worker()
    link = poll(small_chunks, job["job_id"])["download_url"]
    assert link.startswith(f"http://localhost{jobs.DOWNLOAD_PREFIX}/")
    gateway_calls: list[str] = []

    def gateway(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        gateway_calls.append(environ["PATH_INFO"])
        start_response("404 Not Found", [])
        return [b""]

    client = Client(jobs.with_downloads(gateway))
    response = client.get(link.removeprefix("http://localhost"))
    forged = client.get(link.removeprefix("http://localhost").split("?")[0])

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert len(zipfile.ZipFile(io.BytesIO(response.data)).namelist()) == 61
    assert forged.status_code == 403
    assert client.get("/batches/1").status_code == 404 and gateway_calls == ["/batches/1"]
