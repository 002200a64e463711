"""The inspector's console in a real browser (issue 15): Debian Chromium on the local stack at
360 x 740 and 1280 x 800, axe-core on every page (nothing serious or critical), nothing asked
of another host, no CSP refusal.

The walk: the home's four links; the verification log filtered by batch and its next page;
the CSV (downloaded) and its parts page; the alert queue filtered by type, one alert
acknowledged then resolved with a note (phone) or dismissed with a note (desktop); the province
summary (three charts, each with a table of its numbers); and a field check by camera: the
browser's fake camera shows a video of two REAL labels of an activated roll (the first and the
last, rendered by the print path: ``e2e.test_console_camera.Roll``), the script appends both
codes, the list says what each stamp is, and a double click on "record" records one check in
the lot's EPCIS history.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from e2e.test_console_browser import CHROMIUM, FLAGS, SCREENSHOTS, Console, pytestmark  # noqa: F401  (skips as that module does)
from e2e.test_console_camera import NO_DETECTOR, SIZE, Roll, _api

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]

ROLE = "Đăng nhập với vai trò cán bộ kiểm tra"
USER = "local-inspector"
SCANS_PER_CODE = 2  # 30 codes scanned twice: 60 lines, more than one page of 50


class Shelf:
    """An activated roll of the demo producer scanned twice over (60 log lines), a stamp of each
    of two batches never activated scanned (two alerts), and a video of the roll's first and last label."""

    def __init__(self, stack: LocalStack, video: Path) -> None:
        self.roll = Roll(stack)
        status, raw = _api(
            stack,
            "POST",
            f"/batches/{self.roll.batch_id}/activations",
            {"first_serial": 1, "last_serial": SIZE, "lot_id": self.roll.lot_id},
        )
        assert status in (200, 201), raw
        product_id = next(p for p, who in stack.summary.products.items() if who == stack.summary.producer_id)
        self.stray: list[str] = []
        for _ in range(2):  # two batches never activated: an alert each (one per batch a day)
            status, raw = _api(stack, "POST", "/batches", {"product_id": product_id, "size": 1})
            assert status == 201, raw
            unbound = json.loads(raw)["batch_id"]
            status, raw = _api(stack, "GET", f"/batches/{unbound}/codes.csv")
            self.stray.append(raw.decode().splitlines()[1].split(",")[2])
        for _ in range(SCANS_PER_CODE):
            for url in self.roll.urls:
                assert requests.get(url, headers={"Accept": "application/json"}, timeout=30).status_code == 200
        for url in self.stray:
            assert (
                requests.get(url, headers={"Accept": "application/json"}, timeout=30).json()["verdict"]
                == "not_activated"
            )
        stack.catch_up()
        self.video = self.roll.video(video)

    def field_checks(self, stack: LocalStack) -> int:
        status, raw = _api(stack, "GET", f"/lots/{self.roll.lot_id}/epcis")
        assert status == 200, raw
        return sum(1 for e in json.loads(raw)["epcisBody"]["eventList"] if e.get("ocop:fieldCheck"))


@pytest.fixture(scope="module")
def shelf(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Shelf:
    return Shelf(local_stack, tmp_path_factory.mktemp("shelf") / "two-labels.y4m")


@pytest.fixture(scope="module")
def camera_browser(shelf: Shelf) -> Iterator[Any]:
    flags = [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={shelf.video}",
    ]
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
        yield launched
        launched.close()


def _walk_log(me: Console, shelf: Shelf, seen: dict[str, Any]) -> None:
    page = me.page
    me.open("/console/scans")
    page.fill("#f-batch", shelf.roll.batch_id)
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_url(re.compile(r".*/console/scans\?.*batch="))
    me.check()
    seen["first_page"] = page.locator("tbody tr").count()
    page.get_by_role("link", name="Trang sau").click()
    page.wait_for_url(re.compile(r".*cursor="))
    me.check()
    seen["second_page"] = page.locator("tbody tr").count()
    me.open(f"/console/scans?batch={shelf.roll.batch_id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về CSV (cùng bộ lọc)").click()
    seen["csv_lines"] = len(Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()) - 1
    page.get_by_role("link", name="Tải CSV theo từng phần (khi quá 20.000 dòng)").click()
    page.wait_for_url(re.compile(r".*/console/scans/export\?batch="))
    me.check()
    seen["parts"] = page.inner_text("main")


def _walk_alerts(me: Console, shelf: Shelf, seen: dict[str, Any]) -> None:
    page = me.page
    me.open("/console/alerts")
    page.select_option("#f-type", "not_activated_scanned")
    page.get_by_role("button", name="Lọc", exact=True).click()
    page.wait_for_url(re.compile(r".*type=not_activated_scanned"))
    me.check()
    page.locator("a[href^='/console/alerts/al_']").first.click()
    page.wait_for_url(re.compile(r".*/console/alerts/al_\w+$"))
    me.check()
    if me.screen == "phone":
        page.get_by_label("Ghi nhận (đang xác minh)").check()
        page.fill("#note", "Đang xác minh tại cửa hàng")
        page.get_by_role("button", name="Lưu", exact=True).click()
        page.wait_for_url(re.compile(r".*done=acknowledged$"))
        me.check()
        page.get_by_label("Kết thúc (đã xử lý xong)").check()
        page.fill("#note", "Tem dán nhầm, đã thu hồi")
        page.get_by_role("button", name="Lưu", exact=True).click()
        page.wait_for_url(re.compile(r".*done=resolved$"))
    else:
        page.get_by_label("Bỏ qua (không phải vi phạm)").check()
        page.fill("#note", "Khách thử quét tem mẫu")
        page.get_by_role("button", name="Lưu", exact=True).click()
        page.wait_for_url(re.compile(r".*done=dismissed$"))
    me.check()
    seen["alert"] = page.inner_text("main")


def _walk_summary(me: Console, seen: dict[str, Any]) -> None:
    page = me.page
    me.open("/console/summary")
    page.select_option("#f-days", "7")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.wait_for_url(re.compile(r".*/console/summary\?days=7"))
    me.check()
    seen["charts"] = page.locator("figure.chart svg[role=img]").count()
    seen["summary"] = page.inner_text("main")
    seen["sideways"] = page.evaluate("() => document.scrollingElement.scrollWidth") - page.viewport_size["width"]
    page.screenshot(path=str(SCREENSHOTS / f"console-summary-{me.screen}.png"), full_page=True)


def _walk_field_check(me: Console, stack: LocalStack, shelf: Shelf, seen: dict[str, Any]) -> None:
    page = me.page
    me.open("/console/field-checks/new")
    page.select_option("#province", "19")
    page.get_by_role("button", name="Chọn tỉnh này").click()
    page.wait_for_url(re.compile(r".*/console/field-checks/new\?province=19$"))
    me.check()
    page.get_by_role("button", name="Quét bằng camera").click()
    page.wait_for_function(
        "() => document.getElementById('codes').value.trim().split('\\n').length >= 2", timeout=45_000
    )
    seen["said"] = page.inner_text("#camera-status")
    page.get_by_role("button", name="Dừng camera").click()
    seen["codes"] = page.input_value("#codes").split()
    page.fill("#place", "Cửa hàng đặc sản Phố Cổ")
    page.get_by_label("Đạt", exact=True).check()
    me.check()
    page.screenshot(path=str(SCREENSHOTS / f"console-field-check-{me.screen}.png"), full_page=True)
    page.get_by_role("button", name="Xem các tem trước khi ghi nhận").click()
    page.wait_for_load_state()
    me.check()
    seen["listed"] = page.inner_text("main")
    before = shelf.field_checks(stack)
    page.get_by_role("button", name="Ghi nhận lần kiểm tra (2 tem)").dblclick()
    page.wait_for_selector("text=Đã ghi nhận lần kiểm tra thực địa")
    me.check()
    seen["done"] = page.inner_text("main")
    seen["recorded"] = shelf.field_checks(stack) - before


@pytest.mark.parametrize("screen", ["phone", "desktop"])
def test_given_an_inspector_when_every_page_is_walked_then_each_job_works_and_axe_finds_nothing_serious(
    local_stack: LocalStack, shelf: Shelf, camera_browser: Any, screen: str
) -> None:
    me = Console(camera_browser, local_stack.base_url, screen)
    me.context.grant_permissions(["camera"], origin=local_stack.base_url)
    me.context.add_init_script(NO_DETECTOR)
    seen: dict[str, Any] = {}
    try:
        me.sign_in(ROLE, USER)
        home = me.page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        _walk_log(me, shelf, seen)
        _walk_alerts(me, shelf, seen)
        _walk_summary(me, seen)
        _walk_field_check(me, local_stack, shelf, seen)
        foreign, csp = me.foreign(), me.csp_refusals
        scripts = [u for u in me.requests if urlsplit(u).path.endswith(".js")]
    finally:
        me.context.close()

    assert {"/console/scans", "/console/alerts", "/console/summary", "/console/field-checks/new"} <= set(home)
    assert seen["first_page"] == 50 and seen["second_page"] == SIZE * SCANS_PER_CODE - 50
    assert seen["csv_lines"] == SIZE * SCANS_PER_CODE
    assert f"Phần 1: {SIZE * SCANS_PER_CODE} dòng." in seen["parts"] and "Đây là phần cuối." in seen["parts"]
    if screen == "phone":
        assert "Đã kết thúc" in seen["alert"] and "Tem dán nhầm, đã thu hồi" in seen["alert"]
    else:
        assert "Đã bỏ qua" in seen["alert"] and "Khách thử quét tem mẫu" in seen["alert"]
    assert seen["charts"] == 3 and "Lượt quét theo kết luận" in seen["summary"] and seen["sideways"] <= 0
    assert seen["codes"] == [shelf.roll.codes[0], shelf.roll.codes[-1]]
    assert "Đã đọc tem thứ 2" in seen["said"]
    assert seen["listed"].count("tem chính hãng") == 2 and shelf.roll.lot_code in seen["listed"]
    assert shelf.roll.lot_code in seen["done"] and seen["recorded"] == 1  # a double click records once
    assert all(urlsplit(u).path in ("/console/static/scan.js", "/console/static/jsqr.js") for u in scripts)
    assert foreign == [] and csp == []
    assert me.violations == {}
