"""Addresses through the API (issue 12): checked against today's units for records from 1 July
2025, kept as entered (with today's units beside them) for older ones, on the API, the lot's
trace and the consumer's page."""

from __future__ import annotations

from typing import Any

from helpers.handlers import Shop, claims, http_event, invoke_json, sample, scan, with_body
from ocop_stamps.migration import runner
from ocop_stamps.scanning import verification
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage.models import ProducerItem

OLD_PLACE = {"commune": "Xã Dương Thành", "district": "Huyện Phú Bình", "province": "Thái Nguyên"}
OLD_ORIGIN = {"area_name": "Trang trại ngựa bạch Xóm Phẩm", **OLD_PLACE}


def _producer(**address: str) -> tuple[int, Any]:
    event = with_body(sample("admin-create-producer"), producer_id="tan-cuong", address=address)
    return invoke_json("admin_api", event)


def _lot(shop: Shop, lot_code: str, **fields: Any) -> tuple[int, Any]:
    return invoke_json("producer_api", with_body(shop.event("producer-create-lot"), lot_code=lot_code, **fields))


def _page_of_lot(shop: Shop, lot: dict[str, Any], first: int) -> str:
    shop.activate(first, first, lot_id=lot["lot_id"])
    status, page = scan(shop.codes(first, first)[0], html=True)
    assert status == 200
    return str(page)


def test_given_a_producer_registered_today_with_a_thai_nguyen_commune_under_its_current_name_then_it_is_stored_with_codes(
    aws,
):
    status, body = _producer(hamlet="Xóm Đồi", commune="tan cuong", province="Thái Nguyên")

    assert status == 201, body
    assert body["address"] == {
        "hamlet": "Xóm Đồi",
        "commune": "Xã Tân Cương",
        "commune_code": "05503",
        "province": "Tỉnh Thái Nguyên",
        "province_code": "19",
    }


def test_given_a_producer_registered_today_with_a_district_then_400_says_districts_no_longer_exist_and_names_the_commune_field(
    aws,
):
    status, body = _producer(commune="Xã Tân Cương", district="Thành phố Thái Nguyên", province="Thái Nguyên")

    assert status == 400
    error = body["error"]
    assert error["code"] == "invalid_address"
    assert "districts no longer exist since 1 July 2025" in error["message"]
    assert "address.commune" in error["message"] and "address.commune" in error["message_vi"]
    assert "không còn cấp huyện" in error["message_vi"]
    assert error["details"] == [{"field": "address.district", "problem": "districts no longer exist since 1 July 2025"}]


def test_given_a_lot_made_today_whose_step_names_a_district_then_400_names_that_steps_place(shop: Shop):
    place = {"commune": "Xã Kha Sơn", "district": "Huyện Phú Bình", "province": "Thái Nguyên"}
    status, body = _lot(shop, "STEP-1", process_steps=[{"step": "Sấy", "when": "2026-10-25", "place": place}])

    assert status == 400
    assert body["error"]["details"][0]["field"] == "process_steps.0.place.district"


def test_given_a_lot_produced_before_july_2025_then_its_origin_is_kept_as_entered_and_shows_the_current_unit_too(
    shop: Shop,
):
    status, lot = _lot(
        shop,
        "HH-2025-05",
        production_date="2025-05-20",
        expiry_date="2027-05-20",
        origin={**OLD_ORIGIN, "harvest_date": "2025-05-10"},
        process_steps=[{"step": "Đóng gói", "when": "2025-05-20", "place": OLD_PLACE}],
    )

    assert status == 201, lot
    origin = lot["origin"]
    assert {k: origin[k] for k in OLD_ORIGIN} == OLD_ORIGIN
    assert origin["current"] == {
        "province_code": "19",
        "province": "Tỉnh Thái Nguyên",
        "commune_code": "05953",
        "commune": "Xã Kha Sơn",
    }
    status, trace = _trace(shop, lot["lot_id"])
    assert status == 200, trace
    assert trace["one_step_back"]["raw_material_origin"]["current"]["commune"] == "Xã Kha Sơn"

    assert lot["process_steps"][0]["place"]["current"]["commune_code"] == "05953"
    page = _page_of_lot(shop, lot, 900)
    assert "Xã Dương Thành, Huyện Phú Bình, Thái Nguyên (nay là Xã Kha Sơn, Tỉnh Thái Nguyên)" in page


def test_given_a_lot_before_july_2025_from_a_commune_later_split_then_the_candidates_are_shown_not_guessed(
    shop: Shop,
):
    origin = {"commune": "Xã Đại Dực", "district": "Huyện Tiên Yên", "province": "Quảng Ninh"}
    status, lot = _lot(shop, "DD-2024", production_date="2024-11-02", expiry_date="2026-12-30", origin=origin)

    assert status == 201, lot
    assert lot["origin"]["current"]["split"] is True
    assert [c["name"] for c in lot["origin"]["current"]["candidates"]] == ["Xã Tiên Yên", "Xã Đông Ngũ"]
    assert "commune_code" not in lot["origin"]["current"]
    page = _page_of_lot(shop, lot, 901)
    assert "(nay thuộc Xã Tiên Yên hoặc Xã Đông Ngũ, Thành phố Quảng Ninh)" in page


def test_given_a_producer_stored_with_an_old_address_before_the_migration_then_reads_show_the_current_unit(
    shop: Shop,
):
    item = ProducerItem.get(table_keys.producer_key(shop.producer_id), table_keys.PROFILE)
    item.address = {
        "hamlet": "Xóm Phẩm 1",
        "commune": "Xã Dương Thành",
        "district": "Huyện Phú Bình",
        "province": "Thái Nguyên",
    }
    item.save()
    verification.reset_cache()
    shop.activate(1, 1)

    status, answer = scan(shop.codes(1, 1)[0])
    _, page = scan(shop.codes(1, 1)[0], html=True)

    assert status == 200
    assert answer["producer"]["address"]["district"] == "Huyện Phú Bình"  # as entered
    assert answer["producer"]["address"]["current"]["commune"] == "Xã Kha Sơn"
    assert "Huyện Phú Bình, Thái Nguyên (nay là Xã Kha Sơn, Tỉnh Thái Nguyên)" in page
    stored = ProducerItem.get(table_keys.producer_key(shop.producer_id), table_keys.PROFILE)
    assert "current" not in stored.address.as_dict()  # reading converts; only the migration writes


def test_given_a_producer_stored_with_an_old_address_when_the_migration_runs_then_it_gains_the_current_unit_once(
    shop: Shop,
):
    item = ProducerItem.get(table_keys.producer_key(shop.producer_id), table_keys.PROFILE)
    entered = {
        "hamlet": "Xóm Phẩm 1",
        "commune": "Xã Dương Thành",
        "district": "Huyện Phú Bình",
        "province": "Thái Nguyên",
    }
    item.address = entered
    item.save()

    first = runner.run()
    again = runner.run()

    stored = ProducerItem.get(table_keys.producer_key(shop.producer_id), table_keys.PROFILE).address.as_dict()
    assert first.changed.get("addresses-34-provinces-2025") == 1
    assert {k: stored[k] for k in entered} == entered  # what the documents of then say, kept
    assert stored["current"]["commune"] == "Xã Kha Sơn"
    assert again.written == 0


def _trace(shop: Shop, lot_id: str) -> tuple[int, Any]:
    event = http_event(
        "GET",
        f"/lots/{lot_id}/trace",
        route="/lots/{lot_id}/trace",
        claims=claims("producer", shop.producer_id),
        path_parameters={"lot_id": lot_id},
    )
    return invoke_json("producer_api", event)
