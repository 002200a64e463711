"""Texts on the consumer page that point at data ("call the phone number below", "check the
expiry date against the package", "send a report below") appear only when that data is on the
page (issue 13, kind 14): a recall notice never sends a consumer to a phone number the
producer never gave."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from helpers.scan_results import BANNERS, RECALLED, UNKNOWN
from ocop_stamps.pages import scan_page
from ocop_stamps.pages.scan_page import render

# Every "below" a page may say, and what must then be on the page (in either language).
BELOW: dict[str, str] = {
    "lô hàng bên dưới": "<section id=lot>",
    "the lot below": "<section id=lot>",
    "số điện thoại bên dưới": "<dt>Điện thoại</dt>",
    "phone number below": "<dt>Phone</dt>",
    "địa chỉ bên dưới": "<dt>Địa chỉ</dt>",
    "address below": "<dt>Address</dt>",
    "báo cáo bên dưới": "<details id=report",
    "report below": "<details id=report",
    "nhập mã tem bên dưới": "<section id=check>",
    "type the stamp code below": "<section id=check>",
}
_BELOW = re.compile(r"bên dưới|below")


def sparse(res: dict[str, Any]) -> dict[str, Any]:
    """The same scan of a producer who gave no phone and no address, a lot without expiry date
    (handicrafts have none), a product without a name in the catalogue's view."""
    r = copy.deepcopy(res)
    if r.get("producer"):
        r["producer"].pop("phone", None)
        r["producer"]["address"] = {}
    if r.get("lot"):
        r["lot"].pop("expiry_date", None)
    if r.get("product"):
        r["product"].pop("name", None)
        r["product"].pop("name_en", None)
    return r


VARIANTS = {
    **{f"{name}-full": res for name, (res, _, _) in BANNERS.items()},
    **{f"{name}-sparse": sparse(res) for name, (res, _, _) in BANNERS.items() if name != "expired"},
    "unknown-no-code": {**UNKNOWN, "code": "-"},
    "genuine-under-a-label-of-another-lot": {
        **BANNERS["genuine"][0],
        "lot_mismatch": {"label_lot": "WRONG-LOT", "stamp_lot": "TH-2026-11"},
    },
    "not-activated-under-a-label-naming-a-lot": {
        **BANNERS["not_activated"][0],
        "lot_mismatch": {"label_lot": "TH-2026-11", "stamp_lot": None},
    },
}


OTHER_PAGES = {
    "lookup": scan_page.render_lookup,
    "bad link": scan_page.render_bad_link,
    "report form": lambda lang: scan_page.render_report_form("1ABCDEFGHJKMNPQR", lang),
    "report form, invalid": lambda lang: scan_page.render_report_form("1ABCDEFGHJKMNPQR", lang, invalid=True),
    "report thanks": lambda lang: scan_page.render_report_thanks("1ABCDEFGHJKMNPQR", lang),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("name", [*VARIANTS, *OTHER_PAGES])
def test_given_any_page_then_everything_it_says_is_below_is_on_the_page(name: str, lang: str):
    html = render(VARIANTS[name], lang) if name in VARIANTS else OTHER_PAGES[name](lang)
    said = [html[max(0, m.start() - 30) : m.end()] for m in _BELOW.finditer(html)]

    for phrase in said:
        known = next((p for p in BELOW if phrase.endswith(p)), None)
        assert known is not None, f"a new 'below' text must be added to BELOW: {phrase!r}"
        assert BELOW[known] in html, f"{name}: says {known!r} but the page has no {BELOW[known]!r}"


@pytest.mark.parametrize(
    ("phone", "address", "vi", "en"),
    [
        (True, True, "liên hệ nhà sản xuất (số điện thoại bên dưới)", "contact the producer (phone number below)"),
        (False, True, "liên hệ nhà sản xuất (địa chỉ bên dưới)", "contact the producer (address below)"),
        (False, False, "liên hệ nhà sản xuất hoặc nơi bán", "contact the producer or the shop"),
    ],
    ids=["with a phone", "address only", "neither"],
)
def test_given_a_recalled_lot_then_the_notice_names_only_the_producers_contact_the_page_shows(
    phone: bool, address: bool, vi: str, en: str
):
    res = copy.deepcopy(RECALLED)
    if not phone:
        res["producer"].pop("phone")
    if not address:
        res["producer"]["address"] = {}

    page_vi, page_en = render(res, "vi"), render(res, "en")

    assert vi in page_vi and en in page_en
    assert ("tel:" in page_vi) is phone
    if not phone:
        assert "số điện thoại bên dưới" not in page_vi and "phone number below" not in page_en


def test_given_a_genuine_stamp_then_the_consumer_is_asked_to_check_only_what_the_page_shows():
    full_vi = render(BANNERS["genuine"][0], "vi")
    full_en = render(BANNERS["genuine"][0], "en")
    assert "Hãy đối chiếu tên sản phẩm, nhà sản xuất và hạn sử dụng với bao bì." in full_vi
    assert "Check the product name, the producer and the expiry date against the package." in full_en

    no_expiry = copy.deepcopy(BANNERS["genuine"][0])
    no_expiry["lot"].pop("expiry_date")
    assert "Hãy đối chiếu tên sản phẩm và nhà sản xuất với bao bì." in render(no_expiry, "vi")
    assert "Check the product name and the producer against the package." in render(no_expiry, "en")
    assert "đối chiếu" not in render(sparse({**no_expiry, "producer": {}}), "vi")
