"""Producer and admin text is data (issue 13): invisible and reordering characters are
removed and every text is NFC before it is stored, so the consumer page and the labels show
what the producer meant; a name that reads like a label template prints as written. Text
stored decomposed before that boundary existed is read back composed (issue 11, fault 5)."""

from __future__ import annotations

import base64
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import boto3
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from helpers.handlers import (
    Shop,
    as_producer,
    claims,
    for_batch,
    http_event,
    invoke,
    invoke_json,
    sample,
    scan,
    with_body,
)
from ocop_local import backend
from ocop_stamps.codes.scheme import group
from ocop_stamps.core.settings import get_settings
from ocop_stamps.printing import qr, render, sheets
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage import printing as print_store

RLO, PDF_MARK, ZWSP, ZWJ, WJ, BOM = "\u202e", "\u202c", "\u200b", "\u200d", "\u2060", "\ufeff"
INVISIBLE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u200e\u200f")


def _product_body(shop: Shop, **fields: Any) -> dict[str, Any]:
    body = json.loads(sample("admin-create-product")["body"])
    body.pop("gtin")  # the sample's GTIN belongs to the shop's first product
    return {**body, "producer_id": shop.producer_id, **fields}


def register_product(shop: Shop, **fields: Any) -> tuple[int, Any]:
    event = sample("admin-create-product")
    event["body"] = json.dumps(_product_body(shop, **fields), ensure_ascii=False)
    return invoke_json("admin_api", event)


def stamped(shop: Shop, name: str) -> tuple[dict[str, Any], str]:
    """A product called ``name`` with a lot and an activated batch of 20; (product, first code)."""
    status, product = register_product(shop, name=name)
    assert status == 201, product
    shop.product_id = product["product_id"]
    shop.lot = shop.new_lot("NAMED-1")
    shop.batch = shop.issue(20)
    shop.batch_id = shop.batch["batch_id"]
    assert shop.activate(1, 20)[0] == 201
    return product, shop.codes(1, 1)[0]


# --- 13. invisible and reordering characters ----------------------------------------------------------
def test_given_a_product_name_with_a_right_to_left_override_then_the_page_shows_it_in_its_real_order(shop: Shop):
    # "Cao ngựa bạch" + RLO + "aoH naoH": shown reversed, it would read "Hoan Hoa"
    product, code = stamped(shop, f"Cao ngựa bạch {RLO}aoH naoH{PDF_MARK}")

    status, page = scan(code, html=True)

    assert product["name"] == "Cao ngựa bạch aoH naoH"
    assert status == 200 and "Cao ngựa bạch aoH naoH" in page
    assert not INVISIBLE & set(page)


def test_given_a_product_name_with_zero_width_characters_then_it_is_stored_without_them(shop: Shop):
    status, product = register_product(shop, name=f"{BOM}Trà{ZWSP} Tân{ZWJ} Cương{WJ}", brand="Tân\u00adCương")

    assert status == 201, product
    assert product["name"] == "Trà Tân Cương" and product["brand"] == "TânCương"


def test_given_a_decomposed_vietnamese_name_pasted_from_a_mac_then_it_is_stored_and_shown_composed(shop: Shop):
    name = "Cao ngựa bạch Hoàng Văn Hoan"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name

    product, code = stamped(shop, decomposed)
    _, verdict = scan(code)

    assert product["name"] == name and unicodedata.is_normalized("NFC", product["name"])
    assert verdict["product"]["name"] == name


def test_given_invisible_characters_in_nested_fields_and_lists_then_every_text_is_cleaned(shop: Shop):
    step = unicodedata.normalize("NFD", "Sấy khô")
    lot = shop.new_lot(
        "NESTED-1",
        certifications=[f"Viet{ZWSP}GAP", f"{RLO}PAHGV"],
        origin={
            "province": f"Thái{BOM} Nguyên",
            "commune": unicodedata.normalize("NFD", f"Xã Tân{ZWSP} Cương"),
            "area_name": unicodedata.normalize("NFD", "Đồi chè"),
        },
        process_steps=[{"step": step, "when": "2026-10-01", "who": f"Hợp tác xã{ZWJ}"}],
    )

    assert sorted(lot["certifications"]) == ["PAHGV", "VietGAP"]
    assert lot["origin"]["province"] == "Tỉnh Thái Nguyên" and lot["origin"]["commune"] == "Xã Tân Cương"
    assert lot["origin"]["area_name"] == "Đồi chè"
    assert lot["process_steps"][0]["step"] == "Sấy khô" and lot["process_steps"][0]["who"] == "Hợp tác xã"


def test_given_a_name_made_only_of_invisible_and_control_characters_then_422_names_the_field(shop: Shop):
    status, body = register_product(shop, name=f"{ZWSP}{RLO}\x07{BOM}")

    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["name"]
    assert body["error"]["message_vi"]


def test_given_a_name_of_characters_that_show_as_nothing_but_are_not_format_characters_then_422(shop: Shop):
    # Hangul fillers, the blank Braille pattern, the combining grapheme joiner, a variation
    # selector: letters or marks to Unicode, blank on a page
    status, body = register_product(shop, name="\u3164\u2800\u034f\u115f\uffa0\ufe0f")

    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["name"]


def test_given_those_characters_inside_a_name_then_the_name_is_stored_without_them(shop: Shop):
    status, body = register_product(shop, name="Trà\u3164 Tân\u2800 Cương\u034f")

    assert status == 201, body
    assert body["name"] == "Trà Tân Cương"


def test_given_control_characters_in_a_recall_message_then_removed_and_line_breaks_kept(shop: Shop):
    shop.activate(1, 10)
    event = http_event(
        "POST",
        f"/lots/{shop.lot['lot_id']}/recall",
        route="/lots/{lot_id}/recall",
        body={"reason": "Mẫu\x00 không đạt\x1b[31m", "message_vi": "Ngừng\tsử dụng.\nLiên hệ cơ sở."},
        claims=claims("producer", shop.producer_id),
        path_parameters={"lot_id": shop.lot["lot_id"]},
    )

    status, answer = invoke_json("producer_api", event)
    _, verdict = scan(shop.codes(1, 1)[0])

    assert status == 201, answer
    assert verdict["recall"]["message"] == "Ngừng\tsử dụng.\nLiên hệ cơ sở."


# --- 12. producer text on labels is never a template ----------------------------------------------------
PLACEHOLDER_NAME = "Trà {URL} {CODE} {0} %s"


@pytest.fixture
def printing_shop(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """The shop with the print bucket and queues in moto."""
    for key, value in backend.create_print_resources().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    print_store.reset_clients()
    yield shop
    get_settings.cache_clear()
    print_store.reset_clients()


@pytest.fixture
def placeholder_shop(printing_shop: Shop) -> Shop:
    """A product named like a label template, its batch activated, ready to print."""
    stamped(printing_shop, PLACEHOLDER_NAME)
    return printing_shop


def print_files(shop: Shop, **body: Any) -> bytes:
    event = for_batch(as_producer(sample("producer-print-files"), shop.producer_id), shop.batch_id)
    event["rawPath"] = event["rawPath"].replace("/codes.csv", "")
    status, _, answer = invoke("producer_api", with_body(event, **body))
    assert status == 200, answer
    return base64.b64decode(answer)


def test_given_a_name_with_placeholders_when_svg_labels_are_printed_then_the_name_appears_as_written(
    placeholder_shop: Shop,
):
    archive = zipfile.ZipFile(
        io.BytesIO(print_files(placeholder_shop, format="svg_zip", preset="a4-24", first_serial=1, last_serial=2))
    )
    svg = archive.read("0000001.svg").decode()
    url, code = archive.read("manifest.csv").decode().splitlines()[1].split(",")[2:0:-1]
    root = ElementTree.fromstring(svg.encode())
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]

    assert texts[0] == group(code)  # the code, then the name's lines
    assert " ".join(texts[1:-1] if texts[-1] == "OCOP" else texts[1:]) == PLACEHOLDER_NAME
    assert root.find("{http://www.w3.org/2000/svg}title").text == url and svg.count(url) == 1


def test_given_a_name_with_placeholders_when_a_pdf_sheet_is_printed_then_its_text_is_the_name_as_written(
    placeholder_shop: Shop,
):
    pdf = pdfium.PdfDocument(print_files(placeholder_shop, format="pdf", preset="a4-24", first_serial=1, last_serial=2))
    text = pdf[0].get_textpage().get_text_range().replace("\r\n", " ").replace("\n", " ")

    assert text.count("{URL}") == 2 and text.count("{CODE}") == 2  # once on each of the two labels
    assert "https://" not in text


def test_given_a_name_with_placeholders_when_png_labels_are_printed_then_every_label_draws_the_same_name(
    placeholder_shop: Shop,
):
    archive = zipfile.ZipFile(
        io.BytesIO(print_files(placeholder_shop, format="png_zip", preset="a4-24", first_serial=1, last_serial=2))
    )
    first, second = (np.asarray(Image.open(io.BytesIO(archive.read(f"{s:07d}.png")))) for s in (1, 2))
    url = archive.read("manifest.csv").decode().splitlines()[1].split(",")[2]
    sheet = sheets.PRESETS["a4-24"]
    layout = sheets.label_layout(sheet.label_w, sheet.label_h, qr.encode_urls([url], "M")[0].size)
    px = 300 / 25.4
    top, left = round(layout.text.y * px), round(layout.text.x * px)
    bottom, right = round((layout.text.y + layout.text.h) * px), round((layout.text.x + layout.text.w) * px)

    name_first, name_second = first[top:bottom, left:right], second[top:bottom, left:right]
    assert (name_first < 128).any()  # the name is drawn
    assert np.array_equal(name_first, name_second)  # and not filled with each label's URL or code


def test_given_a_name_with_placeholders_when_rendered_directly_then_svg_and_pdf_show_it_literally(aws: None):
    stamps = render.Stamps([1], ["1ABCDEFGHJKMNPQ"], ["https://tem.example.vn/v/1ABCDEFGHJKMNPQ"])
    info = render.LabelText("{URL}{CODE}", 4)
    sheet = sheets.PRESETS["a4-24"]

    ((_, svg),) = list(render.iter_svg([stamps], sheet, info))
    out = io.BytesIO()
    render.write_pdf(out, [stamps], sheet, info)
    text = pdfium.PdfDocument(out.getvalue())[0].get_textpage().get_text_range()

    assert "{URL}{CODE}" in svg.decode() and "{URL}{CODE}" in text


# --- 11.5 text stored decomposed before the boundary normalised it ---------------------------------------
STORED_NAME = "Chè Shan tuyết Suối Giàng đặc biệt"


def store_as_is(pk: str, **fields: Any) -> None:
    """Write ``fields`` into the catalog item ``pk`` exactly as given (no API, no normalising),
    as a record saved before every text was normalised at the boundary would be."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    boto3.resource("dynamodb", region_name="ap-southeast-1").Table(get_settings().catalog_table).update_item(
        Key={"pk": pk, "sk": table_keys.PROFILE},
        UpdateExpression="SET " + ", ".join(f"{n} = {v}" for n, v in zip(names, values, strict=True)),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text
    return decomposed


def test_given_names_stored_decomposed_then_the_consumer_page_and_its_json_show_them_composed(shop: Shop):
    product, code = stamped(shop, STORED_NAME)
    store_as_is(table_keys.product_key(product["product_id"]), name=nfd(STORED_NAME))
    store_as_is(table_keys.producer_key(shop.producer_id), name=nfd("Hợp tác xã chè Suối Giàng"))
    store_as_is(
        table_keys.lot_key(shop.lot["lot_id"]),
        origin={**shop.lot["origin"], "area_name": nfd("Đồi chè cổ thụ")},
    )

    _, verdict = scan(code)
    status, page = scan(code, html=True)

    assert verdict["product"]["name"] == STORED_NAME
    assert verdict["producer"]["name"] == "Hợp tác xã chè Suối Giàng"
    assert status == 200 and STORED_NAME in page and "Đồi chè cổ thụ" in page
    assert unicodedata.is_normalized("NFC", page) and unicodedata.is_normalized("NFC", json.dumps(verdict))


def test_given_a_name_stored_decomposed_when_labels_are_printed_then_they_are_the_labels_of_the_composed_name(
    printing_shop: Shop,
):
    product, _ = stamped(printing_shop, STORED_NAME)
    composed = print_files(printing_shop, format="png_zip", preset="a4-24", first_serial=1, last_serial=1)

    store_as_is(table_keys.product_key(product["product_id"]), name=nfd(STORED_NAME))
    decomposed = print_files(printing_shop, format="png_zip", preset="a4-24", first_serial=1, last_serial=1)
    pdf = pdfium.PdfDocument(print_files(printing_shop, format="pdf", preset="a4-24", first_serial=1, last_serial=1))
    text = pdf[0].get_textpage().get_text_range().replace("\r\n", " ").replace("\n", " ")

    def label(archive: bytes) -> Any:
        return np.asarray(Image.open(io.BytesIO(zipfile.ZipFile(io.BytesIO(archive)).read("0000001.png"))))

    assert np.array_equal(label(composed), label(decomposed))  # the marks sit on their letters, as composed
    assert "Suối Giàng" in text and unicodedata.is_normalized("NFC", text)
