"""The console's lot, print, void and recall pages render what they are given: escaped, every
control labelled, numbers and lengths written the page language's way; the pickers list the
official units in Vietnamese order."""

from __future__ import annotations

import re

import pytest

from ocop_stamps.console import lots, views_lifecycle, views_lots, views_printing

EVIL = '<script>alert("x")</script>'
PROVINCES = [("19", "Tỉnh Thái Nguyên"), ("99", EVIL)]
COMMUNES = {"Xã": [("05953", "Xã Kha Sơn"), ("00000", EVIL)]}
PRODUCTS = [{"product_id": "p1", "name": EVIL}]
SEEN = {"vi": ("Tem đã bị hủy", ["<p>Nhà sản xuất đã hủy mã tem này.</p>"]), "en": ("Stamp cancelled", ["<p>x</p>"])}
PRESETS = [("a4-65", 38.1, 21.2, 65), ("a4-40", 52.5, 29.7, 40)]
FORMATS = [("pdf", "PDF"), ("svg_zip", "SVG")]


def _controls_labelled(html: str) -> list[str]:
    """Ids of inputs, selects and textareas (not hidden) that no <label for> names."""
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', html)
    hidden = set(re.findall(r'<input type="hidden" name="([^"]+)"', html))
    return [i for i in ids if i not in hidden and f'<label for="{i}">' not in html]


def _pages() -> dict[str, str]:
    values = {"province": "19", "lot_code": EVIL, "note": EVIL, "reason": EVIL, "message_vi": EVIL}
    problems = {"lot_code": EVIL}
    lot = {"lot_id": "l1", "lot_code": EVIL, "unit": EVIL, "quantity": 1200, "origin": {"commune": EVIL}}
    job = {"job_id": "pj_1", "status": "done", "file_name": EVIL, "download_url": EVIL, "bytes": 2048, "batch_id": "7"}
    return {
        "lot_form": views_lots.lot_form("vi", PRODUCTS, PROVINCES, COMMUNES, "c", values, problems),
        "lot_page": views_lots.lot_page("vi", lot, EVIL, None),
        "void_form": views_lifecycle.void_form("vi", "7", 1000, [("lost", "tem thất lạc")], "c", values, problems),
        "void_confirm": views_lifecycle.void_confirm("vi", "7", 11, 20, "x", "c", values, SEEN),
        "recall_form": views_lifecycle.recall_form("vi", "l1", "HH-1", "c", values, {"reason": EVIL}),
        "recall_confirm": views_lifecycle.recall_confirm("vi", "l1", EVIL, "c", values, SEEN),
        "print_form": views_printing.print_form("vi", "7", 1000, PRESETS, FORMATS, "c", {"preset": "a4-40"}, {}),
        "job_done": views_printing.job_page("vi", job, False),
    }


@pytest.mark.parametrize("name", list(_pages()))
def test_given_values_with_markup_when_a_page_renders_then_none_reaches_it_raw_and_every_control_is_labelled(
    name: str,
) -> None:
    html = _pages()[name]

    assert "<script>" not in html
    assert _controls_labelled(html) == []


def test_given_a_field_with_a_problem_when_rendered_then_it_is_marked_described_and_listed_at_the_top() -> None:
    html = _pages()["lot_form"]

    assert re.search(r'id="lot_code" name="lot_code"[^>]*aria-invalid="true" aria-describedby="lot_code-err', html)
    assert '<p class="err" id="lot_code-err">&lt;script&gt;' in html
    assert '<div class="alert" role="alert"><p>Chưa đăng ký lô' in html and '<a href="#lot_code">' in html


def test_given_no_province_yet_when_the_lot_form_renders_then_only_step_one_shows() -> None:
    html = views_lots.lot_form("vi", PRODUCTS, PROVINCES, {}, "c", {}, {})

    assert 'method="get" action="/console/lots/new"' in html and 'method="post"' not in html
    assert 'name="csrf"' not in html  # a GET form never carries the token into a URL


def test_given_a_preset_when_shown_then_its_size_is_written_the_languages_way() -> None:
    vi = views_printing.print_form("vi", "7", 1000, PRESETS, FORMATS, "c", {"preset": "a4-40"}, {})
    en = views_printing.print_form("en", "7", 1000, PRESETS, FORMATS, "c", {"preset": "a4-40"}, {})

    assert "Tem 52,5 × 29,7 mm, 40 tem mỗi tờ" in vi and "Labels 52.5 × 29.7 mm, 40 per sheet" in en
    assert '<img src="/console/batches/7/print/label.svg?preset=a4-40"' in vi


def test_given_a_running_job_when_rendered_then_progress_shows_and_the_reloading_can_be_stopped() -> None:
    job = {"job_id": "pj_1", "status": "running", "labels_done": 1000, "total_labels": 2100, "batch_id": "7"}

    auto = views_printing.job_page("vi", job, True)
    still = views_printing.job_page("vi", job, False)

    assert '<progress id="job-progress" max="2100" value="1000">' in auto and "Đã xong 1.000/2.100 tem" in auto
    assert 'href="/console/print-jobs/pj_1?auto=0">Dừng tự tải lại' in auto
    assert "Bật lại tự tải lại" in still and "Dừng tự tải lại" not in still


def test_given_names_with_vietnamese_letters_when_sorted_then_the_vietnamese_alphabet_orders_them() -> None:
    names = ["Xã Đông Hưng", "Xã Dương Quang", "Phường Ân Thi", "Xã An Phú", "Xã Ăn Khê", "Xã Bình Yên"]

    ordered = sorted(names, key=lots.vi_sort_key)

    assert ordered == ["Xã An Phú", "Xã Ăn Khê", "Phường Ân Thi", "Xã Bình Yên", "Xã Dương Quang", "Xã Đông Hưng"]


def test_given_the_official_lists_when_offered_then_34_provinces_and_a_provinces_units_grouped_by_kind() -> None:
    provinces = lots.province_options()
    groups = lots.commune_groups("19", "vi")
    prefixes = {"Phường": "Phường ", "Xã": "Xã ", "Đặc khu": "Đặc khu "}

    assert len(provinces) == 34 and ("19", "Tỉnh Thái Nguyên") in provinces
    assert [n for _, n in provinces] == sorted((n for _, n in provinces), key=lots.vi_sort_key)
    assert list(groups) == ["Phường", "Xã"]
    assert all(name.startswith(prefixes[g]) for g, units in groups.items() for _, name in units)
    assert ("Xã Kha Sơn" in {n for _, n in groups["Xã"]}) and lots.commune_groups("00", "vi") == {}
