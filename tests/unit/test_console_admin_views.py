"""The OCOP office's console pages render only (issue 15): every value escaped, every control
labelled, a refusal at its field in both languages, the steps offered only where the rating
allows them, and the withdrawal's confirmation saying what buyers will read."""

from __future__ import annotations

import re

import pytest

from helpers.forms import unlabelled
from ocop_stamps.console import admin
from ocop_stamps.console import views_admin as views
from ocop_stamps.console.fields import Both

EVIL = '<script>alert("x")</script>'
RATED = {
    "stars": 4,
    "decision": {"number": EVIL, "date": "2026-09-10", "issuing_level": "province", "issuing_body": EVIL},
    "certificate": {"number": EVIL},
    "valid_until": "2029-09-10",
    "status": "valid",
}
PRODUCT = {
    "product_id": "prd_1",
    "producer_id": "hoan-hoa",
    "name": EVIL,
    "group": "beverage",
    "group_name": {"vi": "Đồ uống", "en": "Beverages"},
    "gtin": None,
    "ocop": RATED,
    "ocop_history": [
        {**RATED, "action": "record", "at": "2026-09-11T01:00:00Z"},
        {**RATED, "action": "renew", "at": "2026-10-11T01:00:00Z", "reason": EVIL},
    ],
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_the_office_home_then_it_links_its_jobs_and_the_inspectors_pages(lang: str) -> None:
    html = views.home(lang)

    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert {"/console/producers", "/console/producers/new", "/console/products/new"} <= hrefs
    assert {"/console/scans", "/console/alerts", "/console/summary", "/docs/admin"} <= hrefs


def test_given_no_province_yet_when_onboarding_then_only_the_province_step_shows() -> None:
    html = views.producer_form("vi", [], [("19", "Tỉnh Thái Nguyên")], {}, "tok", {}, {})

    assert 'action="/console/producers/new"' in html and 'method="get"' in html
    assert 'method="post"' not in html and 'name="csrf"' not in html  # no token in a URL


def test_given_a_province_and_problems_when_onboarding_then_step_two_marks_them_in_both_languages() -> None:
    kinds = admin._kinds("vi")
    problems = {"tax_code": Both("Mã số thuế sai", "Wrong tax code", "en")}
    values = {"province": "19", "producer_id": "pro-abc", "name": EVIL, "tax_code": "12"}
    communes = {"Xã": [("05953", "Xã Kha Sơn")]}

    html = views.producer_form("vi", kinds, [("19", "Tỉnh Thái Nguyên")], communes, "tok", values, problems)

    assert ("cooperative_group", "Tổ hợp tác") in kinds
    assert 'name="producer_id" value="pro-abc"' in html and 'name="csrf" value="tok"' in html
    assert EVIL not in html and "&lt;script&gt;" in html
    assert 'aria-describedby="tax_code-err tax_code-hint"' in html
    assert '<p>Mã số thuế sai</p><p class="muted" lang="en">Wrong tax code</p>' in html
    assert '<a href="#tax_code">Mã số thuế sai</a>' in html  # the summary, in the page's language
    assert unlabelled(html) == []


def test_given_a_new_producer_id_then_it_is_a_slug_producer_in_accepts() -> None:
    from ocop_stamps.catalog.schemas import ProducerIn

    made = admin.new_producer_id()
    data = ProducerIn.model_validate(
        {"producer_id": made, "name": "Hộ A", "kind": "household", "address": {"province": "19"}}
    )

    assert re.fullmatch(r"pro-[0-9a-z]{12}", made) and data.producer_id == made


def test_given_a_rated_product_then_renew_and_withdraw_are_offered_and_history_is_newest_first() -> None:
    html = views.product_page("vi", PRODUCT, EVIL, None)

    assert "?action=renew" in html and "/withdraw" in html
    assert html.index("Công nhận lại</td>") < html.index("Công nhận</td>")
    assert EVIL not in html and "Còn hiệu lực đến 10/09/2029" in html


def test_given_a_withdrawn_rating_then_only_recording_a_new_one_is_offered() -> None:
    withdrawn = {
        **PRODUCT,
        "ocop": {**RATED, "status": "withdrawn", "notice": {"vi": "Đã thu hồi ngày 1/12", "en": "x"}},
    }

    html = views.product_page("vi", withdrawn, "Hoan Hoa", None)
    form = views.rating_form("vi", withdrawn, ("record",), "tok", {"action": "record"}, {})

    assert "?action=record" in html and "?action=renew" not in html and "/withdraw" not in html
    assert "Đã thu hồi ngày 1/12" in html
    assert 'value="record" checked' in form and 'value="renew"' not in form


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_given_the_rating_form_with_a_refusal_then_it_sits_at_its_field_and_every_control_is_labelled(
    lang: str,
) -> None:
    problems = {"issuing_level": Both("cấp sai", "wrong level", "en"), "stars": Both("chọn sao", "choose", "en")}

    html = views.rating_form(lang, PRODUCT, views.RATING_ACTIONS, "tok", {"stars": "4"}, problems)

    assert 'aria-describedby="issuing_level-err issuing_level-hint"' in html
    assert '<fieldset id="stars">' in html and 'id="stars-err"' in html
    assert 'value="4" checked' in html
    assert unlabelled(html) == []


def test_given_a_withdrawal_to_confirm_then_it_says_what_buyers_will_read_in_both_languages() -> None:
    seen = admin.buyers_will_see("2026-11-30T01:00:00Z")

    html = views.withdraw_confirm("vi", PRODUCT, "tok", EVIL, seen)

    assert seen == {
        "vi": "Giấy chứng nhận OCOP đã bị thu hồi ngày 30/11/2026.",
        "en": "The OCOP certificate was withdrawn on 30/11/2026.",
    }
    assert seen["vi"] in html and f'lang="en">{seen["en"]}' in html
    assert 'name="step" value="do"' in html and 'name="step" value="edit"' in html
    assert html.count('name="csrf" value="tok"') == 2 and EVIL not in html
