"""The producer's remaining console jobs in a real browser (issue 15, docs/CONSOLE.md "The
producer's remaining jobs"): headless Debian Chromium on the local stack, at 360 x 740 and
1280 x 800. The demo producer registers a lot with two process steps (the second row's missing
day refused at its field first; a third row added without script, every value kept), recalls it
and lifts the recall behind their confirmations (the lift double-clicked: once), then voids one
stamp by typing its code as printed (groups of four, lower case) and confirms it (double-clicked:
once); the stamp's label URL then scans ``void`` and its neighbour does not. axe-core finds no
serious or critical violation on any page; no page asks another host for anything.

On the phone, the same void by camera: Chromium's fake camera films the first, then the last
label of a fresh roll (test_console_camera's video of real labels, read by the vendored jsQR);
one press of the scan button keeps the camera on and adds each new code as a line (the first
label, still in view, is not added twice) until "Dừng camera", and both stamps then scan ``void``.

Helpers and the browser fixture are test_console_browser's (as test_console_camera uses them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from e2e.test_console_browser import CHROMIUM, FLAGS, SCREENS, SCREENSHOTS, Console, pytestmark  # noqa: F401
from e2e.test_console_camera import NO_DETECTOR, SIZE, Roll, _api
from helpers.clicks import landed

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the dev extras install it
    sync_playwright = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Playwright

    from helpers.local_stack import LocalStack

ROLE = "Đăng nhập với vai trò chủ thể sản xuất"
USER = "local-producer-hoan-hoa"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    yield launched
    launched.close()


@pytest.fixture
def camera_chromium(tmp_path: Path, local_stack: LocalStack, playwright: Playwright) -> Iterator[tuple[Browser, Roll]]:
    """Chromium whose camera films the first, then the last label of a fresh 30-stamp roll
    (test_console_camera's ``Roll``: real labels from the print path, as YUV4MPEG2)."""
    roll = Roll(local_stack)
    video = roll.video(tmp_path / "two-labels.y4m")
    flags = [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=flags)
    try:
        yield launched, roll
    finally:
        launched.close()


def _register_with_steps(me: Console, lot_code: str) -> dict[str, Any]:
    """The lot form with two process steps; the second one's day forgotten first."""
    seen: dict[str, Any] = {}
    page = me.page
    today = dt.date.today()
    me.open("/console/lots/new?province=19")
    page.select_option("#product_id", index=1)
    page.fill("#lot_code", lot_code)
    page.fill("#production_date", today.isoformat())
    page.fill("#expiry_date", (today + dt.timedelta(days=365)).isoformat())
    page.fill("#quantity", "40")
    page.fill("#unit", "hộp")
    page.select_option("#commune", label="Xã Kha Sơn")
    page.fill("#s0_step", "Thu hái")
    page.fill("#s0_when", (today - dt.timedelta(days=3)).isoformat())
    page.fill("#s0_commune", "Xã Kha Sơn")  # a suggestion of the province's list (datalist)
    page.fill("#s0_who", "Tổ hợp tác chè Hoàn Hòa")
    # one more row, without script: the form comes back with three rows and every value kept
    page.get_by_role("button", name="Thêm một công đoạn").click()
    page.wait_for_load_state()
    me.check()
    seen["rows"] = page.locator("fieldset.step").count()
    seen["kept"] = [page.input_value("#lot_code"), page.input_value("#s0_step"), page.input_value("#s0_who")]
    seen["focused"] = page.evaluate("() => document.activeElement.id")
    page.fill("#s1_step", "Sao chè")
    page.fill("#s1_where", "Xưởng sao của hợp tác xã")
    page.get_by_role("button", name="Đăng ký lô").click()  # the second step's day is missing
    page.wait_for_load_state()
    me.check()
    seen["refused"] = page.inner_text("#s1_when-err")
    seen["refused_marked"] = page.get_attribute("#s1_when", "aria-invalid")
    page.fill("#s1_when", (today - dt.timedelta(days=1)).isoformat())
    if me.screen == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-lot-steps.png"), full_page=True)
    page.get_by_role("button", name="Đăng ký lô").click()
    page.wait_for_url(re.compile(r".*/console/lots/lot_\w+\?registered=1$"))
    me.check()
    seen["lot_path"] = urlsplit(page.url).path
    seen["lot"] = page.inner_text("main")
    return seen


def _recall_and_lift(me: Console, lot_path: str, lot_code: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    page = me.page
    page.get_by_role("link", name="Thu hồi lô").click()
    page.wait_for_url(re.compile(r".*/recall$"))
    page.fill("#reason", "Kiểm tra nội bộ nghi nhiễm nấm mốc")
    page.fill("#message_vi", "Tạm ngừng sử dụng trong khi chờ kiểm nghiệm.")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    page.get_by_role("button", name=f"Thu hồi lô {lot_code}").click()
    page.wait_for_url(re.compile(r".*\?recalled=1$"))
    me.check()
    page.get_by_role("link", name="Gỡ lệnh thu hồi").click()
    page.wait_for_url(re.compile(r".*/lift$"))
    me.check()
    page.fill("#reason", "ok")  # shorter than the API's 3 characters: refused at its field
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    me.check()
    seen["lift_refused"] = page.get_attribute("#reason", "aria-invalid")
    page.fill("#reason", "Kết quả kiểm nghiệm lại đạt yêu cầu")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    me.check()
    seen["lift_confirm"] = page.inner_text("main")
    page.get_by_role("button", name=f"Gỡ lệnh thu hồi lô {lot_code}").dblclick()
    landed(page, re.compile(r".*\?lifted=1$"))
    me.check()
    seen["lifted"] = page.inner_text("main")
    seen["lifted_path"] = urlsplit(page.url).path
    return seen


def _void_by_code(me: Console, code: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    page = me.page
    me.open("/console")
    page.get_by_role("link", name="Hủy tem theo mã").click()
    page.wait_for_url(re.compile(r".*/console/stamps/void$"))
    me.check()
    seen["scan_button_hidden"] = page.locator("button[data-field=codes]").is_hidden()
    page.fill("#codes", "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower())  # as read off the label
    page.select_option("#reason", "damaged")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    me.check()
    seen["confirm"] = page.inner_text("main")
    page.get_by_role("button", name="Hủy 1 tem").dblclick()
    landed(page, re.compile(r".*/console/stamps/void/done\?s=\d+:\d+$"))
    me.check()
    seen["done"] = page.inner_text("main")
    return seen


@pytest.mark.parametrize("screen", list(SCREENS))
def test_given_a_producer_when_registering_steps_lifting_a_recall_and_voiding_by_code_then_each_holds_and_axe_finds_nothing_serious(
    local_stack: LocalStack, chromium: Browser, screen: str
) -> None:
    lot_code = f"E2E-STEP-{screen[0].upper()}"
    product_id = next(p for p, who in local_stack.summary.products.items() if who == local_stack.summary.producer_id)
    status, raw = _api(local_stack, "POST", "/batches", {"product_id": product_id, "size": 10})
    assert status == 201, raw
    batch_id = json.loads(raw)["batch_id"]
    status, raw = _api(local_stack, "GET", f"/batches/{batch_id}/codes.csv")
    rows = [line.split(",") for line in raw.decode().splitlines()[1:]]
    me = Console(chromium, local_stack.base_url, screen)
    try:
        me.sign_in(ROLE, USER)
        steps = _register_with_steps(me, lot_code)
        lifted = _recall_and_lift(me, steps["lot_path"], lot_code)
        voided = _void_by_code(me, rows[3][1])
        sideways = me.page.evaluate("() => document.scrollingElement.scrollWidth") - SCREENS[screen]["width"]
        foreign, csp = me.foreign(), me.csp_refusals
    finally:
        me.context.close()
    verdicts = [
        requests.get(url, headers={"Accept": "application/json"}, timeout=30).json()["verdict"]
        for url in (rows[3][2], rows[4][2])
    ]

    assert steps["rows"] == 3 and steps["kept"] == [lot_code, "Thu hái", "Tổ hợp tác chè Hoàn Hòa"]
    assert steps["focused"] == "s2_step"
    assert "Hãy nhập ngày làm công đoạn này" in steps["refused"] and "Enter the day of this step" in steps["refused"]
    assert steps["refused_marked"] == "true"
    assert "Thu hái" in steps["lot"] and "Xã Kha Sơn, Tỉnh Thái Nguyên · Tổ hợp tác chè Hoàn Hòa" in steps["lot"]
    assert "Sao chè" in steps["lot"] and "Xưởng sao của hợp tác xã" in steps["lot"]
    assert lifted["lift_refused"] == "true"
    assert "Bạn sắp gỡ lệnh thu hồi lô" in lifted["lift_confirm"] and "Tem chính hãng" in lifted["lift_confirm"]
    assert f"Đã gỡ lệnh thu hồi lô {lot_code}" in lifted["lifted"] and "Thu hồi lô" in lifted["lifted"]
    assert lifted["lifted_path"] == steps["lot_path"]
    assert voided["scan_button_hidden"] is False  # the script showed it: this browser can ask for a camera
    assert f"Đợt số {batch_id}, sê-ri 4" in voided["confirm"] and "Tem đã bị hủy" in voided["confirm"]
    assert "Đã hủy 1 tem." in voided["done"]
    assert verdicts[0] == "void" and verdicts[1] != "void"
    assert sideways <= 0
    assert foreign == [] and csp == []
    assert me.violations == {}


def test_given_two_labels_in_front_of_the_camera_when_scanned_into_the_void_form_then_both_are_listed_once_and_voided(
    local_stack: LocalStack, camera_chromium: tuple[Browser, Roll]
) -> None:
    launched, roll = camera_chromium
    me = Console(launched, local_stack.base_url, "phone")
    me.context.grant_permissions(["camera"], origin=local_stack.base_url)
    me.context.add_init_script(NO_DETECTOR)  # the jsQR path, as on this platform anyway
    try:
        me.sign_in(ROLE, USER)
        me.open("/console/stamps/void")
        button = me.page.get_by_role("button", name="Quét bằng camera (tem cần hủy)")
        button.click()  # the camera stays on, adding each new label as a line, until stopped
        me.page.wait_for_function(
            "() => document.getElementById('codes').value.trim().split(/\\s+/).filter(Boolean).length === 2",
            timeout=60_000,
        )
        said = me.page.inner_text("#camera-status")
        me.page.get_by_role("button", name="Dừng camera").click()
        me.page.wait_for_function("() => document.getElementById('camera').hidden", timeout=10_000)
        lines = [line for line in me.page.input_value("#codes").split("\n") if line.strip()]
        me.check()  # axe on the filled form
        me.page.select_option("#reason", "lost")
        me.page.get_by_role("button", name="Tiếp tục").click()
        me.page.wait_for_load_state()
        me.check()
        confirm = me.page.inner_text("main")
        me.page.get_by_role("button", name="Hủy 2 tem").dblclick()
        landed(me.page, re.compile(r".*/console/stamps/void/done\?s=\d+:\d+,\d+:\d+$"))
        me.check()
        foreign, csp = me.foreign(), me.csp_refusals
    finally:
        me.context.close()
    verdicts = [
        requests.get(url, headers={"Accept": "application/json"}, timeout=30).json()["verdict"]
        for url in (roll.urls[0], roll.urls[SIZE // 2], roll.urls[-1])
    ]

    assert sorted(lines) == sorted([roll.codes[0], roll.codes[-1]])  # in the order the camera saw them
    assert "Đã đọc tem cần hủy" in said
    assert f"Đợt số {roll.batch_id}, sê-ri 1" in confirm and f"Đợt số {roll.batch_id}, sê-ri 30" in confirm
    assert verdicts == ["void", verdicts[1], "void"] and verdicts[1] != "void"
    assert foreign == [] and csp == []
    assert me.violations == {}
