"""The OCOP rules in force (issue 12): Decision 148/QĐ-TTg groups, ratings whose decision and
certificate are apart and whose issuing level fits the stars and the date (Decisions 148/2023 and
1489/2025), tổ hợp tác, expiry only where a group has one, and the migration that brings records
stored under the old rules to today's shape without overwriting a concurrent change."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.handlers import (
    Shop,
    claims,
    for_batch,
    http_event,
    invoke_json,
    rating,
    sample,
    scan,
    with_body,
)


def rate(product_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    event = http_event(
        "POST",
        f"/products/{product_id}/ocop-rating",
        route="/products/{product_id}/ocop-rating",
        body=body,
        claims=claims("admin"),
        path_parameters={"product_id": product_id},
    )
    return invoke_json("admin_api", event)


def new_product(shop: Shop, **fields: Any) -> dict[str, Any]:
    status, product = invoke_json(
        "admin_api", with_body(sample("admin-create-product"), producer_id=shop.producer_id, gtin=None, **fields)
    )
    assert status == 201, product
    return dict(product)


def lot_body(shop: Shop, product_id: str, lot_code: str, **fields: Any) -> dict[str, Any]:
    event = with_body(shop.event("producer-create-lot"), product_id=product_id, lot_code=lot_code, **fields)
    body = json.loads(event["body"])
    for key in [k for k, v in fields.items() if v is None]:
        body.pop(key)
    event["body"] = json.dumps(body, ensure_ascii=False)
    return event


def stored_product(product_id: str, **attributes: Any) -> None:
    """Write attributes straight into the stored product, as a record made before this change would hold them."""
    from ocop_stamps.scanning import verification
    from ocop_stamps.storage import keys
    from ocop_stamps.storage.models import ProductItem

    item = ProductItem.get(keys.product_key(product_id), keys.PROFILE)
    for name, value in attributes.items():
        setattr(item, name, value)
    item.save()
    verification.reset_cache()


LEGACY_RATING = {
    "stars": 3,
    "certificate_no": "QĐ-88/QĐ-UBND",
    "issuing_body": "UBND tỉnh Cao Bằng",
    "decision_date": "2022-05-10",
    "valid_until": "2025-05-10",
}
"""A rating as stored before 2026: one flat map, the body as free text."""


# --- ratings -----------------------------------------------------------------------------------
def test_given_a_5_star_rating_decided_by_a_province_when_recorded_then_400_in_both_languages(shop: Shop):
    status, body = rate(
        shop.product_id, {"action": "record", "rating": rating(stars=5, date="2025-09-01", level="province")}
    )

    assert status == 400
    error = body["error"]
    assert error["code"] == "bad_request"
    assert "central level" in error["message"] and "Bộ Nông nghiệp và Môi trường" in error["message_vi"]
    assert "5 sao" in error["message_vi"] and "01/09/2025" in error["message_vi"]


def test_given_a_40_month_validity_when_recorded_then_400_saying_36_months(shop: Shop):
    too_long = rating(stars=4, date="2025-09-01", valid_until="2029-01-01")

    status, body = rate(shop.product_id, {"action": "record", "rating": too_long})

    assert status == 400
    assert "36 months" in body["error"]["message"]
    assert "36 tháng" in body["error"]["message_vi"] and "01/09/2028" in body["error"]["message_vi"]


@pytest.mark.parametrize(
    ("date", "accepted"),
    [("2024-05-10", True), ("2025-07-10", False)],
)
def test_given_a_3_star_rating_by_a_district_then_accepted_only_before_the_2025_amendment(
    shop: Shop, date: str, accepted: bool
):
    district = rating(stars=3, date=date, level="district", body="UBND huyện Phú Bình")

    status, body = rate(shop.product_id, {"action": "record", "rating": district})

    if accepted:
        assert status == 201, body
        assert body["ocop"]["decision"]["issuing_level"] == "district"
    else:
        assert status == 400
        assert "Quyết định 1489/QĐ-TTg" in body["error"]["message_vi"]
        assert (
            "phải do Ủy ban nhân dân cấp tỉnh công nhận, không phải Ủy ban nhân dân cấp huyện"
            in body["error"]["message_vi"]
        )


def test_given_a_rating_then_decision_and_certificate_are_kept_apart_and_a_renewal_is_called_so(shop: Shop):
    status, first = rate(shop.product_id, {"action": "record", "rating": rating(stars=4, date="2025-08-01")})
    assert status == 201, first
    assert first["ocop"]["decision"] == {
        "number": "42025/QĐ-UBND",
        "date": "2025-08-01",
        "issuing_level": "province",
        "issuing_body": "UBND tỉnh Thái Nguyên",
    }
    assert first["ocop"]["certificate"] == {"number": "GCN-4-2025-08-01"}
    assert first["ocop"]["valid_until"] == "2028-08-01"  # 36 months by default

    status, renewed = rate(shop.product_id, {"action": "renew", "rating": rating(stars=4, date="2025-10-01")})
    assert status == 201 and renewed["ocop"]["action"] == "renew"
    shop.activate(1, 5)
    _, page = scan(shop.codes(1, 1)[0], html=True)
    assert "(công nhận lại)" in page
    assert "Số giấy chứng nhận" in page and "GCN-4-2025-10-01" in page


def test_given_a_5_star_rating_by_the_central_level_without_a_body_then_the_ministry_of_that_day_is_named(shop: Shop):
    status, body = rate(shop.product_id, {"action": "record", "rating": rating(stars=5, date="2025-09-01")})

    assert status == 201, body
    assert body["ocop"]["decision"]["issuing_body"] == "Bộ Nông nghiệp và Môi trường"


def test_given_a_lapsed_or_a_withdrawn_certificate_then_the_page_and_the_json_say_so_with_the_day(shop: Shop):
    shop.activate(1, 5)
    code = shop.codes(1, 1)[0]
    stored_product(shop.product_id, ocop=LEGACY_RATING)  # an old record, lapsed on 10/05/2025

    _, answer = scan(code)
    _, page = scan(code, html=True)
    assert answer["product"]["ocop"]["status"] == "lapsed"
    assert answer["product"]["ocop"]["notice"]["vi"] == "Giấy chứng nhận OCOP đã hết hiệu lực ngày 10/05/2025."
    assert "Giấy chứng nhận OCOP đã hết hiệu lực ngày 10/05/2025." in page

    stored_product(
        shop.product_id,
        ocop={**rating(stars=4, date="2025-09-01"), "withdrawn": True, "withdrawn_at": "2026-03-04T20:30:00Z"},
    )
    _, answer = scan(code)
    _, page = scan(code, html=True)
    # 20:30 UTC on 4 March is 03:30 on 5 March in Vietnam: the day said is Vietnam's, no UTC time shown
    assert answer["product"]["ocop"]["notice"]["vi"] == "Giấy chứng nhận OCOP đã bị thu hồi ngày 05/03/2026."
    assert answer["product"]["ocop"]["notice"]["en"] == "The OCOP certificate was withdrawn on 05/03/2026."
    assert "Giấy chứng nhận OCOP đã bị thu hồi ngày 05/03/2026." in page and "20:30" not in page


# --- groups and producer kinds --------------------------------------------------------------------
def test_given_an_old_group_product_when_migrated_then_it_holds_the_new_group_and_its_page_names_it(shop: Shop):
    from ocop_stamps.migration import runner

    shop.activate(1, 5)
    code = shop.codes(1, 1)[0]
    stored_product(shop.product_id, group="souvenir_furniture_decor", ocop=LEGACY_RATING)

    _, before = scan(code)  # mapped on read, before any migration
    assert before["product"]["group"] == "handicraft"
    report = runner.run()
    _, after = scan(code)
    _, page = scan(code, html=True)

    assert report.changed["ocop-groups-148-2023"] == 1 and report.changed["ocop-ratings-decision-certificate"] == 1
    assert after["product"]["group"] == "handicraft"
    assert after["product"]["group_name"] == {"vi": "Thủ công mỹ nghệ", "en": "Handicrafts"}
    assert "Nhóm sản phẩm" in page and "Thủ công mỹ nghệ" in page and "souvenir" not in page
    assert after["product"]["ocop"]["certificate"] == {"number": "QĐ-88/QĐ-UBND"}
    assert after["product"]["ocop"]["decision"]["issuing_level"] == "province"


def test_given_an_old_group_key_in_a_new_product_then_it_is_refused_naming_the_groups_of_today(shop: Shop):
    status, body = invoke_json(
        "admin_api", with_body(sample("admin-create-product"), producer_id=shop.producer_id, group="textile_garment")
    )

    assert status == 422
    assert body["error"]["details"][0]["field"] == "group"
    assert "handicraft" in body["error"]["details"][0]["problem"]


def test_given_a_cooperative_group_producer_then_registered_and_shown_as_to_hop_tac(aws: None):
    status, producer = invoke_json(
        "admin_api", with_body(sample("admin-create-producer"), producer_id="tht-che", kind="cooperative_group")
    )
    assert status == 201 and producer["kind"] == "cooperative_group"
    shop = Shop.__new__(Shop)  # the producer only: its product, lot and batch come below
    shop.producer_id = "tht-che"
    product = new_product(shop, group="beverage")
    shop.product_id = product["product_id"]
    status, lot = invoke_json("producer_api", lot_body(shop, product["product_id"], "THT-1"))
    assert status == 201, lot
    status, batch = invoke_json(
        "producer_api", with_body(shop.event("producer-issue-batch"), product_id=product["product_id"], size=5)
    )
    event = with_body(
        for_batch(shop.event("producer-activate", LOT_ID=lot["lot_id"]), batch["batch_id"]),
        first_serial=1,
        last_serial=5,
    )
    assert invoke_json("producer_api", event)[0] in (200, 201)
    status, _, csv_text = _csv(shop, batch["batch_id"])

    _, page = scan(csv_text.splitlines()[1].split(",")[1], html=True)

    assert "Tổ hợp tác" in page and "cooperative_group" not in page


def _csv(shop: Shop, batch_id: str) -> tuple[int, dict[str, str], str]:
    from helpers.handlers import invoke

    event = for_batch(shop.event("producer-codes-csv"), batch_id)
    event["queryStringParameters"] = {"from": "1", "to": "5"}
    return invoke("producer_api", event)


# --- expiry -----------------------------------------------------------------------------------------
def test_given_a_handicraft_lot_without_expiry_then_accepted_and_its_stamps_never_read_expired(shop: Shop):
    craft = new_product(shop, group="handicraft", name="Dao Phúc Sen", ocop=rating(stars=3, date="2025-09-01"))
    status, lot = invoke_json(
        "producer_api",
        lot_body(
            shop,
            craft["product_id"],
            "DAO-1",
            production_date="2001-01-01",
            expiry_date=None,
            origin={"area_name": "Lò rèn Phúc Sen", "province": "Cao Bằng"},
        ),
    )
    assert status == 201, lot
    assert lot["expiry_date"] is None and lot["shelf_life_days"] is None
    _, batch = invoke_json(
        "producer_api", with_body(shop.event("producer-issue-batch"), product_id=craft["product_id"], size=5)
    )
    event = with_body(
        for_batch(shop.event("producer-activate", LOT_ID=lot["lot_id"]), batch["batch_id"]),
        first_serial=1,
        last_serial=5,
    )
    assert invoke_json("producer_api", event)[0] in (200, 201)
    code = _csv(shop, batch["batch_id"])[2].splitlines()[1].split(",")[1]

    status, answer = scan(code)  # made 25 years ago: a food lot would long have expired

    assert status == 200 and answer["verdict"] == "genuine" and "expired" not in answer["verdicts"]
    _, page = scan(code, html=True)
    assert "Hạn sử dụng" not in page


def test_given_a_food_lot_without_expiry_then_422_saying_it_is_required(shop: Shop):
    food = new_product(shop, group="food", name="Lạp sườn")

    status, body = invoke_json("producer_api", lot_body(shop, food["product_id"], "LS-1", expiry_date=None))

    assert status == 422
    assert body["error"]["details"] == [{"field": "expiry_date", "problem": "required for this product group"}]
    assert "hạn sử dụng" in body["error"]["message_vi"] and "thực phẩm" in body["error"]["message_vi"]


# --- the migration ------------------------------------------------------------------------------
def _catalog() -> list[dict[str, Any]]:
    from ocop_stamps.storage import migrations

    items, start = migrations.catalog_page({"product", "producer", "lot"}, None, 1000)
    assert start is None
    return sorted(items, key=lambda i: (i["pk"], i["sk"]))


def test_given_the_migration_run_twice_then_the_second_run_changes_nothing(shop: Shop):
    from ocop_stamps.migration import runner

    stored_product(shop.product_id, group="textile_garment", ocop=LEGACY_RATING, ocop_history=[LEGACY_RATING])
    first = runner.run(page_size=2)  # several pages
    after_first = _catalog()

    second = runner.run(page_size=2)

    assert first.written == 1 and first.scanned == 3  # the steps' kinds only: producer, product, lot
    assert second.written == 0 and second.changed == {name: 0 for name in second.changed}
    assert _catalog() == after_first


def test_given_a_dry_run_then_it_counts_and_writes_nothing(shop: Shop):
    from ocop_stamps.migration import runner

    stored_product(shop.product_id, group="textile_garment")
    before = _catalog()

    report = runner.run(dry_run=True)

    assert report.changed["ocop-groups-148-2023"] == 1 and report.written == 0
    assert _catalog() == before


def test_given_a_rating_recorded_while_the_migration_runs_then_the_new_rating_is_kept(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
):
    from ocop_stamps.migration import runner
    from ocop_stamps.storage import migrations

    stored_product(shop.product_id, group="souvenir_furniture_decor", ocop=LEGACY_RATING)
    original = migrations.write_if_unchanged
    raced: list[int] = []

    def concurrent_first(old: dict[str, Any], new: dict[str, Any]) -> bool:
        if not raced:  # an admin records a rating between the migration's read and its write
            status, _ = rate(shop.product_id, {"action": "record", "rating": rating(stars=5, date="2025-09-01")})
            raced.append(status)
        return original(old, new)

    monkeypatch.setattr(migrations, "write_if_unchanged", concurrent_first)

    report = runner.run()

    assert raced == [201] and report.retried == 1 and report.conflicts == 0
    product = next(i for i in _catalog() if i["sk"] == "PROFILE" and i.get("kind") == "product")
    assert product["ocop"]["stars"] == 5 and product["ocop"]["decision"]["issuing_level"] == "central"
    assert product["group"] == "handicraft"  # migrated on the second attempt, over the new rating
    assert [h["action"] for h in product["ocop_history"]] == ["record", "record"]


@pytest.mark.parametrize(("action", "stars"), [("renew", 4), ("downgrade", 3)])
def test_given_a_renewal_or_downgrade_not_dated_after_the_decision_in_force_then_409_and_the_rating_kept(
    shop: Shop, action: str, stars: int
):
    status, first = rate(shop.product_id, {"action": "record", "rating": rating(stars=4, date="2025-08-01")})
    assert status == 201, first

    for date in ("2025-08-01", "2024-08-01"):  # the same decision again, or an older one
        status, body = rate(shop.product_id, {"action": action, "rating": rating(stars=stars, date=date)})
        assert status == 409, body
        assert "01/08/2025" in body["error"]["message_vi"] and "2025-08-01" in body["error"]["message"]

    status, later = rate(shop.product_id, {"action": action, "rating": rating(stars=stars, date="2025-09-01")})
    assert status == 201 and later["ocop"]["decision"]["date"] == "2025-09-01"
