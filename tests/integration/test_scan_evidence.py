"""What a scan tells inspectors beside its verdict (issue 13, kind 14).

A label printed with another lot: a GS1 Digital Link naming a lot (AI 10) that is not the lot
the stamp is bound to -- or naming one for a stamp bound to none -- keeps its verdict, but the
page says so (vi and en), the JSON carries ``lot_mismatch``, the log line the flag and the
printed lot (in /scans and in the CSV export), and the detector opens an alert.
"""

from __future__ import annotations

import csv
import io
import json

from helpers.handlers import Shop, http_event, invoke
from integration.test_gs1_resolver import GTIN14, resolve
from integration.test_inspectors import alerts, detector, inspector, log  # noqa: F401 -- detector: a fixture

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
    assert f"Lô in trên nhãn (WRONG-LOT) không phải là lô mà tem này được gắn ({LOT})" in vi
    assert f"The lot printed on the label (WRONG-LOT) is not the lot this stamp was bound to ({LOT})" in en
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


def test_given_a_label_naming_another_lot_then_the_detector_opens_an_alert(shop: Shop, detector):  # noqa: F811
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    resolve(_dl(code, "WRONG-LOT"))
    resolve(_dl(code, LOT))
    detector()

    (alert,) = [a for a in alerts() if a["type"] == "lot_mismatch"]
    assert alert["detail"]["label_lot"] == "WRONG-LOT" and alert["occurrences"] == 1
    assert "Nhãn ghi lô WRONG-LOT" in alert["summary_vi"]
