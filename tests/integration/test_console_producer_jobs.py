"""The producer's remaining console jobs (issue 15), on moto: process steps on the lot form (rows
added without script), lifting a recall behind a confirmation, voiding stamps by their codes, and
a lot's page linking the batches bound to it. Each refused for another producer (404) and without
the CSRF token (403); a double submit changes things once; DynamoDB requests per page do not grow
with the tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from helpers.handlers import Shop, scan
from integration import test_console
from integration.test_console import sign_in
from integration.test_console_producer import Person, _batch_voided, _csrf
from ocop_stamps.catalog import registry

local_console = test_console.local_console  # the fixture: demo users, the console's address


@pytest.fixture
def producer(local_console: None) -> Iterator[tuple[Shop, Person]]:
    shop = Shop()
    me = Person()
    sign_in(me, "producer")
    yield shop, me


def _marked(page: str) -> set[str]:
    return set(re.findall(r'id="([\w-]+)"[^>]*aria-invalid="true"', page))


def _lot_form(me: Person) -> tuple[str, str, str]:
    """The lot form of Thái Nguyên: (csrf, the code of Xã Kha Sơn, of Phường Phổ Yên)."""
    _, _, form = me.get("/console/lots/new", province="19")
    kha_son = re.search(r'<option value="(\d{5})">Xã Kha Sơn</option>', form)
    pho_yen = re.search(r'<option value="(\d{5})">Phường Phổ Yên</option>', form)
    assert kha_son and pho_yen
    return _csrf(form), kha_son.group(1), pho_yen.group(1)


def _lot_fields(shop: Shop, csrf: str, commune: str, code: str = "HH-2026-12") -> dict[str, str]:
    return {
        "csrf": csrf,
        "province": "19",
        "product_id": shop.product_id,
        "lot_code": code,
        "production_date": "2026-11-20",
        "expiry_date": "2027-11-20",
        "quantity": "300",
        "unit": "hộp",
        "commune": commune,
        "step_rows": "2",
    }


# --- process steps -------------------------------------------------------------------------------
def test_given_two_process_steps_when_the_lot_is_registered_then_both_are_kept_with_their_place(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    csrf, kha_son, pho_yen = _lot_form(me)
    steps = {
        "s0_step": "Thu hoạch",
        "s0_when": "2026-11-10",
        "s0_commune": kha_son,
        "s0_who": "Tổ hợp tác Hoàn Hòa",
        "s1_step": "Sao chè <lửa nhỏ>",
        "s1_when": "2026-11-12",
        "s1_commune": pho_yen,
        "s1_where": "Xưởng sao",
    }

    status, headers, _ = me.post("/console/lots", {**_lot_fields(shop, csrf, kha_son), **steps})
    lot_id = headers["Location"].split("/")[-1].split("?")[0]
    _, _, page = me.get(f"/console/lots/{lot_id}")
    stored = registry.own_lot("hoan-hoa", lot_id)

    assert status == 303
    assert [s["step"] for s in stored.process_steps] == ["Thu hoạch", "Sao chè <lửa nhỏ>"]
    assert "Xã Kha Sơn" in str(stored.process_steps[0]["place"]) and "Phổ Yên" in str(stored.process_steps[1]["place"])
    assert "<strong>Thu hoạch</strong> · 10/11/2026 · Xã Kha Sơn, Tỉnh Thái Nguyên · Tổ hợp tác Hoàn Hòa" in page
    assert "<strong>Sao chè &lt;lửa nhỏ&gt;</strong> · 12/11/2026 · Xưởng sao, Phường Phổ Yên" in page


def test_given_the_lot_form_when_another_step_is_asked_for_then_a_row_is_added_and_every_value_kept(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    csrf, kha_son, _ = _lot_form(me)
    typed = {**_lot_fields(shop, csrf, kha_son), "s0_step": "Thu hoạch", "s1_step": "Sấy", "s1_why": "Giữ hương"}

    status, _, page = me.post("/console/lots", {**typed, "action": "add_step"})

    assert status == 200 and "Bước 2" in page
    assert [f"s{i}_step" for i in range(4) if f'id="s{i}_step"' in page] == ["s0_step", "s1_step", "s2_step"]
    assert '<input id="s2_step" autofocus name="s2_step" type="text" value=""' in page and page.count("autofocus") == 1
    assert 'value="HH-2026-12"' in page and 'value="Thu hoạch"' in page and 'value="Giữ hương"' in page
    assert 'name="step_rows" value="3"' in page and f'<option value="{kha_son}" selected>' in page
    assert all(lot["lot_code"] != "HH-2026-12" for lot in registry.lots_of("hoan-hoa"))  # nothing registered


def test_given_a_step_without_its_day_or_with_a_commune_of_another_province_then_each_refusal_is_at_that_field_in_both_languages(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    csrf, kha_son, _ = _lot_form(me)
    base = _lot_fields(shop, csrf, kha_son)

    no_day = me.post("/console/lots", {**base, "s1_step": "Đóng gói"})  # row 2 filled, row 1 empty
    elsewhere = me.post(
        "/console/lots", {**base, "s0_step": "Đóng gói", "s0_when": "2026-11-15", "s0_commune": "00004"}
    )

    assert no_day[0] == elsewhere[0] == 422
    assert _marked(no_day[2]) == {"s1_when"}
    err = no_day[2].split('id="s1_when-err">')[1][:400]
    assert "Hãy nhập ngày làm công đoạn này" in err and '<p class="muted" lang="en">Enter the day of this step' in err
    assert _marked(elsewhere[2]) == {"s0_commune"}
    err = elsewhere[2].split('id="s0_commune-err">')[1][:600]
    assert 'lang="en"' in err and "00004" in err
    assert 'value="Đóng gói"' in elsewhere[2]


# --- lifting a recall ----------------------------------------------------------------------------
def _recall(me: Person, lot_id: str) -> None:
    _, _, form = me.get(f"/console/lots/{lot_id}/recall")
    values = {"csrf": _csrf(form), "reason": "Nhiễm nấm mốc", "message_vi": "Ngừng sử dụng.", "step": "do"}
    assert me.post(f"/console/lots/{lot_id}/recall", values)[0] == 303


def test_given_a_recalled_lot_when_the_lift_is_confirmed_and_sent_twice_then_it_is_lifted_once_and_scans_are_genuine_again(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    assert shop.activate(1, 50)[0] == 201
    lot_id = shop.lot["lot_id"]
    _recall(me, lot_id)
    _, _, recalled_page = me.get(f"/console/lots/{lot_id}")
    _, _, form = me.get(f"/console/lots/{lot_id}/lift")
    values = {"csrf": _csrf(form), "reason": "Kiểm nghiệm lại đạt"}

    status, _, confirm = me.post(f"/console/lots/{lot_id}/lift", {**values, "step": "confirm"})
    _, during = scan(shop.codes(1, 1)[0])
    first = me.post(f"/console/lots/{lot_id}/lift", {**values, "step": "do"})
    second = me.post(f"/console/lots/{lot_id}/lift", {**values, "step": "do"})
    _, _, lot_page = me.get(f"/console/lots/{lot_id}", lifted="1")
    _, after = scan(shop.codes(2, 2)[0])
    history = registry.own_lot("hoan-hoa", lot_id).recall_history

    assert f'href="/console/lots/{lot_id}/lift">Gỡ lệnh thu hồi</a>' in recalled_page
    assert status == 200 and "Bạn sắp gỡ lệnh thu hồi lô HH-2026-11" in confirm
    assert "Tem chính hãng" in confirm and 'lang="en"' in confirm and "Genuine" in confirm
    assert during["verdict"] == "recalled"
    assert first[0] == second[0] == 303 and first[1]["Location"] == second[1]["Location"]
    assert "Đã gỡ lệnh thu hồi lô HH-2026-11" in lot_page and f"/console/lots/{lot_id}/recall" in lot_page
    assert after["verdict"] == "genuine"
    assert [h["status"] for h in history] == ["recalled", "lifted"]


def test_given_a_lift_without_a_reason_then_the_reason_field_says_so_in_both_languages(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    lot_id = shop.lot["lot_id"]
    _recall(me, lot_id)
    _, _, form = me.get(f"/console/lots/{lot_id}/lift")

    status, _, page = me.post(f"/console/lots/{lot_id}/lift", {"csrf": _csrf(form), "step": "do", "reason": "x"})

    assert status == 422 and _marked(page) == {"reason"}
    err = page.split('id="reason-err">')[1][:400]
    assert "Hãy chọn hoặc nhập lý do" in err and 'lang="en"' in err
    assert registry.own_lot("hoan-hoa", lot_id).recall["status"] == "recalled"


def test_given_a_lot_not_recalled_when_its_lift_page_is_opened_then_the_lot_page_answers(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer

    status, headers, _ = me.get(f"/console/lots/{shop.lot['lot_id']}/lift")

    assert status == 303 and headers["Location"] == f"/console/lots/{shop.lot['lot_id']}"


# --- voiding stamps by their codes ---------------------------------------------------------------
def _as_typed(code: str) -> str:
    """A code as a person types it from the label: groups of four, lower case."""
    return "-".join(code[i : i + 4] for i in range(0, 16, 4)).lower()


def test_given_a_typed_code_when_the_void_is_confirmed_and_sent_twice_then_that_one_stamp_is_void_once(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    code = shop.codes(7, 7)[0]
    _, _, form = me.get("/console/stamps/void")
    values = {"csrf": _csrf(form), "codes": f"  {_as_typed(code)}\n", "reason": "damaged", "note": ""}

    status, _, confirm = me.post("/console/stamps/void", {**values, "step": "confirm"})
    _, before = scan(code)
    first = me.post("/console/stamps/void", {**values, "step": "do"})
    second = me.post("/console/stamps/void", {**values, "step": "do"})
    _, _, done = me.get("/console/stamps/void/done", s=f"{shop.batch_id}:7")
    _, after = scan(code)
    _, neighbour = scan(shop.codes(8, 8)[0])

    assert status == 200 and f"Đợt số {shop.batch_id}, sê-ri 7" in confirm and "Tem đã bị hủy" in confirm
    assert before["verdict"] != "void"
    assert first[0] == second[0] == 303 and first[1]["Location"] == second[1]["Location"]
    assert first[1]["Location"] == f"/console/stamps/void/done?s={shop.batch_id}:7"
    assert "Đã hủy 1 tem." in done
    assert after["verdict"] == "void" and neighbour["verdict"] != "void"
    assert _batch_voided(shop, me) == "1"


def test_given_a_pasted_label_url_and_two_codes_when_voided_then_each_stamp_is_void(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    codes = shop.codes(3, 4)
    _, _, form = me.get("/console/stamps/void")
    values = {"csrf": _csrf(form), "codes": f"https://tem.example.vn/v/{codes[0]}\n{codes[1]}", "reason": "lost"}

    status, headers, _ = me.post("/console/stamps/void", {**values, "step": "do"})

    assert status == 303 and headers["Location"].endswith(f"s={shop.batch_id}:3,{shop.batch_id}:4")
    assert [scan(c)[1]["verdict"] for c in codes] == ["void", "void"]


def test_given_wrong_codes_when_checked_then_each_line_is_refused_at_the_field_in_both_languages_without_naming_another_batch(
    local_console: None,
) -> None:
    mine = Shop()
    theirs = Shop("tam-hoa")
    me = Person()
    sign_in(me, "producer")
    own = mine.codes(1, 2)
    assert mine.activate(2, 2)[0] == 201
    _, _, form = me.get("/console/stamps/void")
    csrf = _csrf(form)
    me.post("/console/stamps/void", {"csrf": csrf, "step": "do", "codes": own[1], "reason": "lost"})
    other_code = theirs.codes(5, 5)[0]
    lines = f"{own[0]}\nKHONG-PHAI-MA\n{other_code}\n{own[1]}"

    status, _, page = me.post("/console/stamps/void", {"csrf": csrf, "step": "confirm", "codes": lines, "reason": ""})
    err = page.split('id="codes-err">')[1].split("</div>")[0]

    assert status == 422 and _marked(page) == {"codes", "reason"}
    assert "Dòng 2 (“KHONG-PHAI-MA”) không phải mã tem" in err and "Line 2" in err
    assert "Dòng 3: mã " in err and "không phải tem của bạn" in err and "is not one of your stamps" in err
    assert "Dòng 4: tem " in err and f"sê-ri 2 của đợt số {mine.batch_id}) đã bị hủy trước đó" in err
    assert f"đợt số {theirs.batch_id}" not in page.lower() and f"batch {theirs.batch_id}" not in page.lower()
    assert "Dòng 1" not in err and scan(own[0])[1]["verdict"] != "void"
    assert scan(other_code)[1]["verdict"] != "void"


def test_given_more_codes_than_a_form_takes_then_the_field_says_how_many(producer: tuple[Shop, Person]) -> None:
    shop, me = producer
    _, _, form = me.get("/console/stamps/void")

    status, _, page = me.post(
        "/console/stamps/void",
        {"csrf": _csrf(form), "step": "confirm", "codes": "\n".join(shop.codes(1, 11)), "reason": "lost"},
    )

    assert status == 422 and "Mỗi lần hủy tối đa 10 tem" in page and _batch_voided(shop, me) == "0"


def test_given_the_void_by_code_form_then_it_may_use_the_camera_and_loads_the_console_script(
    producer: tuple[Shop, Person],
) -> None:
    _, me = producer

    _, headers, page = me.get("/console/stamps/void")
    _, home_headers, home = me.get("/console")

    assert headers["Permissions-Policy"].startswith("camera=(self)")
    assert "camera=()" in home_headers["Permissions-Policy"]
    assert re.search(r'<script src="/console/static/scan\.js\?v=\w+" defer></script>', page)
    assert 'data-field="codes" data-append="1"' in page and 'href="/console/stamps/void"' in home


# --- a lot's batches -----------------------------------------------------------------------------
def test_given_stamps_of_two_batches_bound_to_a_lot_then_its_page_links_both_batches(
    producer: tuple[Shop, Person],
) -> None:
    shop, me = producer
    second = shop.issue(20)["batch_id"]
    _, _, before = me.get(f"/console/lots/{shop.lot['lot_id']}")
    assert shop.activate(1, 10)[0] == 201 and shop.activate(1, 5, batch_id=second)[0] == 201

    _, _, page = me.get(f"/console/lots/{shop.lot['lot_id']}")

    assert "Chưa có tem nào được gắn với lô này." in before
    assert f'<a href="/console/batches/{shop.batch_id}">Đợt cấp tem số {shop.batch_id}</a>' in page
    assert f'<a href="/console/batches/{second}">Đợt cấp tem số {second}</a>' in page


# --- tenancy, CSRF, requests ---------------------------------------------------------------------
def test_given_another_producers_lot_or_stamp_when_lifted_or_voided_then_it_is_a_404_or_refused_and_nothing_changes(
    local_console: None,
) -> None:
    shop = Shop()
    Shop("tam-hoa")
    owner = Person()
    sign_in(owner, "producer")
    _recall(owner, shop.lot["lot_id"])
    other = Person()
    sign_in(other, "producer-2")
    _, _, own = other.get("/console/stamps/void")
    csrf = _csrf(own)
    lot_id = shop.lot["lot_id"]

    lift_page = other.get(f"/console/lots/{lot_id}/lift")
    lift = other.post(f"/console/lots/{lot_id}/lift", {"csrf": csrf, "step": "do", "reason": "Không rõ"})
    void = other.post(
        "/console/stamps/void", {"csrf": csrf, "step": "do", "codes": shop.codes(1, 1)[0], "reason": "lost"}
    )
    done = other.get("/console/stamps/void/done", s=f"{shop.batch_id}:1")

    assert lift_page[0] == lift[0] == done[0] == 404
    assert void[0] == 422 and "không phải tem của bạn" in void[2]
    assert registry.own_lot("hoan-hoa", lot_id).recall["status"] == "recalled"
    assert scan(shop.codes(1, 1)[0])[1]["verdict"] != "void"


@pytest.mark.parametrize("path", ["/console/lots/{lot}/lift", "/console/stamps/void", "/console/lots"])
def test_given_a_post_without_the_csrf_token_when_sent_then_it_is_refused_before_anything(
    producer: tuple[Shop, Person], path: str
) -> None:
    shop, me = producer
    _recall(me, shop.lot["lot_id"])
    target = path.format(lot=shop.lot["lot_id"])
    fields = {"step": "do", "reason": "lost", "codes": shop.codes(1, 1)[0], "action": "add_step"}

    status, _, page = me.post(target, fields)

    assert status == 403 and "Biểu mẫu đã hết hạn" in page and "The form expired" in page
    assert (
        _batch_voided(shop, me) == "0"
        and registry.own_lot("hoan-hoa", shop.lot["lot_id"]).recall["status"] == "recalled"
    )


def test_given_more_batches_and_lots_when_the_new_pages_open_then_their_requests_do_not_grow(
    producer: tuple[Shop, Person], ddb_calls: list[tuple[str, str]]
) -> None:
    shop, me = producer
    lot_id = shop.lot["lot_id"]
    code = shop.codes(9, 9)[0]

    def requests() -> list[list[str]]:
        seen = []
        for method, path, form in (
            ("GET", f"/console/lots/{lot_id}", None),
            ("GET", "/console/stamps/void", None),
            ("POST", "/console/stamps/void", {"step": "confirm", "codes": code, "reason": "lost"}),
        ):
            csrf = _csrf(me.get("/console/stamps/void")[2])
            ddb_calls.clear()
            if method == "GET":
                me.get(path)
            else:
                me.post(path, {**(form or {}), "csrf": csrf})
            seen.append(sorted(op for service, op in ddb_calls if service == "dynamodb"))
        return seen

    requests()  # warm: the code keys read once per process
    before = requests()
    for n in range(3):
        extra = shop.issue(10)["batch_id"]
        shop.new_lot(f"HH-X{n}")
        assert shop.activate(1, 2, batch_id=extra)[0] == 201

    assert requests() == before
    # each page also checks the session was not signed out (one BatchGetItem)
    assert before == [["BatchGetItem", "GetItem", "GetItem"], ["BatchGetItem"], ["BatchGetItem", "GetItem", "GetItem"]]
