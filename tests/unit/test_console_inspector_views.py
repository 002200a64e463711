"""The inspector's console pages render only (issue 15): every value escaped, every control
labelled, a refused filter or note marked at its field in both languages, times in Vietnam."""

from __future__ import annotations

import re

import pytest

from helpers.forms import unlabelled
from ocop_stamps.console import views_inspector as views

EVIL = '<script>alert("x")</script>'
ROW = {
    "scanned_at": "2026-11-23T02:05:09.000Z",
    "code": EVIL,
    "verdict": "genuine",
    "jurisdiction_name": EVIL,
    "lot_code": EVIL,
    "product_name": EVIL,
}
ALERT = {
    "alert_id": "al_1",
    "type": "repeat_24h",
    "status": "open",
    "summary_vi": EVIL,
    "raised_at": "2026-11-23T02:05:09.000Z",
    "province_name": EVIL,
    "occurrences": 3,
    "code": EVIL,
    "history": [{"status": "open", "at": "2026-11-23T02:05:09.000Z", "by": EVIL, "note": EVIL}],
}


def _pages() -> dict[str, str]:
    values = {name: EVIL for name in views.SCAN_FILTERS} | {"note": EVIL, "status": "resolved"}
    return {
        "home": views.home("vi"),
        "scans": views.scans_page("vi", values, {}, [ROW], EVIL),
        "scans_refused": views.scans_page("en", values, {"batch": (EVIL, EVIL)}, [], None),
        "alerts": views.alerts_page("vi", "open", [ALERT], EVIL, EVIL),
        "alert": views.alert_page("vi", ALERT, ["acknowledged", "resolved", "dismissed"], "c", values, {}),
        "alert_refused": views.alert_page("vi", ALERT, ["resolved"], "c", values, {"note": (EVIL, EVIL)}),
    }


@pytest.mark.parametrize("name", list(_pages()))
def test_given_values_with_markup_when_an_inspector_page_renders_then_none_reaches_it_raw_and_all_is_labelled(
    name: str,
) -> None:
    html = _pages()[name]

    assert "<script>" not in html
    assert unlabelled(html) == []


def test_given_a_scan_line_when_shown_then_its_time_is_vietnam_time_to_the_minute_and_its_verdict_in_words() -> None:
    html = views.scans_page("vi", {}, {}, [ROW], None)

    assert "<td>23/11/2026 09:05</td>" in html  # 02:05 UTC is 09:05 in Vietnam
    assert "<td>tem chính hãng</td>" in html


def test_given_a_refused_filter_when_rendered_then_it_is_marked_at_its_field_in_both_languages() -> None:
    problem = ("Đợt tem (`batch`) phải là một số.", "batch must be a batch number.")
    html = views.scans_page("vi", {"batch": "abc"}, {"batch": problem}, [], None)

    assert re.search(r'id="f-batch"[^>]*aria-invalid="true" aria-describedby="batch-err"', html)
    assert '<p class="muted" lang="en">batch must be a batch number.</p>' in html
    assert '<a href="#f-batch">' in html and 'role="alert"' in html
    assert "/console/scans.csv" not in html  # no export of a query that was refused


def test_given_a_next_page_when_rendered_then_its_link_keeps_the_filters_and_carries_the_cursor() -> None:
    html = views.scans_page("vi", {"province": "Hà Nội", "code": ""}, {}, [ROW], "abc+/=")

    assert 'href="/console/scans?province=H%C3%A0+N%E1%BB%99i&amp;cursor=abc%2B%2F%3D"' in html
    assert 'href="/console/scans.csv?province=H%C3%A0+N%E1%BB%99i"' in html


def test_given_a_closed_alert_when_shown_then_no_form_to_move_it() -> None:
    html = views.alert_page("en", {**ALERT, "status": "resolved"}, [], "c", {}, {})

    assert "<form" not in html and "Resolved" in html
