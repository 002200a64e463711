"""What a scan tells inspectors beside its verdict, and which inspectors see it (issue 13, kind 14).

A label printed with another lot: a GS1 Digital Link naming a lot (AI 10) that is not the lot
the stamp is bound to -- or naming one for a stamp bound to none -- keeps its verdict, but the
page says so (vi and en), the JSON carries ``lot_mismatch``, the log line the flag and the
printed lot (in /scans and in the CSV export), and the detector opens an alert.

Unknown and forged codes: the record belongs to the province it was scanned in (the edge's
region), else to the province a consumer's report names as the place of purchase, else, for
a real code under another GTIN, to its producer's province -- so the inspector of that
province sees it in /scans and /scans.csv, and no other provincial inspector does.
"""

from __future__ import annotations

import csv
import io
import json

from helpers.handlers import Shop, http_event, invoke, sample, scan
from integration.test_gs1_resolver import GTIN14, OTHER_GTIN, resolve
from integration.test_inspectors import HANOI, alerts, inspector, log
from ocop_stamps.codes.scheme import CodeKeys, encode

LOT = "HH-2026-11"  # the shop's lot code


def _dl(code: str, lot: str | None) -> str:
    return f"/01/{GTIN14}" + (f"/10/{lot}" if lot else "") + f"/21/{code}"


def _csv_rows(**query: str) -> list[dict[str, str]]:
    event = http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(), query=query)
    status, _, body = invoke("inspector_api", event)
    assert status == 200, body
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    names = [h.split(" (")[0] for h in rows[0]]
    return [dict(zip(names, row, strict=True)) for row in rows[1:]]


def test_given_a_label_naming_another_lot_then_the_page_says_so_and_the_stamp_stays_genuine(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]

    status, _, vi = resolve(_dl(code, "WRONG-LOT"))
    _, _, en = resolve(_dl(code, "WRONG-LOT"), query={"lang": "en"})
    _, _, body = resolve(_dl(code, "WRONG-LOT"), accept="application/json")

    assert status == 200 and 'data-verdict="genuine"' in vi
    assert f"Nhãn ghi lô WRONG-LOT, nhưng nhà sản xuất đã gắn tem này với lô {LOT}." in vi
    assert f"The label names lot WRONG-LOT, but the producer bound this stamp to lot {LOT}." in en
    assert "<details id=report open>" in vi  # the report form is open, as for other evidence
    answer = json.loads(body)
    assert answer["verdict"] == "genuine"
    assert answer["lot_mismatch"] == {"label_lot": "WRONG-LOT", "stamp_lot": LOT}


def test_given_a_label_naming_another_lot_then_inspectors_see_the_flag_and_the_printed_lot(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    resolve(_dl(code, "WRONG-LOT"), accept="application/json")
    resolve(_dl(code, LOT), accept="application/json")  # its own lot: no remark
    resolve(_dl(code, None), accept="application/json")  # no lot on the label: nothing to compare

    items = log(code=code)[1]["items"]  # newest first
    assert [(i.get("label_lot"), i.get("flags")) for i in items] == [
        (None, None),
        (LOT, None),
        ("WRONG-LOT", ["lot_mismatch"]),
    ]
    rows = _csv_rows(code=code)
    assert [(r["label_lot"], r["flags"]) for r in rows] == [("", ""), (LOT, ""), ("WRONG-LOT", "lot_mismatch")]


def test_given_a_label_naming_a_lot_for_a_stamp_bound_to_none_then_the_page_and_the_log_say_so(shop: Shop):
    shop.activate(1, 10)
    unbound = shop.codes(500, 500)[0]

    _, _, vi = resolve(_dl(unbound, LOT))
    _, _, body = resolve(_dl(unbound, LOT), accept="application/json")

    assert 'data-verdict="not_activated"' in vi
    assert f"Nhãn ghi lô {LOT}, nhưng tem này chưa được gắn với lô nào." in vi
    assert json.loads(body)["lot_mismatch"] == {"label_lot": LOT, "stamp_lot": None}
    assert log(code=unbound)[1]["items"][0]["flags"] == ["lot_mismatch"]


def test_given_a_label_naming_another_lot_then_the_detector_opens_an_alert(shop: Shop, detector):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    resolve(_dl(code, "WRONG-LOT"))
    resolve(_dl(code, LOT))
    detector()

    (alert,) = [a for a in alerts() if a["type"] == "lot_mismatch"]
    assert alert["detail"]["label_lot"] == "WRONG-LOT" and alert["occurrences"] == 1
    assert "Nhãn ghi lô WRONG-LOT" in alert["summary_vi"]


# --- unknown and forged codes belong to the province they were scanned in ------------------------
NO_PLACE = {"cloudfront-viewer-country": "", "cloudfront-viewer-country-region": ""}  # no edge in front


def _forged() -> str:
    """A well-formed code with a correct check symbol, made with a key that is not ours."""
    return encode(CodeKeys({1: bytes(16)}), 1, 1)


def _seen_by(provinces: str, **query: str) -> list[str]:
    status, body = log(inspector(provinces), **query)
    assert status == 200, body
    return [i["code"] for i in body["items"]]


def _exported_for(provinces: str) -> list[str]:
    event = http_event("GET", "/scans.csv", route="/scans.csv", claims=inspector(provinces), query={})
    status, _, body = invoke("inspector_api", event)
    assert status == 200, body
    return [row[2] for row in csv.reader(io.StringIO(body.lstrip("\ufeff")))][1:]


def test_given_unknown_and_forged_codes_scanned_in_hanoi_then_hanois_inspector_sees_them_and_saigons_does_not(aws):
    forged = _forged()
    assert scan("ABCD-EFGH-JKMN-PQRS", headers=HANOI)[1]["verdict"] == "unknown"  # a mistyped code
    assert scan(forged, headers=HANOI)[1]["verdict"] == "unknown"

    expected = sorted([forged, "ABCDEFGHJKMNPQRS"])
    assert sorted(_seen_by("Hà Nội")) == expected
    assert sorted(_seen_by("Hà Nội", verdict="unknown")) == expected
    assert sorted(_exported_for("VN-HN")) == expected
    assert _seen_by("Hồ Chí Minh") == [] and _exported_for("VN-SG") == []
    assert log(inspector("Hồ Chí Minh"), province="Hà Nội")[0] == 403  # scope rules unchanged


def test_given_a_report_of_a_fake_bought_in_a_named_province_then_that_provinces_inspector_sees_it(aws):
    forged = _forged()
    event = sample("public-report", CODE=forged)
    event["body"] = "where=Ch%E1%BB%A3+%C4%90%E1%BB%93ng+Xu%C3%A2n%2C+H%C3%A0+N%E1%BB%99i"  # Chợ Đồng Xuân, Hà Nội
    event["headers"].update(NO_PLACE)
    assert invoke("public_scan", event)[0] == 303

    (item,) = log(inspector("Hà Nội"), code=forged)[1]["items"]
    assert (item["kind"], item["report_province"], item["jurisdiction"]) == ("report", "01", "01")
    assert _seen_by("Hồ Chí Minh") == []


def test_given_a_real_code_under_another_gtin_with_no_place_then_its_producers_province_sees_the_scan(shop: Shop):
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    event = sample("public-digital-link")
    path = f"/01/{OTHER_GTIN}/21/{code}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["headers"].update(NO_PLACE)
    status, _, _ = invoke("public_scan", event)

    assert status == 404
    (item,) = log(inspector("Thái Nguyên"), code=code)[1]["items"]  # the shop's producer is in Thái Nguyên
    assert (item["verdict"], item["batch_id"], item["jurisdiction"]) == ("unknown", shop.batch_id, "19")
    assert _seen_by("Hà Nội", code=code) == []
