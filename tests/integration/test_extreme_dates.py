"""Extreme dates and times (issue 13, kind 2): every route that takes a date refuses one
outside its range with a 4xx naming the problem in Vietnamese and English; a date already
stored -- whatever it is -- never makes a page, a lot or an export fail.

Ranges: docs/LIMITS.md, "Dates and times".
"""

from __future__ import annotations

import json
from typing import Any

from helpers.handlers import Shop, claims, http_event, invoke, invoke_json, rating, sample, scan, with_body
from ocop_stamps.core import dates
from ocop_stamps.scanning import verification
from ocop_stamps.storage import keys as table_keys
from ocop_stamps.storage.models import LotItem, ProductItem

FAR_FUTURE = "9999-12-31"
FAR_PAST = "0001-01-01"
FAR_TIMES = [
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
]


def _says_the_range(error: dict[str, Any]) -> None:
    """The error names a date range problem in English and the same problem in Vietnamese."""
    assert set(error) >= {"code", "message", "message_vi"}
    said = [en for en in dates.PROBLEMS_VI if en in error["message"]]
    assert said, error
    assert all(dates.PROBLEMS_VI[en] in error["message_vi"] for en in said), error


def _inspector() -> dict[str, Any]:
    c = claims("inspector")
    c["custom:provinces"] = "*"
    return c


# --- request bodies ------------------------------------------------------------------------------
RATING = {"stars": 4, "certificate_no": "12/QĐ-UBND", "issuing_body": "UBND tỉnh Thái Nguyên"}  # as stored before 2026


def _lot_body(shop: Shop, **fields: Any) -> tuple[str, dict[str, Any]]:
    return "producer_api", with_body(shop.event("producer-create-lot"), lot_code="EDGE", **fields)


def _ocop(decision_date: str = "2025-01-01", **more: Any) -> dict[str, Any]:
    """A rating body (2026 shape) whose decision is dated ``decision_date``."""
    body = rating(date="2025-01-01")
    body["decision"]["date"] = decision_date
    return {**body, **more}


def _product_body(shop: Shop, **ocop: Any) -> tuple[str, dict[str, Any]]:
    return "admin_api", with_body(
        sample("admin-create-product"), producer_id=shop.producer_id, gtin=None, ocop=_ocop(**ocop)
    )


def _rating_body(shop: Shop, **fields: Any) -> tuple[str, dict[str, Any]]:
    event = http_event(
        "POST",
        f"/products/{shop.product_id}/ocop-rating",
        route="/products/{product_id}/ocop-rating",
        body={"action": "record", "rating": _ocop(**fields)},
        claims=claims("admin"),
        path_parameters={"product_id": shop.product_id},
    )
    return "admin_api", event


def _field_check(shop: Shop, date: str) -> tuple[str, dict[str, Any]]:
    body = {"lot_id": shop.lot["lot_id"], "date": date, "place": "Chợ", "province": "Hà Nội", "result": "pass"}
    return "inspector_api", http_event("POST", "/field-checks", route="/field-checks", body=body, claims=_inspector())


BODY_CASES = {
    "lot production_date far ahead": lambda s: _lot_body(s, production_date=FAR_FUTURE),
    "lot production_date before 2000": lambda s: _lot_body(s, production_date="1999-12-31"),
    "lot expiry_date far ahead": lambda s: _lot_body(s, expiry_date=FAR_FUTURE),
    "lot expiry_date 11 years ahead": lambda s: _lot_body(s, expiry_date="2040-01-01"),
    "lot harvest_date at the start": lambda s: _lot_body(
        s, origin={"province": "Thái Nguyên", "commune": "Xã Tân Cương", "harvest_date": FAR_PAST}
    ),
    **{
        f"lot process step at {t}": (lambda t: lambda s: _lot_body(s, process_steps=[{"step": "Sấy", "when": t}]))(t)
        for t in FAR_TIMES
    },
    "lot process step a week ahead": lambda s: _lot_body(s, process_steps=[{"step": "Sấy", "when": "2099-01-01"}]),
    "product decision_date far ahead": lambda s: _product_body(s, decision_date=FAR_FUTURE),
    "product decision_date at the start": lambda s: _product_body(s, decision_date=FAR_PAST),
    "product valid_until far ahead": lambda s: _product_body(s, decision_date="2025-01-01", valid_until=FAR_FUTURE),
    "rating decision_date far ahead": lambda s: _rating_body(s, decision_date=FAR_FUTURE),
    "rating valid_until far ahead": lambda s: _rating_body(s, decision_date="2025-01-01", valid_until=FAR_FUTURE),
    "field check far ahead": lambda s: _field_check(s, FAR_FUTURE),
    "field check at the start": lambda s: _field_check(s, FAR_PAST),
}


def test_given_a_body_date_outside_its_range_then_422_names_the_range_in_both_languages(shop: Shop, ddb_calls: list):
    def writes() -> int:
        return len([op for _, op in ddb_calls if op in ("PutItem", "TransactWriteItems", "UpdateItem")])

    for case, build in BODY_CASES.items():
        function, event = build(shop)
        before = writes()

        status, body = invoke_json(function, event)

        assert status == 422, (case, body)
        _says_the_range(body["error"])
        assert writes() == before, f"{case}: something was written"


def test_given_a_log_filter_outside_2000_to_2099_then_400_in_both_languages(aws: None):
    for route in ("/scans", "/scans.csv"):
        for param in ("from", "to"):
            for value in (FAR_FUTURE, FAR_PAST, *FAR_TIMES, "1999-12-31T16:59:59Z", "2100-01-01"):
                event = http_event("GET", route, route=route, query={param: value}, claims=_inspector())

                status, _, text = invoke("inspector_api", event)

                assert status == 400, (route, param, value, text)
                _says_the_range(json.loads(text)["error"])


def test_given_log_filters_inside_the_range_then_the_log_answers(shop: Shop):
    shop.activate(1, 5)
    scan(shop.codes(1, 1)[0])
    query = {"from": "2000-01-01", "to": "2099-12-31", "lot": shop.lot["lot_id"]}
    status, body = invoke_json(
        "inspector_api", http_event("GET", "/scans", route="/scans", query=query, claims=_inspector())
    )
    assert status == 200 and len(body["items"]) == 1


# --- stored values: whatever a table holds, pages and exports answer ------------------------------------
STORED = [*FAR_TIMES, FAR_FUTURE, FAR_PAST, "0001-01-01T00:00:00-12:00", "hôm qua", ""]


def _store_extreme_dates(shop: Shop, value: str) -> None:
    """Write ``value`` into every date of the shop's lot and product, straight to the table (no validation)."""
    lot = LotItem.get(table_keys.lot_key(shop.lot["lot_id"]), table_keys.PROFILE)
    lot.production_date = value
    lot.expiry_date = value
    lot.origin = {"province": "Thái Nguyên", "harvest_date": value}
    lot.process_steps = [{"step": "Thu hoạch", "when": value}, {"step": "Đóng gói", "when": value}]
    lot.save()
    product = ProductItem.get(table_keys.product_key(shop.product_id), table_keys.PROFILE)
    product.ocop = {**RATING, "decision_date": value, "valid_until": value}
    product.save()
    verification.reset_cache()


def test_given_a_lot_with_an_extreme_stored_date_then_its_scan_page_answers_200_in_html_and_json(shop: Shop):
    shop.activate(1, 5)
    code = shop.codes(1, 1)[0]
    for value in STORED:
        _store_extreme_dates(shop, value)

        status_json, body = scan(code)
        status_html, html = scan(code, html=True)
        status_en, html_en = scan(code, html=True, headers={"accept-language": "en"})

        assert status_json == 200 and body["lot"]["lot_id"] == shop.lot["lot_id"], value
        assert status_html == 200 and "Thu hoạch" in html, value
        assert status_en == 200 and "Thu hoạch" in html_en, value


def test_given_a_lot_with_an_extreme_stored_date_then_its_records_and_exports_answer_200(shop: Shop):
    shop.activate(1, 5)
    scan(shop.codes(1, 1)[0])
    lot_id = shop.lot["lot_id"]
    for value in ("9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00+14:00", "hôm qua"):
        _store_extreme_dates(shop, value)

        for suffix, route in (
            ("", "/lots/{lot_id}"),
            ("/trace", "/lots/{lot_id}/trace"),
            ("/epcis", "/lots/{lot_id}/epcis"),
        ):
            event = http_event(
                "GET",
                f"/lots/{lot_id}{suffix}",
                route=route,
                claims=claims("producer", shop.producer_id),
                path_parameters={"lot_id": lot_id},
            )
            status, body = invoke_json("producer_api", event)
            assert status == 200, (value, route, body)
        csv_event = http_event("GET", "/scans.csv", route="/scans.csv", query={"lot": lot_id}, claims=_inspector())
        status, _, text = invoke("inspector_api", csv_event)
        assert status == 200 and len(text.strip().splitlines()) == 2, (value, text)
