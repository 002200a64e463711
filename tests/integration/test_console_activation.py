"""Activation by camera in the console (issue 15), the function on moto: the form, the
confirmation (range, count, lot, product, what buyers will see), the binding through the
producer API's own activation, each refusal next to its field in both languages, tenancy,
CSRF, a double-submitted confirmation, and the static script and decoder."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from helpers.handlers import FakeContext, Shop, claims, http_event, invoke_json, load_handler, scan
from integration.test_console import USERS, Browser, _field, sign_in
from ocop_stamps.core.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
JSQR = ROOT / "layers" / "domain" / "ocop_stamps" / "console" / "static" / "vendor" / "jsqr"


@pytest.fixture
def producer(aws: None, monkeypatch: pytest.MonkeyPatch) -> tuple[Shop, Browser]:
    monkeypatch.setenv("OCOP_CONSOLE_LOCAL_USERS", json.dumps(USERS))
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    get_settings.cache_clear()
    shop = Shop()
    browser = Browser()
    sign_in(browser, "producer")
    return shop, browser


def _check(browser: Browser, shop: Shop, first: str, last: str, lot_id: str | None = None) -> tuple[int, str]:
    status, _, form = browser.request("GET", f"/console/batches/{shop.batch_id}/activate")
    assert status == 200
    sent = {"csrf": _field(form, "csrf"), "first": quote(first, safe=""), "last": quote(last, safe="")}
    sent["lot_id"] = lot_id or shop.lot["lot_id"]
    status, _, page = browser.request("POST", f"/console/batches/{shop.batch_id}/activate", sent)
    return status, page


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_given_the_first_and_last_label_when_checked_then_the_confirmation_shows_range_count_lot_and_verdict(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer
    first, last = shop.codes(1, 250)[0], shop.codes(1, 250)[-1]

    status, page = _check(browser, shop, f"https://tem.example.vn/v/{first}", last.lower())  # a pasted label URL

    text = _text(page)
    assert status == 200
    assert "Sê-ri 1–250" in text and "250" in text and "HH-2026-11" in text and shop.product["name"] in text
    assert "250 tem này sẽ hiện với người mua: “Tem chính hãng" in text
    assert _field(page, "first_serial") == "1" and _field(page, "last_serial") == "250"
    assert scan(first)[1]["verdict"] == "not_activated"  # nothing bound before the confirmation


def test_given_a_confirmation_when_sent_twice_then_one_activation_and_the_stamps_scan_genuine(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer
    codes = shop.codes(1, 40)
    _, page = _check(browser, shop, codes[0], codes[-1])
    sent = {name: _field(page, name) for name in ("csrf", "first_serial", "last_serial", "lot_id")}

    one = browser.request("POST", f"/console/batches/{shop.batch_id}/activations", sent)
    two = browser.request("POST", f"/console/batches/{shop.batch_id}/activations", sent)  # a double tap

    assert one[0] == two[0] == 303
    assert one[1]["Location"] == two[1]["Location"] == f"/console/batches/{shop.batch_id}/activations?first=1&last=40"
    status, _, done = browser.request(
        "GET", f"/console/batches/{shop.batch_id}/activations", query={"first": "1", "last": "40"}
    )
    assert status == 200 and "Đã kích hoạt sê-ri 1–40 (40 tem) cho lô HH-2026-11" in _text(done)
    status, batch = invoke_json(
        "producer_api",
        http_event(
            "GET",
            f"/batches/{shop.batch_id}",
            route="/batches/{batch_id}",
            claims=claims("producer", shop.producer_id),
            path_parameters={"batch_id": shop.batch_id},
        ),
    )
    assert status == 200 and [(a["first_serial"], a["last_serial"]) for a in batch["activations"]] == [(1, 40)]
    assert scan(codes[0])[1]["verdict"] == scan(codes[-1])[1]["verdict"] == "genuine"
    assert scan(shop.codes(41, 41)[0])[1]["verdict"] == "not_activated"


def test_given_wrong_labels_when_checked_then_each_refusal_is_next_to_its_field_in_both_languages(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer
    codes = shop.codes(1, 100)
    other = shop.issue(10)
    other_code = shop.codes(1, 1, batch_id=other["batch_id"])[0]

    reversed_ = _check(browser, shop, codes[49], codes[9])
    foreign = _check(browser, shop, other_code, codes[9])
    garbage = _check(browser, shop, "ABCD-EFGH-JKMN-PQRS", "")
    shop.activate(1, 20)
    already = _check(browser, shop, codes[9], codes[29])
    status, _ = invoke_json(
        "producer_api",
        http_event(
            "POST",
            f"/batches/{shop.batch_id}/voids",
            route="/batches/{batch_id}/voids",
            body={"first_serial": 60, "last_serial": 60, "reason": "damaged"},
            claims=claims("producer", shop.producer_id),
            path_parameters={"batch_id": shop.batch_id},
        ),
    )
    assert status == 201
    void_end = _check(browser, shop, codes[59], codes[79])
    void_inside = _check(browser, shop, codes[49], codes[69])

    def error_of(page: str, field: str) -> str:
        found = re.search(rf'<div class="err" id="{field}-err">(.*?)</div>', page)
        assert found, f"no error next to {field}"
        assert f'id="{field}"' in page and 'aria-invalid="true"' in page
        return _text(found.group(1))

    assert reversed_[0] == 422
    assert "quét ngược chiều" in error_of(reversed_[1], "last") and "scanned backwards" in error_of(
        reversed_[1], "last"
    )
    assert foreign[0] == 422 and f"không thuộc đợt {shop.batch_id}" in error_of(foreign[1], "first")
    assert f"not of batch {shop.batch_id}" in error_of(foreign[1], "first")
    assert "không phải mã tem" in error_of(garbage[1], "first") and "Scan or type" in error_of(garbage[1], "last")
    assert "đã được kích hoạt cho lô HH-2026-11" in error_of(already[1], "first")
    assert "already activated" in error_of(already[1], "first")
    assert "sê-ri 60" in error_of(void_end[1], "first") and "is void" in error_of(void_end[1], "first")
    assert void_inside[0] == 200 and "Trong đó có 1 tem đã hủy" in _text(void_inside[1])
    assert "Tem đã bị nhà sản xuất hủy" in _text(void_inside[1])


def test_given_a_lot_of_another_product_or_producer_when_bound_then_it_is_refused_and_nothing_binds(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer
    codes = shop.codes(1, 10)
    _, page = _check(browser, shop, codes[0], codes[-1])
    sent = {name: _field(page, name) for name in ("csrf", "first_serial", "last_serial")}

    tampered = browser.request(
        "POST", f"/console/batches/{shop.batch_id}/activations", {**sent, "lot_id": "lot-of-nobody"}
    )
    lot_unknown = _check(browser, shop, codes[0], codes[-1], lot_id="lot-of-nobody")

    assert tampered[0] == 404 and "lot-of-nobody" in tampered[2]
    assert lot_unknown[0] == 422 and "Hãy chọn một lô sản xuất" in lot_unknown[1]
    assert scan(codes[0])[1]["verdict"] == "not_activated"


def test_given_another_producers_batch_or_no_csrf_when_activating_then_it_is_refused(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer
    codes = shop.codes(1, 5)
    _, page = _check(browser, shop, codes[0], codes[-1])
    sent = {name: _field(page, name) for name in ("first_serial", "last_serial", "lot_id")}
    intruder = Browser()
    sign_in(intruder, "producer-2")

    no_csrf = browser.request("POST", f"/console/batches/{shop.batch_id}/activations", sent)
    foreign_form = intruder.request("GET", f"/console/batches/{shop.batch_id}/activate")
    _, _, own = intruder.request("GET", "/console")
    foreign_bind = intruder.request(
        "POST", f"/console/batches/{shop.batch_id}/activations", {**sent, "csrf": _field(own, "csrf")}
    )

    assert no_csrf[0] == 403 and "The form expired" in no_csrf[2]
    assert foreign_form[0] == 404 and foreign_bind[0] == 404
    assert scan(codes[0])[1]["verdict"] == "not_activated"


def test_given_the_activation_page_then_it_loads_only_its_own_script_and_may_use_the_camera(
    producer: tuple[Shop, Browser],
) -> None:
    shop, browser = producer

    status, headers, page = browser.request("GET", f"/console/batches/{shop.batch_id}/activate")
    _, home_headers, _ = browser.request("GET", "/console")

    assert status == 200
    assert headers["Permissions-Policy"].startswith("camera=(self)")
    assert home_headers["Permissions-Policy"].startswith("camera=()")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert [body for _, body in scripts] == [""]  # one script, nothing inline
    assert re.search(r'src="/console/static/scan\.js\?v=[0-9a-f]{16}"', scripts[0][0])
    assert 'data-decoder="/console/static/jsqr.js?v=' in page
    assert re.search(r'<button type="button" class="scan" hidden data-field="first"', page)  # shown by the script
    assert 'role="status" aria-live="polite"' in page


def test_given_the_static_files_then_they_are_cached_a_year_revalidated_by_etag_and_gzipped(aws: None) -> None:
    handler = load_handler("console")

    def get(path: str, **headers: str) -> dict[str, Any]:
        event = http_event("GET", path, route="GET /console/{proxy+}")
        event["headers"].update(headers)
        return handler.lambda_handler(event, FakeContext())

    plain = get("/console/static/jsqr.js")
    zipped = get("/console/static/jsqr.js", **{"accept-encoding": "gzip, br"})
    again = get("/console/static/jsqr.js", **{"if-none-match": plain["headers"]["ETag"]})
    missing = get("/console/static/other.js")
    script = get("/console/static/scan.js")

    body = base64.b64decode(plain["body"])
    source = (JSQR / "SOURCE").read_text(encoding="utf-8")
    assert plain["statusCode"] == 200 and "max-age=31536000" in plain["headers"]["Cache-Control"]
    assert hashlib.sha256(body).hexdigest() in source and "Apache License" in (JSQR / "LICENSE").read_text()
    assert gzip.decompress(base64.b64decode(zipped["body"])) == body and zipped["headers"]["Content-Encoding"] == "gzip"
    assert again["statusCode"] == 304 and missing["statusCode"] == 404
    assert script["statusCode"] == 200 and script["headers"]["Content-Type"].startswith("text/javascript")


def test_given_more_activations_when_the_activation_pages_open_then_their_requests_do_not_grow(
    producer: tuple[Shop, Browser], ddb_calls: list[tuple[str, str]]
) -> None:
    shop, browser = producer
    codes = shop.codes(1, 1000)

    def requests_of(first: int, last: int) -> tuple[list[str], list[str]]:
        ddb_calls.clear()
        _, _, page = browser.request("GET", f"/console/batches/{shop.batch_id}/activate")
        form = [op for service, op in ddb_calls if service == "dynamodb"]
        sent = {"csrf": _field(page, "csrf"), "first": codes[first - 1], "last": codes[last - 1]}
        ddb_calls.clear()
        status, _, _ = browser.request(
            "POST", f"/console/batches/{shop.batch_id}/activate", {**sent, "lot_id": shop.lot["lot_id"]}
        )
        check = [op for service, op in ddb_calls if service == "dynamodb"]
        assert status == 200
        return sorted(form), sorted(check)

    requests_of(900, 910)  # warm: the code keys read once per process
    before = requests_of(900, 910)
    for n in range(10):
        shop.activate(1 + 10 * n, 10 + 10 * n)
    after = requests_of(900, 910)

    # the form: batch, product, the producer's lots (one Query); the check the same
    assert before == after
    # the batch, the product, the product's lots; and the session's revocation check
    page = ["BatchGetItem", "GetItem", "GetItem", "Query"]
    assert before[0] == page and before[1] == page
