"""The consumer's page shows an address recorded before 1 July 2025 as entered and as it is
today, and names places by their names of today (issue 12). The caller computes ``current``
and ``first_province_name`` (``places``); the page only renders them."""

from __future__ import annotations

import copy
import html
import re

from helpers.scan_results import GENUINE, REPEAT
from ocop_stamps.pages.scan_page import render

OLD_ORIGIN = {
    "commune": "Xã Dương Thành",
    "district": "Huyện Phú Bình",
    "province": "Thái Nguyên",
    "current": {
        "province_code": "19",
        "province": "Tỉnh Thái Nguyên",
        "commune_code": "05953",
        "commune": "Xã Kha Sơn",
    },
}
SPLIT_ORIGIN = {
    "commune": "Xã Đại Dực",
    "district": "Huyện Tiên Yên",
    "province": "Quảng Ninh",
    "current": {
        "province_code": "22",
        "province": "Thành phố Quảng Ninh",
        "candidates": [{"code": "06862", "name": "Xã Tiên Yên"}, {"code": "06877", "name": "Xã Đông Ngũ"}],
        "split": True,
    },
}


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _with_origin(origin: dict) -> dict:
    res = copy.deepcopy(GENUINE)
    res["lot"]["origin"] = origin
    return res


def test_given_a_lot_recorded_before_july_2025_when_its_page_is_read_then_the_origin_shows_as_entered_and_as_today():
    res = _with_origin(OLD_ORIGIN)

    vi, en = _text(render(res, "vi")), _text(render(res, "en"))

    assert "Xã Dương Thành, Huyện Phú Bình, Thái Nguyên (nay là Xã Kha Sơn, Tỉnh Thái Nguyên)" in vi
    assert "Xã Dương Thành, Huyện Phú Bình, Thái Nguyên (now Xã Kha Sơn, Tỉnh Thái Nguyên)" in en


def test_given_an_old_commune_split_in_two_when_the_page_is_read_then_both_are_named_and_neither_is_chosen():
    vi = _text(render(_with_origin(SPLIT_ORIGIN), "vi"))

    assert "Xã Đại Dực, Huyện Tiên Yên, Quảng Ninh (nay thuộc Xã Tiên Yên hoặc Xã Đông Ngũ, Thành phố Quảng Ninh)" in vi


def test_given_a_current_address_when_the_page_is_read_then_it_is_shown_once_without_a_note():
    vi = _text(render(GENUINE, "vi"))

    assert "Tổ 5, Phường Thục Phán, Tỉnh Cao Bằng" in vi and "(nay" not in vi


def test_given_a_repeat_first_seen_in_old_thua_thien_hue_when_the_caller_names_it_then_the_page_says_thanh_pho_hue():
    res = copy.deepcopy(REPEAT)
    res["scan"] |= {"first_province": "VN-26", "first_province_name": "Thành phố Huế"}

    assert " tại Thành phố Huế." in _text(render(res, "vi"))
