"""One stamp, one label URL (DESIGN.md, "Label URL", issue 13 kind 14), through the API: for a
product with a GTIN and one without, the URL in codes.csv is the URL in the printed QR, the
``label_url`` of the scan's JSON (by /v/ and by the Digital Link alike), and the path of the
stamp's EPCIS identifier. That no other module spells a stamp URL: tests/unit/test_label_urls.py."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from PIL import Image

from helpers.handlers import Shop, claims, http_event, invoke, invoke_json, sample, scan, with_body
from helpers.qr import decode_all
from integration.test_gs1_resolver import resolve
from integration.test_print_files import print_event
from ocop_local import backend
from ocop_stamps.core.settings import get_settings
from ocop_stamps.storage import printing as print_store

BASE = "https://tem.example.vn"
GTIN14 = "08930000000019"  # the sample product's GTIN-13, as GTIN-14
SMALL = 5  # a batch small enough that EPCIS lists its stamps one by one


@pytest.fixture
def printing(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    env = backend.create_print_resources()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    print_store.reset_clients()
    yield shop
    get_settings.cache_clear()
    print_store.reset_clients()


def _use_product(shop: Shop, *, gtin: bool) -> None:
    """The shop's product (sample: with a GTIN) or a new one without, with a small batch bound to a lot."""
    if not gtin:
        body = with_body(sample("admin-create-product"), producer_id=shop.producer_id, gtin=None, name="Không GTIN")
        status, product = invoke_json("admin_api", body)
        assert status == 201 and product.get("gtin") is None, product
        shop.product_id = product["product_id"]
        shop.lot = shop.new_lot("NO-GTIN-1")
    shop.batch_id = shop.issue(SMALL)["batch_id"]
    assert shop.activate(1, SMALL)[0] == 201


def _csv_url(shop: Shop, serial: int) -> tuple[str, str]:
    status, _, body = shop.csv(serial, serial)
    assert status == 200, body
    row = body.splitlines()[1].split(",")
    return row[1], row[2]


def _printed_url(shop: Shop, serial: int) -> str:
    event = print_event(shop, format="png_zip", first_serial=serial, last_serial=serial)
    status, _, body = invoke("producer_api", event)
    assert status == 200, body
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(body))) as archive:
        png = next(n for n in archive.namelist() if n.endswith(".png"))
        (url,) = decode_all(Image.open(io.BytesIO(archive.read(png))))
    return url


def _epcis_ids(shop: Shop) -> list[str]:
    path = f"/batches/{shop.batch_id}/epcis"
    event = http_event(
        "GET",
        path,
        route="/batches/{batch_id}/epcis",
        claims=claims("producer", shop.producer_id),
        path_parameters={"batch_id": shop.batch_id},
    )
    status, doc = invoke_json("producer_api", event)
    assert status == 200, doc
    return doc["epcisBody"]["eventList"][0]["epcList"]


@pytest.mark.parametrize("gtin", [True, False], ids=["with a GTIN", "without a GTIN"])
def test_given_a_stamp_then_csv_print_file_scan_json_and_epcis_carry_one_label_url(printing: Shop, gtin: bool):
    _use_product(printing, gtin=gtin)
    code, url = _csv_url(printing, 1)

    assert url == (f"{BASE}/01/{GTIN14}/21/{code}" if gtin else f"{BASE}/v/{code}")
    assert _printed_url(printing, 1) == url
    assert scan(code)[1]["label_url"] == url
    if gtin:  # reached through the Digital Link printed on the label: the same label URL
        status, _, body = resolve(f"/01/{GTIN14}/21/{code}", accept="application/json")
        assert status == 200 and json.loads(body)["label_url"] == url
    epc = _epcis_ids(printing)[0]
    assert epc == (url.replace(BASE, "https://id.gs1.org") if gtin else url)
