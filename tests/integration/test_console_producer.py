"""The console's producer flows beyond the overview (issue 15), on moto: register a lot with the
province and commune pickers, print (preset, preview at size, inline file, a job's progress
page until its download), void a serial range and recall a lot behind a confirmation that
shows the scan page's words. Each refused for another producer (404) and without the CSRF
token (403); a double-submitted void or recall changes things once."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_plus

import pytest

from helpers.handlers import Shop, load_handler, scan
from integration import test_console
from integration.test_console import Browser, sign_in
from ocop_local import backend, jobs
from ocop_stamps.core.settings import get_settings
from ocop_stamps.storage import printing as print_store

local_console = test_console.local_console  # the fixture: demo users, the console's address


class Person(Browser):
    """A signed-in browser that posts forms URL-encoded, as a browser does."""

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, {k: quote_plus(v) for k, v in form.items()})

    def get(self, path: str, **query: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, query=query or None)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found
    return found.group(1)


@pytest.fixture
def producer(local_console: None) -> Iterator[tuple[Shop, Person]]:
    shop = Shop()
    me = Person()
    sign_in(me, "producer")
    yield shop, me


def _lot_form_in_thai_nguyen(me: Person) -> tuple[str, str]:
    """The lot form's step 2 for Thái Nguyên, and the code of its commune Kha Sơn."""
    _, _, form = me.get("/console/lots/new", province="19")
    commune = re.search(r'<option value="(\d{5})">Xã Kha Sơn</option>', form)
    assert commune
    return form, commune.group(1)


def _batch_voided(shop: Shop, me: Person) -> str:
    _, _, page = me.get(f"/console/batches/{shop.batch_id}")
    found = re.search(r"Đã hủy</dt><dd>([\d.]+)</dd>", page)
    assert found
    return found.group(1)


# --- lots ----------------------------------------------------------------------------------------
def test_given_the_lot_form_when_a_province_is_chosen_then_its_communes_are_offered_grouped_by_kind(
    producer: tuple[Shop, Person],
) -> None:
    _, me = producer

    _, _, first = me.get("/console/lots/new")
    _, _, chosen = me.get("/console/lots/new", province="19")

    assert first.count('<option value="') == 34 + 1  # the 34 provinces and "choose"
    assert 'name="commune"' not in first
    assert '<option value="19" selected>Tỉnh Thái Nguyên</option>' in chosen
    assert '<optgroup label="Phường">' in chosen and '<optgroup label="Xã">' in chosen
    assert re.search(r'<option value="\d{5}">Xã Kha Sơn</option>', chosen)


def test_given_a_filled_lot_form_when_sent_then_the_lot_is_registered_and_shown(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    form, kha_son = _lot_form_in_thai_nguyen(me)

    status, headers, _ = me.post(
        "/console/lots",
        {
            "csrf": _csrf(form),
            "province": "19",
            "product_id": shop.product_id,
            "lot_code": "HH-2026-12",
            "production_date": "2026-11-20",
            "expiry_date": "2028-11-20",
            "quantity": "300",
            "unit": "hộp",
            "commune": kha_son,
            "area_name": "Xóm Phẩm",
            "standards": "TCVN 12850:2019\n\nTCCS 01:2024/HH",
            "certifications": "VietGAP",
        },
    )
    lot_page = me.get(headers["Location"].split("?")[0], registered="1")[2]

    assert status == 303 and re.fullmatch(r"/console/lots/lot_\w+\?registered=1", headers["Location"])
    assert "Đã đăng ký lô HH-2026-12." in lot_page
    assert "Xóm Phẩm, Xã Kha Sơn, Tỉnh Thái Nguyên" in lot_page
    assert "300 hộp" in lot_page and "TCCS 01:2024/HH, TCVN 12850:2019" in lot_page


def test_given_wrong_lot_fields_when_sent_then_each_problem_shows_next_to_its_field_in_the_page_language(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    form, kha_son = _lot_form_in_thai_nguyen(me)
    good = {
        "csrf": _csrf(form),
        "province": "19",
        "product_id": shop.product_id,
        "lot_code": "HH-2026-12",
        "production_date": "2026-11-20",
        "expiry_date": "2028-11-01",
        "quantity": "10",
        "unit": "hộp",
        "commune": kha_son,
    }

    typed = me.post("/console/lots", {**good, "lot_code": "HH 2026", "quantity": "0"})  # the schema's fields
    dates = me.post("/console/lots", {**good, "expiry_date": "2026-11-01"})  # a cross-field rule
    place = me.post("/console/lots", {**good, "commune": ""})  # the domain's address check
    me.get("/console", lang="en")
    dates_en = me.post("/console/lots", {**good, "expiry_date": "2026-11-01"})

    def marked(page: str) -> set[str]:
        return set(re.findall(r'name="(\w+)"[^>]*aria-invalid="true" aria-describedby="\1-err', page))

    assert [typed[0], dates[0], place[0], dates_en[0]] == [422] * 4
    assert marked(typed[2]) == {"lot_code", "quantity"} and 'value="HH 2026"' in typed[2]
    assert "Mã lô gồm 1–20 ký tự" in typed[2] and "Số lượng phải là số nguyên" in typed[2]
    assert marked(dates[2]) == {"expiry_date"} and "(hạn sử dụng phải sau ngày sản xuất)" in dates[2]
    assert marked(place[2]) == {"commune"} and "xã" in place[2].split('id="commune-err">')[1][:300].lower()
    assert marked(dates_en[2]) == {"expiry_date"} and "(expiry_date must be after production_date)" in dates_en[2]


def test_given_a_lot_code_already_used_when_registered_again_then_the_domain_says_so_at_the_code(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    form, kha_son = _lot_form_in_thai_nguyen(me)

    status, _, page = me.post(
        "/console/lots",
        {
            "csrf": _csrf(form),
            "province": "19",
            "product_id": shop.product_id,
            "lot_code": "HH-2026-11",  # the shop's lot
            "production_date": "2026-11-20",
            "expiry_date": "2028-11-20",
            "quantity": "10",
            "unit": "hộp",
            "commune": kha_son,
        },
    )

    assert status == 422
    assert (
        '<p class="err" id="lot_code-err">Bạn đã có lô mang mã &#x27;HH-2026-11&#x27;; mã lô không được trùng.</p>'
        in page
    )


# --- print ---------------------------------------------------------------------------------------
@pytest.fixture
def print_resources(local_console: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in backend.create_print_resources().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    print_store.reset_clients()
    yield
    get_settings.cache_clear()
    print_store.reset_clients()


def test_given_a_chosen_preset_when_previewed_then_one_label_shows_at_its_size_in_mm(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer

    _, _, choose = me.get(f"/console/batches/{shop.batch_id}/print")
    _, _, chosen = me.get(f"/console/batches/{shop.batch_id}/print", preset="a4-40")
    status, headers, svg = me.get(f"/console/batches/{shop.batch_id}/print/label.svg", preset="a4-40")
    label = base64.b64decode(svg).decode()

    assert choose.count('type="radio"') == 3 and "<img" not in choose
    assert f'<img src="/console/batches/{shop.batch_id}/print/label.svg?preset=a4-40"' in chosen
    assert "Tem 52,5 × 29,7 mm, 40 tem mỗi tờ" in chosen
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    assert 'width="52.5mm" height="29.7mm"' in label and shop.codes(1, 1)[0][:4] in label.replace(" ", "")


@pytest.mark.parametrize("preset", ["zzz", "A4-40", "a4-40 ", "<b>"])
def test_given_a_preset_the_print_page_does_not_offer_when_previewed_then_the_404_page_not_another_label(
    producer: tuple[Shop, Person], preset: str
) -> None:
    shop, me = producer

    status, headers, page = me.get(f"/console/batches/{shop.batch_id}/print/label.svg", preset=preset)

    assert status == 404 and headers["Content-Type"].startswith("text/html") and "<b>" not in page


def test_given_a_small_range_when_downloaded_then_the_pdf_comes_back_at_once(
    producer: tuple[Shop, Person], print_resources: None
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/batches/{shop.batch_id}/print", preset="a4-65")

    status, headers, body = me.post(
        f"/console/batches/{shop.batch_id}/print",
        {"csrf": _csrf(form), "preset": "a4-65", "format": "pdf", "first_serial": "1", "last_serial": "65"},
    )

    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith('attachment; filename="batch-')
    assert base64.b64decode(body).startswith(b"%PDF")


def test_given_a_large_range_when_downloaded_then_a_progress_page_reloads_itself_until_the_file_is_ready(
    producer: tuple[Shop, Person], print_resources: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop, me = producer
    monkeypatch.setenv("OCOP_PRINT_CHUNK_LABELS", "1000")
    get_settings.cache_clear()
    big = shop.issue(2100)
    _, _, form = me.get(f"/console/batches/{big['batch_id']}/print", preset="a4-65")

    status, headers, _ = me.post(
        f"/console/batches/{big['batch_id']}/print", {"csrf": _csrf(form), "preset": "a4-65", "format": "svg_zip"}
    )
    job_path = headers["Location"]
    _, running_headers, running = me.get(job_path)
    _, stopped_headers, stopped = me.get(job_path, auto="0")
    jobs.drain(load_handler("label_worker").lambda_handler, max_rounds=50)
    _, done_headers, done = me.get(job_path)

    assert status == 303 and re.fullmatch(r"/console/print-jobs/pj_\w+", job_path)
    assert running_headers["Refresh"] == "3" and '<progress id="job-progress" max="2100" value="0">' in running
    assert "Dừng tự tải lại" in running and "Refresh" not in stopped_headers and "Bật lại tự tải lại" in stopped
    assert "Refresh" not in done_headers and "Tệp in đã sẵn sàng." in done
    assert re.search(r'<a class="button" href="[^"]+" download="batch-\d+-0000001-0002100-svg\.zip">', done)


# --- void ----------------------------------------------------------------------------------------
def test_given_a_range_to_void_when_confirming_then_the_page_says_what_consumers_will_see_and_nothing_is_void_yet(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/batches/{shop.batch_id}/void")

    status, _, confirm = me.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": _csrf(form), "step": "confirm", "first_serial": "11", "last_serial": "20", "reason": "lost"},
    )

    assert status == 200
    assert "Bạn sắp hủy 10 tem: sê-ri 11–20" in confirm and "lý do: tem thất lạc" in confirm
    assert (
        '<p class="seen-title">Tem đã bị hủy</p>' in confirm and '<p class="seen-title">Stamp cancelled</p>' in confirm
    )
    assert "Nhà sản xuất đã hủy mã tem này ngày " in confirm and " (lý do: tem thất lạc)" in confirm
    assert _batch_voided(shop, me) == "0"


def test_given_a_confirmed_void_when_sent_twice_then_the_range_is_void_once_and_scans_say_so(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/batches/{shop.batch_id}/void")
    deed = {"csrf": _csrf(form), "step": "do", "first_serial": "11", "last_serial": "20", "reason": "lost", "note": ""}

    first = me.post(f"/console/batches/{shop.batch_id}/void", deed)
    second = me.post(f"/console/batches/{shop.batch_id}/void", deed)
    _, _, done = me.get(first[1]["Location"].split("?")[0], first="11", last="20")
    _, scanned = scan(shop.codes(11, 11)[0])

    assert first[0] == second[0] == 303 and first[1]["Location"] == second[1]["Location"]
    assert _batch_voided(shop, me) == "10"
    assert "Đã hủy sê-ri 11–20" in done and "Tem đã bị hủy" in done
    assert scanned["verdict"] == "void"


def test_given_serials_outside_the_batch_when_voided_then_the_domain_refusal_shows_at_the_range(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/batches/{shop.batch_id}/void")

    status, _, page = me.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": _csrf(form), "step": "do", "first_serial": "990", "last_serial": "1200", "reason": "damaged"},
    )

    assert status == 400 and 'id="last_serial-err"' in page and "nằm ngoài khoảng này" in page  # the last is wrong


# --- recall --------------------------------------------------------------------------------------
def test_given_a_recall_when_confirmed_and_sent_twice_then_the_lot_is_recalled_once_with_the_notice_shown(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    assert shop.activate(1, 50)[0] == 201
    lot_id = shop.lot["lot_id"]
    _, _, form = me.get(f"/console/lots/{lot_id}/recall")
    values = {"csrf": _csrf(form), "reason": "Nhiễm nấm mốc", "message_vi": "Ngừng sử dụng <ngay>.", "message_en": ""}

    status, _, confirm = me.post(f"/console/lots/{lot_id}/recall", {**values, "step": "confirm"})
    _, before = scan(shop.codes(1, 1)[0])
    first = me.post(f"/console/lots/{lot_id}/recall", {**values, "step": "do"})
    second = me.post(f"/console/lots/{lot_id}/recall", {**values, "step": "do"})
    _, _, lot_page = me.get(f"/console/lots/{lot_id}", recalled="1")
    _, after = scan(shop.codes(1, 1)[0])

    assert status == 200 and "Lô hàng này đã bị thu hồi — đừng sử dụng" in confirm
    assert "<blockquote>Ngừng sử dụng &lt;ngay&gt;.</blockquote>" in confirm
    assert before["verdict"] == "genuine"
    assert first[0] == second[0] == 303 and first[1]["Location"] == second[1]["Location"]
    assert "Lô này đã bị thu hồi từ" in lot_page and "Đã thu hồi lô HH-2026-11" in lot_page
    assert after["verdict"] == "recalled"


def test_given_a_recall_without_a_notice_when_confirmed_then_the_field_says_what_is_missing(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/lots/{shop.lot['lot_id']}/recall")

    status, _, page = me.post(
        f"/console/lots/{shop.lot['lot_id']}/recall",
        {"csrf": _csrf(form), "step": "confirm", "reason": "x", "message_vi": ""},
    )

    assert status == 422
    assert 'id="reason-err"' in page and 'id="message_vi-err"' in page


# --- tenancy and CSRF ----------------------------------------------------------------------------
def _paths(shop: Shop) -> list[str]:
    b, lot = shop.batch_id, shop.lot["lot_id"]
    return [
        f"/console/lots/{lot}",
        f"/console/lots/{lot}/recall",
        f"/console/batches/{b}/print",
        f"/console/batches/{b}/print/label.svg",
        f"/console/batches/{b}/void",
    ]


def test_given_another_producers_lot_or_batch_when_opened_or_posted_then_it_is_a_404_and_nothing_changes(
    local_console: None,
) -> None:
    shop = Shop()
    Shop("tam-hoa")
    other = Person()
    sign_in(other, "producer-2")
    _, _, own = other.get("/console/lots/new")
    csrf = _csrf(own)

    pages = [other.get(path)[0] for path in _paths(shop)]
    void = other.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": csrf, "step": "do", "first_serial": "1", "last_serial": "5", "reason": "lost"},
    )
    recall = other.post(
        f"/console/lots/{shop.lot['lot_id']}/recall",
        {"csrf": csrf, "step": "do", "reason": "Không rõ", "message_vi": "Ngừng dùng."},
    )
    printed = other.post(f"/console/batches/{shop.batch_id}/print", {"csrf": csrf, "preset": "a4-65"})
    job = other.get("/console/print-jobs/pj_0123456789abcdef0123")
    _, scanned = scan(shop.codes(1, 1)[0])

    assert pages == [404] * len(pages)
    assert void[0] == recall[0] == printed[0] == job[0] == 404
    assert "không thuộc về tài khoản của bạn" in void[2]
    assert scanned["verdict"] != "void"


@pytest.mark.parametrize(
    "path", ["/console/lots", "/console/batches/{b}/void", "/console/lots/{lot}/recall", "/console/batches/{b}/print"]
)
def test_given_a_post_without_the_csrf_token_when_sent_then_it_is_refused_before_anything(
    producer: tuple[Shop, Person], path: str
) -> None:
    shop, me = producer
    target = path.format(b=shop.batch_id, lot=shop.lot["lot_id"])
    fields: dict[str, Any] = {"step": "do", "first_serial": "1", "last_serial": "2", "reason": "lost"}

    status, _, page = me.post(target, fields)

    assert status == 403 and "Biểu mẫu đã hết hạn" in page and "The form expired" in page
    assert _batch_voided(shop, me) == "0"


# --- DynamoDB stays busy -------------------------------------------------------------------------
@pytest.mark.parametrize("deed", ["void", "recall", "lot"])
def test_given_dynamodb_conflicting_on_every_try_when_a_form_is_sent_then_a_409_page_with_retry_after_and_nothing_changes(
    producer: tuple[Shop, Person], monkeypatch: pytest.MonkeyPatch, deed: str
) -> None:
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    shop, me = producer
    form, kha_son = _lot_form_in_thai_nguyen(me)
    csrf = _csrf(form)
    path, fields = {
        "void": (
            f"/console/batches/{shop.batch_id}/void",
            {"step": "do", "first_serial": "1", "last_serial": "5", "reason": "lost"},
        ),
        "recall": (
            f"/console/lots/{shop.lot['lot_id']}/recall",
            {"step": "do", "reason": "Nhiễm khuẩn", "message_vi": "Ngừng dùng."},
        ),
        "lot": (
            "/console/lots",
            {
                "product_id": shop.product["product_id"],
                "province": "19",
                "commune": kha_son,
                "lot_code": "BUSY-1",
                "production_date": "2026-11-01",
                "expiry_date": "2028-11-01",
                "quantity": "10",
                "unit": "hộp",
            },
        ),
    }[deed]
    real = BaseClient._make_api_call

    def conflicting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation in ("PutItem", "UpdateItem", "TransactWriteItems"):
            raise ClientError({"Error": {"Code": "TransactionConflictException", "Message": "busy"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", conflicting)
    status, headers, page = me.post(path, {"csrf": csrf, **fields})
    monkeypatch.setattr(BaseClient, "_make_api_call", real)

    assert status == 409 and headers.get("Retry-After"), page
    assert 'role="alert"' in page and 'lang="en"' in page  # the refusal in both languages
    assert _batch_voided(shop, me) == "0"
    _, _, lot_page = me.get(f"/console/lots/{shop.lot['lot_id']}")
    assert "thu hồi" not in lot_page.split("<main")[1].split("</h1>")[0]


def test_given_a_range_the_batch_cannot_void_when_confirming_then_the_form_says_why_at_its_field_before_any_promise(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    _, _, form = me.get(f"/console/batches/{shop.batch_id}/void")
    csrf = _csrf(form)
    me.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": csrf, "step": "do", "first_serial": "9", "last_serial": "10", "reason": "lost"},
    )

    beyond = me.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": csrf, "step": "confirm", "first_serial": "1", "last_serial": "1001", "reason": "damaged"},
    )
    overlapping = me.post(
        f"/console/batches/{shop.batch_id}/void",
        {"csrf": csrf, "step": "confirm", "first_serial": "5", "last_serial": "9", "reason": "damaged"},
    )

    assert beyond[0] == 400 and 'id="last_serial-err"' in beyond[2] and "Bạn sắp hủy" not in beyond[2]
    assert (
        overlapping[0] == 409 and 'id="first_serial-err"' in overlapping[2] and "đã bị hủy trước đó" in overlapping[2]
    )
    assert _batch_voided(shop, me) == "2"
