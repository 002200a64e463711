"""What a consumer's look-up and a lot's trace show (Circular 02/2024/TT-BKHCN, Decree
37/2026/NĐ-CP): product name and image, producer name and address, production stages with
place and time, production time, the traceability code, brand and serial, the expiry date
where there is one, the standards applied, and the origin of the goods (xuất xứ). A field
nobody recorded is left out, never shown empty; products stored before these fields read as before."""

from __future__ import annotations

from typing import Any

from helpers.handlers import Shop, claims, http_event, invoke_json, sample, scan, with_body
from ocop_stamps.scanning import verification
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage.models import ProductItem

LOOKUP_FIELDS = {
    "brand": "Hoan Hoa",
    "image_url": "https://img.example.vn/cao-ngua-bach.jpg",
    "made_in": {"country": "VN", "place": "Thái Nguyên"},
    "standards": ["TCCS 01:2025/HOANHOA", "TCVN 12850:2019"],
}
STEP = {
    "step": "Đóng gói",
    "who": "Hoan Hoa",
    "place": {"commune": "Xã Kha Sơn", "province": "Thái Nguyên"},
    "when": "2026-11-01T08:00:00+07:00",
}


def _product(shop: Shop, **fields: Any) -> tuple[int, Any]:
    # the sample's GTIN is the shop's first product's: a GTIN names one product
    body = {"producer_id": shop.producer_id, "name": "Trà Tân Cương Hoan Hoa", "group": "beverage", "gtin": None}
    body |= fields
    return invoke_json("admin_api", with_body(sample("admin-create-product"), **body))


def _lot_of(shop: Shop, product_id: str, lot_code: str, **fields: Any) -> dict[str, Any]:
    event = with_body(shop.event("producer-create-lot"), product_id=product_id, lot_code=lot_code, **fields)
    status, lot = invoke_json("producer_api", event)
    assert status == 201, lot
    return lot


def _issue_and_scan(shop: Shop, product_id: str, lot_id: str, *, html: bool) -> Any:
    event = with_body(shop.event("producer-issue-batch"), product_id=product_id, size=5)
    del event["headers"]["idempotency-key"]
    status, batch = invoke_json("producer_api", event)
    assert status == 201, batch
    assert shop.activate(1, 5, lot_id=lot_id, batch_id=batch["batch_id"])[0] == 201
    status, answer = scan(shop.codes(1, 1, batch_id=batch["batch_id"])[0], html=html)
    assert status == 200
    return answer


def _trace(shop: Shop, lot_id: str) -> dict[str, Any]:
    event = http_event(
        "GET",
        f"/lots/{lot_id}/trace",
        route="/lots/{lot_id}/trace",
        claims=claims("producer", shop.producer_id),
        path_parameters={"lot_id": lot_id},
    )
    status, trace = invoke_json("producer_api", event)
    assert status == 200, trace
    return dict(trace)


def test_given_a_product_with_origin_standards_brand_and_image_when_its_stamp_is_scanned_then_the_page_shows_each(
    shop: Shop,
):
    status, product = _product(shop, **LOOKUP_FIELDS)
    assert status == 201, product
    assert product["made_in"]["name"] == {"vi": "Thái Nguyên, Việt Nam", "en": "Thái Nguyên, Vietnam"}
    lot = _lot_of(shop, product["product_id"], "TC-2026-11", standards=["TCVN 12850:2019", "VietGAP 2024"])
    lot = _lot_of(shop, product["product_id"], "TC-2026-12", process_steps=[STEP], standards=["TCVN 12850:2019"])

    page = _issue_and_scan(shop, product["product_id"], lot["lot_id"], html=True)

    for shown in (
        "Xuất xứ</dt><dd>Thái Nguyên, Việt Nam",
        "Nhãn hiệu</dt><dd>Hoan Hoa",
        "Tiêu chuẩn áp dụng</dt><dd>TCCS 01:2025/HOANHOA, TCVN 12850:2019",
        'src="https://img.example.vn/cao-ngua-bach.jpg"',
        "Đóng gói",  # the production stage, its time and its commune
        "08:00, 01/11/2026",
        "Xã Kha Sơn, Tỉnh Thái Nguyên",
        "Mã lô</dt><dd>TC-2026-12",
        "Nghị định 37/2026/NĐ-CP",  # the footer cites the rules the page follows
    ):
        assert shown in page, shown
    assert page.count("TCVN 12850:2019") == 1  # the lot's standard is the product's: listed once
    verification.reset_cache()
    english = _issue_and_scan(shop, product["product_id"], lot["lot_id"], html=False)
    assert english["product"]["made_in"]["name"]["en"] == "Thái Nguyên, Vietnam"
    assert english["product"]["standards"] == LOOKUP_FIELDS["standards"]


def test_given_a_lot_when_its_trace_is_read_then_every_field_of_the_lookup_is_in_it(shop: Shop):
    status, product = _product(shop, **LOOKUP_FIELDS)
    assert status == 201, product
    lot = _lot_of(shop, product["product_id"], "TC-2026-11", expiry_date="2027-11-01", process_steps=[STEP])

    trace = _trace(shop, lot["lot_id"])

    assert (
        trace["what"]["name"] == "Trà Tân Cương Hoan Hoa" and trace["what"]["image_url"] == LOOKUP_FIELDS["image_url"]
    )
    assert trace["what"]["brand"] == "Hoan Hoa" and trace["what"]["standards"] == LOOKUP_FIELDS["standards"]
    assert trace["what"]["made_in"]["country"] == "VN"
    assert trace["who"]["name"] and trace["who"]["address"]["commune"] == "Xã Kha Sơn"
    assert trace["lot"]["lot_code"] == "TC-2026-11" and trace["lot"]["production_date"] == "2026-11-01"
    assert trace["lot"]["shelf_life_days"] == 365
    (step,) = trace["one_step_back"]["process_steps"]
    assert step["place"]["commune_code"] and step["when"].startswith("2026-11-01")


def test_given_a_handicraft_lot_without_expiry_when_its_trace_is_read_then_no_empty_expiry_or_shelf_life(shop: Shop):
    status, product = _product(shop, group="handicraft", name="Chổi chít Hoan Hoa")
    assert status == 201, product
    body = {"product_id": product["product_id"], "lot_code": "CC-01", "expiry_date": None}
    event = with_body(shop.event("producer-create-lot"), **body)
    event["body"] = event["body"].replace(', "expiry_date": null', "")
    status, lot = invoke_json("producer_api", event)
    assert status == 201, lot

    trace = _trace(shop, lot["lot_id"])

    assert "expiry_date" not in trace["lot"] and "shelf_life_days" not in trace["lot"]


def test_given_a_product_stored_before_the_lookup_fields_then_its_page_and_trace_read_without_them(shop: Shop):
    item = ProductItem.get(table_keys.product_key(shop.product_id), table_keys.PROFILE)
    assert item.made_in is None and not item.standards  # the shop's product is stored the old way
    shop.activate(1, 1)

    status, page = scan(shop.codes(1, 1)[0], html=True)

    assert status == 200 and "Cao ngựa bạch Hoan Hoa" in page
    assert "Xuất xứ" not in page and "<dd></dd>" not in page
    assert _trace(shop, shop.lot["lot_id"])["what"]["made_in"] is None


def test_given_an_origin_country_the_catalogue_does_not_name_then_422_in_both_languages(shop: Shop):
    status, answer = _product(shop, made_in={"country": "XX"})

    assert status == 422, answer
    error = answer["error"]
    assert "made_in.country" in error["message"] and "`VN`" in error["message_vi"]
    assert "xuất xứ" in error["message_vi"]


def test_given_standards_with_markup_then_the_page_shows_them_as_text(shop: Shop):
    status, product = _product(shop, standards=["<b>TCCS</b> 01"], made_in={"country": "VN", "place": "<i>x</i>"})
    assert status == 201, product
    lot = _lot_of(shop, product["product_id"], "TC-2026-11")

    page = _issue_and_scan(shop, product["product_id"], lot["lot_id"], html=True)

    assert "<b>" not in page and "&lt;b&gt;TCCS&lt;/b&gt; 01" in page
    assert "<i>" not in page and "&lt;i&gt;x&lt;/i&gt;, Việt Nam" in page
