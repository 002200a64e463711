"""The web console in a real browser (issue 15): headless Debian Chromium on the local stack,
on a 360 x 740 phone and a 1280 x 800 screen. A producer signs in (the local demo users),
reads products, lots and batches, double-taps the batch form (one batch), is refused a
CSRF-less post and another producer's batch, and signs out. axe-core (vendored from the npm
registry: tests/data/vendor/axe-core/SOURCE) finds no serious or critical violation on any
page, and no page asks another host for anything.

One browser and one local stack for the module; Chromium via ``executable_path``, as
tests/e2e/test_browser.py (never a Playwright browser download).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

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
        me.open(before[-1])  # a batch of the demo producer
        batch_text = me.page.inner_text("main")

        # request a batch: a double tap, then the same form sent once more, issue one batch
        me.open("/console/batches/new")
        me.page.select_option("#product_id", index=0)
        me.page.fill("#size", "120")
        sent = {name: me.page.get_attribute(f"input[name={name}]", "value") for name in ("csrf", "idempotency_key")}
        product = me.page.eval_on_selector("#product_id", "s => s.value")
        me.page.dblclick("form.stack button[type=submit]")
        me.page.wait_for_url(re.compile(r".*/console/batches/\d+\?issued=1$"))
        me.check()
        issued_text = me.page.inner_text("main")
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

        # English, then sign out: the session ends
        me.page.get_by_role("link", name="English").click()
        me.page.wait_for_load_state()
        me.check()
        english = me.page.get_attribute("html", "lang")
        me.page.get_by_role("button", name="Sign out").click()
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
    assert "Đã cấp đợt tem số" in issued_text
    assert len(after) == len(before) + 1  # double tap + one more send: ONE batch
    assert forged.status == 403 and "Biểu mẫu đã hết hạn" in forged_text and "The form expired" in forged_text
    assert unchanged == after
    assert english == "en" and after_sign_out == "/console/sign-in"
    assert refused.status == 404 and "không thuộc về tài khoản của bạn" in refused_text
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
