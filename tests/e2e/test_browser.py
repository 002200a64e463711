"""The consumer page in a real browser: headless Chromium opens the local stack's stamp URLs
for every verdict on a 360 x 740 phone screen (JavaScript off), reads the banner a person
would read, checks that nothing comes from another host and nothing needs a sideways
scroll, sends a report and types a code -- and saves a screenshot of each page.

Chromium comes from Debian (`make browser`, run by `make test`); Playwright drives it with
``executable_path``. Where Chromium cannot be installed the tests are skipped, saying so.
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
import requests

from ocop_stamps.codes.scheme import CodeKeys, encode

if TYPE_CHECKING:
    from helpers.local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("OCOP_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("OCOP_SCREENSHOTS", ROOT / ".local" / "screenshots"))
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
# A person's phone: headless Chromium's own user agent says "HeadlessChrome", which the
# service rightly takes for a bot and answers with the link card (issue 11, docs/COUNTING.md).
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.skipif(
        sync_playwright is None, reason="playwright is not installed: pip install -e '.[dev]' installs it"
    ),
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)),
        reason=f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium (needs root and apt)",
    ),
]

BANNERS = {
    "genuine": "Tem chính hãng",
    "not_activated": "Tem chưa được kích hoạt",
    "expired": "Sản phẩm đã hết hạn sử dụng",
    "recalled": "Lô hàng này đã bị thu hồi — đừng sử dụng",
    "void": "Tem đã bị hủy",
    "mistyped": "Mã không đúng — hãy kiểm tra lại mã",
}

# WCAG contrast of every element's own text against the first opaque background behind it.
CONTRAST_JS = """() => {
  const lum = c => { const m = c.match(/[\\d.]+/g).map(Number);
    const l = m.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
  const bg = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
    const a = c.match(/[\\d.]+/g); if (a && (a.length < 4 || Number(a[3]) > 0.9)) return c; } return 'rgb(255,255,255)'; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null) continue;
    const a = lum(getComputedStyle(el).color), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.push([el.tagName + '.' + el.className, Math.round(ratio * 100) / 100]);
  }
  return out;
}"""


@pytest.fixture(scope="module")
def shots(request: pytest.FixtureRequest) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nconsumer page screenshots: {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


class Visit:
    """A phone-sized page with JavaScript off that records every request it makes."""

    def __init__(self, browser: Browser, base_url: str, *, js: bool = False, width: int = 360) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": PHONE["height"]},
            java_script_enabled=js,
            locale="vi-VN",
            user_agent=PHONE_UA,
            extra_http_headers={"Accept-Language": "vi-VN,vi;q=0.9"},
        )
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.base = base_url

    def open(self, url: str) -> Any:
        return self.page.goto(url, wait_until="load")

    def banner(self) -> str:
        return self.page.inner_text("section.v h1").strip()

    def foreign_requests(self) -> list[str]:
        here = urlsplit(self.base).netloc
        return [u for u in self.requests if not u.startswith("data:") and urlsplit(u).netloc != here]

    def close(self) -> None:
        self.context.close()


def _sideways_scroll(browser: Browser, url: str, base: str, width: int) -> int:
    visit = Visit(browser, base, js=True, width=width)
    try:
        visit.open(url)
        return int(visit.page.evaluate("() => document.scrollingElement.scrollWidth")) - width
    finally:
        visit.close()


@pytest.mark.parametrize("kind", list(BANNERS))
def test_given_a_demo_stamp_when_opened_on_a_phone_then_its_banner_reads_first_and_nothing_else_is_fetched(
    local_stack: LocalStack, browser: Browser, shots: Path, kind: str
) -> None:
    url = local_stack.summary.stamps[kind]
    visit = Visit(browser, local_stack.base_url)
    try:
        response = visit.open(url)
        banner = visit.banner()
        box = visit.page.locator("section.v").bounding_box()
        visit.page.screenshot(path=str(shots / f"{kind}.png"), full_page=True)
        foreign = visit.foreign_requests()
        lang = visit.page.get_attribute("html", "lang")
    finally:
        visit.close()

    assert banner == BANNERS[kind]
    assert box is not None and box["y"] + 60 < PHONE["height"]  # the verdict is on the first screen
    assert response.status == (404 if kind == "mistyped" else 200)
    assert lang == "vi"
    assert foreign == []  # the demo has no product images: nothing leaves this host
    assert _sideways_scroll(browser, url, local_stack.base_url, 320) <= 0


def _from_address(address: str) -> requests.Session:
    """A session whose connections leave from ``address`` (any of 127.0.0.0/8 reaches the stack)."""

    class Bound(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["source_address"] = (address, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    session.mount("http://", Bound())
    return session


def test_given_a_stamp_checked_from_many_devices_then_the_warning_tells_the_count_and_the_first_check(
    local_stack: LocalStack, browser: Browser, shots: Path
) -> None:
    url = local_stack.summary.stamps["genuine"]
    requests.get(url, timeout=30)  # make sure it was scanned once; then from enough networks to pass the threshold
    for n in range(2, 16):  # 14 loopback addresses: distinct client hashes, well over 5 scanner buckets
        with _from_address(f"127.0.0.{n}") as device:
            device.get(url, headers={"Accept": "application/json"}, timeout=30)
    visit = Visit(browser, local_stack.base_url)
    try:
        visit.open(url)
        banner = visit.banner()
        text = visit.page.inner_text("section.v")
        visit.page.screenshot(path=str(shots / "repeat.png"), full_page=True)
    finally:
        visit.close()

    assert re.fullmatch(r"Cảnh báo: mã tem này đã được kiểm tra \d+ lần", banner)
    assert "Lần kiểm tra đầu tiên:" in text and "đừng mua" in text


def test_given_a_code_never_issued_then_the_counterfeit_warning(
    local_stack: LocalStack, browser: Browser, shots: Path
) -> None:
    visit = Visit(browser, local_stack.base_url)
    try:
        forged = encode(CodeKeys({1: b"not-our-key-1234"}), 1, 1)  # well formed, never issued
        response = visit.open(local_stack.url(f"/v/{forged}"))
        banner = visit.banner()
        visit.page.screenshot(path=str(shots / "unknown.png"), full_page=True)
    finally:
        visit.close()

    assert response.status == 404
    assert banner == "Không tìm thấy mã tem — có thể là hàng giả"


def test_given_the_english_switch_then_the_page_is_in_english_and_the_url_says_so(
    local_stack: LocalStack, browser: Browser, shots: Path
) -> None:
    visit = Visit(browser, local_stack.base_url)
    try:
        visit.open(local_stack.summary.stamps["recalled"])
        visit.page.click("a.lang")
        url, banner = visit.page.url, visit.banner()
        text = visit.page.inner_text("section.v")
        visit.page.screenshot(path=str(shots / "recalled-en.png"), full_page=True)
    finally:
        visit.close()

    assert url.endswith("&lang=en") and "?view=" in url  # the same scan, shown in English, not counted again
    assert banner == "This lot has been recalled — do not use it"
    assert "This lot is recalled. Please stop using it" in text  # the producer's own English notice


def test_given_a_code_typed_loosely_into_the_form_then_the_stamps_page(
    local_stack: LocalStack, browser: Browser, shots: Path
) -> None:
    code = local_stack.summary.stamps["not_activated"].rsplit("/", 1)[1]
    loose = f"{code[:4].lower()} {code[4:8]}-{code[8:12].lower()} {code[12:]}"
    visit = Visit(browser, local_stack.base_url)
    try:
        visit.open(local_stack.url("/v"))
        visit.page.fill("#code", loose)
        visit.page.click("#check button")
        banner = visit.banner()
        visit.page.screenshot(path=str(shots / "typed.png"), full_page=True)
    finally:
        visit.close()

    assert banner == BANNERS["not_activated"]


def test_given_a_suspected_fake_when_reported_from_the_page_then_thanks_and_the_inspector_sees_it(
    local_stack: LocalStack, browser: Browser, shots: Path
) -> None:
    url = local_stack.summary.stamps["void"]
    code = url.rsplit("/", 1)[1]
    visit = Visit(browser, local_stack.base_url)
    try:
        visit.open(url)
        visit.page.fill("#where", "Chợ Xanh, TP. Cao Bằng")
        visit.page.fill("#note", "Tem bị dán đè lên tem khác")
        visit.page.screenshot(path=str(shots / "report-form.png"), full_page=True)
        visit.page.click("#report button")
        heading = visit.banner()
        visit.page.screenshot(path=str(shots / "report-thanks.png"), full_page=True)
    finally:
        visit.close()

    log = requests.get(
        local_stack.url(f"/scans?code={code}"), headers=local_stack.bearer("inspector"), timeout=30
    ).json()
    reports = [i for i in log["items"] if i.get("kind") == "report"]
    assert heading == "Cảm ơn bạn đã báo cáo"
    assert [(r["report_where"], r["report_note"]) for r in reports] == [
        ("Chợ Xanh, TP. Cao Bằng", "Tem bị dán đè lên tem khác")
    ]


@pytest.mark.parametrize("kind", ["genuine", "recalled", "void", "mistyped"])
def test_given_the_rendered_page_then_every_text_has_aa_contrast(
    local_stack: LocalStack, browser: Browser, kind: str
) -> None:
    visit = Visit(browser, local_stack.base_url, js=True)
    try:
        visit.open(local_stack.summary.stamps[kind])
        ratios = visit.page.evaluate(CONTRAST_JS)
    finally:
        visit.close()

    assert ratios
    assert [r for r in ratios if r[1] < 4.5] == []
