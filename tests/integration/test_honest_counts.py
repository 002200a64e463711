"""Issue 11: what a buyer is told stays honest whatever else fetches a stamp's link.

Link previews, crawlers, mail scanners, prefetches and HEADs are logged with their kind and
count nothing; ``repeat`` comes from several scanners, not several page loads; a page shown
again shows the stamp as it is now; a page that cannot be drawn still answers its verdict,
and its retry counts nothing. Through the public function (``/v/{code}``, ``/v?code=`` and
the GS1 Digital Link) and the anomaly detector on the Scans table's stream."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from helpers.handlers import Shop, claims, http_event, invoke_json, load_handler
from helpers.visits import PHONE, ZALO_IN_APP, log_lines, networks, scan_count, stamp_item, visit
from ocop_local import backend
from ocop_stamps.core.vocabulary import ScanKind
from ocop_stamps.scanning import verification
from ocop_stamps.scanning.traffic import Traffic

GTIN14 = "08930000000019"  # the sample product's GTIN-13, as GTIN-14

# One representative of each family (tests/unit/test_honest_counts.py has them all).
MACHINES: dict[str, dict[str, Any]] = {
    "facebook": {"ua": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
    "zalo": {"ua": "Zalo"},
    "telegram": {"ua": "TelegramBot (like TwitterBot)"},
    "googlebot": {"ua": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
    "coccocbot": {"ua": "Mozilla/5.0 (compatible; coccocbot-web/1.0; +http://help.coccoc.com/searchengine)"},
    "outlook": {"ua": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)"},
    "no-user-agent": {"ua": None},
    "dash-user-agent": {"ua": "-"},
    "apis-google": {"ua": "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)"},
    "google-favicon": {
        "ua": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.75 "
        "Safari/537.36 Google Favicon"
    },
    "pinterest-crawler": {"ua": "Pinterest/0.2 (+https://www.pinterest.com/bot.html)"},
    "prefetch": {"headers": {"sec-purpose": "prefetch"}},
    "prerender": {"headers": {"sec-purpose": "prefetch;prerender"}},
    "firefox-prefetch": {"headers": {"x-moz": "prefetch"}},
}
KIND = {
    "facebook": "preview",
    "zalo": "preview",
    "telegram": "preview",
    "pinterest-crawler": "preview",
    "prefetch": "prefetch",
    "prerender": "prefetch",
    "firefox-prefetch": "prefetch",
}


def alerts() -> list[dict[str, Any]]:
    status, body = invoke_json("inspector_api", http_event("GET", "/alerts", route="/alerts", claims=claims("admin")))
    assert status == 200, body
    return list(body["items"])


def _paths(code: str) -> dict[str, str]:
    return {"v": f"/v/{code}", "digital-link": f"/01/{GTIN14}/21/{code}"}


@pytest.fixture
def stamp(shop: Shop) -> str:
    shop.activate(1, 10)
    return shop.codes(1, 1)[0]


# --- 1. previews, crawlers, mail scanners and prefetches count nothing ------------------------------
@pytest.mark.parametrize("where", ["v", "digital-link"])
@pytest.mark.parametrize("machine", MACHINES.keys())
def test_given_ten_fetches_by_a_machine_then_the_buyers_first_scan_is_genuine_count_1_and_no_alert(
    shop: Shop, stamp: str, detector: Any, machine: str, where: str
):
    spec = MACHINES[machine]
    path = _paths(stamp)[where]
    for _ in range(10):
        status, headers, body = visit(path, ua=spec.get("ua", PHONE), headers=spec.get("headers"))
        if KIND.get(machine) == "prefetch":  # a browser discards it and asks again when the person opens the link
            assert status == 503 and headers["retry-after"] and headers["cache-control"] == "no-store"
        else:
            assert status == 200 and "verdict" not in body and "scan" not in body and "view_token" not in body
    assert scan_count(stamp) == 0

    status, _, body = visit(path)  # the buyer, on a phone

    assert status == 200 and body["verdict"] == "genuine"
    assert body["scan"]["count"] == 1 and body["scan"]["first_scanned_at"] == body["scanned_at"]
    lines = log_lines(stamp)
    kind = KIND.get(machine, "bot")
    assert sorted(line["kind"] for line in lines) == sorted(["person"] + [kind] * 10)
    detector()
    assert alerts() == []  # no repeat, no travel, no status alert from machines


def test_given_a_link_shared_in_a_chat_then_the_unfurler_gets_open_graph_tags_and_no_verdict(shop: Shop, stamp: str):
    for path in _paths(stamp).values():
        status, headers, page = visit(path, ua=MACHINES["facebook"]["ua"], html=True)

        assert status == 200 and headers["cache-control"] == "no-store" and headers["x-robots-tag"] == "noindex"
        assert '<meta property="og:title" content="Cao ngựa bạch Hoan Hoa">' in page
        description = re.search(r'property="og:description" content="([^"]+)"', page)
        assert description and description.group(1).startswith(
            "Cơ sở chế biến cao ngựa bạch Hoan Hoa · Sản phẩm OCOP 3 sao"
        )
        assert '<meta property="og:site_name" content="Tem truy xuất OCOP">' in page
        assert "Tem chính hãng" not in page and "data-verdict" not in page and "đã được kiểm tra" not in page
    assert scan_count(stamp) == 0


PINTEREST_IN_APP = {
    "android": "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Version/4.0 Chrome/116.0.5845.163 Mobile Safari/537.36 [Pinterest/Android]",
    "ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [Pinterest/iOS]",
}


@pytest.mark.parametrize("app", PINTEREST_IN_APP.keys())
def test_given_a_person_opening_the_link_in_pinterests_app_then_the_verdict_and_the_scan_counts(
    shop: Shop, stamp: str, app: str
):
    status, _, body = visit(f"/v/{stamp}", ua=PINTEREST_IN_APP[app])

    assert status == 200 and body["verdict"] == "genuine" and body["scan"]["count"] == 1
    assert [line["kind"] for line in log_lines(stamp)] == ["person"]


def test_given_a_preview_asking_for_json_then_product_and_producer_but_no_verdict_or_count(shop: Shop, stamp: str):
    status, _, body = visit(f"/v/{stamp}", ua="Twitterbot/1.0")

    assert status == 200 and body["kind"] == "preview"
    assert body["product"]["name"] == "Cao ngựa bạch Hoan Hoa" and body["producer"]["producer_id"] == shop.producer_id
    assert body["card"]["title"] == "Cao ngựa bạch Hoan Hoa"
    assert not {"verdict", "verdicts", "scan", "view_token", "message"} & body.keys()


def test_given_a_typed_code_checked_by_a_crawler_then_logged_as_a_bot_and_not_counted(shop: Shop, stamp: str):
    status, _, body = visit("/v", ua=MACHINES["googlebot"]["ua"], query={"code": stamp})

    assert status == 200 and body["kind"] == "bot"
    (line,) = log_lines(stamp)
    assert (line["kind"], line["ua_family"], line["channel"]) == ("bot", "googlebot", "typed")
    assert stamp_item(stamp) is None  # "first checked" is still to come


def test_given_a_head_request_then_logged_as_head_and_not_counted(shop: Shop, stamp: str):
    verification.verify(stamp, verification.ScanContext(source_ip="203.0.113.9"), "", traffic=Traffic(ScanKind.head))
    visit(f"/01/{GTIN14}/21/{stamp}", method="HEAD")  # the Digital Link's metadata answer

    # the page's HEAD is a `head` line; the Digital Link's HEAD a `lookup` line (issue 13, kind 7:
    # every way of asking about a code is logged); neither is counted
    assert sorted(line["kind"] for line in log_lines(stamp)) == ["head", "lookup"]
    assert scan_count(stamp) == 0


def test_given_a_preview_of_a_code_never_issued_then_404_and_still_evidence_of_guessing(aws: None):
    status, _, body = visit("/v/ABCD-EFGH-JKMN-PQRS", ua=MACHINES["facebook"]["ua"])

    assert status == 404 and body["kind"] == "preview"
    (line,) = boto3.client("dynamodb").scan(TableName="ocop-scans")["Items"]
    assert line["verdict"]["S"] == "unknown" and line["kind"]["S"] == "preview"


# --- 2. repeat needs several scanners ---------------------------------------------------------------
def test_given_a_buyer_checking_their_jar_five_times_then_genuine_all_from_this_device(
    shop: Shop, stamp: str, detector: Any
):
    for _ in range(4):
        visit(f"/v/{stamp}", ua=ZALO_IN_APP)
    status, _, page = visit(f"/v/{stamp}", ua=ZALO_IN_APP, html=True)

    assert status == 200 and "<h1>Tem chính hãng</h1>" in page
    assert "Mã này đã được kiểm tra 5 lần, đều từ thiết bị này." in page
    body = visit(f"/v/{stamp}")[2]
    assert body["verdict"] == "genuine" and body["scan"]["count"] == 6 and body["scan"]["this_device_only"] is True
    detector()
    assert [a for a in alerts() if a["type"].startswith("repeat")] == []


def test_given_a_label_copied_onto_many_jars_then_repeat_from_the_sixth_device(shop: Shop, stamp: str, detector: Any):
    verdicts = [visit(f"/v/{stamp}", ip=ip)[2]["verdict"] for ip in networks(6)]
    status, _, page = visit(f"/v/{stamp}", ip=networks(6)[-1], html=True)

    assert verdicts == ["genuine"] * 5 + ["repeat"]
    assert status == 200 and "Cảnh báo: mã tem này đã được kiểm tra 7 lần" in page
    assert "từ ít nhất 6 thiết bị khác nhau" in page
    detector()
    raised = {a["type"]: a for a in alerts()}
    assert raised["repeat_24h"]["occurrences"] == 5  # from the 3rd device on; the 7th load is the 6th device again
    assert raised["repeat_24h"]["detail"] == {"scanners": 6, "threshold": 3}
    assert raised["repeat_7d"]["detail"] == {"scanners": 6, "threshold": 5}
    assert "6 máy khác nhau trong 7 ngày" in raised["repeat_7d"]["summary_vi"]


def test_given_hundreds_of_networks_then_the_stamp_item_stays_under_one_kilobyte(stamp: str):
    from ocop_stamps.storage import repository

    for n in range(300):  # every one of the 256 scanner buckets, and some twice
        repository.count_scan(stamp, 1, 1, f"2026-11-23T06:{n // 60:02d}:{n % 60:02d}.000Z", "VN-69", f"{n % 256:02x}")
    item = stamp_item(stamp)

    assert item and int(item["scan_count"]["N"]) == 300 and len(item["scanners"]["SS"]) == 256
    assert _item_size(item) < 1024  # one write unit per scan, however many networks checked it


def _item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: names plus values (strings in UTF-8, numbers ~1 byte per 2 digits)."""

    def value(v: dict[str, Any]) -> int:
        ((kind, x),) = v.items()
        if kind == "S":
            return len(x.encode())
        if kind == "N":
            return len(x.lstrip("-").replace(".", "")) // 2 + 2
        if kind == "SS":
            return sum(len(m.encode()) for m in x)
        raise AssertionError(kind)

    return sum(len(name.encode()) + value(v) for name, v in item.items())


@pytest.fixture
def fallback_queue(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from ocop_stamps.core.settings import get_settings

    url = backend.create_scan_fallback_queue()["SCAN_FALLBACK_QUEUE_URL"]
    monkeypatch.setenv("SCAN_FALLBACK_QUEUE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_given_a_count_that_went_to_the_fallback_queue_then_its_replay_records_the_scanner_too(
    shop: Shop, stamp: str, fallback_queue: str, monkeypatch: pytest.MonkeyPatch
):
    from ocop_local import jobs
    from ocop_stamps.storage import repository

    def throttled(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ProvisionedThroughputExceededException, retries exhausted")

    real = repository.count_scan
    monkeypatch.setattr(repository, "count_scan", throttled)
    status, _, body = visit(f"/v/{stamp}")
    assert status == 200 and body["verdict"] == "genuine" and body["scan"]["count"] is None
    monkeypatch.setattr(repository, "count_scan", real)
    jobs.drain(load_handler("scan_log_drain").lambda_handler, fallback_queue, batch_size=10)

    body = visit(f"/v/{stamp}")[2]
    assert body["scan"]["count"] == 2 and body["scan"]["this_device_only"] is True


# --- 8. a page shown again shows the stamp as it is now ---------------------------------------------
def test_given_a_language_link_from_the_first_scan_when_opened_after_15_more_then_the_current_count_and_verdict(
    shop: Shop, stamp: str
):
    status, _, page = visit(f"/v/{stamp}", html=True)
    link = re.search(r'class=lang href="([^"]+)"', page)
    assert status == 200 and link and "Đây là lần đầu tiên mã này được kiểm tra" in page
    view = unquote(re.search(r"view=([^&\"]+)", link.group(1).replace("&amp;", "&")).group(1))
    others = networks(7)
    for n in range(15):
        visit(f"/v/{stamp}", ip=others[n % 7])

    status, _, again = visit(f"/v/{stamp}", html=True, query={"lang": "en", "view": view})

    assert status == 200 and "Warning: this code has been checked 16 times" in again
    assert "first check" not in again
    assert scan_count(stamp) == 16 and len(log_lines(stamp)) == 16  # shown again: not counted, not logged


# --- 9. a page that fails still answers once -------------------------------------------------------
def test_given_a_page_that_fails_to_render_then_its_verdict_still_answers_and_its_retry_counts_nothing(
    shop: Shop, stamp: str, monkeypatch: pytest.MonkeyPatch
):
    from ocop_stamps.pages import scan_page

    real = scan_page.render

    def broken(*args: Any, **kwargs: Any) -> str:
        raise ValueError("year 10000 is out of range")

    monkeypatch.setattr(scan_page, "render", broken)
    status, _, page = visit(f"/v/{stamp}", html=True)

    assert status == 200 and 'data-verdict="genuine"' in page and "<h1>Tem chính hãng: mã do hệ thống cấp" in page
    retry = re.search(r'<a href="([^"]+)">Tải lại trang đầy đủ</a>', page)
    assert retry and scan_count(stamp) == 1
    path, _, query = retry.group(1).replace("&amp;", "&").partition("?")
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    params["view"] = unquote(params["view"])
    visit(path, html=True, query=params)  # the consumer retries while it still fails
    monkeypatch.setattr(scan_page, "render", real)
    status, _, full = visit(path, html=True, query=params)  # and once it works again

    assert status == 200 and "<h1>Tem chính hãng</h1>" in full and "id=product" in full
    assert scan_count(stamp) == 1 and len(log_lines(stamp)) == 1


# --- cost ---------------------------------------------------------------------------------------------
def test_given_a_warm_function_then_a_person_scan_costs_3_requests_a_preview_2_and_a_page_shown_again_2(
    shop: Shop, stamp: str, ddb_calls: list[tuple[str, str]]
):
    token = visit(f"/v/{stamp}")[2]["view_token"]  # warms the caches
    visit(f"/v/{stamp}", ua="facebookexternalhit/1.1")

    def cost(*args: Any, **kwargs: Any) -> list[str]:
        ddb_calls.clear()
        visit(*args, **kwargs)
        return sorted(op for service, op in ddb_calls if service == "dynamodb")

    assert cost(f"/v/{stamp}") == ["GetItem", "PutItem", "UpdateItem"]
    assert cost(f"/v/{stamp}", ua="facebookexternalhit/1.1") == ["GetItem", "PutItem"]
    assert cost(f"/v/{stamp}", query={"view": token}) == ["GetItem", "GetItem"]
