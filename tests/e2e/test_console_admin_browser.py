"""The OCOP office's console in a real browser (issue 15): headless Debian Chromium on the local
stack, at 360 x 740 and 1280 x 800. The office signs in, onboards a cooperative group (province,
then commune; the form double-clicked: one producer), registers a product for it (first with a
GTIN the demo product holds: refused at the field, in both languages, the form kept), records a
rating, renews it, and withdraws it behind a confirmation that quotes the scan page. A CSRF-less
post and a producer's session are refused. axe-core finds nothing serious or critical on any
page; no page asks another host for anything.

On the phone the walk then withdraws the demo product's rating and opens one of its stamps as
a buyer: the scan page says what the confirmation said it would. The helpers are those of
tests/e2e/test_console_browser.py (one browser per module, Chromium via ``executable_path``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from e2e.test_browser import PHONE_UA  # a buyer's phone: a headless browser's own agent is not counted as a person
from e2e.test_console_browser import CHROMIUM, FLAGS, SCREENS, SCREENSHOTS, Console, pytestmark  # noqa: F401
from helpers.clicks import landed
from ocop_local.demo import DEMO_GTIN

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from helpers.local_stack import LocalStack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


ADMIN = ("Đăng nhập với vai trò văn phòng OCOP (quản trị)", "local-admin")
DEMO_GTIN_PRODUCT_NAME = "Cao ngựa bạch Hoan Hoa"


def _submit(me: Console, name: str, *, double: bool = False, landing: str | None = None) -> None:
    button = me.page.get_by_role("button", name=name, exact=True)
    if double:
        button.dblclick()
    else:
        button.click()
    if landing:
        landed(me.page, re.compile(landing))
    me.page.wait_for_load_state()
    me.check()


def _onboard(me: Console, name: str, email: str) -> str:
    me.open("/console/producers/new")
    me.page.select_option("#province", "19")
    _submit(me, "Chọn tỉnh này")
    me.page.fill("#name", name)
    me.page.select_option("#kind", "cooperative_group")
    me.page.select_option("#commune", label="Xã Tân Cương")
    me.page.fill("#hamlet", "Xóm Hồng Thái 2")
    me.page.fill("#account_email", email)
    if me.screen == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        me.page.screenshot(path=str(SCREENSHOTS / "console-onboard.png"), full_page=True)
    _submit(me, "Đăng ký chủ thể", double=True, landing=r".*/console/producers/pro-[0-9a-z]{12}\?onboarded=\w+$")
    return urlsplit(me.page.url).path


def _rate(me: Console, action_link: str, date: str, number: str) -> None:
    me.page.get_by_role("link", name=action_link, exact=True).click()
    me.page.wait_for_load_state()
    me.check()
    me.page.get_by_label("4 sao", exact=True).check()
    me.page.fill("#decision_number", number)
    me.page.fill("#decision_date", date)
    me.page.select_option("#issuing_level", "province")
    me.page.fill("#issuing_body", "Ủy ban nhân dân tỉnh Thái Nguyên")
    me.page.fill("#certificate_number", f"GCN-{number}")
    _submit(me, "Lưu hạng sao", landing=r".*/console/products/prd_\w+\?rated=\w+$")


def _withdraw(me: Console, reason: str) -> str:
    """Withdraw the shown product's rating; the confirmation's text."""
    me.page.get_by_role("link", name="Thu hồi hạng sao", exact=True).click()
    me.page.wait_for_load_state()
    me.check()
    me.page.fill("#reason", reason)
    _submit(me, "Tiếp tục")
    confirm = me.page.inner_text("main")
    if me.screen == "phone":
        me.page.screenshot(path=str(SCREENSHOTS / "console-withdraw-rating.png"), full_page=True)
    _submit(me, "Thu hồi hạng sao", landing=r".*/console/products/prd_\w+\?withdrawn=1$")
    return confirm


@pytest.mark.parametrize("screen", list(SCREENS))
def test_given_the_ocop_office_when_using_the_console_then_every_flow_holds_and_axe_finds_nothing_serious(
    local_stack: LocalStack, browser: Browser, screen: str
) -> None:
    me = Console(browser, local_stack.base_url, screen)
    seen: dict[str, str] = {}
    try:
        me.sign_in(*ADMIN)
        home_links = me.page.locator("main a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        name = f"Tổ hợp tác chè Tân Cương {screen}"
        producer_path = _onboard(me, name, f"che.{screen}@example.vn")
        seen["producer"] = me.page.inner_text("main")
        me.open("/console/producers")
        seen["listed"] = me.page.inner_text("main")

        # a product: the demo product's GTIN is refused at its field, the form kept; then without it
        me.open(producer_path)
        me.page.get_by_role("link", name="Đăng ký sản phẩm", exact=True).click()
        me.page.wait_for_load_state()
        me.page.fill("#name", "Chè búp Tân Cương")
        me.page.select_option("#group", "beverage")
        me.page.fill("#gtin", DEMO_GTIN)
        _submit(me, "Đăng ký sản phẩm")
        seen["gtin_refused"] = me.page.inner_text("#gtin-err")
        seen["kept"] = me.page.input_value("#name")
        me.page.fill("#gtin", "")
        _submit(me, "Đăng ký sản phẩm", landing=r".*/console/products/prd_\w+\?registered=1$")

        # record, renew, withdraw
        _rate(me, "Ghi nhận hạng sao", "2026-09-10", "2456/QĐ-UBND")
        seen["recorded"] = me.page.inner_text("main")
        _rate(me, "Công nhận lại", "2026-11-02", "2890/QĐ-UBND")
        seen["renewed"] = me.page.inner_text("main")
        seen["confirm"] = _withdraw(me, "Không còn đạt tiêu chí khi đánh giá lại")
        seen["withdrawn"] = me.page.inner_text("main")
        if screen == "phone":
            me.page.screenshot(path=str(SCREENSHOTS / "console-product-rating.png"), full_page=True)

        # a post without the form's CSRF token is refused
        forged = me.context.request.post(
            local_stack.url("/console/producers"), form={"name": "Giả mạo", "kind": "household"}, max_redirects=0
        )
        forged_status = forged.status

        if screen == "phone":  # the demo product's rating, withdrawn, as a buyer's scan page shows it
            stamp = local_stack.summary.stamps["genuine"]
            me.open("/console/producers/hoan-hoa")
            me.page.get_by_role("link", name=DEMO_GTIN_PRODUCT_NAME).click()
            me.page.wait_for_load_state()
            seen["demo_confirm"] = _withdraw(me, "Thu hồi để kiểm tra lại hồ sơ")
            from ocop_stamps.scanning.verification import reset_cache

            reset_cache()  # the scan page's 60-s product cache: a minute later, every instance reads it again
            buyer = browser.new_context(viewport=SCREENS[screen], locale="vi-VN", user_agent=PHONE_UA)
            try:
                page = buyer.new_page()
                page.goto(stamp, wait_until="load")
                seen["buyer"] = page.inner_text("body")
            finally:
                buyer.close()

        # a producer's session is refused the office's pages
        producer = Console(browser, local_stack.base_url, screen)
        try:
            producer.sign_in("Đăng nhập với vai trò chủ thể sản xuất", "local-producer-tam-hoa")
            refused = producer.open("/console/producers").status
            me.violations.update(producer.violations)
            foreign = me.foreign() + producer.foreign()
            csp = me.csp_refusals + producer.csp_refusals
        finally:
            producer.context.close()
    finally:
        me.context.close()

    assert {"/console/producers", "/console/producers/new", "/console/products/new"} <= set(home_links)
    assert {"/console/scans", "/console/alerts", "/console/summary"} <= set(home_links)
    assert "Tổ hợp tác" in seen["producer"] and "Xã Tân Cương, Tỉnh Thái Nguyên" in seen["producer"]
    assert seen["listed"].count(name) == 1  # double-clicked: one producer
    assert "đã được đăng ký cho một sản phẩm khác" in seen["gtin_refused"]
    assert "already registered for another product" in seen["gtin_refused"]
    assert seen["kept"] == "Chè búp Tân Cương"
    assert "4 sao" in seen["recorded"] and "2456/QĐ-UBND" in seen["recorded"]
    assert "Công nhận lại" in seen["renewed"] and "2890/QĐ-UBND" in seen["renewed"]
    assert "Giấy chứng nhận OCOP đã bị thu hồi ngày" in seen["confirm"]
    assert "The OCOP certificate was withdrawn on" in seen["confirm"]
    assert "Đã bị thu hồi" in seen["withdrawn"] and "Không còn đạt tiêu chí" in seen["withdrawn"]
    assert forged_status == 403 and refused == 403
    if screen == "phone":
        notice = re.search(r"Giấy chứng nhận OCOP đã bị thu hồi ngày \d{2}/\d{2}/\d{4}\.", seen["demo_confirm"])
        assert notice and notice.group(0) in seen["buyer"] and "★" not in seen["buyer"]
        assert "Tem chính hãng" in seen["buyer"]
    assert foreign == [] and csp == []
    assert me.violations == {}
