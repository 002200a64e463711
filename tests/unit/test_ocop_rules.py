"""The OCOP rules on plain data (issue 12): the six groups of Decision 148/QĐ-TTg, who recognises
which stars on which date, the 36 months, old stored shapes read as today's, the words of a lapsed
or withdrawn certificate, expiry only where a group has one, and the migration steps."""

from __future__ import annotations

import copy
import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest

from helpers.scan_results import GENUINE
from ocop_stamps.catalog.ratings import checked
from ocop_stamps.catalog.schemas import OcopRating
from ocop_stamps.catalog.views import rating_view
from ocop_stamps.core import ocop as rules
from ocop_stamps.core.errors import BadRequest
from ocop_stamps.core.vocabulary import (
    EXPIRY_REQUIRED,
    OCOP_GROUP_LABELS,
    IssuingLevel,
    OcopGroup,
    Verdict,
)
from ocop_stamps.migration.runner import migrate_item
from ocop_stamps.migration.steps import STEPS, product_groups, product_ratings
from ocop_stamps.pages.scan_page import render
from ocop_stamps.scanning.verdicts import StampFacts, judge


class Page(HTMLParser):
    """The page's visible text, whitespace collapsed (``visible``)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.feed(html)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


SIGNERS = {
    "district": "UBND huyện Phú Bình",
    "province": "UBND tỉnh Thái Nguyên",
    "central": "Bộ Nông nghiệp và Môi trường",
}


def body(stars: int, date: str, level: str, signer: str | None = None, **more: Any) -> OcopRating:
    decision = {"number": "1/QĐ-UBND", "date": date, "issuing_level": level, "issuing_body": signer or SIGNERS[level]}
    return OcopRating.model_validate({"stars": stars, "decision": decision, "certificate": {"number": "1"}, **more})


# --- groups ---------------------------------------------------------------------------------
def test_given_decision_148_then_the_six_groups_are_named_in_its_words_and_order():
    assert [vi for vi, _ in OCOP_GROUP_LABELS.values()] == [
        "Thực phẩm",
        "Đồ uống",
        "Dược liệu và sản phẩm từ dược liệu",
        "Thủ công mỹ nghệ",
        "Sinh vật cảnh",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
    ]
    assert all(key.value.isascii() for key in OcopGroup)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("old", ["textile_garment", "souvenir_furniture_decor"])
def test_given_a_page_of_a_product_stored_under_an_old_group_then_it_names_the_group_of_today(old: str, lang: str):
    res = copy.deepcopy(GENUINE)
    res["product"]["group"] = old

    text = Page(render(res, lang)).visible

    vi, en = OCOP_GROUP_LABELS[OcopGroup.handicraft]
    assert (en if lang == "en" else vi) in text and old not in text


def test_given_a_group_no_rule_knows_then_the_page_shows_no_group_rather_than_the_raw_value():
    res = copy.deepcopy(GENUINE)
    res["product"]["group"] = "mystery_group"

    text = Page(render(res)).visible

    assert "mystery_group" not in text and "Nhóm sản phẩm" not in text


# --- who recognises which stars ---------------------------------------------------------------
RULE_TABLE = {
    # (decision date, stars) -> the one level that may sign
    ("2021-03-01", 3): "province",
    ("2021-03-01", 4): "province",
    ("2021-03-01", 5): "central",
    ("2023-02-24", 3): "district",
    ("2024-05-10", 3): "district",
    ("2024-05-10", 4): "province",
    ("2024-05-10", 5): "central",
    ("2025-06-30", 3): "district",
    ("2025-07-01", 3): "province",
    ("2025-07-06", 3): "province",
    ("2025-09-01", 4): "province",
    ("2025-09-01", 5): "central",
}


@pytest.mark.parametrize(("date", "stars"), list(RULE_TABLE))
@pytest.mark.parametrize("level", list(IssuingLevel))
def test_given_a_rating_then_only_the_level_the_rules_of_its_date_name_may_sign_it(
    date: str, stars: int, level: IssuingLevel
):
    rating = body(stars, date, level.value)
    if level.value == RULE_TABLE[(date, stars)]:
        assert checked(rating)["decision"]["issuing_level"] == level.value
    else:
        with pytest.raises(BadRequest) as caught:
            checked(rating)
        assert caught.value.status == 400 and "OCOP" in caught.value.message_vi and "/QĐ-TTg" in caught.value.message


def test_given_a_5_star_rating_by_a_province_then_refused_naming_the_ministry_of_the_day():
    with pytest.raises(BadRequest) as caught:
        checked(body(5, "2025-09-01", "province"))
    assert "Bộ Nông nghiệp và Môi trường" in caught.value.message_vi
    with pytest.raises(BadRequest) as before_merger:
        checked(body(5, "2024-09-01", "province"))
    assert "Bộ Nông nghiệp và Phát triển nông thôn" in before_merger.value.message_vi


@pytest.mark.parametrize(
    ("stars", "date", "level", "signer"),
    [
        (5, "2025-09-01", "central", "Ủy ban nhân dân tỉnh Thái Nguyên"),
        (5, "2025-09-01", "central", "UBND Thành phố Hà Nội"),
        (4, "2025-09-01", "province", "Bộ Nông nghiệp và Môi trường"),
        (4, "2025-09-01", "province", "UBND huyện Phú Bình"),
        (3, "2024-05-01", "district", "Uỷ ban nhân dân tỉnh Thái Nguyên"),
    ],
)
def test_given_an_issuing_body_whose_own_words_name_another_level_then_refused_naming_the_body(
    stars: int, date: str, level: str, signer: str
):
    with pytest.raises(BadRequest) as caught:
        checked(body(stars, date, level, signer))
    assert caught.value.status == 400 and "decision.issuing_body" in caught.value.message
    assert signer in caught.value.message_vi and "`decision.issuing_body`" in caught.value.message_vi


@pytest.mark.parametrize(
    ("stars", "date", "level", "signer"),
    [
        (5, "2025-09-01", "central", "Bộ Nông nghiệp và Môi trường"),
        (3, "2024-05-01", "district", "UBND thành phố Hạ Long"),  # a city of a province: a district's level then
        (4, "2025-09-01", "province", "UBND Thành phố Hồ Chí Minh"),
        (4, "2025-09-01", "province", "Hội đồng đánh giá sản phẩm OCOP"),  # names no level: taken as written
    ],
)
def test_given_an_issuing_body_that_fits_its_level_or_names_none_then_accepted_as_written(
    stars: int, date: str, level: str, signer: str
):
    assert checked(body(stars, date, level, signer))["decision"]["issuing_body"] == signer


@pytest.mark.parametrize(
    ("valid_until", "ok"),
    [(None, True), ("2028-09-01", True), ("2028-09-02", False), ("2029-01-01", False), ("2025-09-01", False)],
)
def test_given_a_validity_then_at_most_36_months_from_the_decision(valid_until: str | None, ok: bool):
    extra = {"valid_until": valid_until} if valid_until else {}
    rating = body(4, "2025-09-01", "province", **extra)
    if ok:
        assert checked(rating)["valid_until"] == (valid_until or "2028-09-01")
    else:
        with pytest.raises(BadRequest):
            checked(rating)


# --- old stored shapes ---------------------------------------------------------------------------
OLD = {
    "stars": 3,
    "certificate_no": "QĐ-88/QĐ-UBND",
    "issuing_body": "UBND huyện Phú Bình",
    "decision_date": "2024-05-10",
    "valid_until": "2027-05-10",
}


def test_given_an_old_rating_then_it_reads_in_todays_shape_with_the_level_its_words_name():
    assert rules.current_rating(OLD) == {
        "stars": 3,
        "decision": {"date": "2024-05-10", "issuing_body": "UBND huyện Phú Bình", "issuing_level": "district"},
        "certificate": {"number": "QĐ-88/QĐ-UBND"},
        "valid_until": "2027-05-10",
    }
    now = rules.current_rating(OLD)
    assert rules.current_rating(now) is now  # today's shape is left as it is


@pytest.mark.parametrize(
    ("words", "level"),
    [
        ("UBND tỉnh Cao Bằng", "province"),
        ("Ủy ban nhân dân thành phố Hà Nội", "province"),
        ("UBND huyện Đầm Hà, tỉnh Quảng Ninh", "district"),
        ("Bộ Nông nghiệp và Phát triển nông thôn", "central"),
        ("Hội đồng Trung ương", "central"),
        ("UBND", None),
    ],
)
def test_given_an_old_free_text_issuing_body_then_its_level_is_read_only_when_the_words_name_one(
    words: str, level: str | None
):
    assert rules.guess_level(words) == (IssuingLevel(level) if level else None)


def test_given_an_old_rating_on_the_page_then_it_shows_as_a_current_one():
    res = copy.deepcopy(GENUINE)
    res["product"]["ocop"] = {**OLD, "status": "valid"}

    text = Page(render(res)).visible

    assert "Quyết định công nhận Ngày 10/05/2024 của UBND huyện Phú Bình" in text
    assert "Số giấy chứng nhận QĐ-88/QĐ-UBND" in text and "10/05/2024 – 10/05/2027" in text


# --- lapsed and withdrawn, in words ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("ocop", "vi", "en"),
    [
        (
            {**OLD, "valid_until": "2025-05-10"},
            "Giấy chứng nhận OCOP đã hết hiệu lực ngày 10/05/2025.",
            "The OCOP certificate lapsed on 10/05/2025.",
        ),
        (
            {**OLD, "withdrawn": True, "withdrawn_at": "2026-03-04T20:30:00Z"},  # 5 March in Vietnam
            "Giấy chứng nhận OCOP đã bị thu hồi ngày 05/03/2026.",
            "The OCOP certificate was withdrawn on 05/03/2026.",
        ),
    ],
)
def test_given_a_certificate_that_no_longer_holds_then_the_page_and_the_json_say_so_with_its_day(
    ocop: dict[str, Any], vi: str, en: str
):
    view = rating_view(ocop)
    res = copy.deepcopy(GENUINE)
    res["product"]["ocop"] = view

    assert view["notice"] == {"vi": vi, "en": en}
    vi_text, en_text = Page(render(res, "vi")).visible, Page(render(res, "en")).visible
    assert vi in vi_text and en in en_text
    assert "★" not in vi_text and "20:30" not in vi_text and "T20" not in vi_text


def test_given_a_valid_certificate_then_no_notice():
    assert "notice" not in rating_view({**OLD, "valid_until": (dt.date.today() + dt.timedelta(days=30)).isoformat()})


# --- expiry -----------------------------------------------------------------------------------------
def test_given_groups_then_food_drinks_and_herbal_products_need_an_expiry_and_the_others_not():
    assert EXPIRY_REQUIRED == {OcopGroup.food, OcopGroup.beverage, OcopGroup.herbal}


def test_given_a_lot_without_an_expiry_date_then_it_is_never_judged_expired():
    facts = StampFacts(activated=True, scanners=1, repeat_threshold=5, expiry_date=None)

    assert judge(facts, dt.date(2099, 1, 1)) == [Verdict.genuine]


def test_given_a_lot_without_an_expiry_date_then_its_page_has_no_expiry_row_nor_asks_to_compare_one():
    res = copy.deepcopy(GENUINE)
    del res["lot"]["expiry_date"]

    text = Page(render(res)).visible

    assert "Hạn sử dụng" not in text and "hạn sử dụng" not in text


# --- migration steps ------------------------------------------------------------------------------
PRODUCT = {
    "pk": "PRODUCT#prd_1",
    "sk": "PROFILE",
    "kind": "product",
    "group": "souvenir_furniture_decor",
    "ocop": OLD,
    "ocop_history": [{**OLD, "action": "record", "at": "2024-05-11T01:00:00Z"}],
    "revision": 3,
}


def test_given_an_old_product_then_the_steps_bring_it_to_todays_shape_without_touching_their_input():
    before = copy.deepcopy(PRODUCT)

    after, changed = migrate_item(PRODUCT)

    assert PRODUCT == before  # pure
    assert changed == [step.name for step in STEPS if "product" in step.kinds]
    assert after["group"] == "handicraft"
    assert after["ocop"]["certificate"] == {"number": "QĐ-88/QĐ-UBND"}
    assert after["ocop_history"][0]["decision"]["date"] == "2024-05-10"
    assert after["ocop_history"][0]["action"] == "record"


def test_given_the_steps_applied_twice_then_the_second_time_changes_nothing():
    once, _ = migrate_item(PRODUCT)

    twice, changed = migrate_item(once)

    assert changed == [] and twice == once
    assert product_groups(once) == once and product_ratings(once) == once


def test_given_an_item_of_another_kind_then_no_step_reads_it():
    lot = {"pk": "LOT#1", "sk": "PROFILE", "kind": "lot", "group": "textile_garment"}

    assert migrate_item(lot) == (lot, [])
