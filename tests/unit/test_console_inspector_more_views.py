"""The inspector's remaining console pages render only (issue 15): the summary (each chart with
a table of its numbers), the queue's filters, the CSV in parts, the field check's form, list
and page after -- every value escaped, every control labelled, a refusal at its field in
both languages, the camera button hidden until the script shows it."""

from __future__ import annotations

import re

import pytest

from helpers.forms import unlabelled
from ocop_stamps.console import views_field_checks as checks
from ocop_stamps.console import views_inspector as views
from ocop_stamps.inspection.summary import chart

EVIL = '<script>alert("x")</script>'
SUMMARY = {
    "from": "2026-11-01",
    "to": "2026-11-03",
    "days": [
        {"day": "2026-11-01", "total": 3, "verdicts": {"genuine": 2, "void": 1}},
        {"day": "2026-11-02", "total": 0, "verdicts": {}},
        {"day": "2026-11-03", "total": 1, "verdicts": {"genuine": 1}},
    ],
    "totals": {"genuine": 3, "void": 1},
    "top_provinces": [{"province": "01", "name": EVIL, "scans": 4}],
    "open_alerts": {"repeat_24h": 2},
}
CHARTS = {kind: chart(SUMMARY, kind) for kind in ("verdicts", "provinces", "alerts")}
PROVINCES = [("01", "Thành phố Hà Nội"), ("19", "Tỉnh Thái Nguyên")]
COMMUNES = {"Phường": [("00004", "Phường Ba Đình")], "Xã": [("00010", EVIL)]}
SEEN = [
    {"given": "a", "code": EVIL, "verdict": "genuine", "product_name": EVIL, "lot_code": EVIL, "lot_id": "l1"},
    {"given": "b", "code": "B", "verdict": "unknown", "product_name": None, "lot_code": None, "lot_id": None},
]
RECORD = {"province": "01", "lot_id": "l1", "lot_code": EVIL, "codes": "A\nB", "place": EVIL, "result": "fail"}


def _pages() -> dict[str, str]:
    values = {"days": "30", "province": "01", "type": EVIL, "codes": EVIL, "place": EVIL, "note": EVIL}
    return {
        "summary": views.summary_page("vi", values, {}, PROVINCES, SUMMARY, CHARTS),
        "summary_refused": views.summary_page("en", values, {"days": (EVIL, EVIL)}, PROVINCES, None, {}),
        "queue_filters": views.queue_filters("vi", "open", values, {"type": (EVIL, EVIL)}, PROVINCES),
        "export": views.export_page("vi", {"lot": EVIL}, 2, 20_000, EVIL, EVIL),
        "check_step1": checks.check_form("vi", PROVINCES, "", {}, "c", "/s.js", "/q.js", values, {}),
        "check_form": checks.check_form("vi", PROVINCES, "01", COMMUNES, "c", "/s.js", "/q.js", values, {}),
        "check_refused": checks.check_form(
            "en",
            PROVINCES,
            "01",
            COMMUNES,
            "c",
            "/s.js",
            "/q.js",
            values,
            {"codes": (EVIL, EVIL), "result": (EVIL, EVIL)},
        ),
        "check_list": checks.preview("vi", SEEN, EVIL, [EVIL], "c", RECORD, values),
        "check_done": checks.done("vi", EVIL, 2, "fail", EVIL),
    }


@pytest.mark.parametrize("name", list(_pages()))
def test_given_values_with_markup_when_a_page_renders_then_none_reaches_it_raw_and_all_is_labelled(name: str) -> None:
    html = _pages()[name]

    assert "<script>" not in html
    assert unlabelled(html) == []


def test_given_a_summary_when_rendered_then_each_chart_has_a_caption_and_a_table_of_its_numbers() -> None:
    html = views.summary_page("vi", {"days": "30"}, {}, PROVINCES, SUMMARY, CHARTS)

    assert html.count('<figure class="chart"><svg') == 3 and html.count("<figcaption>") == 3
    assert '<th scope="row">tem chính hãng</th><td class="num">3</td>' in html
    assert '<th scope="row">tem đã hủy</th><td class="num">1</td>' in html
    assert '<th scope="row">01/11/2026</th><td class="num">3</td>' in html  # per day, in <details>
    assert '<td class="num">4</td>' in html and "&lt;script&gt;" in html  # the province's name escaped
    assert "Tổng cộng 4 lượt quét trong 3 ngày." in html


def test_given_an_english_summary_then_it_says_the_charts_words_are_vietnamese_and_the_tables_are_english() -> None:
    html = views.summary_page("en", {"days": "30"}, {}, PROVINCES, SUMMARY, CHARTS)

    assert "The charts' words are in Vietnamese" in html
    assert '<th scope="row">genuine stamp</th><td class="num">3</td>' in html


def test_given_a_refused_period_when_rendered_then_it_is_marked_at_its_field_in_both_languages_and_no_chart() -> None:
    html = views.summary_page("vi", {"days": "365"}, {"days": ("Hãy chọn", "Choose")}, PROVINCES, None, {})

    assert re.search(r'id="f-days"[^>]*aria-invalid="true" aria-describedby="days-err"', html)
    assert '<p class="muted" lang="en">Choose</p>' in html and "<svg" not in html
    assert '<option value="365" selected>' in html  # what was asked stays


def test_given_a_cut_export_when_its_part_renders_then_it_links_the_part_and_the_next_with_the_filters() -> None:
    cut = views.export_page("vi", {"lot": "lot_1"}, 1, 20_000, None, "c+/")
    last = views.export_page("en", {"lot": "lot_1"}, 2, 5, "c+/", None)

    assert "Phần 1: 20.000 dòng." in cut and 'href="/console/scans.csv?lot=lot_1" download' in cut
    assert 'href="/console/scans/export?lot=lot_1&amp;cursor=c%2B%2F&amp;part=2"' in cut
    assert "Part 2: 5 lines." in last and "This is the last part." in last
    assert 'href="/console/scans.csv?lot=lot_1&amp;cursor=c%2B%2F" download' in last
    assert "/console/scans/export" not in last


def test_given_queue_filters_when_rendered_then_the_tabs_and_next_page_keep_them() -> None:
    kept = {"type": "repeat_24h", "province": "01"}
    form = views.queue_filters("vi", "acknowledged", kept, {}, PROVINCES)
    html = views.alerts_page("vi", "acknowledged", [], None, filters=form, kept=kept)

    assert 'href="/console/alerts?status=open&amp;type=repeat_24h&amp;province=01"' in html
    assert '<input type="hidden" name="status" value="acknowledged">' in html
    assert '<option value="repeat_24h" selected>' in html and '<option value="01" selected>' in html


def test_given_the_field_check_form_then_the_camera_appends_codes_and_is_hidden_until_the_script_runs() -> None:
    html = checks.check_form("vi", PROVINCES, "01", COMMUNES, "c", "/s.js", "/q.js", {}, {})

    assert re.search(r'<button type="button" class="scan" hidden data-field="codes" data-append="1"', html)
    assert '<div id="camera" class="camera" hidden data-decoder="/q.js"' in html
    assert '<script src="/s.js" defer></script>' in html
    assert '<select id="commune" name="commune">' in html  # optional: no "required"
    assert '<optgroup label="Phường">' in html and "Thành phố Hà Nội" in html


def test_given_a_refused_field_check_then_each_refusal_is_at_its_field_in_both_languages() -> None:
    problems = {"codes": ("Hãy quét", "Scan"), "result": ("Hãy chọn", "Choose")}
    html = checks.check_form("vi", PROVINCES, "01", COMMUNES, "c", "/s.js", "/q.js", {}, problems)

    assert 'aria-invalid="true" aria-describedby="codes-err codes-hint"' in html
    assert '<p class="muted" lang="en">Scan</p>' in html and '<p class="muted" lang="en">Choose</p>' in html
    assert '<a href="#codes">' in html and '<a href="#result">' in html and 'role="alert"' in html


def test_given_scanned_stamps_when_listed_then_each_verdict_shows_and_the_recording_carries_the_values() -> None:
    html = checks.preview("vi", SEEN, "HH-1", ["B (không xác định)"], "c", RECORD, {"codes": "A\nB"})

    assert "<td>tem chính hãng</td>" in html and "<td>mã không tồn tại</td>" in html
    assert "Ghi nhận lần kiểm tra (2 tem)" in html and "Không đạt" in html
    assert '<input type="hidden" name="step" value="do">' in html
    assert '<input type="hidden" name="step" value="edit">' in html
    assert "B (không xác định)" in html
