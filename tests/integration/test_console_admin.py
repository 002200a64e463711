"""The OCOP office's console pages (issue 15), on moto: onboard a producer with its sign-in (a
double submit is one producer and one account), register a product (a claimed GTIN refused at
its field, in both languages, the form kept), record / renew / withdraw a rating with the
domain's refusals at their fields, the withdrawal's confirmation and what a buyer's scan page
says afterwards; producers' and inspectors' sessions refused (403), a CSRF-less post refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import boto3
import pytest

from helpers.handlers import Shop, scan
from integration import test_console
from integration.test_console import sign_in
from integration.test_console_producer import Person, _csrf
from ocop_stamps.console import admin
from ocop_stamps.core.settings import get_settings

USERS = {
    **test_console.USERS,
    "admin": {"sub": "u-office", "cognito:username": "ocop-office", "cognito:groups": ["admin"]},
}


@pytest.fixture
def console(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    monkeypatch.setenv("OCOP_CONSOLE_LOCAL_USERS", json.dumps(USERS))
    monkeypatch.setenv("CONSOLE_URL", "https://tem.example.vn/console")
    monkeypatch.setattr(admin, "OWN_ID_WAIT_SECONDS", 0)
    get_settings.cache_clear()
    yield Shop()
    get_settings.cache_clear()


@pytest.fixture
def pool(console: Shop, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Cognito user pool (moto) with the producer group, as deployed."""
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName="ocop-test", Schema=[{"Name": "producer_id", "AttributeDataType": "String", "Mutable": True}]
    )["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool_id, GroupName="producer")
    monkeypatch.setenv("USER_POOL_ID", pool_id)
    get_settings.cache_clear()
    return pool_id


def _as(user: str) -> Person:
    me = Person()
    sign_in(me, user)
    return me


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def _commune(page: str, name: str) -> str:
    found = re.search(rf'<option value="(\d{{5}})">{name}</option>', page)
    assert found, name
    return found.group(1)


def _onboarding(me: Person, **fields: str) -> dict[str, str]:
    _, _, page = me.get("/console/producers/new", province="19")
    form = {
        "csrf": _csrf(page),
        "producer_id": _hidden(page, "producer_id"),
        "name": "Tổ hợp tác chè Tân Cương",
        "kind": "cooperative_group",
        "province": "19",
        "commune": _commune(page, "Xã Tân Cương"),
        "hamlet": "Xóm Hồng Thái 2",
        "account_email": "che.tancuong@example.vn",
    }
    return {**form, **fields}


def _error_at(page: str, field: str) -> str:
    found = re.search(rf'<div class="err" id="{field}-err">(.*?)</div>', page, re.S)
    assert found, f"no problem shown at {field}"
    assert f'aria-describedby="{field}-err' in page
    return found.group(1)


# --- home and roles ------------------------------------------------------------------------------
def test_given_an_admin_when_the_console_opens_then_home_links_every_office_page_and_the_inspectors(
    console: Shop,
) -> None:
    status, _, home = _as("admin").get("/console")

    assert status == 200
    for href in ("/console/producers", "/console/producers/new", "/console/products/new"):
        assert f'href="{href}"' in home
    for href in ("/console/scans", "/console/alerts", "/console/summary"):
        assert f'href="{href}"' in home


@pytest.mark.parametrize("user", ["producer", "inspector"])
def test_given_a_producer_or_inspector_session_when_an_office_page_is_asked_then_403_and_nothing_changes(
    console: Shop, user: str
) -> None:
    shop = console
    me = _as(user)
    _, _, home = me.get("/console")
    csrf = _csrf(home)

    pages = [
        me.get(p)[0] for p in ("/console/producers", "/console/producers/new", f"/console/products/{shop.product_id}")
    ]
    posted, _, _ = me.post(
        f"/console/products/{shop.product_id}/withdraw", {"csrf": csrf, "step": "do", "reason": "thử"}
    )
    onboard, _, _ = me.post("/console/producers", {"csrf": csrf, "name": "X", "kind": "household"})
    _, _, product = _as("admin").get(f"/console/products/{shop.product_id}")

    assert pages == [403, 403, 403] and posted == 403 and onboard == 403
    assert "3 sao" in product and "Đã bị thu hồi" not in product


def test_given_an_admin_when_a_form_is_posted_without_its_csrf_token_then_403_and_no_producer(
    console: Shop,
) -> None:
    me = _as("admin")
    form = _onboarding(me)
    del form["csrf"]

    status, _, page = me.post("/console/producers", form)
    _, _, listed = me.get("/console/producers")

    assert status == 403 and "Tân Cương" not in listed


# --- producers -----------------------------------------------------------------------------------
def test_given_the_onboarding_form_when_sent_twice_then_one_producer_and_one_sign_in(pool: str) -> None:
    me = _as("admin")
    form = _onboarding(me)

    first, first_headers, _ = me.post("/console/producers", form)
    second, second_headers, _ = me.post("/console/producers", form)
    _, _, page = me.get(first_headers["Location"].split("?")[0], onboarded="invited")
    _, _, listed = me.get("/console/producers")
    users = boto3.client("cognito-idp").list_users(UserPoolId=pool)["Users"]

    producer_id = form["producer_id"]
    assert first == 303 and first_headers["Location"] == f"/console/producers/{producer_id}?onboarded=invited"
    assert second == 303 and second_headers["Location"] == f"/console/producers/{producer_id}?onboarded=again"
    assert listed.count("Tổ hợp tác chè Tân Cương") == 1
    assert "Tổ hợp tác" in page and "Xã Tân Cương" in page and "Thư mời đăng nhập" in page
    assert [u["Username"] for u in users] == ["che.tancuong@example.vn"]
    attributes = {a["Name"]: a["Value"] for a in users[0]["Attributes"]}
    assert attributes["custom:producer_id"] == producer_id


def test_given_no_user_pool_when_a_producer_is_onboarded_then_the_page_says_how_to_sign_in_locally(
    console: Shop,
) -> None:
    me = _as("admin")

    status, headers, _ = me.post("/console/producers", _onboarding(me))
    _, _, page = me.get(headers["Location"].split("?")[0], onboarded="local")

    assert status == 303 and headers["Location"].endswith("?onboarded=local")
    assert "python -m ocop_local token producer --producer-id pro-" in page


def test_given_a_bad_tax_code_and_no_email_when_onboarding_then_both_at_their_fields_in_both_languages_form_kept(
    console: Shop,
) -> None:
    me = _as("admin")
    form = _onboarding(me, tax_code="12345", account_email="")

    status, _, page = me.post("/console/producers", form)

    assert status == 422
    tax = _error_at(page, "tax_code")
    assert "Mã số thuế gồm 10 chữ số" in tax and 'lang="en"' in tax and "A tax code has 10 digits" in tax
    assert "sign-in e-mail" in _error_at(page, "account_email")
    assert 'value="Tổ hợp tác chè Tân Cương"' in page and f'value="{form["producer_id"]}"' in page
    assert "selected>Xã Tân Cương</option>" in page


def test_given_an_email_that_has_an_account_when_onboarding_then_409_at_the_email_and_no_producer(
    pool: str,
) -> None:
    boto3.client("cognito-idp").admin_create_user(UserPoolId=pool, Username="che.tancuong@example.vn")
    me = _as("admin")

    status, _, page = me.post("/console/producers", _onboarding(me))
    _, _, listed = me.get("/console/producers")

    assert status == 409
    said = _error_at(page, "account_email")
    assert "Đã có tài khoản dùng email" in said and "already exists" in said
    assert "Tân Cương" not in listed


# --- products ------------------------------------------------------------------------------------
def _product_form(me: Person, shop: Shop, **fields: str) -> dict[str, str]:
    _, _, page = me.get("/console/products/new", producer=shop.producer_id)
    form = {"csrf": _csrf(page), "product_id": _hidden(page, "product_id"), "producer_id": shop.producer_id}
    form |= {"name": "Trà hoa vàng Hoan Hoa", "group": "beverage"}
    form |= {"made_in_country": "VN", "made_in_place": "Thái Nguyên", "standards": "TCCS 02:2025/HH"}
    return {**form, **fields}


def test_given_a_gtin_another_product_holds_when_a_product_is_registered_then_409_at_the_gtin_form_kept(
    console: Shop,
) -> None:
    shop = console
    me = _as("admin")

    status, _, page = me.post("/console/products", _product_form(me, shop, gtin="8930000000019"))
    bad, _, wrong = me.post("/console/products", _product_form(me, shop, gtin="8930000000018"))

    assert status == 409
    said = _error_at(page, "gtin")
    assert "đã được đăng ký cho một sản phẩm khác" in said and "already registered for another product" in said
    assert 'value="Trà hoa vàng Hoan Hoa"' in page and 'value="8930000000019"' in page
    assert bad == 422 and "chữ số cuối là số kiểm tra" in _error_at(wrong, "gtin")


def test_given_a_filled_product_form_when_sent_then_the_product_is_on_its_producers_page(console: Shop) -> None:
    shop = console
    me = _as("admin")

    status, headers, _ = me.post("/console/products", _product_form(me, shop))
    _, _, page = me.get(headers["Location"].split("?")[0], registered="1")
    _, _, producer = me.get(f"/console/producers/{shop.producer_id}")

    assert status == 303 and headers["Location"].startswith("/console/products/prd_")
    assert "Đồ uống" in page and "Thái Nguyên, Việt Nam" in page and "Chưa được đánh giá" in page
    assert "Trà hoa vàng Hoan Hoa" in producer


@pytest.mark.parametrize("gtin", ["", "8930000000125"], ids=["no-gtin", "gtin"])
def test_given_the_product_form_when_sent_twice_then_one_product_and_both_land_on_it(console: Shop, gtin: str) -> None:
    shop = console
    me = _as("admin")
    form = _product_form(me, shop, gtin=gtin)

    first, first_headers, _ = me.post("/console/products", form)
    second, second_headers, _ = me.post("/console/products", form)
    _, _, producer = me.get(f"/console/producers/{shop.producer_id}")

    landing = f"/console/products/{form['product_id']}?registered=1"
    assert first == 303 and first_headers["Location"] == landing
    assert second == 303 and second_headers["Location"] == landing
    assert producer.count("Trà hoa vàng Hoan Hoa") == 1


def test_given_a_product_form_carrying_another_products_id_when_sent_then_409_and_that_product_unchanged(
    console: Shop,
) -> None:
    shop = console
    me = _as("admin")
    _, made, _ = me.post("/console/products", _product_form(me, shop))
    taken = made["Location"].split("?")[0].rsplit("/", 1)[1]

    status, _, page = me.post("/console/products", _product_form(me, shop, product_id=taken, name="Chè khác"))
    _, _, kept = me.get(f"/console/products/{taken}")
    again, moved, _ = me.post(
        "/console/products",
        {**_product_form(me, shop, name="Chè khác"), "csrf": _csrf(page), "product_id": _hidden(page, "product_id")},
    )

    assert status == 409 and "Biểu mẫu này đã được gửi" in page and "This form was already sent" in page
    assert _hidden(page, "product_id") != taken and 'value="Chè khác"' in page  # a new form, kept as typed
    assert "Trà hoa vàng Hoan Hoa" in kept and "Chè khác" not in kept
    assert again == 303 and taken not in moved["Location"]  # sent again: another product


@pytest.mark.parametrize("product_id", ["garbage", "PRD_ABCDEFABCDEF", "prd_" + "a" * 5000, " ", "prd_abcdefabcdeı"])
def test_given_a_product_form_whose_hidden_id_was_edited_when_sent_then_it_registers_as_a_new_form(
    console: Shop, product_id: str
) -> None:
    # found by a break tester: an id the schema refuses made the form's error words a KeyError (500)
    shop = console
    me = _as("admin")

    status, headers, _ = me.post("/console/products", _product_form(me, shop, product_id=product_id))

    assert status == 303 and re.fullmatch(r"/console/products/prd_[0-9a-z]{12}\?registered=1", headers["Location"])


# --- ratings -------------------------------------------------------------------------------------
def _rating_form(me: Person, product_id: str, action: str, **fields: str) -> dict[str, str]:
    _, _, page = me.get(f"/console/products/{product_id}/rating", action=action)
    form = {
        "csrf": _csrf(page),
        "action": action,
        "stars": "4",
        "decision_number": "2456/QĐ-UBND",
        "decision_date": "2026-09-10",
        "issuing_level": "province",
        "issuing_body": "Ủy ban nhân dân tỉnh Thái Nguyên",
        "certificate_number": "GCN-4-0912/2026",
    }
    return {**form, **fields}


def test_given_a_rating_the_rules_refuse_when_recorded_then_each_refusal_is_at_its_field_in_both_languages(
    console: Shop,
) -> None:
    shop = console
    me = _as("admin")
    pid = shop.product_id

    level, _, by_district = me.post(
        f"/console/products/{pid}/rating",
        _rating_form(me, pid, "record", issuing_level="district", issuing_body="Ủy ban nhân dân huyện Phú Bình"),
    )
    long, _, forty = me.post(
        f"/console/products/{pid}/rating",
        _rating_form(me, pid, "record", decision_date="2025-08-15", valid_until="2028-12-15"),
    )
    early, _, before = me.post(
        f"/console/products/{pid}/rating", _rating_form(me, pid, "renew", decision_date="2024-06-01")
    )
    _, _, product = me.get(f"/console/products/{pid}")

    assert level == 400
    said = _error_at(by_district, "issuing_level")
    assert "phải do Ủy ban nhân dân cấp tỉnh công nhận" in said and "a provincial People&#x27;s Committee" in said
    assert 'value="2456/QĐ-UBND"' in by_district  # the form is kept
    assert long == 400 and "tối đa 36 tháng" in _error_at(forty, "valid_until")
    assert early == 409 and "công nhận lại phải có ngày sau" in _error_at(before, "decision_date")
    assert product.count("<tr>") == 1 + 1  # the head and the registration's rating: nothing written


def test_given_a_rated_product_when_renewed_then_withdrawn_then_history_and_the_buyers_page_say_so(
    console: Shop,
) -> None:
    shop = console
    shop.activate(1, 10)
    code = shop.codes(1, 1)[0]
    me = _as("admin")
    pid = shop.product_id

    renewed, _, _ = me.post(f"/console/products/{pid}/rating", _rating_form(me, pid, "renew"))
    twice, _, _ = me.post(f"/console/products/{pid}/rating", _rating_form(me, pid, "renew"))
    _, _, after_renewal = me.get(f"/console/products/{pid}")
    _, _, withdraw = me.get(f"/console/products/{pid}/withdraw")
    reason = {"csrf": _csrf(withdraw), "reason": "Sản phẩm không còn đạt tiêu chí khi đánh giá lại"}
    confirm_status, _, confirm = me.post(f"/console/products/{pid}/withdraw", {**reason, "step": "confirm"})
    _, _, still = me.get(f"/console/products/{pid}")
    done, headers, _ = me.post(f"/console/products/{pid}/withdraw", {**reason, "step": "do"})
    again, _, _ = me.post(f"/console/products/{pid}/withdraw", {**reason, "step": "do"})
    _, _, after = me.get(f"/console/products/{pid}")
    _, buyers = scan(code, html=True)

    assert renewed == 303 and twice == 303
    assert after_renewal.count("Công nhận lại</td>") == 1 and "4 sao" in after_renewal
    assert confirm_status == 200 and "Giấy chứng nhận OCOP đã bị thu hồi ngày" in confirm
    assert 'lang="en">The OCOP certificate was withdrawn on' in confirm
    assert "Đã bị thu hồi" not in still  # the confirmation wrote nothing
    assert done == 303 and headers["Location"] == f"/console/products/{pid}?withdrawn=1" and again == 303
    assert "Đã bị thu hồi" in after and after.count("Thu hồi</td>") == 1
    assert after.count("<tr>") == 1 + 3  # registration, renewal, withdrawal (the second send wrote nothing)
    assert "Giấy chứng nhận OCOP đã bị thu hồi ngày" in buyers and "★" not in buyers


def test_given_more_producers_when_the_office_lists_them_then_one_query_whatever_their_number(
    console: Shop, ddb_calls: list[tuple[str, str]]
) -> None:
    me = _as("admin")
    me.get("/console/producers")  # warm: the code keys read once per process
    ddb_calls.clear()
    me.get("/console/producers")
    with_one = [op for service, op in ddb_calls if service == "dynamodb"]
    for n in range(3):
        me.post("/console/producers", _onboarding(me, name=f"Hộ sản xuất số {n + 1}", kind="household"))
    ddb_calls.clear()
    status, _, page = me.get("/console/producers")
    with_four = [op for service, op in ddb_calls if service == "dynamodb"]
    ddb_calls.clear()
    me.get(f"/console/producers/{console.producer_id}")
    one_producer = [op for service, op in ddb_calls if service == "dynamodb"]

    assert status == 200 and page.count('<h2><a href="/console/producers/') == 4
    assert page.index("Hộ sản xuất số 3") < page.index("Hộ sản xuất số 1")  # newest first
    # one Query of the producers, and the session's revocation check (a BatchGetItem per page)
    assert sorted(with_one) == sorted(with_four) == ["BatchGetItem", "Query"]
    assert sorted(one_producer) == ["BatchGetItem", "GetItem", "Query"]
