"""An alert names the lot the way its labels do -- the producer's lot code -- and the product by
its name, never by the service's internal id (issue 12): in the alert's summary (vi and en),
in its fields, and in the notification an inspector reads."""

from __future__ import annotations

from typing import Any

from helpers.handlers import Shop, claims, http_event, invoke, scan
from helpers.visits import networks, visit
from integration.test_gs1_resolver import resolve
from integration.test_inspectors import alerts, notifications
from integration.test_lifecycle import recall, void
from integration.test_scan_evidence import _dl

PRODUCT = "Cao ngựa bạch Hoan Hoa"  # the shop's product
LOT = "HH-2026-11"  # the shop's lot code


def _one(kind: str) -> dict[str, Any]:
    (alert,) = [a for a in alerts(claims("admin")) if a["type"] == kind]
    return alert


def _names_the_lot_not_its_id(alert: dict[str, Any], shop: Shop) -> None:
    lot_id = shop.lot["lot_id"]
    assert f"{PRODUCT}, lô {LOT}" in alert["summary_vi"], alert["summary_vi"]
    assert f"{PRODUCT}, lot {LOT}" in alert["summary_en"], alert["summary_en"]
    assert lot_id not in alert["summary_vi"] and lot_id not in alert["summary_en"]


def test_given_a_recalled_lots_stamp_scanned_then_the_alert_names_its_lot_code_and_product(shop: Shop, detector):
    shop.activate(1, 10)
    assert recall(shop)[0] == 201
    scan(shop.codes(1, 1)[0])

    detector()

    alert = _one("recalled_scanned")
    _names_the_lot_not_its_id(alert, shop)
    assert alert["lot_code"] == LOT and alert["product_name"] == PRODUCT
    assert alert["lot_id"] == shop.lot["lot_id"]  # the id stays, for programs
    (message,) = notifications(detector.inbox)
    assert f"lô {LOT}" in message and shop.lot["lot_id"] not in message


def test_given_a_voided_stamp_scanned_then_the_alert_names_the_product_lot_and_batch(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(3, 3)[0]
    assert void(shop, code=code, reason="stolen")[0] == 201
    scan(code)

    detector()

    alert = _one("void_scanned")
    _names_the_lot_not_its_id(alert, shop)
    assert f"đợt tem {shop.batch_id}" in alert["summary_vi"] and f"batch {shop.batch_id}" in alert["summary_en"]


def test_given_a_label_naming_another_lot_then_the_alert_names_the_stamps_lot_by_its_code(shop: Shop, detector):
    shop.activate(1, 10)
    resolve(_dl(shop.codes(1, 1)[0], "WRONG-LOT"))

    detector()

    alert = _one("lot_mismatch")
    assert f"Nhãn ghi lô WRONG-LOT nhưng tem thuộc lô {LOT}" in alert["summary_vi"]
    assert f"the stamp's lot is {LOT}" in alert["summary_en"] and PRODUCT in alert["summary_vi"]
    assert shop.lot["lot_id"] not in alert["summary_vi"] + alert["summary_en"]


def test_given_a_code_checked_from_many_devices_then_the_repeat_alert_names_its_product_and_lot(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(4):
        visit(f"/v/{code}", ip=ip)

    detector()

    alert = _one("repeat_24h")
    assert f"Mã {code} ({PRODUCT}, lô {LOT}) được quét từ" in alert["summary_vi"]
    _names_the_lot_not_its_id(alert, shop)


def test_given_a_consumer_report_then_the_alert_names_the_product_and_lot(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    event = http_event(
        "POST",
        f"/v/{code}/report",
        route="/v/{code}/report",
        path_parameters={"code": code},
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    event["body"] = "where=Ch%E1%BB%A3+Xanh"
    assert invoke("public_scan", event)[0] in (201, 303)

    detector()

    _names_the_lot_not_its_id(_one("consumer_report"), shop)
