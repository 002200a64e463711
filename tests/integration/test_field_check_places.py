"""Where a field check was (issue 12): like every other address, by the check's own date. A
check dated before 1 July 2025 keeps the place as the inspector's papers of then say, with
today's province and commune beside it; from that day, today's units, checked, and no district."""

from __future__ import annotations

from typing import Any

from helpers.epcis import validation_errors
from helpers.handlers import Shop, http_event, inspector, invoke_json


def _check(shop: Shop, who: dict[str, Any] | None = None, **fields: Any) -> tuple[int, Any]:
    body = {"lot_id": shop.lot["lot_id"], "place": "Chợ phiên Đồng Văn", "result": "pass", **fields}
    event = http_event("POST", "/field-checks", route="/field-checks", claims=who or inspector(), body=body)
    return invoke_json("inspector_api", event)


def _checks_in_history(shop: Shop) -> list[dict[str, Any]]:
    event = http_event(
        "GET",
        f"/lots/{shop.lot['lot_id']}/epcis",
        route="/lots/{lot_id}/epcis",
        claims=inspector(),
        path_parameters={"lot_id": shop.lot["lot_id"]},
    )
    status, doc = invoke_json("producer_api", event)
    assert status == 200 and validation_errors(doc) == []
    return [e for e in doc["epcisBody"]["eventList"] if e.get("ocop:fieldCheck")]


def _lot_of_2025(shop: Shop) -> None:
    """The shop's lot becomes one made before the merger: a check of then is of a lot that existed."""
    shop.lot = shop.new_lot(
        "HH-2025-04",
        production_date="2025-04-01",
        expiry_date="2027-04-01",
        origin={"commune": "Xã Dương Thành", "district": "Huyện Phú Bình", "province": "Thái Nguyên"},
    )


def test_given_a_check_dated_before_the_merger_then_its_place_is_kept_as_entered_with_todays_units_beside_it(
    shop: Shop,
):
    _lot_of_2025(shop)
    entered = {"province": "Hà Giang", "district": "Huyện Đồng Văn", "commune": "Xã Lũng Cú"}

    # recorded by an inspector of today's Tuyên Quang, which Hà Giang is part of
    status, made = _check(shop, inspector("08"), date="2025-05-10", **entered)

    assert status == 201, made
    (check,) = _checks_in_history(shop)
    assert check["ocop:province"] == "Hà Giang"  # what the papers of then say, not today's code
    address = check["ocop:address"]
    assert {k: address[k] for k in entered} == entered
    assert address["current"] == {
        "province_code": "08",
        "province": "Tỉnh Tuyên Quang",
        "commune_code": "00715",
        "commune": "Xã Lũng Cú",
    }
    assert check["ocop:provinceName"] == "Tỉnh Tuyên Quang"


def test_given_a_check_dated_before_the_merger_under_an_old_iso_code_then_the_code_is_kept_too(shop: Shop):
    _lot_of_2025(shop)
    status, made = _check(shop, date="2025-06-30", province="VN-03")

    assert status == 201, made
    (check,) = _checks_in_history(shop)
    assert check["ocop:province"] == "VN-03" and check["ocop:address"]["current"]["province_code"] == "08"


def test_given_a_check_dated_today_with_a_commune_then_it_is_stored_under_todays_names_and_codes(shop: Shop):
    status, made = _check(shop, date="2026-11-20", province="Hà Nội", commune="hoan kiem")

    assert status == 201, made
    (check,) = _checks_in_history(shop)
    assert check["ocop:province"] == "01"
    assert check["ocop:address"] == {
        "province": "Thành phố Hà Nội",
        "province_code": "01",
        "commune": "Phường Hoàn Kiếm",
        "commune_code": "00070",
    }


def test_given_a_check_dated_today_with_only_a_province_then_todays_province_is_its_address(shop: Shop):
    status, made = _check(shop, date="2026-11-20", province="VN-03")  # an old code: read as today's province

    assert status == 201, made
    (check,) = _checks_in_history(shop)
    assert check["ocop:province"] == "08"
    assert check["ocop:address"] == {"province": "Tỉnh Tuyên Quang", "province_code": "08"}


def test_given_a_check_dated_today_with_a_district_then_400_says_districts_are_gone_and_names_the_commune_field(
    shop: Shop,
):
    status, answer = _check(shop, date="2026-11-20", province="Hà Nội", district="Quận Hoàn Kiếm")

    assert status == 400, answer
    error = answer["error"]
    assert error["details"][0]["field"] == "district"
    assert "không còn cấp huyện" in error["message_vi"] and "`commune`" in error["message_vi"]
    assert "districts no longer exist" in error["message"]
    assert _checks_in_history(shop) == []


def test_given_a_check_dated_today_in_a_commune_of_another_province_then_400_and_nothing_recorded(shop: Shop):
    status, answer = _check(shop, date="2026-11-20", province="Hà Nội", commune="Xã Kha Sơn")

    assert status == 400, answer
    assert answer["error"]["details"][0]["field"] == "commune"
    assert _checks_in_history(shop) == []


def test_given_a_check_dated_before_the_lot_was_made_then_400_naming_the_production_day_and_nothing_recorded(
    shop: Shop,
):
    status, answer = _check(shop, date="2026-10-31", province="Thái Nguyên")  # the lot is of 01/11/2026

    assert status == 400, answer
    assert answer["error"]["details"] == [{"field": "date", "problem": "before the lot's production date"}]
    assert "01/11/2026" in answer["error"]["message_vi"] and "`date`" in answer["error"]["message_vi"]
    assert _checks_in_history(shop) == []


def test_given_a_check_entered_days_after_it_was_made_then_its_record_time_is_when_it_was_entered(shop: Shop):
    import datetime as dt

    from ocop_stamps.core.vocabulary import VN_TZ

    made = shop.lot["production_date"]  # a day before today: the check is entered later
    status, answer = _check(shop, date=made, province="Thái Nguyên")

    assert status == 201, answer
    (check,) = _checks_in_history(shop)
    assert check["eventTime"].startswith(f"{made}T12:00:00")
    recorded = dt.datetime.fromisoformat(check["recordTime"])
    assert abs(recorded - dt.datetime.now(VN_TZ)) < dt.timedelta(minutes=5)
