"""Void, recall, expiry, OCOP ratings and the EPCIS 2.0 history of every step."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from helpers.epcis import validation_errors as _valid
from helpers.handlers import Shop, claims, http_event, invoke_json, rating, scan
from helpers.visits import networks, visit


def producer_call(shop: Shop, method: str, path: str, route: str, body: Any = None, role: str = "producer"):
    params = {}
    for name in ("batch_id", "lot_id"):
        if "{" + name + "}" in route:
            seg = route.split("/").index("{" + name + "}")
            params[name] = path.split("/")[seg]
    who = claims(role, shop.producer_id if role == "producer" else None)
    event = http_event(method, path, route=route, body=body, claims=who, path_parameters=params)
    return invoke_json("producer_api", event)


def void(shop: Shop, **body: Any):
    return producer_call(shop, "POST", f"/batches/{shop.batch_id}/voids", "/batches/{batch_id}/voids", body)


def recall(shop: Shop, lot_id: str | None = None, role: str = "producer", **body: Any):
    lot_id = lot_id or shop.lot["lot_id"]
    payload = {"reason": "Phát hiện nhiễm khuẩn", "message_vi": "Vui lòng ngừng sử dụng và trả lại nơi mua.", **body}
    return producer_call(shop, "POST", f"/lots/{lot_id}/recall", "/lots/{lot_id}/recall", payload, role)


def lift(shop: Shop, role: str = "producer"):
    lot_id = shop.lot["lot_id"]
    return producer_call(
        shop,
        "POST",
        f"/lots/{lot_id}/recall/lift",
        "/lots/{lot_id}/recall/lift",
        {"reason": "Kiểm nghiệm lại đạt"},
        role,
    )


def rate(product_id: str, body: dict[str, Any], role: str = "admin"):
    event = http_event(
        "POST",
        f"/products/{product_id}/ocop-rating",
        route="/products/{product_id}/ocop-rating",
        body=body,
        claims=claims(role),
        path_parameters={"product_id": product_id},
    )
    return invoke_json("admin_api", event)


# --- void -----------------------------------------------------------------------------------


def test_given_a_damaged_stamp_when_voided_by_its_code_then_its_next_scan_answers_void(shop: Shop):
    shop.activate(1, 100)
    code = shop.codes(7, 7)[0]
    assert scan(code)[1]["verdict"] == "genuine"
    status, body = void(shop, code=code, reason="damaged", note="Rách khi dán")
    assert status == 201 and body["void"]["first_serial"] == body["void"]["last_serial"] == 7
    status, result = scan(code)  # the same warm function, straight after
    assert status == 200 and result["verdict"] == "void"
    assert result["void"]["reason"] == "damaged"
    assert scan(shop.codes(8, 8)[0])[1]["verdict"] == "genuine"


def test_given_a_range_voided_then_every_stamp_in_it_is_void_and_the_edges_are_not(shop: Shop):
    status, _ = void(shop, first_serial=200, last_serial=299, reason="lost")
    assert status == 201
    codes = shop.codes(199, 300)
    assert scan(codes[0])[1]["verdicts"] == ["not_activated"]
    assert scan(codes[1])[1]["verdicts"] == ["void", "not_activated"]
    assert scan(codes[100])[1]["verdicts"] == ["void", "not_activated"]
    assert scan(codes[101])[1]["verdicts"] == ["not_activated"]


def test_given_an_overlapping_void_then_409_and_a_retry_of_the_same_void_succeeds(shop: Shop):
    assert void(shop, first_serial=10, last_serial=20, reason="destroyed")[0] == 201
    assert void(shop, first_serial=10, last_serial=20, reason="destroyed")[0] == 201
    status, body = void(shop, first_serial=15, last_serial=30, reason="lost")
    assert status == 409 and "already void" in body["error"]["message"]
    _, batch = producer_call(shop, "GET", f"/batches/{shop.batch_id}", "/batches/{batch_id}")
    assert batch["activated_count"] == 0


def test_given_a_void_request_that_is_ambiguous_or_of_another_batch_then_4xx(shop: Shop):
    status, body = void(shop, reason="lost")
    assert status == 422 and "either code or first_serial" in body["error"]["message"]
    other = shop.issue(5)
    foreign = shop.codes(1, 1, batch_id=other["batch_id"])[0]
    status, body = void(shop, code=foreign, reason="lost")
    assert status == 400 and f"batch {other['batch_id']}" in body["error"]["message"]
    status, body = void(shop, first_serial=990, last_serial=1001, reason="lost")
    assert status == 400


def test_given_concurrent_voids_of_overlapping_ranges_then_exactly_one_applies(shop: Shop):
    outcomes: list[int] = []
    lock = threading.Lock()

    def run(first: int) -> None:
        status, _ = void(shop, first_serial=first, last_serial=first + 50, reason="lost")
        with lock:
            outcomes.append(status)

    threads = [threading.Thread(target=run, args=(100 + i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [201, 409, 409, 409, 409]


# --- recall ---------------------------------------------------------------------------------


def test_given_a_recalled_lot_then_the_next_scan_of_its_stamps_says_recalled_with_the_message(shop: Shop):
    shop.activate(1, 100)
    code = shop.codes(3, 3)[0]
    assert scan(code)[1]["verdict"] == "genuine"  # lot now cached in the warm function
    status, lot = recall(shop)
    assert status == 201 and lot["recall"]["status"] == "recalled"
    status, result = scan(code)
    assert result["verdict"] == "recalled"
    assert result["recall"]["message"] == "Vui lòng ngừng sử dụng và trả lại nơi mua."


def test_given_a_recall_lifted_then_scans_are_genuine_again_and_both_steps_stay_in_history(shop: Shop):
    shop.activate(1, 100)
    code = shop.codes(4, 4)[0]
    recall(shop)
    assert scan(code)[1]["verdict"] == "recalled"
    status, lot = lift(shop)
    assert status == 201
    assert [h["status"] for h in lot["recall_history"]] == ["recalled", "lifted"]
    assert scan(code)[1]["verdict"] == "genuine"
    status, again = producer_call(shop, "GET", f"/lots/{shop.lot['lot_id']}", "/lots/{lot_id}")
    assert [h["status"] for h in again["recall_history"]] == ["recalled", "lifted"]


def test_given_stamps_bound_after_the_recall_then_they_read_recalled_too(shop: Shop):
    recall(shop)
    shop.activate(500, 510)
    assert scan(shop.codes(505, 505)[0])[1]["verdict"] == "recalled"


def test_given_a_recall_twice_or_a_lift_without_recall_then_409(shop: Shop):
    assert lift(shop)[0] == 409
    assert recall(shop)[0] == 201
    status, body = recall(shop)
    assert status == 409 and "already recalled" in body["error"]["message"]
    # the day it was recalled as a Vietnamese reader writes it (HH:MM, dd/mm/yyyy, Vietnam time), never stored UTC
    assert re.search(r"đã bị thu hồi từ \d\d:\d\d, \d\d/\d\d/\d{4}\.$", body["error"]["message_vi"])
    assert "T" not in body["error"]["message_vi"].split("từ ")[-1] and "Z" not in body["error"]["message_vi"]


def test_given_an_admin_then_any_lot_can_be_recalled_but_another_producer_cannot(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    status, _ = recall(other, lot_id=shop.lot["lot_id"])  # producer tam-hoa, lot of hoan-hoa
    assert status == 404
    status, _ = recall(shop, role="admin")
    assert status == 201


def test_given_a_recall_without_a_public_message_then_422(shop: Shop):
    status, body = recall(shop, message_vi="")
    assert status == 422 and body["error"]["details"][0]["field"] == "message_vi"


# --- expiry and activation ----------------------------------------------------------------------


def test_given_each_verdict_then_the_public_handler_answers_it(shop: Shop):
    old = shop.new_lot("OLD", production_date="2023-01-01", expiry_date="2024-01-01", origin={"province": "Cao Bằng"})
    shop.activate(1, 10)
    shop.activate(11, 20, lot_id=old["lot_id"])
    void(shop, first_serial=5, last_serial=5, reason="damaged")
    codes = shop.codes(1, 30)
    assert scan(codes[0])[1]["verdict"] == "genuine"
    assert scan(codes[4])[1]["verdict"] == "void"
    assert scan(codes[14])[1]["verdict"] == "expired"
    assert scan(codes[29])[1]["verdict"] == "not_activated"
    for ip in networks(6):  # more devices than the product's threshold (5): a copied label
        visit(f"/v/{codes[1]}", ip=ip)
    assert scan(codes[1])[1]["verdict"] == "repeat"
    assert scan("ABCD-EFGH-JKMN-PQRS")[1]["verdict"] == "unknown"
    recall(shop)
    assert scan(codes[2])[1]["verdict"] == "recalled"


# --- OCOP rating ----------------------------------------------------------------------------


def test_given_a_rating_downgraded_then_renewed_then_withdrawn_then_the_scan_follows_each_step(shop: Shop):
    from ocop_stamps.scanning import verification

    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    status, product = rate(
        shop.product_id,
        {
            "action": "record",
            "rating": rating(stars=4, date="2025-03-01"),
        },
    )
    assert status == 201 and product["ocop"]["stars"] == 4 and product["ocop"]["valid_until"] == "2028-03-01"
    status, body = rate(
        shop.product_id,
        {
            "action": "downgrade",
            "rating": rating(stars=4, date="2025-04-01"),
        },
    )
    assert status == 409 and "fewer stars" in body["error"]["message"]
    status, product = rate(
        shop.product_id,
        {
            "action": "downgrade",
            "rating": rating(stars=3, date="2025-05-01"),
        },
    )
    assert status == 201 and product["ocop"]["stars"] == 3
    verification.reset_cache()
    assert scan(code)[1]["product"]["ocop"] | {} == scan(code)[1]["product"]["ocop"]
    assert scan(code)[1]["product"]["ocop"]["status"] == "valid"
    status, product = rate(shop.product_id, {"action": "withdraw", "reason": "Không duy trì chất lượng"})
    assert status == 201 and product["ocop"]["status"] == "withdrawn"
    assert [h["action"] for h in product["ocop_history"]] == ["record", "record", "downgrade", "withdraw"]
    verification.reset_cache()
    assert scan(code)[1]["product"]["ocop"]["status"] == "withdrawn"


def test_given_a_rating_past_its_validity_then_it_reads_lapsed(shop: Shop):
    from ocop_stamps.scanning import verification

    shop.activate(1, 10)
    rate(
        shop.product_id,
        {
            "action": "record",
            "rating": rating(stars=5, date="2020-01-15"),
        },
    )
    verification.reset_cache()
    ocop = scan(shop.codes(1, 1)[0])[1]["product"]["ocop"]
    assert ocop["valid_until"] == "2023-01-15" and ocop["status"] == "lapsed"


def test_given_rating_input_that_makes_no_sense_then_422_or_403(shop: Shop):
    assert rate(shop.product_id, {"action": "withdraw"})[0] == 422
    assert rate(shop.product_id, {"action": "record"})[0] == 422
    future = rating(date="2099-01-01", level="province")
    assert rate(shop.product_id, {"action": "record", "rating": future})[0] == 422
    ok = rating(date="2025-01-01")
    assert rate(shop.product_id, {"action": "record", "rating": ok}, role="producer")[0] == 403
    assert rate("prd_nope", {"action": "record", "rating": ok})[0] == 404


# --- EPCIS and trace --------------------------------------------------------------------------


def test_given_a_lots_lifecycle_then_its_epcis_document_validates_and_tells_the_story(shop: Shop):
    shop.activate(1, 50)
    shop.activate(51, 500)
    void(shop, first_serial=3, last_serial=3, reason="damaged")
    recall(shop)
    lift(shop)
    lot_id = shop.lot["lot_id"]
    status, doc = producer_call(shop, "GET", f"/lots/{lot_id}/epcis", "/lots/{lot_id}/epcis")
    assert status == 200 and _valid(doc) == []
    events = doc["epcisBody"]["eventList"]
    assert [(e["action"], e.get("bizStep"), e.get("disposition")) for e in events] == [
        ("ADD", "packing", "active"),
        ("ADD", "packing", "active"),
        ("DELETE", "destroying", "destroyed"),
        ("OBSERVE", None, "recalled"),
        ("OBSERVE", None, "active"),
    ]
    small, large = events[0], events[1]
    assert len(small["epcList"]) == 50
    assert small["epcList"][0] == "https://id.gs1.org/01/08930000000019/21/" + shop.codes(1, 1)[0]
    assert large["quantityList"] == [
        {"epcClass": "https://id.gs1.org/01/08930000000019/10/HH-2026-11", "quantity": 450}
    ]
    assert small["ilmd"]["cbvmda:lotNumber"] == "HH-2026-11"
    assert small["ilmd"]["cbvmda:itemExpirationDate"] == "2028-11-01"
    assert events[0]["eventTimeZoneOffset"] == "+07:00"


def test_given_a_batch_then_its_epcis_document_starts_with_commissioning(shop: Shop):
    shop.activate(1, 10)
    status, doc = producer_call(shop, "GET", f"/batches/{shop.batch_id}/epcis", "/batches/{batch_id}/epcis")
    assert status == 200 and _valid(doc) == []
    first = doc["epcisBody"]["eventList"][0]
    assert (first["action"], first["bizStep"]) == ("ADD", "commissioning")
    assert first["quantityList"][0]["quantity"] == 1000


def test_given_rating_changes_then_they_are_epcis_events_of_the_product(shop: Shop):
    from ocop_stamps.epcis import history
    from ocop_stamps.storage import repository

    rate(shop.product_id, {"action": "withdraw", "reason": "Hết hiệu lực"})
    doc, _ = history.epcis_page(repository.product_key(shop.product_id), "urn:test")
    assert _valid(doc) == []
    assert doc["epcisBody"]["eventList"][-1]["ocop:ratingAction"] == "withdraw"


def test_given_a_lot_then_its_trace_gives_one_step_back_and_one_step_forward(shop: Shop):
    second = shop.issue(100)
    shop.activate(1, 300)
    shop.activate(1, 100, batch_id=second["batch_id"])
    void(shop, first_serial=10, last_serial=19, reason="lost")
    status, trace = producer_call(shop, "GET", f"/lots/{shop.lot['lot_id']}/trace", "/lots/{lot_id}/trace")
    assert status == 200 and trace["format"] == "ocop-trace/1"
    assert trace["one_step_back"]["raw_material_origin"]["commune"] == "Xã Kha Sơn"
    assert trace["one_step_back"]["certifications"] == ["VietGAP"]
    forward = trace["one_step_forward"]
    assert forward["stamps_bound"] == 400 and forward["stamps_voided"] == 10
    assert {r["batch_id"] for r in forward["stamp_ranges"]} == {shop.batch_id, second["batch_id"]}
    assert trace["who"]["name"].startswith("Cơ sở")


@pytest.mark.parametrize("role", ["inspector", "admin"])
def test_given_an_inspector_or_admin_then_lot_history_and_trace_are_readable(shop: Shop, role: str):
    lot_id = shop.lot["lot_id"]
    assert producer_call(shop, "GET", f"/lots/{lot_id}/trace", "/lots/{lot_id}/trace", role=role)[0] == 200
    assert producer_call(shop, "GET", f"/lots/{lot_id}/epcis", "/lots/{lot_id}/epcis", role=role)[0] == 200


def test_given_another_producer_then_lot_history_and_trace_are_not_found(shop: Shop):
    other = Shop(producer_id="tam-hoa")
    lot_id = shop.lot["lot_id"]
    assert producer_call(other, "GET", f"/lots/{lot_id}/trace", "/lots/{lot_id}/trace")[0] == 404
    assert producer_call(other, "GET", f"/lots/{lot_id}/epcis", "/lots/{lot_id}/epcis")[0] == 404
    assert producer_call(other, "GET", f"/batches/{shop.batch_id}/epcis", "/batches/{batch_id}/epcis")[0] == 404
