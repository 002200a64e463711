"""The web console in a real browser (issue 15): headless Debian Chromium on the local stack,
on a 360 x 740 phone and a 1280 x 800 screen. A producer signs in (the local demo users),
reads products, lots and batches, double-taps the batch form (one batch), is refused a
CSRF-less post and another producer's batch, and signs out. axe-core (vendored from the npm
registry: tests/data/vendor/axe-core/SOURCE) finds no serious or critical violation on any
page, and no page asks another host for anything.

On the phone the walk goes on with the producer's other jobs (docs/CONSOLE.md): register a lot
with the province and commune pickers, recall it behind its confirmation (double-clicked: once),
void a serial range the same way, choose a print preset, see one label at its size in mm,
download a small PDF, and follow a large job's self-reloading progress page to its download.

One browser and one local stack for the module; Chromium via ``executable_path``, as
tests/e2e/test_browser.py (never a Playwright browser download).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from helpers.clicks import landed

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OCOP_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("OCOP_SCREENSHOTS", ROOT / ".local" / "screenshots"))
AXE = ROOT / "tests" / "data" / "vendor" / "axe-core" / "axe.min.js"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
SCREENS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed"),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)),
        reason=f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


class Console:
    """One person's browser on the console: records every request and checks each page with axe."""

    def __init__(self, browser: Browser, base: str, screen: str) -> None:
        self.context = browser.new_context(viewport=SCREENS[screen], locale="vi-VN")
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.csp_refusals: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on(
            "console", lambda m: self.csp_refusals.append(m.text) if "Content Security Policy" in m.text else None
        )
        self.base = base
        self.screen = screen
        self.violations: dict[str, list[str]] = {}

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path, wait_until="load")
        self.check()
        return response

    def check(self) -> None:
        """axe-core on the page now shown: serious and critical violations, by page."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))  # DevTools evaluation: not the page's script
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
        )
        if found:
            self.violations[urlsplit(self.page.url).path] = found

    def sign_in(self, role_words: str, user: str) -> None:
        self.open("/console")
        assert urlsplit(self.page.url).path == "/console/sign-in"
        self.page.locator("form", has_text=user).get_by_role("button", name=role_words).click()
        self.page.wait_for_url(re.compile(r".*/console$"))
        self.check()

    def foreign(self) -> list[str]:
        here = urlsplit(self.base).netloc
        return [u for u in self.requests if not u.startswith("data:") and urlsplit(u).netloc != here]

    def batch_links(self) -> list[str]:
        return self.page.locator("a[href^='/console/batches/']").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )


def producer_jobs(me: Console, batch_path: str) -> dict[str, Any]:
    """The lot, recall, void and print flows on the phone; what each showed, for the asserts."""
    seen: dict[str, Any] = {}
    page = me.page
    today = dt.date.today()
    # register a lot: province first (a GET reload), then the commune among that province's
    me.open("/console/lots/new")
    page.select_option("#province", "19")
    page.get_by_role("button", name="Chọn tỉnh này").click()
    page.wait_for_url(re.compile(r".*/console/lots/new\?province=19$"))
    me.check()
    seen["commune_groups"] = page.locator("#commune optgroup").evaluate_all("els => els.map(e => e.label)")
    page.select_option("#product_id", index=1)
    page.fill("#lot_code", "E2E-01")
    page.fill("#production_date", today.isoformat())
    page.fill("#expiry_date", (today + dt.timedelta(days=365)).isoformat())
    page.fill("#quantity", "50")
    page.fill("#unit", "hộp")
    page.select_option("#commune", label="Xã Kha Sơn")
    page.screenshot(path=str(SCREENSHOTS / "console-lot.png"), full_page=True)
    page.get_by_role("button", name="Đăng ký lô").click()
    page.wait_for_url(re.compile(r".*/console/lots/lot_\w+\?registered=1$"))
    me.check()
    seen["lot_path"] = urlsplit(page.url).path
    seen["lot"] = page.inner_text("main")
    # recall it: the confirmation shows the scan page's words; a double click recalls once
    page.get_by_role("link", name="Thu hồi lô").click()
    page.wait_for_url(re.compile(r".*/recall$"))
    me.check()
    page.fill("#reason", "Kiểm tra nội bộ phát hiện nấm mốc")
    page.fill("#message_vi", "Ngừng sử dụng, mang sản phẩm đến nơi mua để được hoàn tiền.")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    me.check()
    seen["recall_confirm"] = page.inner_text("main")
    page.get_by_role("button", name="Thu hồi lô E2E-01").dblclick()
    landed(page, re.compile(r".*/console/lots/lot_\w+\?recalled=1$"))
    me.check()
    seen["recalled"] = page.inner_text("main")
    # void serials 1-5 of the batch just issued, through its confirmation
    me.open(batch_path + "/void")
    page.fill("#first_serial", "1")
    page.fill("#last_serial", "5")
    page.select_option("#reason", "damaged")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    me.check()
    seen["void_confirm"] = page.inner_text("main")
    page.get_by_role("button", name="Hủy 5 tem").dblclick()
    landed(page, re.compile(r".*/void/done\?first=1&last=5$"))
    me.check()
    me.open(batch_path)
    seen["voided"] = page.inner_text("main")
    # print: a preset, one label at its size (52.5 mm = 198.4 CSS px), a small PDF at once
    me.open(batch_path + "/print")
    page.check("#preset-a4-40")
    page.get_by_role("button", name="Xem trước").click()
    page.wait_for_url(re.compile(r".*/print\?preset=a4-40$"))
    me.check()
    seen["label_px"] = page.eval_on_selector(".preview img", "i => [i.clientWidth, i.naturalWidth]")
    page.fill("#first_serial", "1")
    page.fill("#last_serial", "40")
    with page.expect_download() as pdf:
        page.get_by_role("button", name="Tải tệp in").click()
    seen["pdf"] = pdf.value.suggested_filename
    # a large job: 2,001 labels, a progress page that reloads itself until the link is there
    me.open("/console/batches/new")
    page.select_option("#product_id", index=0)
    page.fill("#size", "2001")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/batches/\d+\?issued=1$"))
    me.open(urlsplit(page.url).path + "/print?preset=a4-65")
    page.select_option("#format", "svg_zip")
    page.get_by_role("button", name="Tải tệp in").click()
    page.wait_for_url(re.compile(r".*/console/print-jobs/pj_\w+$"))
    me.check()
    page.get_by_text("Tệp in đã sẵn sàng.").wait_for(timeout=120_000)
    me.check()
    seen["job_link"] = page.get_by_role("link", name=re.compile(r"^Tải về batch-")).get_attribute("download")
    return seen


@pytest.mark.parametrize("screen", list(SCREENS))
def test_given_a_producer_when_using_the_console_then_every_flow_holds_and_axe_finds_nothing_serious(
    local_stack: LocalStack, browser: Browser, screen: str
) -> None:
    me = Console(browser, local_stack.base_url, screen)
    try:
        # sign in; products, lots and batches with their counts
        me.sign_in("Đăng nhập với vai trò chủ thể sản xuất", "local-producer-hoan-hoa")
        overview = me.page.inner_text("main")
        before = me.batch_links()
        if screen == "phone":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            me.page.screenshot(path=str(SCREENSHOTS / "console-overview.png"), full_page=True)
        sideways = me.page.evaluate("() => document.scrollingElement.scrollWidth") - SCREENS[screen]["width"]
        # text at 200 % (WCAG 1.4.4): the overview and a batch's page still fit the width, no sideways scroll
        zoomed = []
        for lang in ("vi", "en"):
            for path in ("/console", before[0]):
                me.open(f"{path}?lang={lang}")
                zoomed.append(
                    me.page.evaluate(
                        "() => { document.documentElement.style.fontSize = '200%';"
                        " return document.scrollingElement.scrollWidth - window.innerWidth; }"
                    )
                )
        me.open("/console?lang=vi")
        me.open(before[-1])  # a batch of the demo producer
        batch_text = me.page.inner_text("main")

        # request a batch: a double tap, then the same form sent once more, issue one batch
        me.open("/console/batches/new")
        me.page.select_option("#product_id", index=0)
        me.page.fill("#size", "120")
        sent = {name: me.page.get_attribute(f"input[name={name}]", "value") for name in ("csrf", "idempotency_key")}
        product = me.page.eval_on_selector("#product_id", "s => s.value")
        me.page.dblclick("form.stack button[type=submit]")
        landed(me.page, re.compile(r".*/console/batches/\d+\?issued=1$"))
        me.check()
        issued_text = me.page.inner_text("main")
        issued_url = me.page.url
        again = me.context.request.post(
            local_stack.url("/console/batches"), form={**sent, "product_id": product, "size": "120"}, max_redirects=0
        )
        assert again.status == 303 and again.headers["location"].split("?")[0] == urlsplit(me.page.url).path
        me.open("/console")
        after = me.batch_links()

        # a post without the form's CSRF token is refused, in a page, in both languages
        forged = me.context.request.post(
            local_stack.url("/console/batches"), form={"product_id": product, "size": "5"}, max_redirects=0
        )
        forged_text = forged.text()
        me.open("/console")
        unchanged = me.batch_links()
        jobs = producer_jobs(me, urlsplit(issued_url).path) if screen == "phone" else {}

        # English, then sign out: the session ends
        me.page.get_by_role("link", name="English").click()
        me.page.wait_for_load_state()
        me.check()
        english = me.page.get_attribute("html", "lang")
        me.page.get_by_role("button", name="Sign out", exact=True).click()
        me.page.wait_for_url(re.compile(r".*/console/signed-out$"))
        me.check()
        me.open("/console")
        after_sign_out = urlsplit(me.page.url).path

        # another producer types the first producer's batch into the address bar
        other = Console(browser, local_stack.base_url, screen)
        try:
            other.sign_in("Đăng nhập với vai trò chủ thể sản xuất", "local-producer-tam-hoa")
            refused = other.open(before[-1])
            refused_text = other.page.inner_text("main")
            refused_lot = other.open(jobs["lot_path"]).status if jobs else 404
            me.violations.update(other.violations)
            foreign = me.foreign() + other.foreign()
            csp = me.csp_refusals + other.csp_refusals
        finally:
            other.context.close()
    finally:
        me.context.close()

    assert "Sản phẩm" in overview and "Lô sản xuất" in overview and "Đợt cấp tem" in overview
    assert "Đã cấp" in batch_text and "Lượt quét" in batch_text and "Đã hủy" in batch_text
    assert sideways <= 0
    assert zoomed == [0, 0, 0, 0]
    assert "Đã cấp đợt tem số" in issued_text
    assert len(after) == len(before) + 1  # double tap + one more send: ONE batch
    assert forged.status == 403 and "Biểu mẫu đã hết hạn" in forged_text and "The form expired" in forged_text
    assert unchanged == after
    assert english == "en" and after_sign_out == "/console/sign-in"
    assert refused.status == 404 and "không thuộc về tài khoản của bạn" in refused_text
    assert refused_lot == 404
    if jobs:  # the phone's walk: lot, recall, void, print
        assert jobs["commune_groups"] == ["Phường", "Xã"]
        assert "Đã đăng ký lô E2E-01." in jobs["lot"] and "Xã Kha Sơn, Tỉnh Thái Nguyên" in jobs["lot"]
        assert "Lô hàng này đã bị thu hồi — đừng sử dụng" in jobs["recall_confirm"]
        assert "Ngừng sử dụng, mang sản phẩm đến nơi mua để được hoàn tiền." in jobs["recall_confirm"]
        assert "Lô này đã bị thu hồi từ" in jobs["recalled"]
        assert "Tem đã bị hủy" in jobs["void_confirm"] and "Bạn sắp hủy 5 tem" in jobs["void_confirm"]
        assert re.search(r"Đã hủy\s+5\b", jobs["voided"])
        assert abs(jobs["label_px"][0] - 52.5 / 25.4 * 96) < 1  # the label's width in CSS mm (inside its border)
        assert jobs["pdf"].endswith(".pdf") and jobs["job_link"].endswith("-svg.zip")
    assert foreign == [] and csp == []
    assert me.violations == {}


def test_given_an_unlabelled_field_when_axe_checks_then_it_reports_it(browser: Browser) -> None:
    # the check above can fail: the vendored axe, injected the same way, sees a real fault
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<!doctype html><html lang="vi"><title>t</title><main><input type="text"></main></html>')
        page.evaluate(AXE.read_text(encoding="utf-8"))
        found = page.evaluate("async () => (await axe.run()).violations.map(v => v.id + ':' + v.impact)")
    finally:
        context.close()

    assert "label:critical" in found
