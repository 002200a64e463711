"""Admin registers producers and products; producers register lots."""

from __future__ import annotations

import pytest

from helpers.handlers import Shop, claims, invoke_json, rating, sample, with_body


def test_given_an_admin_when_registering_a_producer_then_it_is_stored_with_vietnamese_intact(aws):
    status, body = invoke_json("admin_api", sample("admin-create-producer"))
    assert status == 201
    assert body["producer_id"] == "hoan-hoa"
    assert body["name"] == "Cơ sở chế biến cao ngựa bạch Hoan Hoa"
    assert body["address"]["commune"] == "Xã Kha Sơn" and body["address"]["province"] == "Tỉnh Thái Nguyên"


def test_given_an_existing_producer_id_when_registering_again_then_409_and_the_first_is_kept(aws):
    invoke_json("admin_api", sample("admin-create-producer"))
    status, body = invoke_json("admin_api", with_body(sample("admin-create-producer"), name="Kẻ mạo danh"))
    assert status == 409
    assert body["error"]["code"] == "conflict"
    assert "hoan-hoa" in body["error"]["message"] and body["error"]["message_vi"]


def test_given_a_producer_token_when_registering_a_producer_then_403(aws):
    event = sample("admin-create-producer")
    event["requestContext"]["authorizer"]["jwt"]["claims"] = claims("producer", "hoan-hoa")
    status, body = invoke_json("admin_api", event)
    assert status == 403
    assert body["error"]["message_vi"].startswith("Chức năng này")


def test_given_no_token_claims_when_calling_the_admin_api_then_401(aws):
    event = sample("admin-create-producer")
    del event["requestContext"]["authorizer"]
    status, _body = invoke_json("admin_api", event)
    assert status == 401


def test_given_a_product_of_an_unregistered_producer_then_404_says_register_it_first(aws):
    status, body = invoke_json("admin_api", sample("admin-create-product"))
    assert status == 404
    assert "POST /producers" in body["error"]["message"]


def test_given_a_gtin_with_a_wrong_check_digit_then_422_names_the_right_digit(aws):
    invoke_json("admin_api", sample("admin-create-producer"))
    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), gtin="8930000000012"))
    assert status == 422
    assert body["error"]["details"][0]["field"] == "gtin"
    assert "should be 9" in body["error"]["details"][0]["problem"]


@pytest.mark.parametrize("gtin", [None, "8930000000019"], ids=["no-gtin", "gtin"])
def test_given_a_product_id_chosen_by_the_client_when_the_registration_is_retried_then_one_product_and_a_409(aws, gtin):
    invoke_json("admin_api", sample("admin-create-producer"))
    event = with_body(sample("admin-create-product"), product_id="prd_0123456789ab", gtin=gtin)

    first, made = invoke_json("admin_api", event)
    again, refused = invoke_json("admin_api", event)

    assert first == 201 and made["product_id"] == "prd_0123456789ab"
    assert again == 409 and refused["error"]["details"] == [{"field": "product_id", "problem": "already registered"}]
    assert "prd_0123456789ab" in refused["error"]["message"] and "Đã có sản phẩm" in refused["error"]["message_vi"]


@pytest.mark.parametrize("product_id", ["prd_ABCDEFGHJKMN", "hoan-hoa", "prd_0123", ""])
def test_given_a_product_id_not_in_the_services_form_then_422_at_product_id(aws, product_id):
    invoke_json("admin_api", sample("admin-create-producer"))
    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), product_id=product_id))
    assert status == 422
    assert body["error"]["details"][0]["field"] == "product_id"


def test_given_a_product_with_stars_out_of_range_or_a_future_decision_then_422(aws):
    invoke_json("admin_api", sample("admin-create-producer"))
    bad_stars = rating(stars=6, date="2024-01-01")
    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), ocop=bad_stars))
    assert status == 422 and body["error"]["details"][0]["field"] == "ocop.stars"
    future = rating(date="2099-01-01", level="province")
    status, body = invoke_json("admin_api", with_body(sample("admin-create-product"), ocop=future))
    assert status == 422 and "future" in body["error"]["details"][0]["problem"]


def test_given_a_rating_without_valid_until_then_it_runs_36_months_from_the_decision(aws):
    invoke_json("admin_api", sample("admin-create-producer"))
    status, body = invoke_json("admin_api", sample("admin-create-product"))
    assert status == 201
    assert body["ocop"]["valid_until"] == "2027-06-15"
    assert body["gtin"] == "08930000000019"


def test_given_malformed_json_then_422_in_the_error_shape(aws):
    event = sample("admin-create-producer")
    event["body"] = "{not json"
    status, body = invoke_json("admin_api", event)
    assert status == 422
    assert set(body["error"]) >= {"code", "message", "message_vi"}


def test_given_a_lot_whose_expiry_is_before_production_then_422_and_no_lot_exists(shop: Shop, ddb_calls):
    event = with_body(
        shop.event("producer-create-lot"), lot_code="BAD", production_date="2026-05-01", expiry_date="2026-04-01"
    )
    status, body = invoke_json("producer_api", event)
    assert status == 422
    assert "expiry_date must be after production_date" in body["error"]["details"][0]["problem"]
    assert body["error"]["message_vi"] == "Yêu cầu không hợp lệ: hạn sử dụng phải sau ngày sản xuất."
    assert not [op for _, op in ddb_calls if op in ("PutItem", "TransactWriteItems")]


@pytest.mark.parametrize("lot_code", ["..", ".", "A//B", "/A", "A/", "L1/21/X", "L1/10/X", "22/L1", "A/./B"])
def test_given_a_lot_code_a_digital_link_cannot_carry_then_422_naming_the_field_and_why(shop: Shop, lot_code: str):
    status, body = invoke_json("producer_api", with_body(shop.event("producer-create-lot"), lot_code=lot_code))

    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["lot_code"]
    assert "'21'" in body["error"]["message"] and "'..'" in body["error"]["message"]
    assert "mã lô phải đọc được trong đường dẫn GS1 Digital Link" in body["error"]["message_vi"]


@pytest.mark.parametrize("lot_code", ["L2026/11.A", "10", "HH.21-22", "A/B/C"])
def test_given_a_lot_code_with_a_slash_or_dots_that_a_link_carries_then_it_is_registered(shop: Shop, lot_code: str):
    status, body = invoke_json("producer_api", with_body(shop.event("producer-create-lot"), lot_code=lot_code))

    assert status == 201, body


def test_given_a_lot_code_already_used_by_this_producer_then_409(shop: Shop):
    event = shop.event("producer-create-lot")  # same lot code as the shop's first lot
    status, body = invoke_json("producer_api", event)
    assert status == 409
    assert "HH-2026-11" in body["error"]["message"]


def test_given_another_producers_product_when_registering_a_lot_then_404_and_nothing_is_written(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    event = shop.event("producer-create-lot")
    event["body"] = event["body"].replace(shop.product_id, other.product_id)
    status, body = invoke_json("producer_api", with_body(event, lot_code="STEAL"))
    assert status == 404
    assert "not one of your products" in body["error"]["message"]
