"""The inspector's remaining console pages (issue 15), on moto: the province summary (charts
with a table of their numbers, the inspector's provinces only, period and province as a GET
form), the alert queue's type and province filter, the CSV export in parts, a field check
recorded from scanned codes (what each is shown first; recorded once however often it is
sent), and their refusals: a producer session, a province outside the scope, a CSRF-less post."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.handlers import Shop, http_event, inspector, invoke_json, scan
from helpers.visits import networks, visit
from integration.test_console import sign_in
from integration.test_console_inspector import HANOI, HCMC, USERS, _inspector
from integration.test_console_producer import Person, _csrf
from ocop_stamps.core.settings import get_settings


@pytest.fixture
def console(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """As test_console_inspector's: the demo users with a Hà Nội inspector, and a shop."""
    monkeypatch.setenv("OCOP_CONSOLE_LOCAL_USERS", json.dumps(USERS))
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    get_settings.cache_clear()
    yield Shop()
    get_settings.cache_clear()


def _field_checks(shop: Shop) -> list[dict[str, Any]]:
    """The field checks in the lot's EPCIS history, through the API."""
    event = http_event(
        "GET",
        f"/lots/{shop.lot['lot_id']}/epcis",
        route="/lots/{lot_id}/epcis",
        claims=inspector(),
        path_parameters={"lot_id": shop.lot["lot_id"]},
    )
    status, doc = invoke_json("producer_api", event)
    assert status == 200
    return [e for e in doc["epcisBody"]["eventList"] if e.get("ocop:fieldCheck")]


def _rows(page: str, caption: str) -> dict[str, str]:
    """A two-column table of the page, by its caption: {row heading: number}."""
    table = page.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return {
        html.unescape(k): v for k, v in re.findall(r'<th scope="row">([^<]*)</th><td class="num">([^<]*)</td>', table)
    }


# --- the summary ---------------------------------------------------------------------------------
def test_given_scans_in_two_provinces_when_a_hanoi_inspector_opens_the_summary_then_charts_and_tables_of_hanoi_only(
    console: Shop, detector
) -> None:
    shop = console
    shop.activate(1, 10)
    hanoi, saigon, again = shop.codes(1, 3)
    scan(hanoi, headers=HANOI)
    scan(again, headers=HANOI)
    scan(saigon, headers=HCMC)
    detector()
    me = _inspector()

    status, headers, page = me.get("/console/summary")
    _, _, week = me.get("/console/summary", days="7", province="01")

    assert status == 200 and page.count("<svg") == 3 and 'role="img"' in page
    assert "<script" not in page and "camera=()" in headers["Permissions-Policy"]
    assert _rows(page, "Lượt quét theo kết luận") == {"tem chính hãng": "2"}  # Hà Nội's two, not Sài Gòn's
    assert _rows(page, "Tỉnh/thành có nhiều lượt quét nhất") == {"Thành phố Hà Nội": "2"}
    assert "Tổng cộng 2 lượt quét trong 30 ngày." in page
    assert '<option value="01" selected>' in week and "trong 7 ngày" in week
    assert '<option value="79"' not in page  # only the inspector's provinces are offered


def test_given_the_summary_when_a_province_outside_the_scope_or_a_bad_period_is_asked_then_refused_at_the_field(
    console: Shop,
) -> None:
    me = _inspector()

    outside, _, other = me.get("/console/summary", province="79")
    bad, _, long = me.get("/console/summary", days="365")

    assert outside == 403 and 'aria-describedby="province-err"' in other
    assert "ngoài phạm vi" in other and "outside your scope" in other and "<svg" not in other
    assert bad == 400 and 'aria-describedby="days-err"' in long and "1 to 92 days" in long


# --- the queue's filters -------------------------------------------------------------------------
def test_given_a_repeat_alert_when_the_queue_is_filtered_by_type_and_province_then_the_apis_filters_apply(
    console: Shop, detector
) -> None:
    shop = console
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    for ip in networks(3):
        visit(f"/v/{code}", ip=ip, headers=HANOI)
    detector()
    me = _inspector()

    _, _, repeat = me.get("/console/alerts", type="repeat_24h", province="01")
    _, _, void = me.get("/console/alerts", type="void_scanned")
    wrong, _, bad_type = me.get("/console/alerts", type="nonsense")
    outside, _, other = me.get("/console/alerts", province="79")

    assert re.search(r'href="/console/alerts/al_[0-9a-f]+"', repeat)
    assert 'href="/console/alerts?status=resolved&amp;type=repeat_24h&amp;province=01"' in repeat  # tabs keep it
    assert not re.search(r'href="/console/alerts/al_', void) and "Không có cảnh báo nào" in void
    assert wrong == 400 and 'aria-describedby="type-err"' in bad_type and "type must be one of" in bad_type
    assert outside == 403 and 'aria-describedby="province-err"' in other


# --- the CSV in parts ----------------------------------------------------------------------------
def test_given_an_export_cut_into_parts_when_the_next_part_is_followed_then_every_line_comes_once(
    console: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ocop_stamps.console import inspector as pages

    monkeypatch.setattr(pages, "MAX_EXPORT_ROWS", 2)
    shop = console
    shop.activate(1, 10)
    codes = shop.codes(1, 3)
    for code in codes:
        scan(code, headers=HANOI)
    me = _inspector()
    lot = shop.lot["lot_id"]

    _, _, scans = me.get("/console/scans", lot=lot)
    _, _, first = me.get("/console/scans/export", lot=lot)
    found = re.search(r'href="/console/scans/export\?([^"]+)"', first)
    assert found
    query = dict(re.findall(r"([^&=]+)=([^&]*)", html.unescape(found.group(1))))
    from urllib.parse import unquote_plus

    _, _, second = me.get("/console/scans/export", **{k: unquote_plus(v) for k, v in query.items()})
    link = re.search(r'href="/console/scans.csv\?([^"]+)" download', second)
    assert link
    part = dict(re.findall(r"([^&=]+)=([^&]*)", html.unescape(link.group(1))))
    _, headers, body = me.get("/console/scans.csv", **{k: unquote_plus(v) for k, v in part.items()})
    rest = base64.b64decode(body).decode("utf-8")

    assert f'href="/console/scans/export?lot={lot}"' in scans
    assert "Phần 1: 2 dòng." in first and "Vẫn còn dòng" in first
    assert "Phần 2: 1 dòng." in second and "Đây là phần cuối." in second and "Xem phần 3" not in second
    assert headers["X-Row-Count"] == "1" and "Link" not in headers
    assert sum(code in rest for code in codes) == 1  # the oldest line, the one part 1 left


# --- the field check -----------------------------------------------------------------------------
def _check_form(me: Person) -> str:
    status, headers, page = me.get("/console/field-checks/new")
    assert status == 200 and headers["Permissions-Policy"].startswith("camera=(self)")
    return page


def test_given_scanned_codes_when_checked_then_each_stamps_verdict_shows_and_recording_twice_records_once(
    console: Shop,
) -> None:
    shop = console
    shop.activate(1, 10)
    first, second = shop.codes(1, 2)
    unbound = shop.codes(20, 20)[0]  # issued, not activated: of no lot
    me = _inspector()
    form = _check_form(me)
    token = _csrf(form)
    typed = {
        "csrf": token,
        "step": "check",
        "province": "01",
        "codes": f"{first}\nhttps://tem.example.vn/v/{second}\n{unbound}",
        "commune": "",
        "place": "Cửa hàng đặc sản <Phố Cổ>",
        "date": "2026-11-20",
        "result": "suspect",
        "note": "",
    }

    status, headers, listed = me.post("/console/field-checks", typed)
    recording = next(f for f in listed.split("<form")[1:] if 'name="step" value="do"' in f)
    record = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', recording))
    record = {k: html.unescape(v) for k, v in record.items()}
    once = me.post("/console/field-checks", record)
    twice = me.post("/console/field-checks", record)
    checks = _field_checks(shop)

    assert status == 200 and headers["Permissions-Policy"].startswith("camera=(self)")
    assert listed.count("<td>tem chính hãng</td>") == 2 and "<td>chưa kích hoạt</td>" in listed
    assert shop.lot["lot_code"] in listed and "Cửa hàng đặc sản &lt;Phố Cổ&gt;" in listed
    assert "Ghi nhận lần kiểm tra (2 tem)" in listed and unbound in listed
    assert once[0] == 200 and "Đã ghi nhận lần kiểm tra thực địa của lô" in once[2]
    event_id = re.search(r"<code>(urn:uuid:[0-9a-f-]+)</code>", once[2])
    assert event_id and event_id.group(1) in twice[2]  # the second send answers the same check
    assert len(checks) == 1
    (check,) = checks
    assert check["ocop:stampsChecked"] == 2 and check["ocop:result"] == "suspect" and check["ocop:province"] == "01"
    assert unbound in check["ocop:note"]
    assert check["ocop:place"] == "Cửa hàng đặc sản <Phố Cổ>"


def test_given_a_check_form_when_codes_are_missing_garbled_or_of_two_lots_then_refused_at_the_codes_in_both_languages(
    console: Shop,
) -> None:
    shop = console
    other_lot = shop.new_lot("HH-2026-12")
    shop.activate(1, 5)
    shop.activate(6, 10, lot_id=other_lot["lot_id"])
    a, b = shop.codes(1, 1)[0], shop.codes(6, 6)[0]
    me = _inspector()
    token = _csrf(_check_form(me))
    base = {"csrf": token, "step": "check", "province": "01", "place": "Chợ", "date": "2026-11-20", "result": "pass"}

    empty = me.post("/console/field-checks", {**base, "codes": ""})
    garbled = me.post("/console/field-checks", {**base, "codes": "XIN-CHAO"})
    two = me.post("/console/field-checks", {**base, "codes": f"{a}\n{b}"})
    no_place = me.post("/console/field-checks", {**base, "codes": a, "place": ""})

    assert empty[0] == 422 and 'aria-describedby="codes-err codes-hint"' in empty[2]
    assert "ít nhất một tem" in empty[2] and "at least one activated stamp" in empty[2]
    assert garbled[0] == 422 and "XIN-CHAO" in garbled[2] and "not stamp codes" in garbled[2]
    assert two[0] == 422 and "HH-2026-11" in two[2] and "HH-2026-12" in two[2] and "2 lô" in two[2]
    assert no_place[0] == 422 and 'aria-describedby="place-err"' in no_place[2] and "Write where" in no_place[2]
    assert f"{a}" in no_place[2]  # what was typed stays


def test_given_a_check_in_a_province_outside_the_scope_of_a_lot_of_a_producer_outside_it_then_refused_at_the_province(
    console: Shop,
) -> None:
    shop = console  # the producer is in Thái Nguyên; the inspector in Hà Nội
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    me = _inspector()
    token = _csrf(_check_form(me))
    record = {
        "csrf": token,
        "step": "do",
        "province": "79",
        "lot_id": shop.lot["lot_id"],
        "lot_code": shop.lot["lot_code"],
        "codes": code,
        "commune": "",
        "place": "Chợ Bến Thành",
        "date": "2026-11-20",
        "result": "pass",
        "note": "",
        "key": "k" * 32,
    }

    status, _, page = me.post("/console/field-checks", record)

    assert status == 403 and 'aria-describedby="province-err"' in page
    assert "ngoài phạm vi" in page and "outside your scope" in page
    assert _field_checks(shop) == []


def test_given_a_recording_with_a_commune_of_another_province_or_a_date_before_the_lot_then_refused_at_that_field(
    console: Shop,
) -> None:
    shop = console
    shop.activate(1, 10)
    me = _inspector()
    token = _csrf(_check_form(me))
    record = {
        "csrf": token,
        "step": "do",
        "province": "01",
        "lot_id": shop.lot["lot_id"],
        "lot_code": shop.lot["lot_code"],
        "codes": shop.codes(1, 1)[0],
        "commune": "",
        "place": "Chợ",
        "date": "2026-11-20",
        "result": "pass",
        "note": "",
    }

    commune = me.post("/console/field-checks", {**record, "commune": "Phường Sài Gòn", "key": "a" * 32})
    early = me.post("/console/field-checks", {**record, "date": "2001-01-01", "key": "b" * 32})

    assert commune[0] in (400, 422) and 'aria-describedby="commune-err"' in commune[2]
    assert early[0] == 400 and 'aria-describedby="date-err"' in early[2] and "ngày sản xuất" in early[2]
    assert _field_checks(shop) == []


# --- refusals ------------------------------------------------------------------------------------
def test_given_a_producer_session_when_the_new_inspector_pages_are_opened_then_refused(console: Shop) -> None:
    me = Person()
    sign_in(me, "producer")
    _, _, page = me.get("/console")
    token = _csrf(page)

    opened = [me.get(p)[0] for p in ("/console/summary", "/console/field-checks/new", "/console/scans/export")]
    posted = me.post("/console/field-checks", {"csrf": token, "step": "check", "codes": "x"})[0]

    assert opened == [403, 403, 403] and posted == 403


def test_given_a_field_check_posted_without_the_csrf_token_then_refused_and_nothing_recorded(console: Shop) -> None:
    shop = console
    shop.activate(1, 10)
    me = _inspector()
    _check_form(me)

    status, _, _ = me.post(
        "/console/field-checks",
        {
            "step": "do",
            "province": "01",
            "lot_id": shop.lot["lot_id"],
            "codes": shop.codes(1, 1)[0],
            "place": "Chợ",
            "date": "2026-11-20",
            "result": "pass",
            "key": "k" * 32,
        },
    )

    assert status == 403 and _field_checks(shop) == []


def test_given_an_inspector_home_then_it_links_every_inspector_page(console: Shop) -> None:
    me = _inspector()

    _, _, home = me.get("/console")

    for path in ("/console/scans", "/console/alerts", "/console/summary", "/console/field-checks/new"):
        assert f'href="{path}"' in home


# --- requests per page ---------------------------------------------------------------------------
def _measure(me: Person, ddb_calls: list[tuple[str, str]], path: str, **query: str) -> tuple[int, int, list[str]]:
    """(bytes, gzip bytes, DynamoDB operations) of one warm GET; printed for docs/PERFORMANCE.md."""
    import gzip
    import time
    from collections import Counter

    me.get(path, **query)  # warm
    ddb_calls.clear()
    started = time.perf_counter()
    status, _, page = me.get(path, **query)
    took = (time.perf_counter() - started) * 1000
    ops = sorted(op for service, op in ddb_calls if service == "dynamodb")
    size, packed = len(page.encode()), len(gzip.compress(page.encode(), 9))
    print(f"\n| `{path}` {query or ''} | {size:,} | {packed:,} | {dict(Counter(ops))} | {took:.0f} ms |")
    assert status == 200
    return size, packed, ops


def test_given_more_scans_when_the_inspector_pages_open_then_their_requests_do_not_grow(
    console: Shop, detector, ddb_calls: list[tuple[str, str]]
) -> None:
    shop = console
    shop.activate(1, 40)
    codes = shop.codes(1, 40)
    scan(codes[0], headers=HANOI)
    detector()
    me = _inspector()
    pages = [("/console/summary", {}), ("/console/alerts", {"type": "repeat_24h"}), ("/console/field-checks/new", {})]

    few = [_measure(me, ddb_calls, p, **q)[2] for p, q in pages]
    for code in codes[1:]:
        scan(code, headers=HANOI)
    detector()
    many = [_measure(me, ddb_calls, p, **q)[2] for p, q in pages]

    assert few == many
    assert few[2] == ["BatchGetItem"]  # the form reads nothing but the session's revocation check
