"""The scratch-off PIN on the consumer's page (issue 14): a form that works without JavaScript on
a two-layer stamp's page, the warning on a claimed stamp's scan, and the answer to each entry."""

from __future__ import annotations

import gzip

import pytest

from helpers.scan_results import GENUINE, result
from ocop_stamps.pages import scan_page
from ocop_stamps.pages.scan_page import render, render_pin

from .test_consumer_page import Page, _assert_inert

TWO_LAYER = {**GENUINE, "second_layer": True, "view_token": "tok.abc"}
CLAIMED = result(
    "claimed",
    second_layer=True,
    claim={"claimed_at": "2026-11-20T03:00:00Z", "claimed_province": "01", "claimed_province_name": "Thành phố Hà Nội"},
)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_a_two_layer_stamp_then_its_page_has_a_pin_form_that_posts_without_script(lang: str) -> None:
    html = render(TWO_LAYER, lang)
    page = Page(html)
    form = next(f for f in page.all("form") if (f.get("action") or "").endswith("/pin"))
    assert form["method"] == "post" and form["action"] == "/v/1ABCDEFGHJKMNPQR/pin"
    field = next(i for i in page.all("input") if i.get("name") == "pin")
    assert field["inputmode"] == "numeric" and field["autocomplete"] == "off" and "required" in field
    assert next(i for i in page.all("input") if i.get("name") == "ref")["value"] == "tok.abc"
    assert next(lab for lab in page.all("label") if lab.get("for") == field["id"])
    _assert_inert(html)


def test_given_a_one_layer_stamp_then_its_page_asks_for_no_pin() -> None:
    assert "/pin" not in render(GENUINE, "vi") and "name=pin" not in render(GENUINE, "vi")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_the_pin_form_then_the_page_grows_by_less_than_1_kb_compressed(lang: str) -> None:
    one = len(gzip.compress(render(GENUINE, lang).encode()))
    two = len(gzip.compress(render(TWO_LAYER, lang).encode()))
    assert 0 < two - one <= 1024


def test_given_a_claimed_stamp_then_the_shopper_is_told_before_buying_when_and_where_a_buyer_claimed_it() -> None:
    page = Page(render(CLAIMED, "vi"))
    assert " ".join(page.h1) == "Tem này đã có người mua xác nhận"
    assert "nhập mã PIN của tem này lúc 10:00, 20/11/2026 tại Thành phố Hà Nội." in page.visible
    assert "đừng mua" in page.visible
    en = Page(render(CLAIMED, "en"))
    assert " ".join(en.h1) == "A buyer already claimed this stamp" and "Thành phố Hà Nội" in en.visible


PIN_ANSWERS = {
    "first": ({"outcome": "first", "tries_left": 10, **CLAIMED["claim"]}, "Bạn là người đầu tiên xác nhận tem này"),
    "already_claimed": (
        {"outcome": "already_claimed", "tries_left": 10, **CLAIMED["claim"]},
        "Cảnh báo: mã PIN này đã được xác nhận trước đó",
    ),
    "wrong": ({"outcome": "wrong", "tries_left": 7}, "Mã PIN không đúng"),
    "locked": ({"outcome": "locked", "tries_left": 0}, "Không thể xác nhận mã PIN của tem này nữa"),
}


@pytest.mark.parametrize("outcome", list(PIN_ANSWERS))
def test_given_each_pin_outcome_then_its_own_sentence_and_the_page_stays_inert(outcome: str) -> None:
    answer, title = PIN_ANSWERS[outcome]
    html = render_pin({"code": "1ABCDEFGHJKMNPQR", **answer}, "vi", "tok.abc")
    page = Page(html)
    assert " ".join(page.h1) == title
    _assert_inert(html)
    forms = [f.get("action") for f in page.all("form")]
    if outcome == "wrong":
        assert "Bạn còn 7 lần nhập." in page.visible and forms == ["/v/1ABCDEFGHJKMNPQR/pin"]
    elif outcome == "already_claimed":
        assert "tại Thành phố Hà Nội" in page.visible and forms == ["/v/1ABCDEFGHJKMNPQR/report"]
    else:
        assert forms == []


def test_given_the_last_wrong_try_then_the_answer_says_the_pin_is_now_locked_not_zero_tries() -> None:
    page = Page(render_pin({"code": "1ABCDEFGHJKMNPQR", "outcome": "wrong", "tries_left": 0}, "vi"))
    assert "đã bị khóa" in page.visible and "còn 0" not in page.visible and page.all("form") == []


def test_given_a_refused_entry_then_the_reason_is_escaped_and_the_form_is_offered_again() -> None:
    html = scan_page.render_pin_refused("1ABCDEFGHJKMNPQR", "<b>Mã PIN gồm đúng 8 chữ số.</b>", "vi", "tok")
    assert "&lt;b&gt;" in html and Page(html).all("form")
    _assert_inert(html)
